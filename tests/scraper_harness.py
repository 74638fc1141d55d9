"""Helpers for scraper tests: requests and tasks for demo shop URLs, a worker in a thread, topics."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
import uuid
from collections.abc import Iterable
from typing import Any, NamedTuple

from confluent_kafka import OFFSET_BEGINNING, TopicPartition

from consumers.extract import Extractor, Profiles
from consumers.scraper.consumer import ScraperTopics, ScraperWorker
from consumers.scraper.engine import scrape_engine
from schemas.codec import Codec
from schemas.records import scrape_task, utc_now_millis
from scrapestream.config import Settings
from scrapestream.kafka import make_admin, make_consumer, make_producer, watermarks
from scrapestream.topics import catalog, create_topics
from scrapestream.urls import canonicalize, domain_of

CODEC = Codec()


def scraper_settings(base: Settings, **changes: Any) -> Settings:
    """Settings for scraping the in-process demo shop fast: loopback allowed, no rate limit."""
    defaults = {
        "ssrf_allowlist": ("127.0.0.1",),
        "scraper_domain_rate": 0.0,
        "scraper_domain_concurrency": 64,
        "scraper_backoff_seconds": 0.05,
        "scraper_timeout_seconds": 5.0,
    }
    return dataclasses.replace(base, **{**defaults, **changes})


def request(
    url: str, kind: str = "PRODUCT", render: str = "STATIC", priority: str = "NORMAL"
) -> dict[str, Any]:
    canonical = canonicalize(url)
    return {
        "request_id": uuid.uuid4(),
        "url": url,
        "canonical_url": canonical,
        "domain": domain_of(canonical),
        "kind": kind,
        "priority": priority,
        "render": render,
        "freshness_seconds": 0,
        "requested_by": "test",
        "attempt": 0,
        "created_at": utc_now_millis(),
        "correlation_id": "test-run",
        "tags": {"suite": "scraper"},
    }


def task(requests: list[dict[str, Any]], priority: str = "NORMAL") -> dict[str, Any]:
    return scrape_task(requests[0]["domain"], priority, requests)


def js_profiles(js_base_url: str) -> Extractor:
    """The shipped profiles plus the JS shop's profile under the test shop's ephemeral host:port."""
    shipped = Profiles.load()
    netloc = js_base_url.removeprefix("http://")
    return Extractor(
        Profiles({**{site: shipped[site] for site in shipped.sites()}, netloc: shipped["127.0.0.1:8603"]})
    )


def create_test_topics(settings: Settings, prefix: str) -> ScraperTopics:
    create_topics(make_admin(settings), catalog(settings, prefix=prefix))
    return ScraperTopics.with_prefix(prefix)


def publish_tasks(
    settings: Settings, topic: str, tasks: Iterable[dict[str, Any]], *, spread: bool = False
) -> None:
    """Keyed by domain, as the router sends them; `spread` deals them round-robin over the
    partitions instead (a bench with two domains and several workers in the group)."""
    producer = make_producer(settings)
    failures: list[object] = []
    for number, one in enumerate(tasks):
        producer.produce(
            topic,
            CODEC.encode("ScrapeTask", one),
            one["domain"],
            on_delivery=lambda error, _msg: failures.append(error) if error else None,
            **({"partition": number % settings.kafka_partitions} if spread else {}),
        )
    assert producer.flush(30) == 0 and not failures, failures


class Found(NamedTuple):
    key: bytes | None
    record: dict[str, Any]
    timestamp: int
    partition: int
    offset: int


def read_all(
    settings: Settings, topic: str, event_type: str, count: int | None = None, timeout: float = 60.0
) -> list[Found]:
    """Every message of `topic`: at least `count` of them (waiting up to
    `timeout`), or with `count` None, everything up to the end offsets at the time of the call."""
    consumer = make_consumer(settings, f"reader-{uuid.uuid4().hex}")
    partitions = [TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(settings.kafka_partitions)]
    ends = {p.partition: watermarks(consumer, topic, p.partition)[1] for p in partitions}
    consumer.assign(partitions)
    found: list[Found] = []
    positions = dict.fromkeys(ends, 0)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if count is None and all(positions[p] >= ends[p] for p in ends):
                break
            if count is not None and len(found) >= count:
                break
            for message in consumer.consume(500, 0.2):
                if message.error() is None:
                    positions[message.partition()] = message.offset() + 1
                    record = CODEC.decode(event_type, message.value())
                    found.append(
                        Found(
                            message.key(),
                            record,
                            message.timestamp()[1],
                            message.partition(),
                            message.offset(),
                        )
                    )
    finally:
        consumer.close()
    return found


class WorkerThread:
    """A ScraperWorker running in a thread with its own event loop; `stop()` shuts it down cleanly."""

    def __init__(
        self,
        settings: Settings,
        topics: ScraperTopics,
        extractor: Extractor | None = None,
        browser: bool = False,
    ) -> None:
        self.settings = settings
        self.topics = topics
        self.extractor = extractor
        self.browser = browser
        self.error: BaseException | None = None
        self.worker: ScraperWorker | None = None  # once started
        self._started = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, name="scraper-worker", daemon=True)

    def __enter__(self) -> WorkerThread:
        self._thread.start()
        assert self._started.wait(30), "worker did not start"
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self, timeout: float = 60.0) -> None:
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "worker did not stop"
        if self.error is not None:
            raise self.error

    def _main(self) -> None:
        asyncio.run(self._run())

    async def _run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            async with scrape_engine(self.settings, extractor=self.extractor, browser=self.browser) as engine:
                self.worker = ScraperWorker(self.settings, engine, topics=self.topics)
                self._started.set()
                await self.worker.run(self._stop)
        except BaseException as error:
            self.error = error
            self._started.set()


def committed(settings: Settings, group: str, topics: ScraperTopics) -> dict[tuple[str, int], int]:
    consumer = make_consumer(settings, group)
    try:
        partitions = [
            TopicPartition(topic, p)
            for topic in topics.tasks.values()
            for p in range(settings.kafka_partitions)
        ]
        return {(tp.topic, tp.partition): tp.offset for tp in consumer.committed(partitions, timeout=10)}
    finally:
        consumer.close()
