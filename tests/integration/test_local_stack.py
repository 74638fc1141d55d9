"""The local stack is real: Kafka keeps per-key order, Cassandra stores rows, ClickHouse aggregates."""

from __future__ import annotations

import uuid
from collections import defaultdict

import pytest
from confluent_kafka.admin import NewTopic

from scrapestream.config import Settings
from scrapestream.kafka import make_admin, make_consumer, make_producer
from scrapestream.stores import cassandra_sessions, clickhouse

pytestmark = pytest.mark.integration


def _create_topic(settings: Settings, partitions: int) -> str:
    name = f"test.stack.{uuid.uuid4().hex[:8]}"
    admin = make_admin(settings)  # must outlive the future it returns
    admin.create_topics([NewTopic(name, partitions, 1)])[name].result(timeout=30)
    return name


def test_keyed_messages_keep_their_order_per_key_across_six_partitions(stack: Settings) -> None:
    topic = _create_topic(stack, partitions=6)
    producer = make_producer(stack)
    keys = [f"domain-{n}" for n in range(12)]
    sent = {key: [f"{key}:{seq}" for seq in range(50)] for key in keys}
    for seq in range(50):
        for key in keys:
            producer.produce(topic, key=key, value=sent[key][seq])
    assert producer.flush(30) == 0

    consumer = make_consumer(stack, group_id=f"test-{uuid.uuid4().hex[:8]}")
    consumer.subscribe([topic])
    received: dict[str, list[str]] = defaultdict(list)
    partitions_by_key: dict[str, set[int]] = defaultdict(set)
    try:
        for _ in range(60):
            for message in consumer.consume(num_messages=1000, timeout=1.0):
                assert message.error() is None, message.error()
                key = message.key().decode()
                received[key].append(message.value().decode())
                partitions_by_key[key].add(message.partition())
            if sum(map(len, received.values())) == 600:
                break
    finally:
        consumer.close()

    assert received == sent
    assert all(len(partitions) == 1 for partitions in partitions_by_key.values())
    assert len(set().union(*partitions_by_key.values())) > 1, "12 keys should spread over several partitions"


def test_cassandra_upserts_and_reads_back_a_row(stack: Settings) -> None:
    keyspace = f"test_{uuid.uuid4().hex[:8]}"
    with cassandra_sessions.connect(stack) as session:
        replication = "{'class': 'SimpleStrategy', 'replication_factor': 1}"
        session.execute(f"CREATE KEYSPACE {keyspace} WITH replication = {replication}")
        try:
            session.execute(
                f"CREATE TABLE {keyspace}.products (id text PRIMARY KEY, title text, price bigint)"
            )
            upsert = session.prepare(f"INSERT INTO {keyspace}.products (id, title, price) VALUES (?, ?, ?)")
            session.execute(upsert, ("p-1", "Kettle", 1999))
            session.execute(upsert, ("p-1", "Kettle", 1799))  # an upsert replaces, never duplicates
            rows = list(session.execute(f"SELECT id, title, price FROM {keyspace}.products"))
        finally:
            session.execute(f"DROP KEYSPACE {keyspace}")
    assert [(row.id, row.title, row.price) for row in rows] == [("p-1", "Kettle", 1799)]


def test_clickhouse_mergetree_inserts_and_aggregates_ten_thousand_rows(stack: Settings) -> None:
    client = clickhouse.connect(stack)
    table = f"test_events_{uuid.uuid4().hex[:8]}"
    client.command(
        f"CREATE TABLE {table} (domain String, fetch_ms UInt32, ok UInt8) ENGINE = MergeTree ORDER BY domain"
    )
    rows = [(f"shop{n % 4}.test", n % 500, int(n % 10 != 0)) for n in range(10_000)]
    client.insert(table, rows, column_names=["domain", "fetch_ms", "ok"])
    result = client.query(
        f"SELECT domain, count(), sum(ok), max(fetch_ms) FROM {table} GROUP BY domain ORDER BY domain"
    ).result_rows
    client.command(f"DROP TABLE {table}")

    expected = []
    for shop in range(4):
        mine = [row for row in rows if row[0] == f"shop{shop}.test"]
        expected.append((f"shop{shop}.test", len(mine), sum(r[2] for r in mine), max(r[1] for r in mine)))
    assert [tuple(row) for row in result] == expected
