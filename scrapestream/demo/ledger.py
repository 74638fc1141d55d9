"""Follow the demo's topics and account for every request: a result, a dead letter, or a duplicate.

A request the router dropped as a duplicate is accounted for when another request for the same
canonical URL got a result. Anything else without a result or dead letter is lost.

The ledger also notes the id of every task on the browser lane's topics (scrape.browser-tasks.*):
a result names its task, so `lane()` tells which lane produced it (see there why so).
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, TopicPartition

from schemas.codec import Codec, CodecError
from scrapestream.config import Settings
from scrapestream.kafka import make_consumer
from scrapestream.topics import TopicNames


@dataclass(frozen=True)
class Seen:
    canonical_url: str
    created_at: datetime


@dataclass
class Ledger:
    requests: dict[str, Seen] = field(default_factory=dict)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)  # request_id -> ScrapeResult
    dead_letters: Counter[str] = field(default_factory=Counter)  # reason -> count
    dead_request_ids: set[str] = field(default_factory=set)
    updates: list[dict[str, Any]] = field(default_factory=list)
    browser_tasks: set[str] = field(default_factory=set)  # ids of tasks on the browser lane's topics

    def lane(self, result: dict[str, Any]) -> str:
        """ "browser" for a result of a task on the browser lane's topics, else "static". The task
        topic is where the router (render=BROWSER) or a static scraper (no price in a static page:
        a JavaScript shop) sent the request, so this holds for failures too, and through restarts;
        render_ms is 0 when a browser scrape failed before rendering, and scraper_id names a pid
        that changes when the browser scraper restarts."""
        return "browser" if str(result["task_id"]) in self.browser_tasks else "static"

    @property
    def scraped_urls(self) -> set[str]:
        return {self.requests[rid].canonical_url for rid in self.results if rid in self.requests}

    def unaccounted(self) -> list[str]:
        """Request ids with no result, no dead letter and no result for their URL either."""
        scraped = self.scraped_urls
        return [
            rid
            for rid, seen in self.requests.items()
            if rid not in self.results
            and rid not in self.dead_request_ids
            and seen.canonical_url not in scraped
        ]

    def duplicates_dropped(self) -> int:
        return sum(
            1 for rid in self.requests if rid not in self.results and rid not in self.dead_request_ids
        ) - len(self.unaccounted())

    def statuses(self) -> Counter[str]:
        return Counter(result["status"] for result in self.results.values())


class LedgerFollower:
    """Reads the demo's request, result, dead-letter and update topics from the start, in a thread."""

    def __init__(self, settings: Settings, names: TopicNames):
        self.ledger = Ledger()
        self.lock = threading.Lock()
        self._codec = Codec.for_settings(settings)
        self._names = names
        self._handlers = {
            names.requests: self._on_request,
            names.results: self._on_result,
            names.dlq: self._on_dead_letter,
            names.updates: self._on_update,
            **dict.fromkeys(names.browser_tasks.values(), self._on_browser_task),
        }
        self._consumer = make_consumer(settings, group_id=f"{names.requests}.demo-ledger")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, name="demo-ledger", daemon=True)

    def start(self) -> None:
        metadata = self._consumer.list_topics(timeout=10).topics
        self._consumer.assign(
            [
                TopicPartition(topic, partition, OFFSET_BEGINNING)
                for topic in self._handlers
                for partition in metadata[topic].partitions
            ]
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self._consumer.close()

    def _follow(self) -> None:
        while not self._stop.is_set():
            messages = self._consumer.consume(num_messages=2000, timeout=0.2)
            with self.lock:
                for message in messages:
                    if message.error() is None:
                        self._handlers[message.topic()](message.value())

    def _on_request(self, value: bytes) -> None:
        try:
            request = self._codec.decode("ScrapeRequest", value)
        except CodecError:
            return  # the router dead-letters it; the ledger counts it there
        self.ledger.requests[str(request["request_id"])] = Seen(
            request["canonical_url"], request["created_at"]
        )

    def _on_result(self, value: bytes) -> None:
        result = self._codec.decode("ScrapeResult", value)
        self.ledger.results.setdefault(str(result["request_id"]), result)

    def _on_dead_letter(self, value: bytes) -> None:
        letter = self._codec.decode("DeadLetter", value)
        self.ledger.dead_letters[letter["error_type"]] += 1
        if letter["source_topic"] == self._names.requests and letter["payload"]:
            try:
                request = self._codec.decode("ScrapeRequest", letter["payload"])
            except CodecError:
                return
            self.ledger.dead_request_ids.add(str(request["request_id"]))

    def _on_browser_task(self, value: bytes) -> None:
        try:
            task = self._codec.decode("ScrapeTask", value)
        except CodecError:
            return  # a browser scraper dead-letters it
        self.ledger.browser_tasks.add(str(task["task_id"]))

    def _on_update(self, value: bytes) -> None:
        self.ledger.updates.append(self._codec.decode("ProductUpdate", value))
