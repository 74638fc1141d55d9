"""The sink base: batching by size and time, backpressure, retries until the store is back."""

from __future__ import annotations

import asyncio
import time

import pytest

from consumers.sinks.base import Sink, SinkClosed, SinkPolicy
from scrapestream import metrics
from scrapestream.stores.errors import StoreUnavailable

FAST_RETRY = {"retry_first_delay": 0.01, "retry_max_delay": 0.04}


class FakeStore:
    """Stores rows in a list; can be 'down' (StoreUnavailable) or refuse rows (permanent error)."""

    name = "fake"

    def __init__(self, down_for_commits: int = 0, gate: asyncio.Event | None = None) -> None:
        self.stored: list[list[int]] = []
        self.prepared = 0
        self.down_for_commits = down_for_commits
        self.gate = gate  # commits wait for it: a slow store

    async def prepare(self, rows: list[int]) -> list[int]:
        self.prepared += 1
        if any(row < 0 for row in rows):
            raise ValueError("negative rows are not storable")
        return rows

    async def commit(self, rows: list[int]) -> list[int]:
        if self.gate is not None:
            await self.gate.wait()
        if self.down_for_commits:
            self.down_for_commits -= 1
            raise StoreUnavailable("fake", "connection refused")
        self.stored.append(rows)
        return [row * 10 for row in rows]


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, timeout=10))


def test_rows_of_several_writes_are_flushed_together_at_batch_size_and_receipts_split() -> None:
    async def scenario():
        store = FakeStore()
        sink = Sink(store, SinkPolicy(batch_rows=4, flush_seconds=60, max_buffered_rows=100))
        first, second = await sink.write([1, 2]), await sink.write([3, 4])
        assert await first == [10, 20] and await second == [30, 40]
        assert store.stored == [[1, 2, 3, 4]]
        await sink.close()

    run(scenario())


def test_a_partial_batch_is_flushed_after_flush_seconds() -> None:
    async def scenario():
        store = FakeStore()
        sink = Sink(store, SinkPolicy(batch_rows=1000, flush_seconds=0.2, max_buffered_rows=2000))
        started = time.monotonic()
        assert await (await sink.write([7])) == [70]
        waited = time.monotonic() - started
        assert 0.15 < waited < 2.0
        await sink.close()

    run(scenario())


def test_write_blocks_while_the_buffer_is_full_and_resumes_when_the_store_catches_up() -> None:
    async def scenario():
        gate = asyncio.Event()
        store = FakeStore(gate=gate)
        sink = Sink(store, SinkPolicy(batch_rows=2, flush_seconds=0.01, max_buffered_rows=4))
        await sink.write([1, 2])
        await sink.write([3, 4])
        blocked = asyncio.create_task(sink.write([5]))
        await asyncio.sleep(0.2)
        assert not blocked.done() and sink.buffered_rows == 4
        gate.set()
        assert await (await blocked) == [50]
        await sink.close()
        assert [row for batch in store.stored for row in batch] == [1, 2, 3, 4, 5]

    run(scenario())


def test_store_down_is_retried_with_the_same_prepared_batch_until_it_recovers() -> None:
    async def scenario():
        store = FakeStore(down_for_commits=3)
        sink = Sink(store, SinkPolicy(batch_rows=2, flush_seconds=0.01, max_buffered_rows=10, **FAST_RETRY))
        errors = metrics.SINK_ERRORS.labels("fake", "unavailable")
        before = errors._value.get()
        assert await (await sink.write([1, 2])) == [10, 20]
        assert store.stored == [[1, 2]] and store.prepared == 1
        assert errors._value.get() - before == 3
        await sink.close()

    run(scenario())


def test_a_permanent_error_fails_only_that_batch_and_the_sink_goes_on() -> None:
    async def scenario():
        store = FakeStore()
        sink = Sink(store, SinkPolicy(batch_rows=2, flush_seconds=0.01, max_buffered_rows=10))
        bad = await sink.write([-1, 2])
        good = await sink.write([3, 4])
        with pytest.raises(ValueError, match="negative rows"):
            await bad
        assert await good == [30, 40]
        await sink.close()
        with pytest.raises(SinkClosed):
            await sink.write([5])

    run(scenario())
