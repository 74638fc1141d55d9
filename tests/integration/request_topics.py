"""Helpers for tests that publish scrape requests: a private scrape.requests topic and a reader for it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from confluent_kafka import Message

from scrapestream.config import Settings
from scrapestream.kafka import make_admin, make_consumer, watermarks
from scrapestream.topics import SCRAPE_REQUESTS, catalog, create_topics


@contextmanager
def private_request_topic(settings: Settings) -> Iterator[str]:
    """The catalog's scrape.requests under a random prefix (same partitions), deleted afterwards."""
    prefix = f"test.{uuid.uuid4().hex[:8]}."
    name = prefix + SCRAPE_REQUESTS
    topic = next(topic for topic in catalog(settings, prefix=prefix) if topic.name == name)
    admin = make_admin(settings)
    create_topics(admin, [topic])
    try:
        yield topic.name
    finally:
        admin.delete_topics([topic.name], operation_timeout=30)[topic.name].result(30)


def read_messages(settings: Settings, topic: str, count: int, timeout: float = 30.0) -> list[Message]:
    """The first `count` messages of `topic` (fails the test if they do not arrive in time)."""
    consumer = make_consumer(settings, f"test-reader-{uuid.uuid4().hex[:8]}")
    consumer.subscribe([topic])
    messages: list[Message] = []
    deadline = time.monotonic() + timeout
    try:
        while len(messages) < count and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is not None:
                assert message.error() is None, message.error()
                messages.append(message)
    finally:
        consumer.close()
    assert len(messages) == count, f"read {len(messages)} of {count} messages from {topic}"
    return messages


def message_count(settings: Settings, topic: str) -> int:
    """How many messages `topic` holds (sum of its partitions' high watermarks; nothing is deleted)."""
    consumer = make_consumer(settings, f"test-counter-{uuid.uuid4().hex[:8]}")
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        return sum(watermarks(consumer, topic, partition)[1] for partition in partitions)
    finally:
        consumer.close()
