"""Topic catalog against the real local Kafka, and every event through a real 6-partition topic."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator

import pytest

from schemas.codec import Codec
from schemas.loader import EVENT_TYPES
from schemas.samples import SAMPLES
from scrapestream.config import Settings
from scrapestream.kafka import make_admin, make_consumer, make_producer
from scrapestream.topics import PRODUCT_STATE, SCRAPE_RESULTS, Drift, catalog, check_topics, create_topics
from tests.integration.fake_schema_registry import fake_schema_registry

pytestmark = pytest.mark.integration


def test_catalog_creation_is_idempotent_and_matches_after(stack: Settings, prefix: str) -> None:
    admin = make_admin(stack)
    topics = catalog(stack, prefix=prefix)
    assert set(create_topics(admin, topics).values()) == {"created"}
    assert set(create_topics(admin, topics).values()) == {"exists"}
    assert check_topics(admin, topics) == []
    state = next(topic for topic in topics if topic.name.endswith(PRODUCT_STATE))
    assert state.cleanup_policy == "compact"
    listed = {name for name in admin.list_topics(timeout=10).topics if name.startswith(prefix)}
    assert listed == {topic.name for topic in topics}  # every catalog topic, and nothing else, exists


def test_drift_is_reported_and_never_repaired_by_create(stack: Settings, prefix: str) -> None:
    admin = make_admin(stack)
    topics = catalog(stack, prefix=prefix)
    state, results = (next(t for t in topics if t.name.endswith(n)) for n in (PRODUCT_STATE, SCRAPE_RESULTS))
    # Made the wrong way (as by hand): too few partitions, and not compacted.
    create_topics(admin, [dataclasses.replace(state, partitions=2, cleanup_policy="delete")])

    drifts = check_topics(admin, topics)
    assert Drift(state.name, "too few partitions", "6", "2") in drifts
    assert Drift(state.name, "cleanup.policy", "compact", "delete") in drifts
    assert Drift(results.name, "missing", "6 partitions", "no topic") in drifts

    outcome = create_topics(admin, topics)
    assert outcome[state.name] == "exists"
    assert outcome[results.name] == "created"
    assert [drift.problem for drift in check_topics(admin, topics)] == [
        "too few partitions",
        "cleanup.policy",
    ]


@pytest.fixture(params=["single-object", "registry"])
def codecs(request: pytest.FixtureRequest, stack: Settings) -> Iterator[tuple[Codec, Codec]]:
    """A writer and a separate reader codec (the reader learns writer schemas only from the messages)."""
    if request.param == "single-object":
        yield Codec.for_settings(stack), Codec.for_settings(stack)
        return
    with fake_schema_registry() as url:
        registry_settings = dataclasses.replace(stack, schema_registry_url=url)
        yield Codec.for_settings(registry_settings), Codec.for_settings(registry_settings)


def test_every_event_round_trips_through_a_six_partition_topic(
    stack: Settings, prefix: str, codecs: tuple[Codec, Codec]
) -> None:
    writer, reader = codecs
    admin = make_admin(stack)
    topic = next(t for t in catalog(stack, prefix=prefix) if t.name.endswith(SCRAPE_RESULTS))
    create_topics(admin, [topic])
    assert topic.partitions == 6

    producer = make_producer(stack)
    for event_type in EVENT_TYPES:
        producer.produce(
            topic.name,
            key=event_type.encode(),
            value=writer.encode(event_type, SAMPLES[event_type]()),
            headers={"event_type": event_type},
        )
    assert producer.flush(30) == 0

    received = {}
    consumer = make_consumer(stack, group_id=f"test-codec-{uuid.uuid4().hex[:8]}")
    consumer.subscribe([topic.name])
    try:
        for _ in range(120):
            message = consumer.poll(0.5)
            if message is None or message.error():
                if len(received) == len(EVENT_TYPES):
                    break
                continue
            event_type = dict(message.headers())["event_type"].decode()
            received[event_type] = reader.decode(event_type, message.value())
    finally:
        consumer.close()
    assert received == {event_type: SAMPLES[event_type]() for event_type in EVENT_TYPES}
