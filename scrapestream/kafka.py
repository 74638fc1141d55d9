"""The one place that knows librdkafka settings: every producer, consumer and admin client is made here.

Delivery guarantees live in these defaults: producers are idempotent with acks=all and
compression; consumers never auto-commit, so callers commit only after their outputs are safe.
"""

from __future__ import annotations

import logging
from typing import Any

from confluent_kafka import Consumer, KafkaException, Producer
from confluent_kafka.admin import AdminClient

from scrapestream.config import Settings

# librdkafka reports every refused connection; route it through logging (quiet by default)
# instead of letting it print to stderr in the middle of a progress bar.
_librdkafka_log = logging.getLogger("scrapestream.librdkafka")
_librdkafka_log.addHandler(logging.NullHandler())  # no stderr fallback; shown when logging is configured


def _base(settings: Settings) -> dict[str, Any]:
    return {"bootstrap.servers": settings.kafka_bootstrap, "logger": _librdkafka_log}


def producer_config(settings: Settings, **overrides: Any) -> dict[str, Any]:
    return {
        **_base(settings),
        "enable.idempotence": True,
        "acks": "all",
        "compression.type": "lz4",
        # Java's partitioner (murmur2), as Faust and the JVM clients use: a key lands on the same
        # partition whoever produces it, which keeps Faust tables co-partitioned with our topics.
        "partitioner": "murmur2_random",
        "linger.ms": 5,
        "batch.num.messages": 10_000,
        "queue.buffering.max.kbytes": 256 * 1024,
        **overrides,
    }


def consumer_config(settings: Settings, group_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        **_base(settings),
        "group.id": group_id,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "partition.assignment.strategy": "cooperative-sticky",
        **overrides,
    }


def make_producer(settings: Settings, **overrides: Any) -> Producer:
    return Producer(producer_config(settings, **overrides))


def make_consumer(settings: Settings, group_id: str, **overrides: Any) -> Consumer:
    return Consumer(consumer_config(settings, group_id, **overrides))


def make_admin(settings: Settings, **overrides: Any) -> AdminClient:
    return AdminClient({**_base(settings), **overrides})


class BrokerUnavailable(ConnectionError):
    """No broker at the configured bootstrap address answered."""


def broker_metadata(settings: Settings, timeout: float = 5.0) -> str:
    """Describe the cluster when a broker answers a metadata request; raise BrokerUnavailable if none does."""
    try:
        metadata = make_admin(settings).list_topics(timeout=timeout)
    except KafkaException as error:
        reason = error.args[0].str() if error.args else str(error)
        raise BrokerUnavailable(f"no Kafka broker answers at {settings.kafka_bootstrap} ({reason})") from None
    return (
        f"{len(metadata.brokers)} broker(s), cluster {metadata.cluster_id}, {len(metadata.topics)} topic(s)"
    )
