"""A smoke run of the local stack: one Avro event through Kafka, a Cassandra row, a ClickHouse query.

`scrapestream demo` runs this until the full pipeline demo lands; it proves every part of the
stack answers and prints what it saw.
"""

from __future__ import annotations

import uuid

from confluent_kafka import Message, TopicPartition

from schemas import samples
from schemas.codec import Codec
from scrapestream import topics
from scrapestream.config import Settings
from scrapestream.kafka import make_admin, make_consumer, make_producer
from scrapestream.stores import cassandra, clickhouse


def run(settings: Settings) -> int:
    print(f"topics: {_create_topics(settings)}")
    print(f"kafka: {_avro_round_trip(settings)}")
    print(f"cassandra: {_cassandra_row(settings)}")
    print(f"clickhouse: {_clickhouse_query(settings)}")
    print("smoke run passed: every part of the stack answered")
    return 0


def _create_topics(settings: Settings) -> str:
    outcome = topics.create_topics(make_admin(settings), topics.catalog(settings))
    created = sum(1 for state in outcome.values() if state == "created")
    return f"{len(outcome)} in the catalog, {created} created now"


def _avro_round_trip(settings: Settings) -> str:
    codec = Codec.for_settings(settings)
    request = samples.scrape_request(f"https://shop.example/p/smoke-{uuid.uuid4().hex[:8]}")
    delivered: list[Message] = []
    producer = make_producer(settings)
    producer.produce(
        topics.SCRAPE_REQUESTS,
        key=b"smoke",
        value=codec.encode("ScrapeRequest", request),
        on_delivery=lambda error, message: delivered.append(message) if error is None else None,
    )
    if producer.flush(30) != 0 or not delivered:
        raise RuntimeError("the broker did not acknowledge the smoke message within 30 s")

    # Read exactly where the broker said it stored the message.
    stored = delivered[0]
    consumer = make_consumer(settings, group_id="scrapestream-smoke")
    consumer.assign([TopicPartition(stored.topic(), stored.partition(), stored.offset())])
    try:
        message = consumer.poll(30)
    finally:
        consumer.close()
    if message is None or message.error():
        raise RuntimeError(f"the smoke message could not be read back: {message and message.error()}")
    event = codec.decode("ScrapeRequest", message.value())
    return (
        f"ScrapeRequest for {event['url']} read back from {message.topic()}"
        f"[{message.partition()}]@{message.offset()} ({len(message.value())} bytes of Avro)"
    )


def _cassandra_row(settings: Settings) -> str:
    with cassandra.connect(settings) as session:
        row = session.execute("SELECT release_version, cluster_name FROM system.local").one()
    return f"Cassandra {row.release_version} in cluster {row.cluster_name!r} answered a CQL query"


def _clickhouse_query(settings: Settings) -> str:
    client = clickhouse.connect(settings)
    try:
        total = client.query("SELECT sum(number) FROM numbers(1000000)").result_rows[0][0]
    finally:
        client.close()
    return f"{clickhouse.describe(settings)} summed a million numbers: {total}"
