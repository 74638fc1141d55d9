"""Every place the stream workers work around Faust, written against faust-streaming 0.15.3.

That is the version pinned in pyproject.toml (with aiokafka 0.14.0 under it). Everywhere else the
workers use Faust's public API; what follows corrects its behaviour or reaches into its private
members, so each item must be checked again before the pin moves (tests/unit/test_faust_workarounds.py
fails on another version). docs/reliability.md tells how each problem was found.

1. `OrderedAcks`: Faust commits the first run of consecutive acked offsets, and skips its check
   for an unacked head when the partition has no committed offset yet or when exactly one offset
   is missing (`Consumer._new_offset`). The router finishes events out of order, so it hands Faust
   each partition's acks in offset order only.
2. `in_current_flow`, `GenerationSafeConsumer.ack`: Faust's streams ack the events they skip while
   a rebalance or a shutdown is under way, and Faust commits those acks; only acks made while
   events flow, for events of the current consumer generation, count.
3. `GenerationSafeConsumer.on_partitions_assigned`: empties Faust's private ack records (`_acked`,
   `_acked_index`, `_gap`), which would carry acks of the revoke window into the new generation.
4. `GenerationSafeConsumer._wait_next_records` (private in Faust): records fetched while the flow
   was stopped (Faust drops them, and rewinds only partitions with a committed offset, so a
   changelog stays past records its table recovery waits for) or across a seek (Faust counts the
   offsets it sees skipped as done) are read again in position.
5. `GenerationSafeConsumer.seek_wait`, `.perform_seek`: one seek at a time, counted, so that a
   fetch knows whether one overlapped it.
6. `flush_changelog`: Faust's producer flush gives up after 0.1 s without progress.
7. `quiet_worker`: Faust's terminal spinner turns the root logger to DEBUG.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any, Protocol

import faust
from aiokafka.errors import IllegalStateError
from faust.transport.consumer import RecordMap
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP, Message

WRITTEN_AGAINST = "faust-streaming==0.15.3"


class AckableEvent(Protocol):
    message: Any  # has .topic, .partition

    def ack(self) -> object: ...


class OrderedAcks:
    """Acknowledge a partition's events in offset order, whatever order they finish in.

    The router finishes events out of order: a duplicate is done at once, a request waits in its
    domain's batch for up to 2 s. Handed to Faust as they finish, a commit could pass requests
    still waiting in open batches (workaround 1), lost if the worker then crashes. Handing Faust
    only the finished prefix of each partition keeps every commit behind everything in memory.
    """

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


def in_current_flow(app: faust.App, message: Message) -> bool:
    """Whether `message` was fetched in the consumer's current generation and events flow now.

    Otherwise a rebalance or a shutdown is under way or came in between: the message's partition is
    read again from its committed offset (by this worker or the next owner).
    """
    return app.flow_control.is_active() and message.generation_id == app.consumer_generation_id


class GenerationSafeConsumer(faust_aiokafka.Consumer):
    """Faust's Kafka consumer, safe across rebalances: it counts only acks made while events flow
    in the current generation, and it reads again what Faust would drop or deliver out of position
    around a rebalance.

    Faust acks the events its streams skip while a rebalance or a shutdown is under way (flow
    suspended, or fetched in an earlier generation), events no agent ever saw, and it commits
    acked offsets on the way out and, during a revoke, with no committed offset to check against.
    A skipped event next to the committed offset then moves the commit past requests the router
    never routed: lost (seen in the rebalance fault test: one request in 300, no task).
    Acks of a suspended flow are dropped, ours included: those events are read again from the
    committed offset by the partition's next owner, which finds the delivered ones in the dedup
    table (the hand-over flushed it), so nothing is lost and at worst something is redone.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._seeks = 0  # seeks begun or ended so far
        # One seek at a time, so that a fetch can tell whether one overlapped it and a rewind
        # cannot undo a seek that is half done.
        self._seek_lock = asyncio.Lock()

    def ack(self, message: Message) -> bool:
        if not in_current_flow(self.app, message):
            message.acked = True  # done with here; it is read again from the committed offset
            return False
        return super().ack(message)

    async def _wait_next_records(self, timeout: float) -> tuple[RecordMap | None, set[TP] | None]:
        seeks = self._seeks
        records, active_partitions = await super()._wait_next_records(timeout)
        if records and (self._seeks != seeks or self._seek_lock.locked() or not self.flow_active):
            # The flow stopped while they were fetched (Faust would drop them), or a seek overlapped
            # the fetch: some may come from before it, and Faust, seeing the offsets it reads jump,
            # would count the skipped ones as done. Read them again from where they belong.
            await self._unread(records)
            return {}, active_partitions
        return records, active_partitions

    async def seek_wait(self, partitions: Mapping[TP, int]) -> None:
        async with self._seeking():
            await super().seek_wait(partitions)

    async def perform_seek(self) -> None:
        # Seeks partition by partition, one committed-offset request each, and sets Faust's read
        # offsets only at the end: records fetched meanwhile would look like a jump over a gap.
        async with self._seeking():
            await super().perform_seek()

    @contextlib.asynccontextmanager
    async def _seeking(self) -> AsyncIterator[None]:
        async with self._seek_lock:
            self._seeks += 1
            try:
                yield
            finally:
                self._seeks += 1

    async def _unread(self, records: RecordMap) -> None:
        """Move each partition back to its first record in `records`, unless it was moved since.

        Faust drops records that arrive while the flow is stopped and rewinds only partitions with
        a committed offset, so a changelog partition stays past records nobody applied. A fetch
        begun before a rebalance can return such records after table recovery has positioned the
        changelog: the recovery then waits for records it will never get (seen in the rebalance
        fault test: a router stuck in recovery for good, its request partitions never read).
        Records fetched across a seek it would deliver out of position: commits then crawl one
        offset at a time (the skipped offsets acked twice), or pass records never processed.
        """
        async with self._seeking():  # after any seek under way, and none starts in between
            rewinds, assigned = {}, self.assignment()
            with contextlib.suppress(IllegalStateError):  # revoked meanwhile: not ours to read
                for tp, fetched in records.items():
                    if fetched and tp in assigned and await self.position(tp) > fetched[-1].offset:
                        rewinds[tp] = fetched[0].offset
                if rewinds:
                    # In the consumer's own thread: Faust's plain seek runs on this one and can race
                    # a fetch there that moves the position on past the seek.
                    await super().seek_wait(rewinds)

    async def on_partitions_assigned(self, assigned: set[TP], generation_id: int = 0) -> None:
        # Whatever was recorded since the revoke belongs to the old generation.
        self._acked.clear()
        self._acked_index.clear()
        self._gap.clear()
        await super().on_partitions_assigned(assigned, generation_id)


def install_consumer(app: faust.App) -> None:
    """Make `app` read Kafka through a GenerationSafeConsumer (before it creates its consumer)."""
    app.transport.Consumer = GenerationSafeConsumer


async def flush_changelog(app: faust.App) -> None:
    """Until the producer buffer is empty and the broker acknowledged all of it.

    Faust's own flush gives up after 0.1 s without progress, which a busy broker easily exceeds.
    """
    while True:
        await app.producer.flush()
        if not app.producer.buffer.size:
            return


def quiet_worker(app: faust.App, loglevel: str) -> faust.Worker:
    """A Faust worker for `app` without the terminal spinner.

    The spinner turns the root logger to DEBUG so that it spins on every record: then each debug
    call of aiokafka and Faust builds a LogRecord (5 % of the router's CPU).
    """
    worker = faust.Worker(app, loglevel=loglevel)
    worker.spinner = None
    return worker
