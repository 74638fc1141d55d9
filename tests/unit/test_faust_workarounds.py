"""Each Faust workaround of streams/faust_workarounds.py does what it is there for, on the Faust
version it was written against: the consumer commits only offsets the current generation has
processed and reads again the records Faust would drop or deliver out of position around a
rebalance; acks reach Faust in offset order per partition; the changelog flush waits for all of it."""

from __future__ import annotations

import asyncio
import dataclasses
import importlib.metadata
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from faust.transport.consumer import ConsumerMessage
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP

from scrapestream.config import Settings
from streams.app import make_app
from streams.faust_workarounds import WRITTEN_AGAINST, GenerationSafeConsumer, OrderedAcks, flush_changelog
from tests.unit.stream_fakes import FakeMessage

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
REQUESTS = TP("requests", 0)
CHANGELOG = TP("dedup-changelog", 3)


def test_written_against_the_faust_version_that_is_pinned_and_installed() -> None:
    # Before moving the pin, check every workaround again and then this version.
    assert WRITTEN_AGAINST in tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    name, version = WRITTEN_AGAINST.split("==")
    assert importlib.metadata.version(name) == version


@pytest.fixture
def consumer(tmp_path: Path) -> GenerationSafeConsumer:
    app = make_app(dataclasses.replace(Settings(), data_dir=tmp_path), "consumer-test")
    app.topics.acks_enabled_for = lambda topic: True  # as for an agent's input topic
    app.consumer_generation_id = 7
    app.flow_control.resume()  # events flow, as between rebalances
    assert isinstance(app.consumer, GenerationSafeConsumer)
    return app.consumer


def message(offset: int, generation_id: int) -> ConsumerMessage:
    return ConsumerMessage(
        REQUESTS.topic,
        REQUESTS.partition,
        offset,
        0.0,
        0,
        [],
        b"k",
        b"v",
        None,
        tp=REQUESTS,
        generation_id=generation_id,
    )


def test_an_event_fetched_before_the_rebalance_does_not_count_as_done(
    consumer: GenerationSafeConsumer,
) -> None:
    # Faust's streams ack the stale events they skip after a rebalance.
    assert message(5, generation_id=6).ack(consumer) is False
    assert message(6, generation_id=7).ack(consumer) is True
    assert consumer._acked[REQUESTS] == [6]


def test_an_event_skipped_while_the_flow_is_suspended_does_not_count_as_done(
    consumer: GenerationSafeConsumer,
) -> None:
    # A rebalance or a shutdown is under way: Faust's streams ack the events they skip, and it
    # commits on the way out.
    consumer.app.flow_control.suspend()
    assert message(6, generation_id=7).ack(consumer) is False
    consumer.app.flow_control.resume()
    assert message(7, generation_id=7).ack(consumer) is True
    assert consumer._acked[REQUESTS] == [7]


def test_acks_of_the_ending_generation_are_dropped_on_assignment(
    consumer: GenerationSafeConsumer, monkeypatch: pytest.MonkeyPatch
) -> None:
    assigned: list[Any] = []

    async def faust_assignment(self: Any, tps: set[TP], generation_id: int = 0) -> None:
        assigned.append((tps, generation_id))

    monkeypatch.setattr(faust_aiokafka.Consumer, "on_partitions_assigned", faust_assignment)
    message(40, generation_id=7).ack(consumer)  # left from the generation that ends
    asyncio.run(consumer.on_partitions_assigned({REQUESTS}, 8))
    assert not consumer._acked[REQUESTS] and not consumer._acked_index[REQUESTS]
    assert assigned == [({REQUESTS}, 8)]


class FetchedWhileStopping:
    """Faust's fetch returning changelog records 10-14 (its position now 15), the flow stopping or a
    seek overlapping it if the test says so."""

    def __init__(self, consumer: GenerationSafeConsumer, monkeypatch: pytest.MonkeyPatch) -> None:
        self.position = 15
        self.seeks: list[tuple[TP, int]] = []
        self.records = {CHANGELOG: [SimpleNamespace(offset=offset) for offset in range(10, 15)]}
        self.events: list[str] = []
        self.seek_during_fetch = False
        self.committed_offsets_answered = asyncio.Event()

        async def faust_fetch(consumer: Any, timeout: float) -> tuple[Any, set[TP]]:
            if self.seek_during_fetch:  # table recovery seeking meanwhile, for instance
                await consumer.perform_seek()
            self.events.append("fetched")
            return self.records, {CHANGELOG}

        async def faust_perform_seek(consumer: Any) -> None:
            self.events.append("seek begun")
            await self.committed_offsets_answered.wait()
            self.events.append("seek ended")

        async def faust_seek_wait(consumer: Any, partitions: dict[TP, int]) -> None:
            self.events.append("rewound")
            self.seeks.extend(partitions.items())

        async def position(tp: TP) -> int:
            return self.position

        monkeypatch.setattr(faust_aiokafka.Consumer, "_wait_next_records", faust_fetch)
        monkeypatch.setattr(faust_aiokafka.Consumer, "seek_wait", faust_seek_wait)
        monkeypatch.setattr(faust_aiokafka.Consumer, "perform_seek", faust_perform_seek)
        monkeypatch.setattr(consumer, "assignment", lambda: {CHANGELOG})
        monkeypatch.setattr(consumer, "position", position)


@pytest.fixture
def fetch(consumer: GenerationSafeConsumer, monkeypatch: pytest.MonkeyPatch) -> FetchedWhileStopping:
    return FetchedWhileStopping(consumer, monkeypatch)


@pytest.mark.parametrize("cause", ["flow stopped", "seek overlapped"])
def test_records_fetched_around_a_rebalance_are_read_again(
    consumer: GenerationSafeConsumer, fetch: FetchedWhileStopping, cause: str
) -> None:
    # Flow stopped: Faust drops them, and rewinds only partitions with a committed offset, so a
    # changelog partition would stay past records that table recovery then waits for in vain.
    # Seek overlapped: some may be from before the seek; delivered, Faust would see the offsets
    # jump and count the skipped ones as done.
    if cause == "flow stopped":
        consumer.stop_flow()
    else:
        consumer.resume_flow()
        fetch.seek_during_fetch = True
        fetch.committed_offsets_answered.set()
    records, _ = asyncio.run(consumer._wait_next_records(1.0))
    assert records == {}
    assert fetch.seeks == [(CHANGELOG, 10)]


def test_records_fetched_while_a_seek_is_under_way_are_read_again_once_it_is_done(
    consumer: GenerationSafeConsumer, fetch: FetchedWhileStopping
) -> None:
    # Faust seeks to the committed offsets partition by partition, waiting for each offset, and
    # sets its read offsets only at the end: a fetch in between may return records from before
    # the seek, or records Faust would then think it has not read yet.
    consumer.resume_flow()

    async def fetch_during_a_seek() -> Any:
        seeking = asyncio.create_task(consumer.perform_seek())
        await asyncio.sleep(0)  # the seek begins, waiting for the committed offsets
        fetching = asyncio.create_task(consumer._wait_next_records(1.0))
        await asyncio.sleep(0.01)
        fetch.committed_offsets_answered.set()
        await seeking
        return await fetching

    records, _ = asyncio.run(fetch_during_a_seek())
    assert records == {}
    assert fetch.events == ["seek begun", "fetched", "seek ended", "rewound"]
    assert fetch.seeks == [(CHANGELOG, 10)]


def test_a_partition_positioned_since_the_fetch_is_left_where_it_is(
    consumer: GenerationSafeConsumer, fetch: FetchedWhileStopping
) -> None:
    consumer.stop_flow()
    fetch.position = 4  # table recovery sought the changelog back to what it needs
    asyncio.run(consumer._wait_next_records(1.0))
    assert fetch.seeks == []


def test_records_fetched_while_events_flow_are_not_touched(
    consumer: GenerationSafeConsumer, fetch: FetchedWhileStopping
) -> None:
    consumer.resume_flow()
    asyncio.run(consumer._wait_next_records(1.0))
    assert fetch.seeks == []


@dataclass
class Event:
    message: FakeMessage
    acked_to: list[tuple[int, int]] = field(default_factory=list)

    def ack(self) -> None:
        self.acked_to.append((self.message.partition, self.message.offset))


def events(partition: int, offsets: range, acked_to: list[tuple[int, int]]) -> list[Event]:
    return [Event(FakeMessage("t", partition, offset), acked_to) for offset in offsets]


def test_an_event_is_acked_only_once_every_earlier_event_of_its_partition_is_done() -> None:
    acked: list[tuple[int, int]] = []
    first, second = events(0, range(0, 4), acked), events(1, range(0, 2), acked)
    acks = OrderedAcks()
    acks.track([*first, *second])
    acks.ack(first[2])  # a duplicate, done at once, while 0 and 1 wait in an open batch
    acks.ack(first[3])
    acks.ack(second[0])  # another partition is not held back
    assert acked == [(1, 0)]
    acks.ack(first[1])
    assert acked == [(1, 0)]
    acks.ack(first[0])
    assert acked == [(1, 0), (0, 0), (0, 1), (0, 2), (0, 3)]


def test_events_read_before_a_rebalance_are_not_acked_after_it() -> None:
    acked: list[tuple[int, int]] = []
    [old] = events(0, range(5, 6), acked)
    acks = OrderedAcks()
    acks.track([old])
    acks.forget()  # partitions revoked: the next owner reads offset 5 again
    acks.ack(old)
    [new] = events(0, range(5, 6), acked)
    acks.track([new])
    acks.ack(new)
    assert acked == [(0, 5)] and new.acked_to is acked


class SlowBroker:
    """Faust's producer on a busy broker: each flush sends one buffered message and gives up."""

    def __init__(self, buffered: int) -> None:
        self.buffer = SimpleNamespace(size=buffered)

    async def flush(self) -> None:
        self.buffer.size = max(self.buffer.size - 1, 0)


def test_the_changelog_flush_waits_until_the_broker_has_all_of_it() -> None:
    producer = SlowBroker(buffered=3)
    asyncio.run(flush_changelog(SimpleNamespace(producer=producer)))
    assert producer.buffer.size == 0
