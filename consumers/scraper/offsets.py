"""Which offsets may be committed when tasks finish out of order.

Kafka commits one offset per partition: "everything before this is done". Tasks of a partition
run concurrently and finish in any order, so a partition's commit point only moves past a
contiguous run of finished offsets; an unfinished task holds it back (and is redone after a
crash, with its finished successors: at-least-once).
"""

from __future__ import annotations

from collections import deque

PartitionKey = tuple[str, int]  # (topic, partition)


class OffsetTracker:
    def __init__(self) -> None:
        self._pending: dict[PartitionKey, deque[int]] = {}  # offsets handed out, in order
        self._done: dict[PartitionKey, set[int]] = {}
        self._commit_points: dict[PartitionKey, int] = {}  # next offset to read after a restart

    def track(self, partition: PartitionKey, offset: int) -> None:
        """A message was taken for processing (offsets of a partition arrive in increasing order)."""
        self._pending.setdefault(partition, deque()).append(offset)
        self._done.setdefault(partition, set())

    def done(self, partition: PartitionKey, offset: int) -> None:
        """Its outputs are acknowledged. Unknown partitions (revoked meanwhile) are ignored."""
        pending, done = self._pending.get(partition), self._done.get(partition)
        if pending is None or done is None:
            return
        done.add(offset)
        while pending and pending[0] in done:
            finished = pending.popleft()
            done.discard(finished)
            self._commit_points[partition] = finished + 1

    def commit_points(self, partitions: set[PartitionKey] | None = None) -> dict[PartitionKey, int]:
        """Per partition, the offset to commit: one past the last of a contiguous run of finished tasks."""
        return {
            key: offset
            for key, offset in self._commit_points.items()
            if partitions is None or key in partitions
        }

    def in_flight(self, partition: PartitionKey) -> int:
        return len(self._pending.get(partition, ()))

    def forget(self, partitions: set[PartitionKey]) -> None:
        """Stop tracking partitions this consumer no longer owns."""
        for key in partitions:
            self._pending.pop(key, None)
            self._done.pop(key, None)
            self._commit_points.pop(key, None)
