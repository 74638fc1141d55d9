"""`scrapestream dlq list|replay` on real Kafka: letters decoded, original bytes and keys replayed."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from schemas.codec import Codec
from schemas.records import dead_letter
from scrapestream.config import Settings
from scrapestream.kafka import make_producer
from scrapestream.topics import TopicNames
from tests.integration.pipeline import prefix_of, private_topics
from tests.integration.request_topics import message_count, read_messages

pytestmark = pytest.mark.integration
CODEC = Codec()


def _letter(source: str, offset: int, key: bytes, payload: bytes, reason: str, age: timedelta) -> bytes:
    record = dead_letter(
        topic=source, partition=2, offset=offset, key=key, payload=payload,
        error_type=reason, error_message=f"{reason}: detail",
    )  # fmt: skip
    return CODEC.encode("DeadLetter", {**record, "failed_at": datetime.now(UTC) - age})


def _dlq(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scrapestream.cli", "dlq", *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def names(stack: Settings) -> Iterator[TopicNames]:
    with private_topics(stack) as names:
        producer = make_producer(stack)
        for key, value in (
            (
                b"old",
                _letter(names.requests, 7, b"old", b"old bytes", "unknown fingerprint", timedelta(days=2)),
            ),
            (b"new", _letter(names.requests, 9, b"new", b"\xc3\x01new", "unknown fingerprint", timedelta(0))),
            (b"row", _letter(names.results, 3, b"row", b"result bytes", "store rejected", timedelta(0))),
        ):
            producer.produce(names.dlq, value, key)
        assert producer.flush(30) == 0
        yield names


def test_list_decodes_every_letter_and_counts_them_by_source_and_reason(names: TopicNames) -> None:
    listing = _dlq("list", "--limit", "2", "--topic-prefix", prefix_of(names))
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    shown = [line for line in lines[1:] if "@" in line and "dead letter" not in line]
    assert len(shown) == 2
    assert f"{names.requests}[2]@7" in shown[0] and "unknown fingerprint" in shown[0]  # the oldest first
    assert f"3 dead letter(s) on {names.dlq}, 2 shown" in lines
    assert f"        2  {names.requests}  unknown fingerprint" in lines
    assert f"        1  {names.results}  store rejected" in lines


def test_replay_sends_the_selected_original_bytes_with_their_keys_to_the_source_topic(
    stack: Settings, names: TopicNames
) -> None:
    replay = _dlq(
        "replay", "--reason", "unknown fingerprint", "--since", "1h", "--topic-prefix", prefix_of(names)
    )
    assert replay.returncode == 0, replay.stderr
    assert f"replayed 1 message(s) to {names.requests}" in replay.stdout
    assert message_count(stack, names.requests) == 1  # the old letter failed two days ago
    [message] = read_messages(stack, names.requests, 1)
    assert (message.key(), message.value()) == (b"new", b"\xc3\x01new")
    assert message_count(stack, names.results) == 0  # another reason: left alone


def test_a_bad_since_is_refused_naming_the_flag(names: TopicNames) -> None:
    replay = _dlq("replay", "--since", "last week", "--topic-prefix", prefix_of(names))
    assert replay.returncode == 2
    assert "--since: 'last week' is neither" in replay.stderr
