"""Subscriptions to product updates: the read end of product.updates.

    with subscribe(settings, domains=["shop.example"], changes=["PRICE"]) as updates:
        for update in updates:              # decoded ProductUpdate records that pass the filters
            handle(update)
            save(updates.positions)         # {partition: next offset}; pass back as start= to resume

It lives in consumers/ with the scrapers and sinks: everything that reads the pipeline's topics.

A subscription reads with `assign`, not as a consumer-group member: every subscriber must see
every matching update (a group would share them out), and its positions belong to the caller,
who saves them wherever it likes, instead of being committed to the broker. Starting points:
"latest" (updates from now on), "earliest", a datetime (the first update the broker stored at or
after it) or saved positions. Positions are exact from the start ("latest" is resolved to the
high watermarks when subscribing), so saving them right away and resuming misses nothing.

Filters combine with AND; within one filter any listed value matches (an update with several
change kinds matches if any is listed). An undecodable message is logged and skipped: a
subscriber must not die on one bad message.

`follow=False` stops at the end of the topic as it was when subscribing (for "print what
happened since TIME"); `poll` is the non-blocking form the gateway's shared stream uses.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from confluent_kafka import KafkaError, KafkaException, Message, TopicPartition

from consumers.extract.price import exponent
from schemas.codec import Codec, CodecError
from scrapestream.config import Settings
from scrapestream.kafka import BrokerUnavailable, make_consumer
from scrapestream.topics import PRODUCT_UPDATES

CHANGE_KINDS = ("NEW", "PRICE", "AVAILABILITY", "CONTENT")
POLL_TIMEOUT = 0.5  # seconds one poll waits for messages
POLL_BATCH = 500  # messages taken from the client per poll
METADATA_TIMEOUT = 10.0
# Not flagged retriable by the client, but passing: a new topic's partitions are electing leaders.
LEADERSHIP_ERRORS = {KafkaError.NOT_LEADER_FOR_PARTITION, KafkaError.LEADER_NOT_AVAILABLE}

Start = str | datetime | Mapping[int, int]
T = TypeVar("T")
_log = logging.getLogger(__name__)


class InvalidSubscription(ValueError):
    """A filter or starting point is unacceptable; the message names it."""


@dataclass(frozen=True)
class UpdateFilter:
    """Which updates a subscriber wants; an empty set means any value."""

    domains: frozenset[str] = frozenset()
    product_ids: frozenset[str] = frozenset()
    changes: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls,
        domains: Iterable[str] | None = None,
        product_ids: Iterable[str] | None = None,
        changes: Iterable[str] | None = None,
    ) -> UpdateFilter:
        """A filter from caller input: domains lower-cased, change kinds in any letter case."""
        kinds = frozenset(kind.strip().upper() for kind in changes or ())
        unknown = sorted(kinds - set(CHANGE_KINDS))
        if unknown:
            raise InvalidSubscription(f"changes: {unknown[0]!r} is not one of {', '.join(CHANGE_KINDS)}")
        return cls(
            frozenset(domain.strip().lower() for domain in domains or () if domain.strip()),
            frozenset(product_id.strip() for product_id in product_ids or () if product_id.strip()),
            kinds,
        )

    def matches(self, update: Mapping[str, Any]) -> bool:
        return (
            (not self.domains or update["domain"] in self.domains)
            and (not self.product_ids or update["product_id"] in self.product_ids)
            and (not self.changes or not self.changes.isdisjoint(update["changes"]))
        )


class Subscription:
    """Filtered ProductUpdates of one topic from a starting point; iterate, or call `poll`."""

    def __init__(
        self,
        settings: Settings,
        update_filter: UpdateFilter,
        start: Start = "latest",
        *,
        topic: str = PRODUCT_UPDATES,
        follow: bool = True,
        codec: Codec | None = None,
    ) -> None:
        self.topic = topic
        self.filter = update_filter
        self._follow = follow
        self._codec = codec or Codec.for_settings(settings)
        # The group id is required by the client but never used: nothing is committed, nothing joins.
        self._consumer = make_consumer(settings, f"scrapestream-subscriber-{uuid.uuid4().hex[:12]}")
        try:
            partitions = self._partitions()
            self._end = {p: self._watermarks(p)[1] for p in partitions}
            self._positions = self._start_offsets(partitions, start)
            self._consumer.assign([TopicPartition(topic, p, offset) for p, offset in self._positions.items()])
        except BaseException:
            self._consumer.close()
            raise

    @property
    def positions(self) -> dict[int, int]:
        """Partition -> offset of the next message to read: save it and pass it as `start` to resume."""
        return dict(self._positions)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        while self._follow or not self.caught_up():
            for message in self._consume(POLL_TIMEOUT):
                update = self._accept(message)
                if update is not None:
                    yield update

    def poll(self, timeout: float = POLL_TIMEOUT, max_messages: int = POLL_BATCH) -> list[dict[str, Any]]:
        """The matching updates among at most `max_messages` that arrive within `timeout` seconds."""
        return [
            update
            for message in self._consume(timeout, max_messages)
            if (update := self._accept(message)) is not None
        ]

    def caught_up(self) -> bool:
        """Whether every partition has been read up to where it ended when subscribing."""
        return all(self._positions[p] >= end for p, end in self._end.items())

    def close(self) -> None:
        self._consumer.close()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- internals ----------------------------------------------------------------------------
    def _partitions(self) -> list[int]:
        def ask() -> list[int]:
            metadata = self._consumer.list_topics(self.topic, timeout=METADATA_TIMEOUT).topics.get(self.topic)
            if metadata is None or not metadata.partitions:
                raise BrokerUnavailable(f"topic {self.topic} does not exist or has no partitions")
            if metadata.error is not None:
                raise KafkaException(metadata.error)
            return sorted(metadata.partitions)

        return _retrying_transient(ask)

    def _watermarks(self, partition: int) -> tuple[int, int]:
        tp = TopicPartition(self.topic, partition)
        return _retrying_transient(lambda: self._consumer.get_watermark_offsets(tp, timeout=METADATA_TIMEOUT))

    def _start_offsets(self, partitions: list[int], start: Start) -> dict[int, int]:
        if start == "latest":
            return dict(self._end)
        if start == "earliest":
            return {p: self._watermarks(p)[0] for p in partitions}
        if isinstance(start, datetime):
            return self._offsets_at(partitions, start)
        if isinstance(start, Mapping):
            # A partition the saved positions do not know (added since) is read from its beginning.
            return {p: int(start[p]) if p in start else self._watermarks(p)[0] for p in partitions}
        raise InvalidSubscription(
            f"start: expected 'latest', 'earliest', a datetime or positions, got {start!r}"
        )

    def _offsets_at(self, partitions: list[int], moment: datetime) -> dict[int, int]:
        if moment.tzinfo is None:
            raise InvalidSubscription("start: give an aware datetime (with a time zone)")
        millis = int(moment.timestamp() * 1000)
        wanted = [TopicPartition(self.topic, p, millis) for p in partitions]
        found = self._consumer.offsets_for_times(wanted, timeout=METADATA_TIMEOUT)
        # -1: nothing stored at or after that time yet, so start at the end.
        return {tp.partition: tp.offset if tp.offset >= 0 else self._end[tp.partition] for tp in found}

    def _consume(self, timeout: float, max_messages: int = POLL_BATCH) -> list[Message]:
        return self._consumer.consume(max_messages, timeout)

    def _accept(self, message: Message) -> dict[str, Any] | None:
        """The decoded update if it passes the filter; advances the position either way."""
        if message.error() is not None:
            _log.warning("reading %s: %s", self.topic, message.error())
            return None
        self._positions[message.partition()] = message.offset() + 1
        try:
            update = self._codec.decode("ProductUpdate", message.value())
        except CodecError as error:
            _log.warning("skipping %s[%d]@%d: %s", self.topic, message.partition(), message.offset(), error)
            return None
        return update if self.filter.matches(update) else None


def _retrying_transient(ask: Callable[[], T]) -> T:
    """`ask()`, asked again while the error is transient (retriable, or a leader election)."""
    deadline = time.monotonic() + METADATA_TIMEOUT
    while True:
        try:
            return ask()
        except KafkaException as error:
            transient = error.args[0].retriable() or error.args[0].code() in LEADERSHIP_ERRORS
            if not transient or time.monotonic() > deadline:
                raise BrokerUnavailable(error.args[0].str()) from None
            time.sleep(0.2)


def subscribe(
    settings: Settings,
    *,
    domains: Iterable[str] | None = None,
    product_ids: Iterable[str] | None = None,
    changes: Iterable[str] | None = None,
    start: Start = "latest",
    follow: bool = True,
    topic: str = PRODUCT_UPDATES,
) -> Subscription:
    """A subscription to the ProductUpdates that match every given filter (see the module docstring)."""
    return Subscription(
        settings, UpdateFilter.of(domains, product_ids, changes), start, topic=topic, follow=follow
    )


def format_update(update: Mapping[str, Any]) -> str:
    """One human line: time, product, version, changes and what they changed to."""
    parts = [
        update["updated_at"].strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        update["product_id"],
        f"v{update['version']}",
        ",".join(update["changes"]),
    ]
    if update["old_price"] != update["new_price"]:
        parts.append(f"price {format_money(update['old_price'])} -> {format_money(update['new_price'])}")
    if update["old_availability"] != update["new_availability"]:
        parts.append(f"stock {update['old_availability'] or '-'} -> {update['new_availability']}")
    return " ".join(parts)


def format_money(money: Mapping[str, Any] | None) -> str:
    if money is None:
        return "-"
    currency = money["currency"]  # None: the page did not tell; the amount is then in hundredths
    amount = Decimal(money["amount_minor"]).scaleb(-exponent(currency))
    return f"{amount} {currency}" if currency else f"{amount} (currency unknown)"


def update_to_json(update: Mapping[str, Any]) -> dict[str, Any]:
    """The update as JSON-ready values (updated_at as ISO 8601 UTC): for --json and /v1/updates."""
    return {**update, "updated_at": update["updated_at"].isoformat().replace("+00:00", "Z")}
