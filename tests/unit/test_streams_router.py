"""Dedup, batching and routing logic with fake transports (the real-Kafka tests are in integration/)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from scrapestream.topics import TopicNames
from scrapestream.urls import canonicalize, domain_of, fingerprint
from streams.batching import Batcher
from streams.dedup import FreshnessFilter
from streams.delivery import Delivery
from streams.router import RequestRouter
from tests.unit.stream_fakes import CODEC, FakeEvent, FakeKafka, FakeMessage

NAMES = TopicNames.prefixed("unit.")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def request(
    url: str, priority: str = "NORMAL", freshness: int = 3600, render: str = "AUTO"
) -> dict[str, Any]:
    canonical = canonicalize(url)
    return {
        "request_id": uuid.uuid4(), "url": url, "canonical_url": canonical, "domain": domain_of(canonical),
        "kind": "PRODUCT", "priority": priority, "render": render, "freshness_seconds": freshness,
        "requested_by": "test", "attempt": 0, "created_at": datetime.now(UTC), "correlation_id": None,
        "tags": {},
    }  # fmt: skip


def event(offset: int, record: dict[str, Any]) -> FakeEvent:
    key = fingerprint(record["canonical_url"]).encode()
    return FakeEvent(key, CODEC.encode("ScrapeRequest", record), FakeMessage(NAMES.requests, 0, offset))


def make_router(
    clock: FakeClock, kafka: FakeKafka, memory: dict[bytes, int], max_size: int = 50
) -> RequestRouter:
    return RequestRouter(
        Delivery(CODEC, kafka.send, NAMES.dlq), NAMES, FreshnessFilter(memory), Batcher(max_size, 2.0, clock),
        kafka.ack, clock_ms=lambda: int(clock.now * 1000),
    )  # fmt: skip


def route(router: RequestRouter, events: list[FakeEvent]) -> None:
    async def route_and_deliver() -> None:
        await router.route(events)
        await router.wait_sent()

    asyncio.run(route_and_deliver())


def test_a_batch_closes_at_max_size_and_its_events_are_acked_only_then() -> None:
    clock, kafka = FakeClock(), FakeKafka()
    router = make_router(clock, kafka, {}, max_size=3)
    route(router, [event(n, request(f"https://a.test/p/{n}")) for n in range(4)])
    tasks = kafka.decoded(NAMES.tasks["NORMAL"], "ScrapeTask")
    assert [len(task["requests"]) for task in tasks] == [3]
    assert kafka.acked == [0, 1, 2]  # the fourth waits in its open batch
    assert router.batcher.pending == 1


def test_a_batch_closes_after_max_wait() -> None:
    clock, kafka = FakeClock(), FakeKafka()
    router = make_router(clock, kafka, {})
    route(router, [event(0, request("https://a.test/p/1"))])
    clock.now += 1.9
    asyncio.run(router.flush_due())
    assert kafka.sent == []
    clock.now += 0.1
    asyncio.run(router.flush_due())
    assert len(kafka.decoded(NAMES.tasks["NORMAL"], "ScrapeTask")) == 1
    assert kafka.acked == [0]


def test_batches_group_by_domain_and_priority_and_route_by_priority() -> None:
    clock, kafka = FakeClock(), FakeKafka()
    router = make_router(clock, kafka, {})
    records = [
        request("https://a.test/1", "HIGH"), request("https://a.test/2", "BULK"),
        request("https://b.test/1", "HIGH"), request("https://a.test/3", "HIGH"),
    ]  # fmt: skip
    route(router, [event(n, record) for n, record in enumerate(records)])
    asyncio.run(router.flush_all())
    high = kafka.decoded(NAMES.tasks["HIGH"], "ScrapeTask")
    bulk = kafka.decoded(NAMES.tasks["BULK"], "ScrapeTask")
    assert sorted((task["domain"], len(task["requests"])) for task in high) == [("a.test", 2), ("b.test", 1)]
    assert [(task["domain"], task["priority"]) for task in bulk] == [("a.test", "BULK")]
    assert kafka.decoded(NAMES.tasks["NORMAL"], "ScrapeTask") == []
    task_keys = {key for topic, key, _ in kafka.sent}
    assert task_keys == {b"a.test", b"b.test"}  # domain affinity
    assert sorted(kafka.acked) == [0, 1, 2, 3]


def test_browser_requests_take_the_browser_lane_in_batches_of_their_own() -> None:
    clock, kafka = FakeClock(), FakeKafka()
    router = make_router(clock, kafka, {})
    records = [
        request("https://a.test/1", render="BROWSER"),
        request("https://a.test/2"),
        request("https://a.test/3", render="STATIC"),
        request("https://a.test/4", "HIGH", render="BROWSER"),
    ]
    route(router, [event(n, record) for n, record in enumerate(records)])
    asyncio.run(router.flush_all())
    urls = {
        topic: sorted(r["url"] for task in kafka.decoded(topic, "ScrapeTask") for r in task["requests"])
        for topic in {*NAMES.tasks.values(), *NAMES.browser_tasks.values()}
    }
    assert urls[NAMES.browser_tasks["NORMAL"]] == ["https://a.test/1"]
    assert urls[NAMES.browser_tasks["HIGH"]] == ["https://a.test/4"]
    assert urls[NAMES.tasks["NORMAL"]] == ["https://a.test/2", "https://a.test/3"]


def test_a_url_queued_within_its_freshness_window_is_dropped_and_acked() -> None:
    clock, kafka, memory = FakeClock(), FakeKafka(), {}
    router = make_router(clock, kafka, memory)
    route(router, [event(0, request("https://a.test/p?utm_source=x")), event(1, request("https://A.test/p"))])
    assert kafka.acked == [1]  # the duplicate (same canonical URL) is done at once
    clock.now += 3599
    route(router, [event(2, request("https://a.test/p"))])
    assert kafka.acked == [1, 2]
    clock.now += 2
    route(router, [event(3, request("https://a.test/p"))])  # the window has passed
    asyncio.run(router.flush_all())
    requests = [r for task in kafka.decoded(NAMES.tasks["NORMAL"], "ScrapeTask") for r in task["requests"]]
    assert len(requests) == 2


def test_freshness_zero_always_passes_and_expired_entries_are_forgotten() -> None:
    memory: dict[bytes, int] = {}
    dedup = FreshnessFilter(memory)
    assert dedup.admit(b"k", 0, 1000) and dedup.admit(b"k", 0, 1001)
    assert not dedup.admit(b"k", 10, 1002)  # pending counts as queued
    dedup.admit(b"old", 10, 10)
    dedup.mark_queued([b"k", b"old"])
    assert memory == {b"k": 1001, b"old": 10}
    assert dedup.forget_older_than(500) == 1
    assert set(memory) == {b"k"}


def test_a_url_is_remembered_only_once_its_task_was_delivered() -> None:
    clock, kafka, memory = FakeClock(), FakeKafka(), {}
    record = request("https://a.test/p")
    route(make_router(clock, kafka, memory), [event(0, record)])
    assert memory == {}  # the worker "dies" with the task still in its open batch
    restarted = make_router(clock, kafka, memory)
    route(restarted, [event(0, record)])  # redelivered: not a duplicate of a task that never existed
    asyncio.run(restarted.flush_all())
    [task] = kafka.decoded(NAMES.tasks["NORMAL"], "ScrapeTask")
    assert [r["request_id"] for r in task["requests"]] == [record["request_id"]]
    assert set(memory) == {fingerprint(record["canonical_url"]).encode()}
    route(make_router(clock, kafka, memory), [event(0, record)])  # redelivered after delivery
    assert kafka.acked == [0, 0]  # dropped as the duplicate it now is


def test_flush_all_waits_for_sends_already_under_way() -> None:
    clock, kafka = FakeClock(), FakeKafka()
    release = asyncio.Event()

    async def slow_send(topic: str, key: bytes | None, value: bytes) -> None:
        await release.wait()
        await kafka.send(topic, key, value)

    router = RequestRouter(
        Delivery(CODEC, slow_send, NAMES.dlq), NAMES, FreshnessFilter({}), Batcher(1, 2.0, clock), kafka.ack
    )

    async def rebalance_during_a_send() -> None:
        routing = asyncio.create_task(router.route([event(0, request("https://a.test/p"))]))
        await asyncio.sleep(0)  # the full batch is now being sent
        handing_over = asyncio.create_task(router.flush_all())
        await asyncio.sleep(0.01)
        assert not handing_over.done()
        release.set()
        await asyncio.gather(routing, handing_over)

    asyncio.run(rebalance_during_a_send())
    assert kafka.acked == [0]


def test_routing_goes_on_while_tasks_are_delivered_and_a_refused_task_stops_it() -> None:
    clock, kafka = FakeClock(), FakeKafka()
    release = asyncio.Event()

    async def refusing_send(topic: str, key: bytes | None, value: bytes) -> None:
        await release.wait()
        raise RuntimeError("broker refused the task")

    router = RequestRouter(
        Delivery(CODEC, refusing_send, NAMES.dlq),
        NAMES,
        FreshnessFilter({}),
        Batcher(1, 2.0, clock),
        kafka.ack,
    )

    async def main() -> None:
        await router.route([event(0, request("https://a.test/1"))])  # returns with the task under way
        assert router.batcher.pending == 0 and kafka.acked == []
        release.set()
        with pytest.raises(RuntimeError, match="refused"):
            await router.wait_sent()
        with pytest.raises(RuntimeError, match="refused"):
            await router.route([event(1, request("https://a.test/2"))])

    asyncio.run(main())
    assert kafka.acked == []  # nothing acked: the requests are redelivered to a restarted worker


@pytest.mark.parametrize(
    ("value", "key", "reason"),
    [
        (b"\x00\x00", None, "truncated header"),
        (b"not avro at all", b"k", "bad magic"),
        (CODEC.encode("ScrapeRequest", request("https://a.test/p")), b"wrong-key", "invalid request"),
        (
            CODEC.encode("ScrapeRequest", {**request("https://a.test/p"), "canonical_url": "x"}),
            None,
            "invalid request",
        ),
        (
            CODEC.encode("ScrapeRequest", {**request("https://a.test/p"), "url": "ftp://a.test/"}),
            None,
            "invalid request",
        ),
    ],
)
def test_bad_requests_become_dead_letters_with_the_reason_and_good_ones_flow(
    value: bytes, key: bytes | None, reason: str
) -> None:
    clock, kafka = FakeClock(), FakeKafka()
    router = make_router(clock, kafka, {})
    poison = FakeEvent(key, value, FakeMessage(NAMES.requests, 3, 41))
    route(router, [poison, event(42, request("https://a.test/good"))])
    asyncio.run(router.flush_all())
    [letter] = kafka.decoded(NAMES.dlq, "DeadLetter")
    assert letter["error_type"] == reason
    assert (letter["source_topic"], letter["source_partition"], letter["source_offset"]) == (
        NAMES.requests,
        3,
        41,
    )
    assert letter["payload"] == value and letter["key"] == key
    assert len(kafka.decoded(NAMES.tasks["NORMAL"], "ScrapeTask")) == 1
    assert sorted(kafka.acked) == [41, 42]


def test_batcher_rejects_nonsense_bounds() -> None:
    with pytest.raises(ValueError, match="batch bounds"):
        Batcher(0, 2.0)
