"""Publish ScrapeRequests to scrape.requests: the one way requests enter the pipeline.

`build_request` turns caller input into a validated ScrapeRequest record (pure; the gateway and
tests use it directly). `RequestPublisher` encodes records with the project codec and produces
them keyed by the canonical URL's fingerprint, so one URL always lands on one partition (dedup
downstream is per key).

Threading: one confluent-kafka Producer per publisher, and one daemon thread that polls it. The
producer runs delivery callbacks on whichever thread polls it, so they run on that thread (or in
`flush`/`close`): sync `Delivery` futures are settled there directly. Asyncio futures are
collected and settled by one `loop.call_soon_threadsafe` per event loop and poll round, so the
event loop never blocks on Kafka and is woken once per batch of acknowledgements rather than
once per message (that wake-up is a syscall; per message it halved the gateway's throughput).
When librdkafka's local queue is full, `send` sleeps and `send_async` awaits until the poller
has drained some of it: backpressure, never a dropped message. An idempotent producer that fails
fatally (it then sends nothing more) is replaced by the poll thread.

Nothing is fire-and-forget: every future resolves to a `Receipt` once the broker acknowledged
the message (acks=all, idempotent producer), or raises `DeliveryFailed` naming the Kafka error.
A topic that does not exist on the cluster is `TopicMissing` (a BrokerUnavailable whose message
names the topic and `scrapestream topics create`), whether librdkafka refuses the message at once
or reports it undeliverable later (the failed delivery's `missing_topic` then says so).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import math
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from functools import partial
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from confluent_kafka import KafkaError, KafkaException, Message

from schemas.codec import Codec
from schemas.samples import utc_now_millis
from scrapestream import metrics
from scrapestream.config import Settings
from scrapestream.kafka import BrokerUnavailable, make_producer
from scrapestream.topics import CACHE_INVALIDATION, PRODUCT_UPDATES, SCRAPE_REQUESTS
from scrapestream.urls import BlockedURL, InvalidURL, canonicalize, fingerprint

PRIORITIES = ("HIGH", "NORMAL", "BULK")
RENDER_MODES = ("AUTO", "STATIC", "BROWSER")
PAGE_KINDS = ("PRODUCT", "CATEGORY")
DEFAULT_FRESHNESS_SECONDS = 86_400  # the schema's default
MAX_FRESHNESS_SECONDS = 2**31 - 1  # an Avro int
MAX_TEXT_LENGTH = 256  # requested_by, correlation_id, tag names and values
MAX_TAGS = 32
QUEUE_FULL_PAUSE = 0.005  # seconds to wait for the poller when librdkafka's queue is full
FAILED_PRODUCER_DRAIN = 30.0  # seconds a fatally failed producer gets to report what it holds
TOPIC_RECHECK = 5.0  # seconds check_topic stays quiet after no broker answered it
_POLL_INTERVAL = 0.05

_log = logging.getLogger(__name__)

Record = dict[str, Any]


class InvalidRequest(ValueError):
    """A request field other than the URL is unacceptable; `field` names it."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class TopicMissing(BrokerUnavailable):
    """The topic to publish to does not exist on the cluster; the message says how to create it."""

    def __init__(self, topic: str) -> None:
        super().__init__(f"topic {topic} does not exist (create it: {create_command(topic)})")
        self.topic = topic


def create_command(topic: str) -> str:
    """The command that creates `topic`: `scrapestream topics create`, with the topic prefix if any."""
    bases = (SCRAPE_REQUESTS, PRODUCT_UPDATES, CACHE_INVALIDATION)
    prefix = next((topic.removesuffix(base) for base in bases if topic.endswith(base)), "")
    return "scrapestream topics create" + (f" --topic-prefix {prefix}" if prefix else "")


# librdkafka's "no such topic": raised by produce() once metadata says so, or a delivery report's error.
UNKNOWN_TOPIC_ERRORS = frozenset({KafkaError._UNKNOWN_TOPIC, KafkaError.UNKNOWN_TOPIC_OR_PART})


class DeliveryFailed(Exception):
    """The broker did not acknowledge a request; `error` is the Kafka error. `missing_topic` is the
    TopicMissing the failure means when its topic does not exist, else None."""

    def __init__(self, error: KafkaError, canonical_url: str, topic: str = "") -> None:
        super().__init__(f"{error.name()}: {error.str()} (request for {canonical_url})")
        self.error = error
        self.reason = error.name()  # e.g. _MSG_TIMED_OUT: short enough to group failures by
        self.missing_topic = TopicMissing(topic) if topic and error.code() in UNKNOWN_TOPIC_ERRORS else None


class PublisherClosed(RuntimeError):
    """A send after `close()` (a gateway shutting down)."""


class UnsentMessages(RuntimeError):
    """`close` gave up on messages the broker had not acknowledged; their futures failed."""


class Receipt(NamedTuple):  # a NamedTuple: made once per message on the poll thread, cheaply
    """Where an acknowledged request was written."""

    request_id: str
    url: str
    canonical_url: str
    topic: str
    partition: int
    offset: int


# A concurrent.futures.Future that resolves to a Receipt or raises DeliveryFailed.
Delivery = concurrent.futures.Future
Outcome = Receipt | DeliveryFailed


def build_request(
    url: str,
    *,
    priority: str = "NORMAL",
    render: str = "AUTO",
    kind: str = "PRODUCT",
    freshness_seconds: int = DEFAULT_FRESHNESS_SECONDS,
    requested_by: str = "",
    correlation_id: str | None = None,
    tags: Mapping[str, str] | None = None,
    created_at: datetime | None = None,
) -> Record:
    """A new ScrapeRequest record (fresh uuid4 request id, attempt 0).

    Enum fields accept any letter case. Raises InvalidURL (or BlockedURL from a guard upstream)
    for the URL and InvalidRequest naming the field for anything else.
    """
    if not isinstance(url, str):
        raise InvalidURL(f"url: expected a string, got {type(url).__name__}")
    canonical_url = canonicalize(url)
    return {
        "request_id": uuid.uuid4(),
        "url": url,
        "canonical_url": canonical_url,
        # = domain_of(canonical_url) for a canonical URL, without parsing it a second time
        "domain": urlsplit(canonical_url).netloc,
        "kind": _choice("kind", kind, PAGE_KINDS),
        "priority": _choice("priority", priority, PRIORITIES),
        "render": _choice("render", render, RENDER_MODES),
        "freshness_seconds": _freshness(freshness_seconds),
        "requested_by": _text("requested_by", requested_by),
        "attempt": 0,
        "created_at": created_at or utc_now_millis(),
        "correlation_id": None if correlation_id is None else _text("correlation_id", correlation_id),
        "tags": _tags(tags),
    }


def _choice(field: str, value: object, allowed: tuple[str, ...]) -> str:
    # ASCII only: str.upper() maps a few other letters onto ASCII ones (dotless i, long s).
    if isinstance(value, str) and value.isascii() and value.upper() in allowed:
        return value.upper()
    raise InvalidRequest(field, f"{value!r} is not one of {', '.join(allowed)}")


def _freshness(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidRequest("freshness_seconds", f"expected whole seconds, got {value!r}")
    if not 0 <= value <= MAX_FRESHNESS_SECONDS:
        raise InvalidRequest("freshness_seconds", f"{value} is outside 0-{MAX_FRESHNESS_SECONDS}")
    return value


def _text(field: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidRequest(field, f"expected a string, got {type(value).__name__}")
    if len(value) > MAX_TEXT_LENGTH:
        raise InvalidRequest(field, f"{len(value)} characters, longer than {MAX_TEXT_LENGTH}")
    return value


def _tags(tags: object) -> dict[str, str]:
    if tags is None:
        return {}
    if not isinstance(tags, Mapping):
        raise InvalidRequest("tags", f"expected an object of strings, got {type(tags).__name__}")
    if len(tags) > MAX_TAGS:
        raise InvalidRequest("tags", f"{len(tags)} tags, more than {MAX_TAGS}")
    for name, value in tags.items():
        _text("tags", name)
        _text(f"tags.{name}", value)
    return dict(tags)


def rejection_reason(error: ValueError) -> str:
    """The metric label for a refused request: blocked_url, invalid_url or invalid_field."""
    if isinstance(error, BlockedURL):
        return "blocked_url"
    return "invalid_url" if isinstance(error, InvalidURL) else "invalid_field"


class RequestPublisher:
    """Produces ScrapeRequests to `topic` (scrape.requests by default; tests pass a prefixed name).

    Use as a context manager, or call `close()`: it flushes and raises UnsentMessages if anything
    stayed unacknowledged. `producer_overrides` are librdkafka settings on top of
    scrapestream.kafka's defaults (idempotent, acks=all, lz4).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        topic: str = SCRAPE_REQUESTS,
        codec: Codec | None = None,
        **producer_overrides: Any,
    ) -> None:
        self.topic = topic
        self._codec = codec or Codec.for_settings(settings)
        self._make_producer = partial(make_producer, settings, **producer_overrides)
        self._producer = self._make_producer()
        self.topic_seen = False  # set once a broker listed the topic (see check_topic)
        self._topic_check_after = -math.inf
        self._closed = threading.Event()
        # asyncio outcomes waiting for the next wake-up of their event loop
        self._wakeups: defaultdict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future, Outcome]]]
        self._wakeups = defaultdict(list)
        self._wakeups_lock = threading.Lock()
        self._poller = threading.Thread(target=self._poll_until_closed, name="publisher-poll", daemon=True)
        self._poller.start()

    # -- sync API -------------------------------------------------------------------------
    def publish(self, url: str, **fields: Any) -> Delivery:
        """Build (see `build_request` for `fields`) and send one request; InvalidURL before sending."""
        return self.send(_counted_build(url, fields))

    def publish_many(self, urls: Iterable[str], **fields: Any) -> list[Delivery]:
        """Send one request per URL with the same fields; if any URL is invalid, nothing is sent."""
        records = [_counted_build(url, fields) for url in urls]
        return [self.send(record) for record in records]

    def send(self, record: Record) -> Delivery:
        """Produce a record made by `build_request`; blocks only while the local queue is full."""
        future: Delivery = concurrent.futures.Future()
        future.set_running_or_notify_cancel()  # cannot be cancelled: the message is on its way
        while not self._try_produce(record, partial(_settle, future)):
            time.sleep(QUEUE_FULL_PAUSE)
        return future

    # -- asyncio API ----------------------------------------------------------------------
    async def publish_async(self, url: str, **fields: Any) -> asyncio.Future[Receipt]:
        """Like `publish`; awaiting this enqueues, awaiting the returned future waits for the broker."""
        return await self.send_async(_counted_build(url, fields))

    async def send_async(self, record: Record) -> asyncio.Future[Receipt]:
        """Enqueue a record (yielding while the local queue is full); the future resolves on the ack."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Receipt] = loop.create_future()
        while not self._try_produce(record, partial(self._settle_later, loop, future)):
            await asyncio.sleep(QUEUE_FULL_PAUSE)
        return future

    # -- lifecycle ------------------------------------------------------------------------
    def flush(self, timeout: float = 30.0) -> int:
        """Wait until every message is acknowledged or failed; returns how many are still pending."""
        remaining = self._producer.flush(timeout)
        self._wake_event_loops()
        return remaining

    def close(self, timeout: float = 30.0) -> None:
        """Flush and stop. Messages still pending after `timeout` are purged (their futures fail
        with DeliveryFailed) and UnsentMessages is raised."""
        if self._closed.is_set():
            return
        self._closed.set()
        self._poller.join()
        remaining = self.flush(timeout)
        if remaining:
            self._producer.purge()
            self._producer.flush(1.0)  # runs the purged messages' delivery callbacks
            self._wake_event_loops()
            raise UnsentMessages(f"{remaining} request(s) not acknowledged by the broker within {timeout}s")

    def __enter__(self) -> RequestPublisher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def check_broker(self, timeout: float = 2.0) -> None:
        """Raise BrokerUnavailable unless a broker answers a metadata request and knows our topic."""
        try:
            topics = self._producer.list_topics(timeout=timeout).topics
        except KafkaException as error:
            raise BrokerUnavailable(f"no Kafka broker answers ({error.args[0].str()})") from None
        if self.topic not in topics:
            raise TopicMissing(self.topic)

    def check_topic(self, timeout: float = 2.0) -> None:
        """Raise TopicMissing when a broker answers and does not know our topic. Without this, the
        first message to a missing topic waits out message.timeout.ms before it fails. Once a
        broker listed the topic this returns at once (a send refused as `_UNKNOWN_TOPIC` still
        raises TopicMissing, and a failed delivery says so in `missing_topic`). A broker that
        does not answer is not reported here (sends wait for it as usual), and for TOPIC_RECHECK
        seconds afterwards the check is skipped, so an outage does not add `timeout` to every send."""
        if self.topic_seen or time.monotonic() < self._topic_check_after:
            return
        try:
            self.check_broker(timeout)
        except TopicMissing:
            raise
        except BrokerUnavailable:
            self._topic_check_after = time.monotonic() + TOPIC_RECHECK
            return
        self.topic_seen = True

    # -- internals ------------------------------------------------------------------------
    def _try_produce(self, record: Record, resolve: Callable[[Outcome], None]) -> bool:
        """Hand one record to librdkafka; False when its queue is full or it failed (try again shortly).
        TopicMissing when the cluster is known to have no such topic."""
        if self._closed.is_set():
            raise PublisherClosed("the publisher is closed")
        value = self._codec.encode("ScrapeRequest", record)
        on_delivery = partial(self._on_delivery, record, time.perf_counter(), resolve)
        try:
            self._producer.produce(
                self.topic, value, key=fingerprint(record["canonical_url"]), on_delivery=on_delivery
            )
        except BufferError:
            return False
        except KafkaException as error:
            code = error.args[0].code()
            if code == KafkaError._FATAL:
                return False  # the poll thread replaces the failed producer: try again shortly
            if code in UNKNOWN_TOPIC_ERRORS:
                raise TopicMissing(self.topic) from None
            raise
        return True

    def _on_delivery(
        self,
        record: Record,
        started: float,
        resolve: Callable[[Outcome], None],
        error: KafkaError | None,
        message: Message,
    ) -> None:
        if error is not None:
            metrics.PUBLISH_FAILURES.labels(error.name()).inc()
            resolve(DeliveryFailed(error, record["canonical_url"], self.topic))
            return
        metrics.PUBLISH_LATENCY.observe(time.perf_counter() - started)
        metrics.REQUESTS_PUBLISHED.labels(record["priority"]).inc()
        receipt = Receipt(
            str(record["request_id"]),
            record["url"],
            record["canonical_url"],
            message.topic(),
            message.partition(),
            message.offset(),
        )
        resolve(receipt)

    def _settle_later(
        self,
        loop: asyncio.AbstractEventLoop,
        future: asyncio.Future[Receipt],
        outcome: Outcome,
    ) -> None:
        """Delivery callback of an asyncio send: queue the outcome for the next `_wake_event_loops`."""
        with self._wakeups_lock:
            self._wakeups[loop].append((future, outcome))

    def _wake_event_loops(self) -> None:
        """Settle the queued asyncio outcomes, one call_soon_threadsafe per event loop."""
        with self._wakeups_lock:
            wakeups, self._wakeups = self._wakeups, defaultdict(list)
        for loop, settled in wakeups.items():
            try:
                loop.call_soon_threadsafe(_settle_all, settled)
            except RuntimeError:  # the loop was closed with requests in flight: nobody waits any more
                _log.warning("event loop closed before %d delivery report(s) arrived", len(settled))

    def _poll_until_closed(self) -> None:
        while not self._closed.is_set():
            try:
                self._producer.poll(_POLL_INTERVAL)
            except KafkaException as error:  # poll() raises a fatal error instead of reporting it
                self._replace_producer(error.args[0])
            self._wake_event_loops()

    def _replace_producer(self, error: KafkaError) -> None:
        """(poll thread) A producer that failed fatally sends nothing more: publish through a new
        one, and let the old one report its messages (the ones it purged fail with DeliveryFailed)."""
        _log.error("Kafka producer failed and is replaced: %s", error.str())
        failed, self._producer = self._producer, self._make_producer()
        if unreported := failed.flush(FAILED_PRODUCER_DRAIN):
            _log.error("%d request(s) of the failed producer were never reported", unreported)


def _counted_build(url: str, fields: dict[str, Any]) -> Record:
    """`build_request`, counting refusals in the rejected-requests metric."""
    try:
        return build_request(url, **fields)
    except (InvalidURL, InvalidRequest) as error:
        metrics.REQUESTS_REJECTED.labels(rejection_reason(error)).inc()
        raise


def _settle(future: Delivery | asyncio.Future[Receipt], outcome: Outcome) -> None:
    if future.done():  # an asyncio caller cancelled its wait; the message was still written or failed
        return
    if isinstance(outcome, DeliveryFailed):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


def _settle_all(settled: list[tuple[asyncio.Future[Receipt], Outcome]]) -> None:
    for future, outcome in settled:
        _settle(future, outcome)
