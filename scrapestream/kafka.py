"""The one place that knows librdkafka settings: every producer, consumer and admin client is made here.

Delivery guarantees live in these defaults: producers are idempotent with acks=all and
compression; consumers never auto-commit, so callers commit only after their outputs are safe.

Producing has one core, ProducerCore (its delivery-report thread, backpressure on a full local
queue, replacement of a fatally failed producer, one DeliveryFailed): BatchProducer (asyncio
batches: streams, fan-out, scraper) and producers/publisher.py's RequestPublisher are built on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
import time
from collections import defaultdict
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
DeliveryReport = Callable[[KafkaError | None, Message], None]  # librdkafka's on_delivery callback

POLL_INTERVAL = 0.05  # seconds one poll of the report thread waits for delivery reports
QUEUE_FULL_PAUSE = 0.005  # seconds to let the report thread drain librdkafka's full local queue
FAILED_PRODUCER_DRAIN = 30.0  # seconds a fatally failed producer gets to report what it holds
PURGED_REPORTS_WAIT = 1.0  # seconds for the reports of purged messages to be served
# A batch that the fatal failure of its producer failed is sent again through the new one; a cluster
# that fails every new producer (e.g. one refusing idempotent writes) is reported after this many.
FATAL_RESENDS = 3
# Delivery errors of the messages a fatally failed producer purges from its queues.
FATAL_DELIVERY_ERRORS = frozenset({KafkaError._FATAL, KafkaError._PURGE_QUEUE, KafkaError._PURGE_INFLIGHT})

log = logging.getLogger(__name__)


def failed_fatally(error: KafkaError) -> bool:
    """Whether `error` means that the producer failed for good (or purged the message as it did)."""
    return error.fatal() or error.code() in FATAL_DELIVERY_ERRORS


class DeliveryFailed(KafkaException):
    """The broker did not acknowledge a message (after librdkafka's own retries).

    `error` is the Kafka error and `reason` its name (e.g. _MSG_TIMED_OUT: short enough to group
    failures by). A sender that knows more says so: `subject` names what was sent (the request
    publisher's "request for <url>"), and `missing_topic` is the error the failure means when its
    topic does not exist (the publisher's TopicMissing), else None.
    """

    def __init__(
        self, error: KafkaError, subject: str = "", missing_topic: BrokerUnavailable | None = None
    ) -> None:
        super().__init__(error)
        self.error = error
        self.reason = error.name()
        self.subject = subject
        self.missing_topic = missing_topic

    def __str__(self) -> str:
        detail = f"{self.reason}: {self.error.str()}"
        return f"{detail} ({self.subject})" if self.subject else detail


class ProducerClosed(RuntimeError):
    """A send after `close()` (a gateway shutting down, say)."""


class ProducerCore:
    """One librdkafka producer at a time, the thread serving its delivery reports, and its
    replacement after a fatal error: what BatchProducer and the request publisher
    (producers/publisher.py) are built on.

    Reports: a daemon thread of our own polls the producer, so delivery callbacks run on that thread
    (or in `flush`/`close`). Asyncio code is woken through `call_soon`: what one poll round queued for
    an event loop runs there after ONE `loop.call_soon_threadsafe`, never one per message (that
    wake-up is a syscall; per message it halved the gateway's throughput, and futures and tasks per
    message were 10-15 % of the fan-out's CPU).

    Backpressure: `produce` answers False while librdkafka's local queue is full; `produce_waiting`
    and `produce_async` try again every QUEUE_FULL_PAUSE seconds while the report thread drains it.
    Nothing is dropped.

    Fatal failures: an idempotent producer can fail fatally (a sequence desync with the broker, a
    librdkafka bug) and then sends nothing more: `poll` raises that error, `produce` refuses with it,
    reports may carry it. `fail` then replaces the producer at once; the failed one gets
    FAILED_PRODUCER_DRAIN seconds, on a thread of its own, to report what it holds (the new one's
    reports flow meanwhile), and what it still holds then is purged, so every message gets its
    report. Those of the messages it lost carry an error for which `failed_fatally` is true:
    BatchProducer sends their batches again, the publisher fails their futures.
    """

    def __init__(self, make_client: Callable[[], Producer]) -> None:
        self._make_client = make_client
        self._current = (make_client(), 0)  # the producer and its generation, replaced as one
        self._draining: list[threading.Thread] = []  # one per replaced producer, reporting what it holds
        self._lock = threading.Lock()
        # callbacks waiting for the next wake-up of their event loop
        self._wakeups: defaultdict[asyncio.AbstractEventLoop, list[tuple[Callable[..., None], tuple]]]
        self._wakeups = defaultdict(list)
        self._wakeups_lock = threading.Lock()
        self._closed = threading.Event()
        self._poller = threading.Thread(target=self._serve_reports, name="kafka-reports", daemon=True)
        self._poller.start()

    @property
    def client(self) -> Producer:
        """The librdkafka producer in use (for metadata requests)."""
        return self._current[0]

    @property
    def generation(self) -> int:
        """How many producers were replaced before the current one; `fail` names a producer by it."""
        return self._current[1]

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def produce(self, topic: str, key: bytes | str | None, value: bytes, on_delivery: DeliveryReport) -> bool:
        """Hand one message to librdkafka; False when its local queue is full or the producer just
        failed (try again shortly). Other refusals (too large, unknown topic) raise KafkaException."""
        if self._closed.is_set():
            raise ProducerClosed("the producer is closed")
        client, generation = self._current
        try:
            client.produce(topic, value, key, on_delivery=on_delivery)
        except BufferError:  # local queue full: the report thread drains it
            return False
        except KafkaException as error:
            if not failed_fatally(error.args[0]):
                raise
            self.fail(error.args[0], generation)
            return False  # the new producer takes it
        return True

    def produce_waiting(
        self, topic: str, key: bytes | str | None, value: bytes, on_delivery: DeliveryReport
    ) -> None:
        """`produce`, sleeping while librdkafka's local queue is full."""
        while not self.produce(topic, key, value, on_delivery):
            time.sleep(QUEUE_FULL_PAUSE)

    async def produce_async(
        self, topic: str, key: bytes | str | None, value: bytes, on_delivery: DeliveryReport
    ) -> None:
        """`produce`, yielding to the event loop while librdkafka's local queue is full."""
        while not self.produce(topic, key, value, on_delivery):
            await asyncio.sleep(QUEUE_FULL_PAUSE)

    def call_soon(self, loop: asyncio.AbstractEventLoop, callback: Callable[..., None], *args: Any) -> None:
        """(a delivery callback) run `callback(*args)` on `loop` with the rest of this poll round."""
        with self._wakeups_lock:
            self._wakeups[loop].append((callback, args))

    def fail(self, error: KafkaError, generation: int) -> None:
        """The producer of `generation` failed fatally: send through a new one from now on. Once per
        failed producer: a later sign of the same failure changes nothing."""
        with self._lock:
            failed, current = self._current
            if current != generation:
                return
            log.error("Kafka producer failed and is replaced: %s", error.str())
            self._current = (self._make_client(), generation + 1)
            drain = threading.Thread(target=self._drain, args=(failed,), name="kafka-failed", daemon=True)
            self._draining.append(drain)
        drain.start()

    def flush(self, timeout: float) -> int:
        """Wait until every message is acknowledged or failed; returns how many are still pending."""
        remaining = self.client.flush(timeout)
        self._wake_event_loops()
        return remaining

    def purge(self) -> None:
        """Fail every message not acknowledged yet (reports with _PURGE_QUEUE or _PURGE_INFLIGHT)."""
        self.client.purge()
        self.flush(PURGED_REPORTS_WAIT)

    def close(self, timeout: float) -> int:
        """Stop the report thread and flush; returns how many messages are still unacknowledged
        (`purge` fails them). Sends after this raise ProducerClosed."""
        deadline = time.monotonic() + timeout
        self._closed.set()
        self._poller.join()
        for drain in self._draining:
            drain.join(max(0.0, deadline - time.monotonic()))
        return self.flush(max(0.0, deadline - time.monotonic()))

    def _serve_reports(self) -> None:
        while not self._closed.is_set():
            client, generation = self._current
            try:
                client.poll(POLL_INTERVAL)
            except KafkaException as error:  # poll() raises a fatal error instead of reporting it
                self.fail(error.args[0], generation)
            self._wake_event_loops()

    def _drain(self, failed: Producer) -> None:
        """(a thread of its own) Let a replaced producer report what it holds, and purge what it
        still holds after FAILED_PRODUCER_DRAIN seconds: every message it was given gets a report."""
        if unreported := failed.flush(FAILED_PRODUCER_DRAIN):
            log.error("%d message(s) of the failed Kafka producer never reported: purged", unreported)
            with contextlib.suppress(KafkaException):
                failed.purge()
                failed.flush(PURGED_REPORTS_WAIT)
        self._wake_event_loops()

    def _wake_event_loops(self) -> None:
        """Run the queued callbacks, one call_soon_threadsafe per event loop."""
        with self._wakeups_lock:
            wakeups, self._wakeups = self._wakeups, defaultdict(list)
        for loop, callbacks in wakeups.items():
            try:
                loop.call_soon_threadsafe(_run_all, callbacks)
            except RuntimeError:  # the loop was closed with messages in flight: nobody waits any more
                log.warning("event loop closed before %d delivery report(s) arrived", len(callbacks))


def _run_all(callbacks: list[tuple[Callable[..., None], tuple]]) -> None:
    for callback, args in callbacks:
        callback(*args)


class BatchProducer:
    """A producer for asyncio code that waits for whole batches of messages.

    `await send_all(messages)` returns once the broker acknowledged every message, or raises
    DeliveryFailed with the first error. Delivery reports are served by ProducerCore's thread, and a
    batch wakes its event loop once, when its last report arrives: no future, task or loop wake-up
    per message (through Faust's aiokafka producer, that per-message Python work was 10-15 % of the
    fan-out's CPU).

    When the producer fails fatally (see ProducerCore), the batches it did not deliver are sent
    again through its replacement, up to FATAL_RESENDS times: at-least-once like every other hop,
    and whatever reads our topics is idempotent.
    """

    def __init__(self, settings: Settings, **overrides: Any) -> None:
        self._make_client: Callable[[], Producer] = functools.partial(make_producer, settings, **overrides)
        self._core: ProducerCore | None = None

    def _producer(self) -> ProducerCore:
        """Connects on first use: an app can hold one from its construction without connecting."""
        if self._core is None:
            self._core = ProducerCore(self._make_client)
        return self._core

    async def send_all(self, messages: Sequence[OutMessage]) -> None:
        """Produce `messages` in order; return when all are acknowledged."""
        if not messages:
            return
        core = self._producer()
        for resend in range(FATAL_RESENDS + 1):
            generation = core.generation
            try:
                await _send_batch(core, messages)
                return
            except DeliveryFailed as failure:
                if not failed_fatally(failure.error) or resend == FATAL_RESENDS:
                    raise
                core.fail(failure.error, generation)  # nothing new when the core knew already
                log.warning(
                    "sending %d message(s) again through a new Kafka producer: the last one failed (%s)",
                    len(messages),
                    failure.error.str(),
                )

    async def send(self, topic: str, key: bytes | None, value: bytes) -> None:
        await self.send_all([(topic, key, value)])

    def close(self, timeout: float = 30.0) -> int:
        """Stop serving reports and flush; returns how many messages are still unacknowledged."""
        return 0 if self._core is None else self._core.close(timeout)


async def _send_batch(core: ProducerCore, messages: Sequence[OutMessage]) -> None:
    batch = _PendingBatch(core, asyncio.get_running_loop(), len(messages))
    try:
        for topic, key, value in messages:
            await core.produce_async(topic, key, value, batch.report)
        await batch.acknowledged
    except KafkaException as error:  # refused at once: e.g. too large
        if isinstance(error, DeliveryFailed):
            raise
        raise DeliveryFailed(error.args[0]) from None
    finally:
        batch.acknowledged.cancel()  # no-op once settled; a verdict arriving later finds it done


class _PendingBatch:
    """Counts a batch's delivery reports and settles its future after the last. Reports come from the
    report thread, and from a failed producer's drain thread when the batch straddled a replacement."""

    def __init__(self, core: ProducerCore, loop: asyncio.AbstractEventLoop, count: int) -> None:
        self._core = core
        self._loop = loop
        self._remaining = count
        self._error: KafkaError | None = None
        self._lock = threading.Lock()
        self.acknowledged: asyncio.Future[None] = loop.create_future()

    def report(self, error: KafkaError | None, _message: Message) -> None:
        with self._lock:
            self._remaining -= 1
            if error is not None and self._error is None:
                self._error = error
            last = self._remaining == 0
        if last:
            self._core.call_soon(self._loop, self._settle)

    def _settle(self) -> None:
        if self.acknowledged.done():
            return
        if self._error is None:
            self.acknowledged.set_result(None)
        else:
            self.acknowledged.set_exception(DeliveryFailed(self._error))


# Seconds a probe of the broker (a metadata request: readiness, "does the topic exist") waits for
# an answer before the broker counts as unavailable.
BROKER_PROBE_TIMEOUT = 2.0


class BrokerUnavailable(ConnectionError):
    """No broker at the configured bootstrap address answered."""

    @classmethod
    def because(cls, error: KafkaException, bootstrap: str = "") -> BrokerUnavailable:
        """The one-line error a failed metadata or offsets request means, naming the address."""
        reason = error.args[0].str() if error.args and hasattr(error.args[0], "str") else str(error)
        return cls(f"no Kafka broker answers{f' at {bootstrap}' if bootstrap else ''} ({reason})")


def broker_metadata(settings: Settings, timeout: float = BROKER_PROBE_TIMEOUT) -> str:
    """Describe the cluster when a broker answers a metadata request; raise BrokerUnavailable if none does."""
    try:
        metadata = make_admin(settings).list_topics(timeout=timeout)
    except KafkaException as error:
        raise BrokerUnavailable.because(error, settings.kafka_bootstrap) from None
    return (
        f"{len(metadata.brokers)} broker(s), cluster {metadata.cluster_id}, {len(metadata.topics)} topic(s)"
    )
