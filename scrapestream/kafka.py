"""The one place that knows librdkafka settings: every producer, consumer and admin client is made here.

Delivery guarantees live in these defaults: producers are idempotent with acks=all and
compression; consumers never auto-commit, so callers commit only after their outputs are safe.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
import time
from collections.abc import Callable, Sequence
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
    """librdkafka consumer settings; an override of None removes that setting."""
    config = {
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
    return {key: value for key, value in config.items() if value is not None}


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
# A producer that failed fatally is replaced and the batch sent again; a cluster that fails every
# new producer (e.g. one refusing idempotent writes) is reported after this many replacements.
FATAL_RESENDS = 3
# Delivery errors of the messages a fatally failed producer purges from its queues.
FATAL_DELIVERY_ERRORS = frozenset({KafkaError._FATAL, KafkaError._PURGE_QUEUE, KafkaError._PURGE_INFLIGHT})

log = logging.getLogger(__name__)


class DeliveryFailed(KafkaException):
    """The broker did not acknowledge a message (after librdkafka's own retries)."""


class BatchProducer:
    """A producer for asyncio code that waits for whole batches of messages.

    `await send_all(messages)` returns once the broker acknowledged every message, or raises
    DeliveryFailed with the first error. Delivery reports are served on a thread of our own, and a
    batch wakes its event loop once, when its last report arrives: no future, task or loop wake-up
    per message (through Faust's aiokafka producer, that per-message Python work was 10-15 % of the
    fan-out's CPU).

    An idempotent producer can fail fatally (a sequence desync with the broker, or a librdkafka
    bug) and then sends nothing more. Its unacknowledged batches are then sent again through a new
    producer: at-least-once like every other hop, and whatever reads our topics is idempotent.
    """

    def __init__(self, settings: Settings, **overrides: Any) -> None:
        self._make_client: Callable[[], Producer] = functools.partial(make_producer, settings, **overrides)
        self._connection: _Connection | None = None

    def _current(self) -> _Connection:
        """Connects on first use (an app can hold one from its construction without connecting),
        and again after a fatal error."""
        if self._connection is not None and self._connection.failure is not None:
            self._connection.close(timeout=0)
            self._connection = None
        if self._connection is None:
            self._connection = _Connection(self._make_client())
        return self._connection

    async def send_all(self, messages: Sequence[OutMessage]) -> None:
        """Produce `messages` in order; return when all are acknowledged."""
        if not messages:
            return
        for resend in range(FATAL_RESENDS + 1):
            connection = self._current()
            try:
                await connection.send_all(messages)
                return
            except DeliveryFailed:
                if connection.failure is None or resend == FATAL_RESENDS:
                    raise
            log.warning(
                "sending %d message(s) again through a new Kafka producer: the last one failed (%s)",
                len(messages),
                connection.failure.str(),
            )

    async def send(self, topic: str, key: bytes | None, value: bytes) -> None:
        await self.send_all([(topic, key, value)])

    def close(self, timeout: float = 30.0) -> int:
        """Stop serving reports and flush; returns how many messages are still unacknowledged."""
        return 0 if self._connection is None else self._connection.close(timeout)


class _Connection:
    """One librdkafka producer, the thread serving its delivery reports, and its unsettled batches."""

    def __init__(self, client: Producer) -> None:
        self.client = client
        self.failure: KafkaError | None = None  # why the producer can send nothing more
        self._unsettled: set[_PendingBatch] = set()
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._poller = threading.Thread(target=self._serve_reports, name="kafka-reports", daemon=True)
        self._poller.start()

    async def send_all(self, messages: Sequence[OutMessage]) -> None:
        batch = _PendingBatch(asyncio.get_running_loop(), len(messages))
        with self._lock:
            self._unsettled.add(batch)
        try:
            for topic, key, value in messages:
                await self._produce(topic, key, value, batch)
            await batch.acknowledged
        except DeliveryFailed as failure:
            error = failure.args[0]
            if error.fatal() or error.code() in FATAL_DELIVERY_ERRORS:
                self._fail(error)
            raise
        finally:
            with self._lock:
                self._unsettled.discard(batch)
            batch.acknowledged.cancel()  # no-op once settled; a verdict arriving later finds it done

    async def _produce(self, topic: str, key: bytes | None, value: bytes, batch: _PendingBatch) -> None:
        while True:
            try:
                self.client.produce(topic, value, key, on_delivery=batch.report)
                return
            except BufferError:  # local queue full: the report thread drains it
                await asyncio.sleep(QUEUE_FULL_PAUSE)
            except KafkaException as error:  # e.g. too large, or the producer failed fatally
                raise DeliveryFailed(error.args[0]) from None

    def _fail(self, error: KafkaError) -> None:
        """The producer failed fatally: settle every unacknowledged batch, so that it is sent again."""
        with self._lock:
            if self.failure is None:
                log.error("Kafka producer failed and is replaced: %s", error.str())
                self.failure = error
            batches = list(self._unsettled)
        for batch in batches:
            batch.fail(error)

    def _serve_reports(self) -> None:
        while not self._closed.is_set():
            try:
                self.client.poll(0.1)
            except KafkaException as error:  # poll() raises a fatal error instead of reporting it
                self._fail(error.args[0])

    def close(self, timeout: float) -> int:
        self._closed.set()
        self._poller.join()
        return self.client.flush(timeout)


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
            self._wake()

    def fail(self, error: KafkaError) -> None:
        """(any thread) settle now with `error`, whatever is still unreported."""
        self._error = error
        self._wake()

    def _wake(self) -> None:
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

    @classmethod
    def because(cls, error: KafkaException, bootstrap: str = "") -> BrokerUnavailable:
        """The one-line error a failed metadata or offsets request means, naming the address."""
        reason = error.args[0].str() if error.args and hasattr(error.args[0], "str") else str(error)
        return cls(f"no Kafka broker answers{f' at {bootstrap}' if bootstrap else ''} ({reason})")


def broker_metadata(settings: Settings, timeout: float = 5.0) -> str:
    """Describe the cluster when a broker answers a metadata request; raise BrokerUnavailable if none does."""
    try:
        metadata = make_admin(settings).list_topics(timeout=timeout)
    except KafkaException as error:
        raise BrokerUnavailable.because(error, settings.kafka_bootstrap) from None
    return (
        f"{len(metadata.brokers)} broker(s), cluster {metadata.cluster_id}, {len(metadata.topics)} topic(s)"
    )
