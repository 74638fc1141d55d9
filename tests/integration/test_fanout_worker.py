"""The Faust fan-out worker on real Kafka, Cassandra and ClickHouse: stores, updates, replays, DLQ."""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import Message

from schemas.codec import Codec
from scrapestream.config import Settings
from scrapestream.infra.service_process import free_port
from scrapestream.kafka import make_consumer, make_producer
from scrapestream.stores import analytics
from scrapestream.stores.cassandra_sessions import connect
from scrapestream.stores.products import ProductStore
from scrapestream.topics import TopicNames
from tests.integration.pipeline import Worker, prefix_of, private_topics
from tests.integration.request_topics import read_messages
from tests.integration.sink_helpers import result, scratch_keyspace

pytestmark = pytest.mark.integration
CODEC = Codec()


@pytest.fixture
def fanout(stack: Settings, tmp_path: Path) -> Iterator[tuple[Settings, TopicNames, Worker]]:
    """A fan-out worker on private topics, its own keyspace and its own embedded ClickHouse store."""
    with private_topics(stack) as names, scratch_keyspace(stack) as (settings, _):
        port = free_port()
        env = {
            "SCRAPESTREAM_CASSANDRA_KEYSPACE": settings.cassandra_keyspace,
            "SCRAPESTREAM_CLICKHOUSE_URL": f"chdb://{tmp_path / 'clickhouse'}",
            "SCRAPESTREAM_ANALYTICS_PORT": str(port),
            "SCRAPESTREAM_SINK_FLUSH_MS": "100",
        }
        worker_settings = dataclasses.replace(
            settings, analytics_port=port, clickhouse_url=env["SCRAPESTREAM_CLICKHOUSE_URL"]
        )
        with Worker(stack, tmp_path, "fanout", "--topic-prefix", prefix_of(names), env=env) as worker:
            yield worker_settings, names, worker


def produce(settings: Settings, topic: str, values: list[bytes]) -> None:
    producer = make_producer(settings)
    for value in values:
        producer.produce(topic, key=b"shop.example", value=value)
    assert producer.flush(30) == 0


def read_at_least(settings: Settings, topic: str, count: int, quiet: float = 3.0) -> list[Message]:
    """Every message of `topic` once at least `count` arrived and then nothing more for `quiet` seconds."""
    consumer = make_consumer(settings, f"test-{uuid.uuid4().hex[:8]}")
    consumer.subscribe([topic])
    messages: list[Message] = []
    deadline, last_seen = time.monotonic() + 90, time.monotonic()
    try:
        while time.monotonic() < deadline and (len(messages) < count or time.monotonic() - last_seen < quiet):
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                messages.append(message)
                last_seen = time.monotonic()
    finally:
        consumer.close()
    assert len(messages) >= count, f"{len(messages)} of at least {count} messages arrived on {topic}"
    return messages


def analytics_rows(settings: Settings, sql: str, expected: list[list], timeout: float = 60) -> list[list]:
    """Ask the worker's store (through its query endpoint) until it answers `expected` or time runs out."""

    async def ask() -> list[list]:
        reader = analytics.open_reader(settings)
        try:
            return (await reader.query(sql)).rows
        finally:
            await reader.close()

    deadline, rows = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        try:
            rows = asyncio.run(ask())
        except Exception:  # the worker may still be starting its endpoint
            rows = None
        if rows == expected:
            break
        time.sleep(1)
    return rows


def test_results_are_stored_announced_once_per_change_and_replays_change_nothing(
    fanout: tuple[Settings, TopicNames, Worker],
) -> None:
    settings, names, worker = fanout
    first = [result("A1", second=0, price=1000), result("B2", second=0, price=500)]
    later = [result("A1", second=60, price=900), result("B2", second=60, price=500)]
    values = [CODEC.encode("ScrapeResult", record) for record in first + later]
    produce(settings, names.results, values)
    produce(settings, names.results, values)  # a full replay

    updates = [CODEC.decode("ProductUpdate", m.value()) for m in read_at_least(settings, names.updates, 3)]
    # At-least-once: a replay may repeat an update, but only as the very same version of it.
    summary = sorted({(u["product_id"], tuple(u["changes"]), u["version"]) for u in updates})
    assert len({(u["product_id"], u["version"]) for u in updates}) == len(summary)
    assert summary == [
        ("shop.example:A1", ("NEW",), 1),
        ("shop.example:A1", ("PRICE",), 2),
        ("shop.example:B2", ("NEW",), 1),
    ], (summary, worker.output())
    price_change = next(u for u in updates if u["changes"] == ["PRICE"])
    assert (price_change["old_price"]["amount_minor"], price_change["new_price"]["amount_minor"]) == (
        1000,
        900,
    )
    invalidations = [
        CODEC.decode("CacheInvalidation", m.value()) for m in read_at_least(settings, names.invalidation, 3)
    ]
    assert {i["product_id"] for i in invalidations} == {"shop.example:A1", "shop.example:B2"}

    db = settings.clickhouse_database
    events = analytics_rows(settings, f"SELECT count() FROM {db}.scrape_events FINAL", [[4]])
    assert events == [[4]], worker.output()

    with connect(settings) as session:
        state = asyncio.run(ProductStore(session, settings).get_product("shop.example:A1"))
    assert state is not None and state.version == 2
    assert state.product["price"]["amount_minor"] == 900


def test_undecodable_results_go_to_the_dlq_while_good_ones_are_stored(
    fanout: tuple[Settings, TopicNames, Worker],
) -> None:
    settings, names, worker = fanout
    produce(settings, names.results, [b"\xc3\x01 not a result", CODEC.encode("ScrapeResult", result("C3"))])
    [letter] = [CODEC.decode("DeadLetter", m.value()) for m in read_messages(settings, names.dlq, 1, 60)]
    assert letter["error_type"] == "unknown fingerprint" and letter["source_topic"] == names.results
    [update] = [
        CODEC.decode("ProductUpdate", m.value()) for m in read_messages(settings, names.updates, 1, 60)
    ]
    assert update["product_id"] == "shop.example:C3", worker.output()
