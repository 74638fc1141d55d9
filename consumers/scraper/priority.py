"""High priority before normal before bulk.

Two mechanisms, both needed:
1. Tasks already consumed wait in a PriorityBuffer and join the frontier highest priority first
   (first-come within a priority); in the frontier and the fetch scheduler, the most urgent
   request of a domain, and the most urgent ready domain, go first.
2. Tasks not yet consumed: while a higher-priority topic has lag (messages on the broker not yet
   consumed) or buffered tasks, the worker pauses its partitions of lower priorities, so the
   client fetches only the urgent topic and no lower task is taken. Lag = the broker's high
   watermark (as last reported in fetch responses) minus the next offset this worker will read.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field
from typing import Any


@dataclass(order=True)
class _Entry:
    rank: int
    sequence: int
    message: Any = field(compare=False)
    partition: tuple[str, int] = field(compare=False)


class PriorityBuffer:
    """Consumed messages not started yet, most urgent first."""

    def __init__(self) -> None:
        self._heap: list[_Entry] = []
        self._sequence = itertools.count()

    def push(self, rank: int, partition: tuple[str, int], message: Any) -> None:
        heapq.heappush(self._heap, _Entry(rank, next(self._sequence), message, partition))

    def peek(self) -> tuple[int, tuple[str, int], Any]:
        """(rank, partition, message) of the most urgent entry, left in place."""
        first = self._heap[0]
        return first.rank, first.partition, first.message

    def pop(self) -> Any:
        return heapq.heappop(self._heap).message

    def drop(self, partitions: set[tuple[str, int]]) -> int:
        """Forget buffered messages of revoked partitions (their new owner reads them again)."""
        kept = [entry for entry in self._heap if entry.partition not in partitions]
        dropped = len(self._heap) - len(kept)
        heapq.heapify(kept)
        self._heap = kept
        return dropped

    def ranks(self) -> set[int]:
        return {entry.rank for entry in self._heap}

    def __len__(self) -> int:
        return len(self._heap)


def most_urgent_waiting(buffered_ranks: set[int], lag_by_rank: dict[int, int]) -> int | None:
    """The most urgent rank that has work buffered or waiting on the broker, or None."""
    waiting = buffered_ranks | {rank for rank, lag in lag_by_rank.items() if lag > 0}
    return min(waiting) if waiting else None
