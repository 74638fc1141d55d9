"""Schema compatibility: can a reader schema read data written with a writer schema?

Our rule is BACKWARD, checked transitively: the current schema of every event, as reader, must read
data written with each of its frozen versions (schemas/history/). The checks follow the schema
resolution rules of the Avro specification, plus one stricter rule: a changed logical type
(e.g. timestamp-millis to timestamp-micros) is reported, because the bytes would still decode but
mean something else.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schemas.loader import EVENT_TYPES, SCHEMA_DIR, freeze, load_current, load_history

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
NAMED_KINDS = frozenset({"record", "error", "enum", "fixed"})
# Writer type -> reader types it may be read as (Avro specification, "Schema Resolution").
PROMOTIONS = {
    "int": {"long", "float", "double"},
    "long": {"float", "double"},
    "float": {"double"},
    "string": {"bytes"},
    "bytes": {"string"},
}


@dataclass(frozen=True)
class Incompatibility:
    """One reason the reader cannot read the writer's data; `path` names the event and the field."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def incompatibilities(reader: Any, writer: Any) -> list[Incompatibility]:
    """Everything that stops `reader` from reading data written with `writer` (both self-contained)."""
    return _Resolver(reader, writer).check(reader, writer, _short_name(reader))


def check_shipped_schemas(schema_dir: Path = SCHEMA_DIR) -> list[str]:
    """Problems with the shipped schemas: unfrozen changes and BACKWARD breaks against any frozen version."""
    history = load_history(schema_dir)
    problems = []
    for event_type in EVENT_TYPES:
        current = load_current(event_type, schema_dir)
        frozen = [version for version in history if version.event_type == event_type]
        if not frozen or frozen[-1].fingerprint != current.fingerprint:
            problems.append(
                f"{event_type}: the current schema is not frozen in history/; "
                "run `scrapestream schemas freeze` once the change is final"
            )
        for old in frozen:
            problems.extend(
                f"{event_type} cannot read v{old.version}: {problem}"
                for problem in incompatibilities(current.definition, old.definition)
            )
    return problems


class _Resolver:
    """Walks a reader and a writer schema side by side, collecting what does not resolve."""

    def __init__(self, reader: Any, writer: Any) -> None:
        self._reader_names = _named_types(reader)
        self._writer_names = _named_types(writer)
        self._seen: set[tuple[str, str]] = set()  # record pairs already checked (recursive types)

    def check(self, reader: Any, writer: Any, path: str) -> list[Incompatibility]:
        reader = _resolve(reader, self._reader_names)
        writer = _resolve(writer, self._writer_names)
        if isinstance(writer, list):
            return [problem for branch in writer for problem in self.check(reader, branch, path)]
        if isinstance(reader, list):
            return self._check_union_reader(reader, writer, path)
        if not _same_kind(reader, writer):
            return [Incompatibility(path, f"type changed from {_describe(writer)} to {_describe(reader)}")]
        if reader.get("logicalType") != writer.get("logicalType"):
            old, new = writer.get("logicalType"), reader.get("logicalType")
            return [Incompatibility(path, f"logical type changed from {old} to {new}")]
        return self._check_children(reader, writer, path)

    def _check_union_reader(
        self, union: list[Any], writer: dict[str, Any], path: str
    ) -> list[Incompatibility]:
        for branch in union:
            resolved = _resolve(branch, self._reader_names)
            if not isinstance(resolved, list) and _same_kind(resolved, writer):
                return self.check(resolved, writer, path)
        return [
            Incompatibility(path, f"{_describe(writer)} written by the old schema is not in the new union")
        ]

    def _check_children(
        self, reader: dict[str, Any], writer: dict[str, Any], path: str
    ) -> list[Incompatibility]:
        kind = reader["type"]
        if kind == "array":
            return self.check(reader["items"], writer["items"], f"{path}[]")
        if kind == "map":
            return self.check(reader["values"], writer["values"], f"{path}{{}}")
        if kind in ("record", "error"):
            return self._check_record(reader, writer, path)
        if kind == "enum":
            return _check_enum(reader, writer, path)
        if kind == "fixed" and reader["size"] != writer["size"]:
            return [Incompatibility(path, f"fixed {reader['name']} size changed from {writer['size']}")]
        return []

    def _check_record(
        self, reader: dict[str, Any], writer: dict[str, Any], path: str
    ) -> list[Incompatibility]:
        pair = (reader["name"], writer["name"])
        if pair in self._seen:
            return []
        self._seen.add(pair)
        written = {field["name"]: field for field in writer["fields"]}
        problems = []
        for field in reader["fields"]:
            names = [field["name"], *field.get("aliases", [])]
            old = next((written[name] for name in names if name in written), None)
            field_path = f"{path}.{field['name']}"
            if old is not None:
                problems.extend(self.check(field["type"], old["type"], field_path))
            elif "default" not in field:
                message = f"field {field['name']!r} of record {reader['name']} was added without a default"
                problems.append(Incompatibility(field_path, message))
        return problems


def _check_enum(reader: dict[str, Any], writer: dict[str, Any], path: str) -> list[Incompatibility]:
    removed = [symbol for symbol in writer["symbols"] if symbol not in reader["symbols"]]
    if removed and "default" not in reader:
        message = f"enum {reader['name']} lost symbol(s) {', '.join(removed)} and has no default symbol"
        return [Incompatibility(path, message)]
    return []


def _same_kind(reader: dict[str, Any], writer: dict[str, Any]) -> bool:
    """Whether a writer value of this type may be read as the reader type (names, promotions)."""
    if writer["type"] in PRIMITIVES:
        return reader["type"] == writer["type"] or reader["type"] in PROMOTIONS.get(writer["type"], ())
    if reader["type"] != writer["type"]:
        return False
    if reader["type"] in NAMED_KINDS:
        reader_names = {_unqualified(name) for name in [reader["name"], *reader.get("aliases", [])]}
        return _unqualified(writer["name"]) in reader_names
    return True


def _resolve(schema: Any, names: dict[str, dict[str, Any]]) -> Any:
    """A union stays a list; anything else becomes a dict with a "type" key."""
    if isinstance(schema, str):
        return names.get(schema) or names.get(_unqualified(schema)) or {"type": schema}
    if isinstance(schema, dict) and isinstance(schema["type"], dict | list):
        return _resolve(schema["type"], names)
    return schema


def _named_types(schema: Any, namespace: str = "") -> dict[str, dict[str, Any]]:
    """Every named type defined in a schema, by full name and by unqualified name, names made full."""
    found: dict[str, dict[str, Any]] = {}
    if isinstance(schema, list):
        for branch in schema:
            found.update(_named_types(branch, namespace))
    elif isinstance(schema, dict) and schema.get("type") in NAMED_KINDS:
        name = schema["name"]
        namespace = name.rpartition(".")[0] if "." in name else schema.get("namespace", namespace)
        full = {**schema, "name": f"{namespace}.{_unqualified(name)}" if namespace else name}
        found[full["name"]] = found[_unqualified(name)] = full
        for field in schema.get("fields", []):
            found.update(_named_types(field["type"], namespace))
    elif isinstance(schema, dict):
        for key in ("type", "items", "values"):
            found.update(_named_types(schema.get(key), namespace))
    return found


def _unqualified(name: str) -> str:
    return name.rpartition(".")[2]


def _short_name(schema: Any) -> str:
    return _unqualified(schema["name"]) if isinstance(schema, dict) and "name" in schema else "(root)"


def _describe(schema: dict[str, Any]) -> str:
    return f"{schema['type']} {schema['name']}" if schema["type"] in NAMED_KINDS else str(schema["type"])


# -- command line: `scrapestream schemas check|freeze` ---------------------------------------
def cmd_check() -> int:
    """Print every schema problem; exit code 1 when there is one."""
    problems = check_shipped_schemas()
    for problem in problems:
        print(problem)
    print(
        f"{len(problems)} problem(s)"
        if problems
        else f"{len(EVENT_TYPES)} event schemas frozen and BACKWARD compatible"
    )
    return 1 if problems else 0


def cmd_freeze() -> int:
    """Freeze every changed event schema as its next history version, then check compatibility."""
    for event_type in EVENT_TYPES:
        path = freeze(event_type)
        print(f"{event_type:<18} {'froze ' + str(path) if path else 'unchanged'}")
    return cmd_check()
