"""`scrapestream dlq list|replay`: look into the dead-letter topic and send its messages back.

Every stage that gives up on a message writes a DeadLetter (scrapestream/deadletter.py) holding
the original key and value bytes, where they came from and why. `list` decodes them; `replay`
produces the original bytes with the original key to the original topic, so the message is
processed again by the stage that refused it (after the bug or the schema that broke it is
fixed). Replaying is safe to repeat: requests are deduplicated downstream and the sinks are
idempotent. A message that still fails simply comes back to the dead-letter topic.

Both read the topic from its beginning up to its end at the time of the call, through a consumer
that joins no group and commits nothing.
"""

from __future__ import annotations

import heapq
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, KafkaError, KafkaException, TopicPartition

from schemas.codec import Codec, CodecError
from scrapestream.config import Settings
from scrapestream.kafka import BrokerUnavailable, make_consumer, make_producer, watermarks
from scrapestream.topics import SCRAPE_DLQ

TIMEOUT = 10.0
_DURATION = re.compile(r"(?P<amount>\d+)(?P<unit>[smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


class DlqError(ValueError):
    """A bad argument of a dlq command; the message names it."""


@dataclass(frozen=True)
class Letter:
    """One DeadLetter and where it sits on the dead-letter topic."""

    partition: int
    offset: int
    record: dict[str, Any]

    @property
    def source(self) -> str:
        record = self.record
        return f"{record['source_topic']}[{record['source_partition']}]@{record['source_offset']}"


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """A point in time: ISO 8601 (`2025-01-31T12:00:00Z`; no zone means UTC) or an age (`90m`, `2h`, `1d`)."""
    relative = _DURATION.fullmatch(text.strip())
    if relative:
        amount = timedelta(**{_UNITS[relative["unit"]]: int(relative["amount"])})
        return (now or datetime.now(UTC)) - amount
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise DlqError(
            f"--since: {text!r} is neither an ISO 8601 time (2025-01-31T12:00:00Z) nor an age (30m, 2h, 1d)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def read_letters(settings: Settings, topic: str, codec: Codec) -> Iterator[Letter | CodecError]:
    """Every record of the dead-letter topic up to its current end; a CodecError for one that does not decode.

    Stops early if nothing arrives for TIMEOUT seconds (offsets left unused by the broker).
    """
    consumer = make_consumer(settings, "scrapestream-dlq-reader")
    try:
        positions, ends = _offset_range(consumer, topic)
        consumer.assign([TopicPartition(topic, partition, OFFSET_BEGINNING) for partition in ends])
        idle_since = time.monotonic()
        while any(positions[p] < ends[p] for p in ends) and time.monotonic() - idle_since < TIMEOUT:
            for message in consumer.consume(500, 1.0):
                if message.error() is not None:
                    if message.error().code() != KafkaError._PARTITION_EOF:
                        raise KafkaException(message.error())
                    continue
                idle_since = time.monotonic()
                positions[message.partition()] = message.offset() + 1
                try:
                    yield Letter(
                        message.partition(), message.offset(), codec.decode("DeadLetter", message.value())
                    )
                except CodecError as error:
                    yield error
    finally:
        consumer.close()


def _offset_range(consumer: Any, topic: str) -> tuple[dict[int, int], dict[int, int]]:
    """(first offset, end offset) of every partition of `topic`."""
    try:
        metadata = consumer.list_topics(topic, timeout=TIMEOUT).topics[topic]
    except KafkaException as error:
        raise BrokerUnavailable.because(error) from None
    if metadata.error is not None:
        raise DlqError(f"topic {topic}: {metadata.error.str()} (run `scrapestream topics create`)")
    offsets = {
        partition: watermarks(consumer, topic, partition, TIMEOUT) for partition in metadata.partitions
    }
    return (
        {partition: low for partition, (low, _) in offsets.items()},
        {partition: high for partition, (_, high) in offsets.items()},
    )


def select(
    letters: Iterator[Letter | CodecError], reason: str | None, since: datetime | None
) -> list[Letter]:
    """The letters with error_type `reason` (any when None) that failed at or after `since`."""
    return [
        letter
        for letter in letters
        if isinstance(letter, Letter)
        and (reason is None or letter.record["error_type"] == reason)
        and (since is None or letter.record["failed_at"] >= since)
    ]


def replay(settings: Settings, letters: list[Letter]) -> Counter[str]:
    """Produce each letter's original key and payload to its source topic; counts per topic.

    Waits until the broker acknowledged every message; raises KafkaException naming the first
    that failed. Tombstones (no payload) are not replayed.
    """
    producer = make_producer(settings)
    failures: list[KafkaError] = []
    replayed: Counter[str] = Counter()
    for letter in letters:
        record = letter.record
        if record["payload"] is None:
            continue
        producer.produce(
            record["source_topic"],
            record["payload"],
            record["key"],
            on_delivery=lambda error, _message: failures.append(error) if error else None,
        )
        producer.poll(0)
        replayed[record["source_topic"]] += 1
    left = producer.flush(30)
    if failures or left:
        raise KafkaException(failures[0] if failures else KafkaError(KafkaError._MSG_TIMED_OUT))
    return replayed


# -- command line ---------------------------------------------------------------------------
def run_command(action: str, settings: Settings, *, prefix: str = "", **options: Any) -> int:
    """Run `scrapestream dlq list|replay`: exit 2 on a bad argument, 1 when Kafka fails us."""
    commands = {"list": _print_list, "replay": _replay_and_print}
    try:
        return commands[action](settings, prefix + SCRAPE_DLQ, **options)
    except DlqError as error:
        print(f"scrapestream dlq {action}: {error}", file=sys.stderr)
        return 2
    except (BrokerUnavailable, KafkaException) as error:
        print(f"scrapestream dlq {action}: {error}", file=sys.stderr)
        return 1


def _print_list(settings: Settings, topic: str, *, limit: int) -> int:
    """The `limit` oldest dead letters, then how many there are per source topic and reason."""
    totals: Counter[tuple[str, str]] = Counter()
    undecodable = 0

    def counted(letters: Iterator[Letter | CodecError]) -> Iterator[Letter]:
        nonlocal undecodable
        for letter in letters:
            if isinstance(letter, CodecError):
                undecodable += 1
                continue
            totals[(letter.record["source_topic"], letter.record["error_type"])] += 1
            yield letter

    letters = read_letters(settings, topic, Codec.for_settings(settings))
    oldest = heapq.nsmallest(limit, counted(letters), key=lambda letter: letter.record["failed_at"])
    print(f"{'dlq partition:offset':<22}{'failed at (UTC)':<25}{'source topic[partition]@offset':<48}reason")
    for letter in oldest:
        record = letter.record
        failed_at = record["failed_at"].strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        print(
            f"{f'{letter.partition}:{letter.offset}':<22}{failed_at:<25}{letter.source:<48}"
            f"{record['error_type']}: {record['error_message'][:120]}"
        )
    print(f"{sum(totals.values())} dead letter(s) on {topic}, {len(oldest)} shown")
    for (source, reason), count in sorted(totals.items()):
        print(f"  {count:>7}  {source}  {reason}")
    if undecodable:
        print(f"  {undecodable:>7}  records that are not DeadLetters (skipped)")
    return 0


def _replay_and_print(settings: Settings, topic: str, *, reason: str | None, since: str | None) -> int:
    """Replay the selected dead letters to their source topics."""
    moment = parse_since(since) if since else None
    letters = select(read_letters(settings, topic, Codec.for_settings(settings)), reason, moment)
    replayed = replay(settings, letters)
    for source, count in sorted(replayed.items()):
        print(f"replayed {count} message(s) to {source}")
    print(f"{sum(replayed.values())} of {len(letters)} selected dead letter(s) replayed")
    return 0
