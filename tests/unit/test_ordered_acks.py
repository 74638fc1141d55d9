"""Acks reach Faust in offset order per partition, whatever order the router finishes events in."""

from __future__ import annotations

from dataclasses import dataclass, field

from streams.acks import OrderedAcks
from tests.unit.stream_fakes import FakeMessage


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
