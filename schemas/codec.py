"""Encode and decode ScrapeStream events as Avro, with the writer's schema identified in every message.

Two framings, both decoded whatever the mode so a deployment can switch between them:
- single-object encoding (the default, no registry): C3 01, the 8-byte little-endian CRC-64-AVRO
  fingerprint of the writer schema, then the Avro body. Writer schemas are found by fingerprint
  among the schemas shipped in this package (current and history/).
- Confluent wire format (when `Settings.schema_registry_url` is set): byte 0, the 4-byte big-endian
  schema id, then the body. Schemas are registered under their full record name
  (RecordNameStrategy), since one event type is written to several topics (product.updates and
  product.state).

Decoding always resolves the writer schema to the current schema of the requested event type, so
new code reads old data. Records are plain dicts; timestamp-millis fields decode to aware UTC
datetimes (encode takes a datetime or epoch milliseconds) and uuid fields decode to uuid.UUID
(encode takes a UUID or its string).

Every problem with a message or a record raises `CodecError`; `reason` is short and stable
enough to be a dead-letter category.
"""

from __future__ import annotations

import json
import uuid
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from fastavro import schemaless_reader, schemaless_writer
from fastavro.write import LOGICAL_WRITERS

from schemas.loader import EVENT_TYPES, SCHEMA_DIR, SchemaVersion, load_current, load_history, schema_version

if TYPE_CHECKING:
    from confluent_kafka.schema_registry import Schema

    from scrapestream.config import Settings

SINGLE_OBJECT_MAGIC = b"\xc3\x01"
SINGLE_OBJECT_HEADER_SIZE = len(SINGLE_OBJECT_MAGIC) + 8
CONFLUENT_MAGIC = b"\x00"
CONFLUENT_HEADER_SIZE = len(CONFLUENT_MAGIC) + 4


def _checked_uuid(value: Any, _schema: Any) -> str:
    """Canonical text of a uuid field; raises ValueError/TypeError for anything that is not a UUID."""
    return str(value if isinstance(value, uuid.UUID) else uuid.UUID(value))


# fastavro writes any string into a uuid field, and the message then fails only when read (a poison
# pill). This documented hook makes the writer check it; it affects only invalid UUIDs.
LOGICAL_WRITERS["string-uuid"] = _checked_uuid


class CodecError(ValueError):
    """Bytes that cannot be decoded, or a record that cannot be encoded.

    `reason` is a short fixed phrase (e.g. "unknown fingerprint") for dead-letter grouping and
    metrics; the message adds the details.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


class RegistryUnavailableError(CodecError):
    """The schema registry could not be asked. Transient: retry rather than dead-letter the message."""


class RegistryClient(Protocol):
    """The part of confluent_kafka's SchemaRegistryClient that the codec uses."""

    def register_schema(self, subject_name: str, schema: Schema) -> int: ...

    def get_schema(self, schema_id: int) -> Schema: ...


class Codec:
    """Encoder/decoder for every event type; build one per process and share it (it caches schemas)."""

    def __init__(self, schema_dir: Path = SCHEMA_DIR, registry: RegistryClient | None = None) -> None:
        self._current = {name: load_current(name, schema_dir) for name in EVENT_TYPES}
        known = [*load_history(schema_dir), *self._current.values()]
        # A frozen version with the current fingerprint maps to the current schema (listed last),
        # so reading current data never goes through schema resolution.
        self._by_fingerprint = {version.fingerprint: version for version in known}
        self._registry = registry
        self._by_schema_id: dict[int, SchemaVersion] = {}
        self._header = {
            name: SINGLE_OBJECT_MAGIC + version.fingerprint
            for name, version in self._current.items()
            if registry is None
        }

    @classmethod
    def for_settings(cls, settings: Settings) -> Codec:
        """Registry mode when `schema_registry_url` is set, single-object encoding otherwise."""
        if not settings.schema_registry_url:
            return cls()
        from confluent_kafka.schema_registry import SchemaRegistryClient

        return cls(registry=SchemaRegistryClient({"url": settings.schema_registry_url}))

    def encode(self, event_type: str, record: dict[str, Any]) -> bytes:
        """Avro bytes of `record`, framed with its schema's fingerprint or registry id."""
        schema = self._schema_of(event_type)
        out = BytesIO()
        out.write(self._header.get(event_type) or self._register(schema))
        try:
            schemaless_writer(out, schema.parsed, record, strict_allow_default=True)
        except Exception as error:  # fastavro reports a mismatch as TypeError, ValueError, KeyError, ...
            raise CodecError("record does not match schema", f"{event_type}: {error}") from None
        return out.getvalue()

    def decode(self, event_type: str, data: bytes) -> dict[str, Any]:
        """The record in `data`, resolved to the current schema of `event_type`."""
        reader = self._schema_of(event_type)
        writer, body_start = self._writer_of(data)
        if writer.event_type != event_type:
            raise CodecError("wrong event type", f"expected {event_type}, message holds {writer.event_type}")
        stream = BytesIO(data)
        stream.seek(body_start)
        same_schema = writer.fingerprint == reader.fingerprint
        try:
            record = schemaless_reader(
                stream,
                reader.parsed if same_schema else writer.parsed,
                None if same_schema else reader.parsed,
            )
        except Exception as error:  # corrupt bodies surface as EOFError, IndexError, ValueError, ...
            raise CodecError("body does not match schema", f"{event_type}: {error!r}") from None
        if stream.tell() != len(data):
            raise CodecError(
                "trailing bytes", f"{len(data) - stream.tell()} bytes after the {event_type} record"
            )
        return record

    def _schema_of(self, event_type: str) -> SchemaVersion:
        try:
            return self._current[event_type]
        except KeyError:
            raise CodecError("unknown event type", repr(event_type)) from None

    def _writer_of(self, data: bytes) -> tuple[SchemaVersion, int]:
        """The writer schema named in the message header, and where the body starts."""
        if data is None or data == b"":
            raise CodecError("empty message", "no value (a tombstone?)" if data is None else "zero bytes")
        if not isinstance(data, bytes | bytearray):
            raise CodecError("not bytes", f"got {type(data).__name__}")
        if data[:2] == SINGLE_OBJECT_MAGIC:
            if len(data) < SINGLE_OBJECT_HEADER_SIZE:
                raise CodecError("truncated header", f"{len(data)} bytes")
            fingerprint = bytes(data[2:SINGLE_OBJECT_HEADER_SIZE])
            try:
                return self._by_fingerprint[fingerprint], SINGLE_OBJECT_HEADER_SIZE
            except KeyError:
                raise CodecError("unknown fingerprint", fingerprint.hex()) from None
        if data[:1] == CONFLUENT_MAGIC:
            if len(data) < CONFLUENT_HEADER_SIZE:
                raise CodecError("truncated header", f"{len(data)} bytes")
            schema_id = int.from_bytes(data[1:CONFLUENT_HEADER_SIZE], "big")
            return self._fetch(schema_id), CONFLUENT_HEADER_SIZE
        raise CodecError("bad magic", f"first bytes {bytes(data[:2]).hex()}")

    def _register(self, schema: SchemaVersion) -> bytes:
        """Register the current schema once; its Confluent header is cached afterwards."""
        from confluent_kafka.schema_registry import Schema

        registry = self._registry  # only reached in registry mode: otherwise every header is prebuilt
        schema_id = _ask_registry(
            lambda: registry.register_schema(schema.full_name, Schema(schema.json, "AVRO"))
        )
        header = CONFLUENT_MAGIC + schema_id.to_bytes(4, "big")
        self._header[schema.event_type] = header
        self._by_schema_id[schema_id] = schema
        return header

    def _fetch(self, schema_id: int) -> SchemaVersion:
        """The writer schema registered under `schema_id`, fetched once."""
        if schema_id in self._by_schema_id:
            return self._by_schema_id[schema_id]
        if self._registry is None:
            raise CodecError("registry not configured", f"message names schema id {schema_id}")
        registered = _ask_registry(lambda: self._registry.get_schema(schema_id))
        if registered.schema_type not in (None, "AVRO") or registered.references:
            detail = f"id {schema_id}: type {registered.schema_type}, references {registered.references}"
            raise CodecError("unsupported schema", detail)
        try:
            definition = json.loads(registered.schema_str)
            event_type = definition["name"].rpartition(".")[2]
            version = schema_version(event_type, definition)
        except Exception as error:
            raise CodecError("unsupported schema", f"id {schema_id}: {error}") from None
        self._by_schema_id[schema_id] = self._by_fingerprint.get(version.fingerprint, version)
        return self._by_schema_id[schema_id]


def _ask_registry(call: Any) -> Any:
    """Run a registry call, turning its failures into CodecError (permanent) or RegistryUnavailableError."""
    from confluent_kafka.schema_registry.error import SchemaRegistryError

    try:
        return call()
    except SchemaRegistryError as error:
        if error.http_status_code == 404:
            raise CodecError("unknown schema id", str(error)) from None
        if 400 <= error.http_status_code < 500 and error.http_status_code not in (408, 429):
            raise CodecError("registry rejected schema", str(error)) from None
        raise RegistryUnavailableError("registry unavailable", str(error)) from None
    except Exception as error:  # connection refused, timeouts, TLS: all worth a retry
        raise RegistryUnavailableError("registry unavailable", repr(error)) from None
