"""Where event schemas live on disk, and how they are loaded.

Layout (directory `schemas/`):
- `scrapestream.v1.<Type>.avsc`: the current version of every named type, one file each. Files
  refer to other named types by full name and fastavro's named-schema loading inlines them, so a
  shared type (Priority, Availability, Money, Product, ScrapeRequest) is defined exactly once.
- `history/<Event>.v<N>.avsc`: every version of an event that may have been written, frozen as a
  self-contained schema (all named types inlined). Readers need them to resolve the fingerprint of
  any writer, and the compatibility check compares the current schema against them. The newest
  frozen version must equal the current schema; `freeze()` writes a new one after a change.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastavro import parse_schema
from fastavro.schema import fingerprint, load_schema, to_parsing_canonical_form

NAMESPACE = "scrapestream.v1"
SCHEMA_DIR = Path(__file__).resolve().parent
HISTORY_DIRNAME = "history"

# The top-level events, one per topic value type. Other *.avsc files are types they share.
EVENT_TYPES = (
    "ScrapeRequest",
    "ScrapeTask",
    "ScrapeResult",
    "ProductUpdate",
    "CacheInvalidation",
    "DeadLetter",
)

_HISTORY_FILE = re.compile(r"(?P<event>[A-Za-z]\w*)\.v(?P<version>[1-9]\d*)\.avsc")


class SchemaLoadError(ValueError):
    """A schema file is missing, is not valid Avro, or breaks the layout rules; the message names it."""


@dataclass(frozen=True)
class SchemaVersion:
    """One version of an event schema, ready for fastavro and for fingerprint look-ups."""

    event_type: str
    parsed: dict[str, Any] = field(repr=False)  # fastavro's parsed form
    definition: dict[str, Any] = field(repr=False)  # self-contained JSON form (what the registry gets)
    fingerprint: bytes  # CRC-64-AVRO of the parsing canonical form, 8 bytes little-endian
    version: int = 0  # N of history/<Event>.vN.avsc; 0 for the current schema

    @property
    def full_name(self) -> str:
        return f"{NAMESPACE}.{self.event_type}"

    @property
    def json(self) -> str:
        return json.dumps(self.definition, separators=(",", ":"))


def schema_version(event_type: str, definition: dict[str, Any], version: int = 0) -> SchemaVersion:
    """Parse a self-contained schema and compute its single-object fingerprint."""
    parsed = parse_schema(definition)
    canonical = to_parsing_canonical_form(parsed)
    # fastavro renders the CRC in little-endian byte order, as single-object encoding stores it.
    digest = bytes.fromhex(fingerprint(canonical, "CRC-64-AVRO"))
    return SchemaVersion(event_type, parsed, definition, digest, version)


def load_current(event_type: str, schema_dir: Path = SCHEMA_DIR) -> SchemaVersion:
    """The current schema of an event, with every referenced named type inlined."""
    path = schema_dir / f"{NAMESPACE}.{event_type}.avsc"
    if not path.is_file():
        raise SchemaLoadError(f"{path}: no schema file for event type {event_type!r}")
    try:
        loaded = load_schema(str(path))
    except Exception as error:  # fastavro raises several types for bad or missing references
        raise SchemaLoadError(f"{path}: {error}") from error
    definition = {key: value for key, value in loaded.items() if not key.startswith("__")}
    return schema_version(event_type, definition)


def load_history(schema_dir: Path = SCHEMA_DIR) -> list[SchemaVersion]:
    """Every frozen version, ordered by event type then version."""
    versions = [_load_frozen(path) for path in sorted((schema_dir / HISTORY_DIRNAME).glob("*.avsc"))]
    return sorted(versions, key=lambda v: (v.event_type, v.version))


def _load_frozen(path: Path) -> SchemaVersion:
    match = _HISTORY_FILE.fullmatch(path.name)
    if not match:
        raise SchemaLoadError(f"{path}: history files are named <Event>.v<N>.avsc")
    event_type = match["event"]
    try:
        definition = json.loads(path.read_text())
        version = schema_version(event_type, definition, int(match["version"]))
    except Exception as error:
        raise SchemaLoadError(f"{path}: {error}") from error
    if definition.get("name") not in (event_type, version.full_name):
        raise SchemaLoadError(f"{path}: defines {definition.get('name')!r}, not {version.full_name}")
    return version


def freeze(event_type: str, schema_dir: Path = SCHEMA_DIR) -> Path | None:
    """Write the current schema as the next history version; None when it is frozen already."""
    current = load_current(event_type, schema_dir)
    frozen = [v for v in load_history(schema_dir) if v.event_type == event_type]
    if frozen and frozen[-1].fingerprint == current.fingerprint:
        return None
    next_version = frozen[-1].version + 1 if frozen else 1
    path = schema_dir / HISTORY_DIRNAME / f"{event_type}.v{next_version}.avsc"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(current.definition, indent=2) + "\n")
    return path
