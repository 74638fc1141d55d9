"""Acknowledge a partition's events in offset order, whatever order they finish in.

The router finishes events out of order: a duplicate is done at once, a request waits in its
domain's batch for up to 2 s. Faust commits the first run of consecutive acked offsets, and when
the partition has no committed offset yet (or only a single message is missing at the head) it
commits that run even if earlier offsets are still unacked; a crash then loses the requests still
waiting in open batches. Handing Faust only the finished prefix of each partition keeps every
commit behind everything still in memory.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Any, Protocol


class AckableEvent(Protocol):
    message: Any  # has .topic, .partition

    def ack(self) -> object: ...


class OrderedAcks:
    def __init__(self) -> None:
        self._waiting: dict[tuple[str, int], deque[list[Any]]] = {}  # partition -> [event, done]
        self._entries: dict[int, list[Any]] = {}  # id(event) -> its entry

    def track(self, events: Iterable[AckableEvent]) -> None:
        """Register events as read, in the order they were read."""
        for event in events:
            entry = [event, False]
            self._entries[id(event)] = entry
            self._waiting.setdefault((event.message.topic, event.message.partition), deque()).append(entry)

    def ack(self, event: AckableEvent) -> None:
        """Mark `event` done; ack it and every done event behind it once nothing earlier is pending.
        An event read before `forget` is no longer tracked and is dropped: it will be read again."""
        entry = self._entries.get(id(event))
        if entry is None:
            return
        entry[1] = True
        waiting = self._waiting[(event.message.topic, event.message.partition)]
        while waiting and waiting[0][1]:
            done, _ = waiting.popleft()
            del self._entries[id(done)]
            done.ack()

    def forget(self) -> None:
        """Drop everything tracked (partitions were revoked: their offsets are not ours to commit)."""
        self._waiting.clear()
        self._entries.clear()
