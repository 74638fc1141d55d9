"""Codec: framing, round trips, schema evolution and typed errors for bad bytes and bad records."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.codec import Codec, CodecError, RegistryUnavailableError
from schemas.loader import EVENT_TYPES, SchemaVersion, load_current
from schemas.samples import SAMPLES
from scrapestream.config import Settings
from tests.unit.hostile_input import fuzz_settings, mutated, no_hang
from tests.unit.schema_fixtures import FakeRegistry, copy_schemas, edit_schema, field_named

CODEC = Codec()


def crc64_avro(text: str) -> int:
    """The Avro specification's reference CRC-64-AVRO, written independently of fastavro."""
    empty = 0xC15D213AA4D7A795
    table = []
    for byte in range(256):
        value = byte
        for _ in range(8):
            value = (value >> 1) ^ (empty & -(value & 1))
        table.append(value)
    fingerprint = empty
    for byte in text.encode():
        fingerprint = (fingerprint >> 8) ^ table[(fingerprint ^ byte) & 0xFF]
    return fingerprint


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_every_event_round_trips_in_single_object_encoding(event_type: str) -> None:
    record = SAMPLES[event_type]()
    data = CODEC.encode(event_type, record)
    assert data[:2] == b"\xc3\x01"
    assert CODEC.decode(event_type, data) == record


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_header_carries_spec_fingerprint_of_canonical_form(event_type: str) -> None:
    from fastavro.schema import to_parsing_canonical_form

    schema = load_current(event_type)
    expected = crc64_avro(to_parsing_canonical_form(schema.parsed)).to_bytes(8, "little")
    assert CODEC.encode(event_type, SAMPLES[event_type]())[2:10] == expected


def test_optional_fields_take_their_defaults() -> None:
    minimal = {
        "request_id": str(uuid.uuid4()),
        "url": "https://shop.example/p/1",
        "canonical_url": "https://shop.example/p/1",
        "domain": "shop.example",
        "created_at": 1_764_000_000_000,
    }
    decoded = CODEC.decode("ScrapeRequest", CODEC.encode("ScrapeRequest", minimal))
    assert decoded["priority"] == "NORMAL"
    assert decoded["render"] == "AUTO"
    assert decoded["tags"] == {}
    assert decoded["correlation_id"] is None
    assert decoded["request_id"] == uuid.UUID(minimal["request_id"])


def test_a_price_of_unknown_currency_round_trips_and_results_with_a_required_currency_still_read(
    tmp_path: Path,
) -> None:
    result = SAMPLES["ScrapeResult"]()
    result["product"]["price"] = {"amount_minor": 1999, "currency": None}
    decoded = CODEC.decode("ScrapeResult", CODEC.encode("ScrapeResult", result))
    assert decoded["product"]["price"] == {"amount_minor": 1999, "currency": None}
    # A writer from before the currency became optional (Money.currency a plain string).
    old_dir = copy_schemas(tmp_path)
    edit_schema(old_dir, "Money", _required_currency)
    old_data = Codec(old_dir).encode("ScrapeResult", SAMPLES["ScrapeResult"]())
    assert (
        CODEC.decode("ScrapeResult", old_data)["product"]["price"]
        == SAMPLES["ScrapeResult"]()["product"]["price"]
    )


def _required_currency(money: dict) -> None:
    currency = field_named(money, "currency")
    currency["type"] = "string"
    del currency["default"]


def test_for_settings_without_registry_uses_single_object_encoding() -> None:
    codec = Codec.for_settings(Settings(schema_registry_url=""))
    assert codec.encode("CacheInvalidation", SAMPLES["CacheInvalidation"]())[:2] == b"\xc3\x01"


# -- schema evolution ----------------------------------------------------------------------
def _evolve_scrape_request(schema_dir: Path) -> None:
    """v2 of ScrapeRequest: adds `region` (with default), drops `requested_by`, adds PageKind SEARCH."""

    def change(request: dict) -> None:
        request["fields"].append({"name": "region", "type": "string", "default": "eu"})
        request["fields"].remove(field_named(request, "requested_by"))
        field_named(request, "kind")["type"]["symbols"].append("SEARCH")

    edit_schema(schema_dir, "ScrapeRequest", change)


def _v2_request(**changes: object) -> dict:
    """The sample request as v2 has it: no `requested_by`, a `region`."""
    record = {**SAMPLES["ScrapeRequest"](), "region": "us", **changes}
    del record["requested_by"]
    return record


@pytest.fixture
def evolved_dir(tmp_path: Path) -> Path:
    schema_dir = copy_schemas(tmp_path)
    _evolve_scrape_request(schema_dir)
    return schema_dir


def test_new_reader_reads_data_of_old_writer(evolved_dir: Path) -> None:
    old_data = CODEC.encode("ScrapeRequest", SAMPLES["ScrapeRequest"]())
    decoded = Codec(evolved_dir).decode("ScrapeRequest", old_data)
    assert decoded["region"] == "eu"  # added field: reader default
    assert "requested_by" not in decoded  # removed field: writer value skipped
    assert decoded["url"] == SAMPLES["ScrapeRequest"]()["url"]


def test_old_reader_reads_data_of_new_writer_through_registry(evolved_dir: Path) -> None:
    registry = FakeRegistry()
    new_writer = Codec(evolved_dir, registry=registry)
    new_data = new_writer.encode("ScrapeRequest", _v2_request(kind="SEARCH"))
    decoded = Codec(registry=registry).decode("ScrapeRequest", new_data)
    assert decoded["kind"] == "PRODUCT"  # unknown symbol: the enum's default
    assert decoded["requested_by"] == ""  # field unknown to the writer: reader default
    assert "region" not in decoded


def test_old_reader_without_new_schema_fails_with_unknown_fingerprint(evolved_dir: Path) -> None:
    new_data = Codec(evolved_dir).encode("ScrapeRequest", _v2_request())
    with pytest.raises(CodecError) as caught:
        CODEC.decode("ScrapeRequest", new_data)
    assert caught.value.reason == "unknown fingerprint"


def test_frozen_history_versions_resolve_old_fingerprints(evolved_dir: Path) -> None:
    """The shipped v1 is frozen in history/, so a codec whose current schema is v2 still reads v1 data."""
    evolved = Codec(evolved_dir)
    v1_data = CODEC.encode("ScrapeRequest", SAMPLES["ScrapeRequest"]())
    assert evolved.encode("ScrapeRequest", _v2_request())[2:10] != v1_data[2:10]
    (evolved_dir / "history" / "ScrapeRequest.v1.avsc").unlink()
    with pytest.raises(CodecError, match="unknown fingerprint"):
        Codec(evolved_dir).decode("ScrapeRequest", v1_data)
    assert evolved.decode("ScrapeRequest", v1_data)["region"] == "eu"


# -- registry framing (in-process fake of the registry client) ---------------------------------
def test_registry_mode_frames_with_schema_id_and_registers_once() -> None:
    registry = FakeRegistry()
    codec = Codec(registry=registry)
    first = codec.encode("ProductUpdate", SAMPLES["ProductUpdate"]())
    second = codec.encode("ProductUpdate", SAMPLES["ProductUpdate"]())
    schema_id = registry.subjects["scrapestream.v1.ProductUpdate"][0]
    assert first[:5] == b"\x00" + schema_id.to_bytes(4, "big")
    assert first == second
    assert registry.calls == ["register scrapestream.v1.ProductUpdate"]


def test_registry_reader_fetches_writer_schema_by_id_once() -> None:
    registry = FakeRegistry()
    data = Codec(registry=registry).encode("ScrapeTask", SAMPLES["ScrapeTask"]())
    reader = Codec(registry=registry)
    assert reader.decode("ScrapeTask", data) == SAMPLES["ScrapeTask"]()
    assert reader.decode("ScrapeTask", data) == SAMPLES["ScrapeTask"]()
    assert registry.calls.count("get 1") == 1


def test_registry_mode_still_reads_single_object_messages() -> None:
    data = CODEC.encode("DeadLetter", SAMPLES["DeadLetter"]())
    assert Codec(registry=FakeRegistry()).decode("DeadLetter", data) == SAMPLES["DeadLetter"]()


def test_unreachable_registry_is_a_transient_codec_error() -> None:
    registry = FakeRegistry()
    data = Codec(registry=registry).encode("ScrapeResult", SAMPLES["ScrapeResult"]())
    registry.down = True
    with pytest.raises(RegistryUnavailableError) as caught:
        Codec(registry=registry).decode("ScrapeResult", data)
    assert caught.value.reason == "registry unavailable"
    assert isinstance(caught.value, CodecError)


# -- bad bytes and bad records ------------------------------------------------------------------
def _valid(event_type: str = "ScrapeResult") -> bytes:
    return CODEC.encode(event_type, SAMPLES[event_type]())


BAD_BYTES = {
    "empty": (b"", "empty message"),
    "none": (None, "empty message"),
    "not bytes": ("\xc3\x01", "not bytes"),
    "truncated header": (b"\xc3\x01\x00\x01", "truncated header"),
    "truncated registry header": (b"\x00\x00\x01", "truncated header"),
    "wrong magic": (b"\x7b\x22json\x22\x7d", "bad magic"),
    "unknown fingerprint": (b"\xc3\x01" + bytes(8) + b"\x02", "unknown fingerprint"),
    "schema id without registry": (b"\x00\x00\x00\x00\x07\x02", "registry not configured"),
    "truncated body": (_valid()[:-40], "body does not match schema"),
    "header only": (_valid()[:10], "body does not match schema"),
    "trailing bytes": (_valid() + b"\x00", "trailing bytes"),
    "other event type": (_valid("CacheInvalidation"), "wrong event type"),
    "garbage body": (_valid()[:10] + b"\xff" * 12, "body does not match schema"),
}


@pytest.mark.parametrize("name", BAD_BYTES)
def test_bad_bytes_raise_codec_error_with_reason(name: str) -> None:
    data, reason = BAD_BYTES[name]
    with pytest.raises(CodecError) as caught:
        CODEC.decode("ScrapeResult", data)
    assert caught.value.reason == reason


def test_unknown_schema_id_in_registry_mode() -> None:
    with pytest.raises(CodecError) as caught:
        Codec(registry=FakeRegistry()).decode("ScrapeResult", b"\x00\x00\x00\x00\x63\x02")
    assert caught.value.reason == "unknown schema id"


BAD_RECORDS = {
    "missing required field": ({k: v for k, v in SAMPLES["ScrapeResult"]().items() if k != "url"}, "url"),
    "wrong type": (SAMPLES["ScrapeResult"]() | {"fetch_ms": "fast"}, "fetch_ms"),
    "unknown field": (SAMPLES["ScrapeResult"]() | {"colour": "red"}, "colour"),
    "bad enum symbol": (SAMPLES["ScrapeResult"]() | {"status": "MAYBE"}, "MAYBE"),
    "bad uuid": (SAMPLES["ScrapeResult"]() | {"request_id": "not-a-uuid"}, "UUID"),
    "bad nested record": (SAMPLES["ScrapeResult"]() | {"product": {"title": "no id"}}, "ScrapeResult"),
}


@pytest.mark.parametrize("name", BAD_RECORDS)
def test_records_not_matching_schema_raise_codec_error(name: str) -> None:
    record, mentioned = BAD_RECORDS[name]
    with pytest.raises(CodecError, match=mentioned) as caught:
        CODEC.encode("ScrapeResult", record)
    assert caught.value.reason == "record does not match schema"


def test_unknown_event_type_is_a_codec_error() -> None:
    with pytest.raises(CodecError, match="Scrape"):
        CODEC.encode("Scrape", {})
    with pytest.raises(CodecError, match="Scrape"):
        CODEC.decode("Scrape", _valid())


def _decode_or_codec_error(event_type: str, data: bytes) -> None:
    try:
        with no_hang():
            assert isinstance(CODEC.decode(event_type, data), dict)
    except CodecError as error:
        assert error.reason


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(event_type=st.sampled_from(EVENT_TYPES), body=st.binary(max_size=200))
def test_random_body_after_valid_header_only_raises_codec_error(event_type: str, body: bytes) -> None:
    _decode_or_codec_error(event_type, _valid(event_type)[:10] + body)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    event_type=st.sampled_from(EVENT_TYPES),
    edits=st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), min_size=1, max_size=4),
    cut=st.integers(min_value=0),
)
def test_mutated_messages_only_raise_codec_error(event_type: str, edits: list, cut: int) -> None:
    data = bytearray(_valid(event_type))
    for position, value in edits:
        data[position % len(data)] = value
    _decode_or_codec_error(event_type, bytes(data[: len(data) - cut % 8]))


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=64))
def test_arbitrary_bytes_only_raise_codec_error(data: bytes) -> None:
    _decode_or_codec_error("ScrapeTask", data)


@fuzz_settings(max_examples=1500)
@given(event_type=st.sampled_from(EVENT_TYPES), data=st.data())
def test_mutated_encodings_of_every_event_only_raise_codec_error(
    event_type: str, data: st.DataObject
) -> None:
    """Byte-wise edits that also insert, delete and duplicate (so lengths, counts and unions shift)."""
    _decode_or_codec_error(event_type, data.draw(mutated(_valid(event_type))))


@pytest.mark.parametrize(
    "body",
    [
        b"\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x01",  # a string or array length of 2**63 - 1
        b"\xff" * 20,  # a varint that never ends
        b"\x01" + b"\x80" * 10_000,  # negative block count followed by an endless varint
    ],
)
def test_huge_lengths_and_endless_varints_fail_fast(body: bytes) -> None:
    for event_type in EVENT_TYPES:
        with no_hang(), pytest.raises(CodecError, match="body does not match schema"):
            CODEC.decode(event_type, _valid(event_type)[:10] + body)


def test_schema_version_json_is_self_contained() -> None:
    """What the registry receives must parse on its own (no references to other files)."""
    import json

    task = load_current("ScrapeTask")
    assert isinstance(task, SchemaVersion)
    assert '"name":"scrapestream.v1.ScrapeRequest"' in task.json
    assert json.loads(task.json)["name"] == "scrapestream.v1.ScrapeTask"
