"""BACKWARD compatibility check: shipped schemas pass, breaking changes are named down to the field."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from schemas.compat import check_shipped_schemas, incompatibilities
from schemas.loader import freeze, load_current
from tests.unit.schema_fixtures import copy_schemas, edit_schema, field_named


def test_shipped_schemas_are_frozen_and_backward_compatible() -> None:
    assert check_shipped_schemas() == []


def _result() -> dict[str, Any]:
    return copy.deepcopy(load_current("ScrapeResult").definition)


def _product_of(result: dict[str, Any]) -> dict[str, Any]:
    return field_named(result, "product")["type"][1]


def _messages(new: dict[str, Any], old: dict[str, Any]) -> list[str]:
    return [str(problem) for problem in incompatibilities(new, old)]


def test_identical_schemas_are_compatible() -> None:
    assert _messages(_result(), _result()) == []


def test_field_added_without_default_is_named_with_its_record() -> None:
    new = _result()
    _product_of(new)["fields"].append({"name": "gtin", "type": "string"})
    assert _messages(new, _result()) == [
        "ScrapeResult.product.gtin: "
        "field 'gtin' of record scrapestream.v1.Product was added without a default"
    ]


def test_field_added_with_default_and_field_removed_are_compatible() -> None:
    new = _result()
    _product_of(new)["fields"].append({"name": "gtin", "type": ["null", "string"], "default": None})
    new["fields"].remove(field_named(new, "scraper_id"))
    assert _messages(new, _result()) == []


def test_removed_enum_symbol_needs_a_default_symbol() -> None:
    new = _result()
    status = field_named(new, "status")["type"]
    status["symbols"].remove("TIMEOUT")
    assert _messages(new, _result()) == []  # ScrapeStatus has default ERROR
    del status["default"]
    assert _messages(new, _result()) == [
        "ScrapeResult.status: "
        "enum scrapestream.v1.ScrapeStatus lost symbol(s) TIMEOUT and has no default symbol"
    ]


@pytest.mark.parametrize(
    ("old_type", "new_type", "compatible"),
    [
        ("int", "long", True),
        ("int", "double", True),
        ("long", "float", True),
        ("string", "bytes", True),
        ("long", "int", False),
        ("double", "float", False),
        ("string", "int", False),
    ],
)
def test_primitive_changes_follow_avro_promotions(old_type: str, new_type: str, compatible: bool) -> None:
    old, new = _result(), _result()
    field_named(old, "fetch_ms")["type"] = old_type
    field_named(new, "fetch_ms")["type"] = new_type
    problems = _messages(new, old)
    assert problems == (
        [] if compatible else [f"ScrapeResult.fetch_ms: type changed from {old_type} to {new_type}"]
    )


def test_union_must_keep_every_branch_the_writer_used() -> None:
    new = _result()
    field_named(new, "http_status")["type"] = "int"  # was ["null", "int"]
    assert _messages(new, _result()) == ["ScrapeResult.http_status: type changed from null to int"]
    narrowed = _result()
    field_named(narrowed, "url")["type"] = ["null", "bytes"]  # string promotes to bytes
    assert _messages(narrowed, _result()) == []
    field_named(narrowed, "url")["type"] = ["null", "int"]
    assert _messages(narrowed, _result()) == [
        "ScrapeResult.url: string written by the old schema is not in the new union"
    ]
    widened = _result()
    field_named(widened, "error")["type"] = ["null", "string", "bytes"]
    assert _messages(widened, _result()) == []


def test_nested_types_in_arrays_and_maps_are_checked() -> None:
    new = _result()
    _product_of(new)["fields"][-1]["type"] = {"type": "map", "values": "int"}  # attributes
    assert _messages(new, _result()) == ["ScrapeResult.product.attributes{}: type changed from string to int"]


def test_logical_type_change_is_reported() -> None:
    new = _result()
    field_named(new, "scraped_at")["type"]["logicalType"] = "timestamp-micros"
    assert _messages(new, _result()) == [
        "ScrapeResult.scraped_at: logical type changed from timestamp-millis to timestamp-micros"
    ]


def test_renamed_field_with_alias_is_compatible() -> None:
    new = _result()
    field = field_named(new, "bytes")
    field["name"], field["aliases"] = "body_bytes", ["bytes"]
    del field["default"]
    assert _messages(new, _result()) == []


def test_check_reports_unfrozen_change_then_breaks_against_history(tmp_path: Path) -> None:
    schema_dir = copy_schemas(tmp_path)
    edit_schema(
        schema_dir, "Money", lambda money: money["fields"].append({"name": "vat_included", "type": "boolean"})
    )
    problems = check_shipped_schemas(schema_dir)
    assert any(problem.startswith("ScrapeResult: the current schema is not frozen") for problem in problems)
    frozen = sorted((schema_dir / "history").glob("ScrapeResult.v*.avsc"))
    assert (
        freeze("ScrapeResult", schema_dir) == schema_dir / "history" / f"ScrapeResult.v{len(frozen) + 1}.avsc"
    )
    assert freeze("ScrapeResult", schema_dir) is None
    problems = check_shipped_schemas(schema_dir)
    assert (
        "ScrapeResult cannot read v1: ScrapeResult.product.price.vat_included: field 'vat_included' "
        "of record scrapestream.v1.Money was added without a default"
    ) in problems
    assert not any(problem.startswith("ScrapeResult: the current schema") for problem in problems)
