"""Subscriptions to product updates on the real Kafka: filters, starting points, resuming, the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from consumers.subscriptions import InvalidSubscription, subscribe
from schemas.codec import Codec
from scrapestream.config import Settings
from scrapestream.kafka import make_producer
from scrapestream.topics import TopicNames
from tests.integration.pipeline import prefix_of, private_topics

pytestmark = pytest.mark.integration
CODEC = Codec()


@pytest.fixture
def names(stack: Settings) -> Iterator[TopicNames]:
    with private_topics(stack) as names:
        yield names


def update(product: str, domain: str, changes: list[str], version: int = 1) -> dict[str, Any]:
    price = {"amount_minor": 1000 - version, "currency": "EUR"}
    return {
        "product_id": f"{domain}:{product}",
        "domain": domain,
        "changes": changes,
        "old_price": None if changes == ["NEW"] else {"amount_minor": 1001 - version, "currency": "EUR"},
        "new_price": price,
        "old_availability": None if changes == ["NEW"] else "IN_STOCK",
        "new_availability": "IN_STOCK",
        "version": version,
        "updated_at": datetime(2026, 11, 29, 10, 0, version, tzinfo=UTC),
    }


def produce(settings: Settings, topic: str, updates: list[dict[str, Any]]) -> None:
    producer = make_producer(settings)
    for record in updates:
        producer.produce(topic, CODEC.encode("ProductUpdate", record), key=record["product_id"].encode())
    assert producer.flush(10) == 0


def summary(updates: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return sorted((u["product_id"], u["version"]) for u in updates)


MIXED = [
    update("A1", "a.example", ["NEW"]),
    update("A1", "a.example", ["PRICE"], 2),
    update("A2", "a.example", ["AVAILABILITY"], 2),
    update("A3", "a.example", ["PRICE", "CONTENT"], 3),
    update("B1", "b.example", ["PRICE"], 2),
    update("B2", "b.example", ["CONTENT"], 4),
]


def test_filters_on_domain_product_and_change_kind(stack: Settings, names: TopicNames) -> None:
    produce(stack, names.updates, MIXED)

    def read(**filters: Any) -> list[tuple[str, int]]:
        with subscribe(stack, start="earliest", follow=False, topic=names.updates, **filters) as updates:
            return summary(list(updates))

    assert read(domains=["A.example"], changes=["price"]) == [("a.example:A1", 2), ("a.example:A3", 3)]
    assert read(product_ids=["b.example:B2", "a.example:A2"]) == [("a.example:A2", 2), ("b.example:B2", 4)]
    assert read(changes=["CONTENT"]) == [("a.example:A3", 3), ("b.example:B2", 4)]
    assert len(read()) == len(MIXED)
    with pytest.raises(InvalidSubscription, match="'STOCK' is not one of"):
        subscribe(stack, changes=["stock"], topic=names.updates)


def test_saved_positions_resume_exactly_where_the_reader_stopped(stack: Settings, names: TopicNames) -> None:
    first = [update(f"P{n}", "a.example", ["NEW"]) for n in range(30)]
    later = [update(f"P{n}", "a.example", ["PRICE"], 2) for n in range(30)]
    produce(stack, names.updates, first)
    with subscribe(stack, start="earliest", topic=names.updates) as updates:
        reading = iter(updates)
        seen = [next(reading) for _ in range(12)]
        positions = updates.positions
    produce(stack, names.updates, later)
    with subscribe(stack, start=positions, follow=False, topic=names.updates) as updates:
        rest = list(updates)
    assert len(seen) + len(rest) == 60
    assert summary(seen + rest) == summary(first + later)  # nothing missed, nothing twice


def test_latest_and_a_point_in_time(stack: Settings, names: TopicNames) -> None:
    produce(stack, names.updates, [update("OLD", "a.example", ["NEW"])])
    time.sleep(1.0)
    boundary = datetime.now(UTC)
    time.sleep(0.5)
    with subscribe(stack, topic=names.updates) as live:  # latest: only what comes next
        produce(stack, names.updates, [update("NEWER", "a.example", ["NEW"])])
        deadline, got = time.monotonic() + 15, []
        while not got and time.monotonic() < deadline:
            got = live.poll(0.5)
    assert summary(got) == [("a.example:NEWER", 1)]
    with subscribe(stack, start=boundary, follow=False, topic=names.updates) as since:
        assert summary(list(since)) == [("a.example:NEWER", 1)]


def test_the_cli_prints_one_line_or_one_json_object_per_update(stack: Settings, names: TopicNames) -> None:
    produce(stack, names.updates, MIXED)
    base = [sys.executable, "-m", "scrapestream.cli", "subscribe", "--topic-prefix", prefix_of(names)]
    lines = run([*base, "--domain", "a.example", "--change", "price"])
    assert sorted(lines) == [
        "2026-11-29T10:00:02.000Z a.example:A1 v2 PRICE price 9.99 EUR -> 9.98 EUR",
        "2026-11-29T10:00:03.000Z a.example:A3 v3 PRICE,CONTENT price 9.98 EUR -> 9.97 EUR",
    ]
    objects = [json.loads(line) for line in run([*base, "--json", "--change", "content"])]
    assert sorted((o["product_id"], o["updated_at"]) for o in objects) == [
        ("a.example:A3", "2026-11-29T10:00:03Z"),
        ("b.example:B2", "2026-11-29T10:00:04Z"),
    ]


def run(command: list[str]) -> list[str]:
    finished = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert finished.returncode == 0, finished.stderr
    return finished.stdout.splitlines()
