"""build_request (the ScrapeRequest a publisher sends) and the CLI's duration parsing."""

from __future__ import annotations

import uuid

import pytest

from producers.publish_command import parse_duration
from producers.publisher import MAX_FRESHNESS_SECONDS, InvalidRequestField, build_request, rejection_reason
from schemas.codec import Codec
from schemas.samples import SAMPLE_TIME
from scrapestream.urls import BlockedURL, InvalidURL


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90), ("30s", 30), ("15m", 900), ("1h", 3600), ("2d", 172_800), ("1h30m", 5400), (" 2H ", 7200)],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "h", "1x", "1.5h", "-1h", "1h 30m", "1w"])
def test_bad_durations_name_the_input(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)


def test_a_request_is_canonical_complete_and_encodable() -> None:
    record = build_request(
        "HTTPS://Shop.Example:443/p/1?utm_source=x&b=2&a=1#frag",
        priority="high",
        render="Browser",
        kind="category",
        freshness_seconds=600,
        requested_by="cli",
        correlation_id="run-7",
        tags={"team": "pricing"},
        created_at=SAMPLE_TIME,
    )
    assert record["url"] == "HTTPS://Shop.Example:443/p/1?utm_source=x&b=2&a=1#frag"
    assert record["canonical_url"] == "https://shop.example/p/1?a=1&b=2"
    assert record["domain"] == "shop.example"
    assert (record["priority"], record["render"], record["kind"]) == ("HIGH", "BROWSER", "CATEGORY")
    assert record["request_id"].version == 4
    assert record["attempt"] == 0
    codec = Codec()
    assert codec.decode("ScrapeRequest", codec.encode("ScrapeRequest", record)) == record


def test_defaults_match_the_schema_and_ids_are_fresh() -> None:
    first, second = build_request("http://[::1]:8080/a"), build_request("http://[::1]:8080/a")
    assert first["domain"] == "[::1]:8080"  # host and non-default port: the politeness key
    assert (first["priority"], first["render"], first["kind"]) == ("NORMAL", "AUTO", "PRODUCT")
    assert first["freshness_seconds"] == 86_400 and first["tags"] == {} and first["correlation_id"] is None
    assert isinstance(first["request_id"], uuid.UUID) and first["request_id"] != second["request_id"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"priority": "urgent"}, "priority"),
        ({"priority": 1}, "priority"),
        ({"render": None}, "render"),
        ({"kind": "REVIEW"}, "kind"),
        ({"freshness_seconds": -1}, "freshness_seconds"),
        ({"freshness_seconds": MAX_FRESHNESS_SECONDS + 1}, "freshness_seconds"),
        ({"freshness_seconds": "3600"}, "freshness_seconds"),
        ({"freshness_seconds": True}, "freshness_seconds"),
        ({"freshness_seconds": 1.5}, "freshness_seconds"),
        ({"correlation_id": 7}, "correlation_id"),
        ({"correlation_id": "x" * 257}, "correlation_id"),
        ({"requested_by": None}, "requested_by"),
        ({"tags": ["a"]}, "tags"),
        ({"tags": {"colour": 1}}, "tags.colour"),
        ({"tags": {str(n): "v" for n in range(33)}}, "tags"),
    ],
)
def test_bad_fields_are_named(fields: dict, field: str) -> None:
    with pytest.raises(InvalidRequestField) as error:
        build_request("https://shop.example/p/1", **fields)
    assert error.value.field == field
    assert str(error.value).startswith(f"{field}: ")
    assert rejection_reason(error.value) == "invalid_field"


@pytest.mark.parametrize("url", ["ftp://shop.example/a", "/p/1", "", "http://user@shop.example/", 42, None])
def test_bad_urls_raise_invalid_url(url: object) -> None:
    with pytest.raises(InvalidURL, match=r"^url: "):
        build_request(url)  # type: ignore[arg-type]


def test_rejection_reasons_are_fixed_labels() -> None:
    assert rejection_reason(InvalidURL("url: no host")) == "invalid_url"
    assert rejection_reason(BlockedURL("url: host '10.0.0.1' is a private address")) == "blocked_url"
