"""The Faust request router on real Kafka: dedup (also across a restart), batch bounds, routing, DLQ."""

from __future__ import annotations

import itertools
import signal
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from producers.publisher import RequestPublisher
from schemas.codec import Codec
from scrapestream.config import Settings
from scrapestream.infra.service_process import free_port
from scrapestream.kafka import make_consumer, make_producer
from scrapestream.topics import TopicNames
from tests.integration.pipeline import Worker, prefix_of, private_topics
from tests.integration.request_topics import message_count, read_messages
from tests.scraper_harness import read_all

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


def test_browser_requests_are_routed_to_the_browser_lane(
    stack: Settings, names: TopicNames, router: Worker
) -> None:
    publish(stack, names, ["https://lane.test/p/1"], render="browser", priority="high")
    publish(stack, names, ["https://lane.test/p/2"], priority="high")
    [message] = read_messages(stack, names.browser_tasks["HIGH"], 1, timeout=60)
    task = CODEC.decode("ScrapeTask", message.value())
    assert [r["url"] for r in task["requests"]] == ["https://lane.test/p/1"], router.output()
    [static] = tasks_of(stack, names, "HIGH", "lane.test", 1)
    assert [r["url"] for r in static["requests"]] == ["https://lane.test/p/2"]


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


def routed_ids(stack: Settings, names: TopicNames) -> Counter[str]:
    """How many times each request id was routed so far, over every task topic."""
    found = [f for topic in names.tasks.values() for f in read_all(stack, topic, "ScrapeTask")]
    return Counter(str(r["request_id"]) for f in found for r in f.record["requests"])


def wait_for(done: Callable[[], bool], what: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.5)


def test_a_worker_joining_mid_stream_loses_and_duplicates_nothing(stack: Settings, tmp_path: Path) -> None:
    """Requests re-read after the rebalance (Faust does not commit on revoke) are dropped by the new
    owner, which recovered the dedup marks of exactly the partitions it took over."""
    count = 6000
    with private_topics(stack) as names:
        args = ("streams", "--topic-prefix", prefix_of(names))
        with RequestPublisher(stack, topic=names.requests) as publisher:
            urls = [f"https://join-{n % 6}.test/p/{n}" for n in range(count)]
            expected = {str(d.result(30).request_id) for d in publisher.publish_many(urls)}
        with Worker(stack, tmp_path, *args) as first:
            wait_for(
                lambda: message_count(stack, names.tasks["NORMAL"]) >= count / 50 / 4, "a quarter is routed"
            )
            with Worker(stack, tmp_path, *args) as second:
                wait_for(lambda: set(routed_ids(stack, names)) >= expected, "every request is routed")
                time.sleep(3)  # a duplicate would be batched and sent by now
                routed = routed_ids(stack, names)
        duplicated = {request_id: n for request_id, n in routed.items() if n > 1}
        assert not duplicated, f"{len(duplicated)} requests routed twice\n{first.output()}\n{second.output()}"


def stream_requests_read(port: int) -> float:
    metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    return sum(
        float(line.split()[-1])
        for line in metrics.splitlines()
        if line.startswith("scrapestream_stream_requests_total")
    )


def test_requests_of_a_killed_worker_open_batch_are_routed_by_the_next(
    stack: Settings, tmp_path: Path
) -> None:
    """The dedup memory records a URL only with its delivered task: a worker killed (SIGKILL) while
    the batch was still open must not leave the redelivered requests looking like duplicates."""
    urls = [f"https://killed.test/p/{n}" for n in range(5)]
    with private_topics(stack) as names:
        args = ("streams", "--topic-prefix", prefix_of(names))
        port = free_port()
        slow_batches = {"SCRAPESTREAM_BATCH_MAX_SECONDS": "60", "SCRAPESTREAM_HEALTH_PORT": str(port)}
        with Worker(stack, tmp_path, *args, env=slow_batches) as doomed:
            wait_for(lambda: _answers(port), "the first worker serves its metrics")
            publish(stack, names, urls)
            wait_for(lambda: stream_requests_read(port) >= len(urls), "the first worker read every request")
            doomed.stop(signal.SIGKILL)
        assert message_count(stack, names.tasks["NORMAL"]) == 0
        with Worker(stack, tmp_path, *args) as successor:
            [task] = tasks_of(stack, names, "NORMAL", "killed.test", 1)
            assert sorted(r["url"] for r in task["requests"]) == urls, successor.output()


def _answers(port: int) -> bool:
    try:
        return stream_requests_read(port) >= 0
    except OSError:
        return False
