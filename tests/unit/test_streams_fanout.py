"""The fan-out stage with a fake store: announcements follow the stores, refusals become dead letters."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from consumers.sinks.changes import invalidation
from consumers.sinks.result_stores import FanoutOutcome
from schemas import samples
from scrapestream.topics import TopicNames
from streams.delivery import Delivery
from streams.fanout import FanoutStage
from tests.unit.stream_fakes import CODEC, FakeEvent, FakeKafka, FakeMessage

NAMES = TopicNames.prefixed("unit.")


class FakeStores:
    """Announces a NEW product for every OK result; refuses any batch holding a product named 'refused'."""

    def __init__(self) -> None:
        self.stored: list[str] = []

    async def apply(self, results: list[dict[str, Any]]) -> FanoutOutcome:
        if any(r["product"] and r["product"]["product_id"] == "refused" for r in results):
            raise ValueError("a value the store cannot take")
        self.stored += [r["url"] for r in results]
        updates = [
            {**samples.product_update(), "product_id": r["product"]["product_id"], "changes": ["NEW"]}
            for r in results
            if r["product"]
        ]
        return FanoutOutcome(updates, [invalidation(u, datetime.now(UTC)) for u in updates])


def result_event(offset: int, product_id: str | None) -> FakeEvent:
    record = samples.scrape_result()
    record["url"] = f"https://shop.example/p/{offset}"
    if product_id is None:
        record.update(status="NOT_FOUND", product=None)
    else:
        record["product"]["product_id"] = product_id
    return FakeEvent(b"k", CODEC.encode("ScrapeResult", record), FakeMessage(NAMES.results, 0, offset))


def run(events: list[FakeEvent]) -> tuple[FakeKafka, FakeStores]:
    kafka, stores = FakeKafka(), FakeStores()
    stage = FanoutStage(Delivery(CODEC, kafka.send, NAMES.dlq), NAMES, stores, kafka.ack)  # type: ignore[arg-type]
    asyncio.run(stage.handle(events))
    return kafka, stores


def test_updates_state_and_invalidations_are_sent_for_stored_results_then_all_are_acked() -> None:
    kafka, stores = run([result_event(0, "shop.example:A1"), result_event(1, None)])
    assert stores.stored == ["https://shop.example/p/0", "https://shop.example/p/1"]
    [update] = kafka.decoded(NAMES.updates, "ProductUpdate")
    assert update["product_id"] == "shop.example:A1"
    assert kafka.decoded(NAMES.state, "ProductUpdate") == [update]
    [invalidated] = kafka.decoded(NAMES.invalidation, "CacheInvalidation")
    assert "product:shop.example:A1" in invalidated["keys"]
    keys = {topic: key for topic, key, _ in kafka.sent}
    assert keys[NAMES.updates] == keys[NAMES.state] == b"shop.example:A1"
    assert sorted(kafka.acked) == [0, 1]


def test_undecodable_and_refused_results_are_dead_lettered_and_the_rest_is_stored() -> None:
    garbage = FakeEvent(b"k", b"\xc3\x01garbage", FakeMessage(NAMES.results, 0, 7))
    kafka, stores = run([result_event(5, "shop.example:A1"), result_event(6, "refused"), garbage])
    assert stores.stored == ["https://shop.example/p/5"]
    letters = {letter["source_offset"]: letter for letter in kafka.decoded(NAMES.dlq, "DeadLetter")}
    assert letters[6]["error_type"] == "store rejected"
    assert "a value the store cannot take" in letters[6]["error_message"]
    assert letters[7]["error_type"] == "truncated header"
    assert len(kafka.decoded(NAMES.updates, "ProductUpdate")) == 1
    assert sorted(kafka.acked) == [5, 6, 7]
