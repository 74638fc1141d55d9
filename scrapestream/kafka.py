"""The one place that knows librdkafka settings: every producer, consumer and admin client is made here.

Delivery guarantees live in these defaults: producers are idempotent with acks=all and
compression; consumers never auto-commit, so callers commit only after their outputs are safe.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition
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
        # Fuller produce requests: at a few hundred messages/s, 5 ms sent one or two messages per
        # request; with 20 ms (and the fetch settings below) the broker's CPU per product fell by a
        # third (docs/benchmarks.md), far inside the end-to-end latency budget (seconds).
        "linger.ms": 20,
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
        # Fetch responses wait up to 50 ms for 64 KiB instead of answering each new message:
        # fewer, fuller fetches for the broker and for us, at most 50 ms more per hop.
        "fetch.wait.max.ms": 50,
        "fetch.min.bytes": 65536,
        **overrides,
    }


def make_producer(settings: Settings, **overrides: Any) -> Producer:
    return Producer(producer_config(settings, **overrides))


def make_consumer(settings: Settings, group_id: str, **overrides: Any) -> Consumer:
    return Consumer(consumer_config(settings, group_id, **overrides))


def make_admin(settings: Settings, **overrides: Any) -> AdminClient:
    return AdminClient({**_base(settings), **overrides})


LEADERSHIP_MOVING = frozenset(
    {
        KafkaError.NOT_LEADER_FOR_PARTITION,
        KafkaError.LEADER_NOT_AVAILABLE,
        KafkaError.UNKNOWN_TOPIC_OR_PART,
    }
)


def watermarks(consumer: Consumer, topic: str, partition: int, timeout: float = 10.0) -> tuple[int, int]:
    """(low, high) offsets of a partition. Retries retriable errors until `timeout`: right after a
    topic is created or a broker restarted, a broker may answer NOT_LEADER_FOR_PARTITION for a
    moment while partition leadership propagates."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=timeout)
        except KafkaException as error:
            transient = error.args[0].retriable() or error.args[0].code() in LEADERSHIP_MOVING
            if not transient or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


OutMessage = tuple[str, bytes | None, bytes]  # topic, key, value
QUEUE_FULL_PAUSE = 0.01  # seconds to let deliveries drain when librdkafka's local queue is full


class DeliveryFailed(KafkaException):
    """The broker did not acknowledge a message (after librdkafka's own retries)."""


class BatchProducer:
    """A producer for asyncio code that waits for whole batches of messages.

    `await send_all(messages)` returns once the broker acknowledged every message, or raises
    DeliveryFailed with the first error. Delivery reports are served on a thread of our own, and a
    batch wakes its event loop once, when its last report arrives: no future, task or loop wake-up
    per message (through Faust's aiokafka producer, that per-message Python work was 10-15 % of the
    fan-out's CPU).
    """

    def __init__(self, settings: Settings, **overrides: Any) -> None:
        self._settings = settings
        self._overrides = overrides
        self._client: Producer | None = None
        self._closed = threading.Event()
        self._poller = threading.Thread(target=self._serve_reports, name="kafka-reports", daemon=True)

    @property
    def _producer(self) -> Producer:
        """Made on first use, so that an app can hold one from its construction without connecting."""
        if self._client is None:
            self._client = make_producer(self._settings, **self._overrides)
            self._poller.start()
        return self._client

    async def send_all(self, messages: Sequence[OutMessage]) -> None:
        """Produce `messages` in order; return when all are acknowledged."""
        if not messages:
            return
        batch = _PendingBatch(asyncio.get_running_loop(), len(messages))
        for topic, key, value in messages:
            while True:
                try:
                    self._producer.produce(topic, value, key, on_delivery=batch.report)
                    break
                except BufferError:  # local queue full: the report thread drains it
                    await asyncio.sleep(QUEUE_FULL_PAUSE)
        await batch.acknowledged

    async def send(self, topic: str, key: bytes | None, value: bytes) -> None:
        await self.send_all([(topic, key, value)])

    def close(self, timeout: float = 30.0) -> int:
        """Stop serving reports and flush; returns how many messages are still unacknowledged."""
        self._closed.set()
        if self._client is None:
            return 0
        self._poller.join()
        return self._client.flush(timeout)

    def _serve_reports(self) -> None:
        assert self._client is not None
        while not self._closed.is_set():
            self._client.poll(0.1)


class _PendingBatch:
    """Counts a batch's delivery reports (on the report thread) and settles its future after the last."""

    def __init__(self, loop: asyncio.AbstractEventLoop, count: int) -> None:
        self._loop = loop
        self._remaining = count
        self._error: KafkaError | None = None
        self.acknowledged: asyncio.Future[None] = loop.create_future()

    def report(self, error: KafkaError | None, _message: Message) -> None:
        self._remaining -= 1
        if error is not None and self._error is None:
            self._error = error
        if self._remaining == 0:
            with contextlib.suppress(RuntimeError):  # the event loop is closed: nobody is waiting
                self._loop.call_soon_threadsafe(self._settle)

    def _settle(self) -> None:
        if self.acknowledged.done():
            return
        if self._error is None:
            self.acknowledged.set_result(None)
        else:
            self.acknowledged.set_exception(DeliveryFailed(self._error))


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
