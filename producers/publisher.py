"""Publish ScrapeRequests to scrape.requests: the one way requests enter the pipeline.

`build_request` turns caller input into a validated ScrapeRequest record (pure; the gateway and
tests use it directly). `RequestPublisher` encodes records with the project codec and produces
them keyed by the canonical URL's fingerprint, so one URL always lands on one partition (dedup
downstream is per key).

Threading: one scrapestream.kafka.ProducerCore per publisher: a confluent-kafka Producer and
one daemon thread that polls it. Delivery callbacks run on that thread (or in `flush`/`close`):
sync `ReceiptFuture`s are settled there directly. Asyncio futures are collected and settled by
one `loop.call_soon_threadsafe` per event loop and poll round, so the event loop never blocks on
Kafka and is woken once per batch of acknowledgements rather than once per message (that wake-up
is a syscall; per message it halved the gateway's throughput). When librdkafka's local queue is
full, `send` sleeps and `send_async` awaits until the poller has drained some of it:
backpressure, never a dropped message. An idempotent producer that fails fatally (it then sends
nothing more) is replaced; the requests it lost fail with DeliveryFailed.

Nothing is fire-and-forget: every future resolves to a `Receipt` once the broker acknowledged
the message (acks=all, idempotent producer), or raises `DeliveryFailed` naming the Kafka error.
A topic that does not exist on the cluster is `TopicMissing` (a BrokerUnavailable whose message
names the topic and `scrapestream topics create`), whether librdkafka refuses the message at once
or reports it undeliverable later (the failed delivery's `missing_topic` then says so).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from functools import partial
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from confluent_kafka import KafkaError, KafkaException, Message

from schemas import records
from schemas.codec import Codec
from scrapestream import metrics
from scrapestream.config import Settings
from scrapestream.kafka import (
    BROKER_PROBE_TIMEOUT,
    BrokerUnavailable,
    DeliveryFailed,
    ProducerClosed,
    ProducerCore,
    make_producer,
)
from scrapestream.topics import CACHE_INVALIDATION, PRODUCT_UPDATES, SCRAPE_REQUESTS
from scrapestream.urls import BlockedURL, InvalidURL, canonicalize, fingerprint

DEFAULT_FRESHNESS_SECONDS = 86_400  # the schema's default
MAX_FRESHNESS_SECONDS = 2**31 - 1  # an Avro int
MAX_TEXT_LENGTH = 256  # requested_by, correlation_id, tag names and values
MAX_TAGS = 32
TOPIC_RECHECK = 5.0  # seconds check_topic stays quiet after no broker answered it

Record = dict[str, Any]


class InvalidRequestField(ValueError):
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


def request_failed(error: KafkaError, canonical_url: str, topic: str) -> DeliveryFailed:
    """The DeliveryFailed of a request the broker did not acknowledge: it names the URL, and its
    `missing_topic` is the TopicMissing the failure means when `topic` does not exist, else None."""
    missing = TopicMissing(topic) if topic and error.code() in UNKNOWN_TOPIC_ERRORS else None
    return DeliveryFailed(error, f"request for {canonical_url}", missing)


PublisherClosed = ProducerClosed  # a send after `close()` (a gateway shutting down)


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
ReceiptFuture = concurrent.futures.Future
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
    for the URL and InvalidRequestField naming the field for anything else.
    """
    if not isinstance(url, str):
        raise InvalidURL(f"url: expected a string, got {type(url).__name__}")
    canonical_url = canonicalize(url)
    return records.scrape_request(
        url,
        canonical_url,
        # = domain_of(canonical_url) for a canonical URL, without parsing it a second time
        urlsplit(canonical_url).netloc,
        kind=_choice("kind", kind, records.PAGE_KINDS),
        priority=_choice("priority", priority, records.PRIORITIES),
        render=_choice("render", render, records.RENDER_MODES),
        freshness_seconds=_freshness(freshness_seconds),
        requested_by=_text("requested_by", requested_by),
        correlation_id=None if correlation_id is None else _text("correlation_id", correlation_id),
        tags=_tags(tags),
        created_at=created_at,
    )


def _choice(field: str, value: object, allowed: tuple[str, ...]) -> str:
    # ASCII only: str.upper() maps a few other letters onto ASCII ones (dotless i, long s).
    if isinstance(value, str) and value.isascii() and value.upper() in allowed:
        return value.upper()
    raise InvalidRequestField(field, f"{value!r} is not one of {', '.join(allowed)}")


def _freshness(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidRequestField("freshness_seconds", f"expected whole seconds, got {value!r}")
    if not 0 <= value <= MAX_FRESHNESS_SECONDS:
        raise InvalidRequestField("freshness_seconds", f"{value} is outside 0-{MAX_FRESHNESS_SECONDS}")
    return value


def _text(field: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidRequestField(field, f"expected a string, got {type(value).__name__}")
    if len(value) > MAX_TEXT_LENGTH:
        raise InvalidRequestField(field, f"{len(value)} characters, longer than {MAX_TEXT_LENGTH}")
    return value


def _tags(tags: object) -> dict[str, str]:
    if tags is None:
        return {}
    if not isinstance(tags, Mapping):
        raise InvalidRequestField("tags", f"expected an object of strings, got {type(tags).__name__}")
    if len(tags) > MAX_TAGS:
        raise InvalidRequestField("tags", f"{len(tags)} tags, more than {MAX_TAGS}")
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
        self._producer = ProducerCore(partial(make_producer, settings, **producer_overrides))
        self.topic_seen = False  # set once a broker listed the topic (see check_topic)
        self._topic_check_after = -math.inf

    # -- sync API -------------------------------------------------------------------------
    def publish(self, url: str, **fields: Any) -> ReceiptFuture:
        """Build (see `build_request` for `fields`) and send one request; InvalidURL before sending."""
        return self.send(_counted_build(url, fields))

    def publish_many(self, urls: Iterable[str], **fields: Any) -> list[ReceiptFuture]:
        """Send one request per URL with the same fields; if any URL is invalid, nothing is sent."""
        records = [_counted_build(url, fields) for url in urls]
        return [self.send(record) for record in records]

    def send(self, record: Record) -> ReceiptFuture:
        """Produce a record made by `build_request`; blocks only while the local queue is full."""
        future: ReceiptFuture = concurrent.futures.Future()
        future.set_running_or_notify_cancel()  # cannot be cancelled: the message is on its way
        with self._refused_topic():
            self._producer.produce_waiting(*self._message(record, partial(_settle, future)))
        return future

    # -- asyncio API ----------------------------------------------------------------------
    async def publish_async(self, url: str, **fields: Any) -> asyncio.Future[Receipt]:
        """Like `publish`; awaiting this enqueues, awaiting the returned future waits for the broker."""
        return await self.send_async(_counted_build(url, fields))

    async def send_async(self, record: Record) -> asyncio.Future[Receipt]:
        """Enqueue a record (yielding while the local queue is full); the future resolves on the ack."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Receipt] = loop.create_future()
        settle_on_the_loop = partial(self._producer.call_soon, loop, _settle, future)
        with self._refused_topic():
            await self._producer.produce_async(*self._message(record, settle_on_the_loop))
        return future

    # -- lifecycle ------------------------------------------------------------------------
    def flush(self, timeout: float = 30.0) -> int:
        """Wait until every message is acknowledged or failed; returns how many are still pending."""
        return self._producer.flush(timeout)

    def close(self, timeout: float = 30.0) -> None:
        """Flush and stop. Messages still pending after `timeout` are purged (their futures fail
        with DeliveryFailed) and UnsentMessages is raised."""
        if self._producer.closed:
            return
        remaining = self._producer.close(timeout)
        if remaining:
            self._producer.purge()
            raise UnsentMessages(f"{remaining} request(s) not acknowledged by the broker within {timeout}s")

    def __enter__(self) -> RequestPublisher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def check_broker(self, timeout: float = BROKER_PROBE_TIMEOUT) -> None:
        """Raise BrokerUnavailable unless a broker answers a metadata request and knows our topic."""
        try:
            topics = self._producer.client.list_topics(timeout=timeout).topics
        except KafkaException as error:
            raise BrokerUnavailable.because(error) from None
        if self.topic not in topics:
            raise TopicMissing(self.topic)

    def check_topic(self, timeout: float = BROKER_PROBE_TIMEOUT) -> None:
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
    def _message(
        self, record: Record, resolve: Callable[[Outcome], None]
    ) -> tuple[str, str, bytes, Callable[[KafkaError | None, Message], None]]:
        """(topic, key, value, delivery callback) of a record; `resolve` gets a Receipt or DeliveryFailed."""
        value = self._codec.encode("ScrapeRequest", record)
        on_delivery = partial(self._on_delivery, record, time.perf_counter(), resolve)
        return self.topic, fingerprint(record["canonical_url"]), value, on_delivery

    @contextmanager
    def _refused_topic(self) -> Iterator[None]:
        """TopicMissing when librdkafka refuses a message because the cluster has no such topic."""
        try:
            yield
        except KafkaException as error:
            if error.args[0].code() in UNKNOWN_TOPIC_ERRORS:
                raise TopicMissing(self.topic) from None
            raise

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
            resolve(request_failed(error, record["canonical_url"], self.topic))
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


def _counted_build(url: str, fields: dict[str, Any]) -> Record:
    """`build_request`, counting refusals in the rejected-requests metric."""
    try:
        return build_request(url, **fields)
    except (InvalidURL, InvalidRequestField) as error:
        metrics.REQUESTS_REJECTED.labels(rejection_reason(error)).inc()
        raise


def _settle(future: ReceiptFuture | asyncio.Future[Receipt], outcome: Outcome) -> None:
    if future.done():  # an asyncio caller cancelled its wait; the message was still written or failed
        return
    if isinstance(outcome, DeliveryFailed):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)
