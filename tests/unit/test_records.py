"""Record builders: every record they make is valid for its schema, and the enum lists follow the schemas."""

from __future__ import annotations

import json

from schemas import records, samples
from schemas.codec import Codec
from schemas.loader import NAMESPACE, SCHEMA_DIR
from scrapestream.topics import BROWSER_TASKS, SCRAPE_TASKS

CODEC = Codec()


def _round_trip(event_type: str, record: dict) -> dict:
    return CODEC.decode(event_type, CODEC.encode(event_type, record))


def test_enum_lists_are_the_schema_symbols() -> None:
    request = json.loads((SCHEMA_DIR / f"{NAMESPACE}.ScrapeRequest.avsc").read_text())
    inline = {field["name"]: field["type"] for field in request["fields"] if isinstance(field["type"], dict)}
    assert tuple(inline["render"]["symbols"]) == records.RENDER_MODES and "BROWSER" in records.RENDER_MODES
    assert tuple(inline["kind"]["symbols"]) == records.PAGE_KINDS and "CATEGORY" in records.PAGE_KINDS
    assert records.PRIORITIES[0] == "HIGH"  # rank = index: the most urgent first


def test_every_priority_has_a_task_topic_in_both_lanes() -> None:
    assert set(records.PRIORITIES) == set(SCRAPE_TASKS) == set(BROWSER_TASKS)


def test_a_built_request_and_its_task_encode_and_round_trip() -> None:
    request = records.scrape_request(
        "https://shop.example/p/1?utm=x",
        "https://shop.example/p/1",
        "shop.example",
        kind="PRODUCT",
        priority="BULK",
        render="STATIC",
        freshness_seconds=60,
        requested_by="test",
        correlation_id=None,
        tags={"a": "b"},
    )
    assert request["attempt"] == 0 and request["created_at"].microsecond % 1000 == 0
    assert _round_trip("ScrapeRequest", request) == request
    task = records.scrape_task("shop.example", "BULK", [request])
    assert _round_trip("ScrapeTask", task) == task


def test_a_built_result_dead_letter_update_and_invalidation_encode() -> None:
    request = samples.scrape_request()
    result = records.scrape_result(
        request, None, url=request["url"], domain="", status="OK", scraper_id="s-1", product=samples.product()
    )
    assert result["domain"] == request["domain"]  # taken from the request when the page had none
    assert _round_trip("ScrapeResult", result) == result
    letter = records.dead_letter(
        topic="t", partition=1, offset=2, key=None, payload=b"x", error_type="E", error_message="m"
    )
    assert _round_trip("DeadLetter", letter) == letter
    update = records.product_update(
        product_id="p", domain="d", changes=["NEW"], old=None, new=samples.product(), version=1,
        updated_at=result["scraped_at"],
    )  # fmt: skip
    assert update["old_price"] is None and update["new_price"] == samples.product()["price"]
    assert _round_trip("ProductUpdate", update) == update
    invalidation = records.cache_invalidation(["product:p"], "p", "new product", result["scraped_at"])
    assert _round_trip("CacheInvalidation", invalidation) == invalidation
