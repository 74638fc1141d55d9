"""Test helpers: editable copies of the shipped schemas and a fake schema registry client."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from confluent_kafka.schema_registry import Schema
from confluent_kafka.schema_registry.error import SchemaRegistryError

from schemas.loader import NAMESPACE, SCHEMA_DIR


def copy_schemas(destination: Path) -> Path:
    """A private copy of schemas/ (current files and history) that a test may edit."""
    target = destination / "schemas"
    shutil.copytree(SCHEMA_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def edit_schema(schema_dir: Path, type_name: str, change: Callable[[dict[str, Any]], None]) -> None:
    """Apply `change` to the JSON of scrapestream.v1.<type_name>.avsc in `schema_dir`."""
    path = schema_dir / f"{NAMESPACE}.{type_name}.avsc"
    definition = json.loads(path.read_text())
    change(definition)
    path.write_text(json.dumps(definition, indent=2))


def field_named(record: dict[str, Any], name: str) -> dict[str, Any]:
    return next(field for field in record["fields"] if field["name"] == name)


class FakeRegistry:
    """In-process stand-in for confluent_kafka's SchemaRegistryClient (only the calls the codec makes).

    Ids are handed out per distinct schema text, as a real registry does. `down` makes every call
    fail like an unreachable server.
    """

    def __init__(self) -> None:
        self.schemas: dict[int, Schema] = {}
        self.subjects: dict[str, list[int]] = {}
        self.calls: list[str] = []
        self.down = False

    def register_schema(self, subject_name: str, schema: Schema) -> int:
        self._call(f"register {subject_name}")
        for schema_id, known in self.schemas.items():
            if known.schema_str == schema.schema_str:
                return schema_id
        schema_id = len(self.schemas) + 1
        self.schemas[schema_id] = schema
        self.subjects.setdefault(subject_name, []).append(schema_id)
        return schema_id

    def get_schema(self, schema_id: int) -> Schema:
        self._call(f"get {schema_id}")
        if schema_id not in self.schemas:
            raise SchemaRegistryError(404, 40403, "Schema not found")
        return self.schemas[schema_id]

    def _call(self, what: str) -> None:
        if self.down:
            raise ConnectionRefusedError("registry unreachable")
        self.calls.append(what)
