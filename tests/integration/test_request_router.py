"""The Faust request router on real Kafka: dedup (also across a restart), batch bounds, routing, DLQ."""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from producers.publisher import RequestPublisher
from schemas.codec import Codec
from scrapestream.config import Settings
from scrapestream.kafka import make_consumer, make_producer
from scrapestream.topics import TopicNames
from tests.integration.pipeline import Worker, prefix_of, private_topics
from tests.integration.request_topics import message_count, read_messages

pytestmark = pytest.mark.integration
CODEC = Codec()


@pytest.fixture(scope="module")
def names(stack: Settings) -> Iterator[TopicNames]:
    with private_topics(stack) as names:
        yield names


@pytest.fixture(scope="module")
def router(stack: Settings, names: TopicNames, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    log_dir = tmp_path_factory.mktemp("router")
    with Worker(
        stack, log_dir, "streams", "--topic-prefix", prefix_of(names), "--loglevel", "info"
    ) as worker:
        yield worker


def publish(stack: Settings, names: TopicNames, urls: list[str], **fields: Any) -> None:
    with RequestPublisher(stack, topic=names.requests) as publisher:
        for delivery in publisher.publish_many(urls, **fields):
            delivery.result(30)


def _tasks_for(
    stack: Settings, names: TopicNames, priority: str, domain: str, deadline: Callable[[], float]
) -> Iterator[dict]:
    """Tasks for `domain` on a priority's topic, from its start, until `deadline()` (asked at every
    poll) has passed. Tests share the topics, not the domains."""
    consumer = make_consumer(stack, f"test-tasks-{uuid.uuid4().hex[:8]}")
    consumer.subscribe([names.tasks[priority]])
    try:
        while time.monotonic() < deadline():
            message = consumer.poll(0.5)
            if message is not None and message.error() is None and message.key() == domain.encode():
                yield {**CODEC.decode("ScrapeTask", message.value()), "key": message.key()}
    finally:
        consumer.close()


def tasks_of(
    stack: Settings, names: TopicNames, priority: str, domain: str, count: int, timeout: float = 60
) -> list[dict]:
    """The first `count` tasks for `domain` on a priority's topic."""
    give_up = time.monotonic() + timeout
    tasks = list(itertools.islice(_tasks_for(stack, names, priority, domain, lambda: give_up), count))
    assert len(tasks) == count, f"{len(tasks)} of {count} tasks for {domain} arrived"
    return tasks


def queued_urls(stack: Settings, names: TopicNames, domain: str, count: int) -> list[str]:
    """Canonical URLs of every NORMAL request queued for `domain`, once `count` arrived and nothing
    more came for 3 s (longer than a batch stays open)."""
    urls: list[str] = []
    give_up = [time.monotonic() + 60]
    for task in _tasks_for(stack, names, "NORMAL", domain, lambda: give_up[0]):
        urls += [request["canonical_url"] for request in task["requests"]]
        if len(urls) >= count:
            give_up[0] = time.monotonic() + 3.0
    return sorted(urls)


def test_requests_are_batched_by_size_routed_by_priority_and_keyed_by_domain(
    stack: Settings, names: TopicNames, router: Worker
) -> None:
    publish(stack, names, [f"https://size.test/p/{n}" for n in range(120)], priority="high")
    tasks = tasks_of(stack, names, "HIGH", "size.test", 3)
    assert sorted(len(task["requests"]) for task in tasks) == [20, 50, 50], router.output()
    assert {task["key"] for task in tasks} == {b"size.test"}
    assert {task["priority"] for task in tasks} == {"HIGH"}
    urls = sorted(r["url"] for task in tasks for r in task["requests"])
    assert urls == sorted(f"https://size.test/p/{n}" for n in range(120))


def test_a_small_batch_is_sent_within_the_time_bound(
    stack: Settings, names: TopicNames, router: Worker
) -> None:
    publish(stack, names, [f"https://time.test/p/{n}" for n in range(5)], priority="bulk")
    [task] = tasks_of(stack, names, "BULK", "time.test", 1)
    assert len(task["requests"]) == 5
    waited = task["created_at"] - max(r["created_at"] for r in task["requests"])
    assert 1.5 <= waited.total_seconds() <= 5.0, waited  # the 2 s bound, plus broker and timer slack


def test_a_url_is_queued_once_within_its_freshness_window(
    stack: Settings, names: TopicNames, router: Worker
) -> None:
    urls = ["https://dedup.test/p/1", "https://dedup.test/p/1?utm_source=mail", "https://DEDUP.test/p/1#top"]
    publish(stack, names, urls, freshness_seconds=3600)
    publish(stack, names, ["https://dedup.test/p/2"], freshness_seconds=1)
    assert queued_urls(stack, names, "dedup.test", 2) == ["https://dedup.test/p/1", "https://dedup.test/p/2"]
    time.sleep(1.5)  # p/2 was routed before it showed in a task, so its 1 s window has now passed
    publish(stack, names, ["https://dedup.test/p/2"], freshness_seconds=1)
    queued = queued_urls(stack, names, "dedup.test", 3)
    assert queued == ["https://dedup.test/p/1", "https://dedup.test/p/2", "https://dedup.test/p/2"]


def test_poison_requests_go_to_the_dlq_while_good_ones_flow(
    stack: Settings, names: TopicNames, router: Worker
) -> None:
    producer = make_producer(stack)
    producer.produce(names.requests, key=b"poison", value=b"\xc3\x01 definitely not avro")
    assert producer.flush(30) == 0
    publish(stack, names, ["https://poison.test/p/1"], priority="high")
    [letter] = [CODEC.decode("DeadLetter", m.value()) for m in read_messages(stack, names.dlq, 1)]
    assert letter["error_type"] == "unknown fingerprint"
    assert letter["key"] == b"poison" and letter["source_topic"] == names.requests
    [task] = tasks_of(stack, names, "HIGH", "poison.test", 1)
    assert [r["url"] for r in task["requests"]] == ["https://poison.test/p/1"]


def test_dedup_memory_survives_a_worker_restart(stack: Settings, tmp_path: Path) -> None:
    with private_topics(stack) as names:
        args = ("streams", "--topic-prefix", prefix_of(names))
        with Worker(stack, tmp_path, *args) as first:
            publish(stack, names, ["https://restart.test/p/1"])
            assert len(tasks_of(stack, names, "NORMAL", "restart.test", 1)) == 1, first.output()
        publish(stack, names, ["https://restart.test/p/1", "https://restart.test/p/2"])
        with Worker(stack, tmp_path, *args) as second:
            tasks = tasks_of(stack, names, "NORMAL", "restart.test", 2)
            time.sleep(3)  # anything else would have been batched and sent by now
            assert message_count(stack, names.tasks["NORMAL"]) == 2, second.output()
        urls = [r["url"] for task in tasks for r in task["requests"]]
        assert urls == ["https://restart.test/p/1", "https://restart.test/p/2"]
