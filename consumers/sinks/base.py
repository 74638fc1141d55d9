"""The sink base every store sink uses: batching, backpressure, retries and metrics.

A `Sink` takes rows with `await sink.write(rows)` and hands back a receipt: a future that
resolves with one outcome per row once the batch holding them is stored (or fails with the
permanent error that stopped it). A consumer commits offsets only after the receipts of their
rows resolved.

- Batching: the rows of several writes are flushed together once `batch_rows` are waiting or
  the oldest has waited `flush_seconds` (whole writes only: one write's rows never span batches).
- Backpressure: rows waiting or in flight count against `max_buffered_rows`; a write that would
  exceed it blocks until a batch is stored, so the caller stops consuming instead of buffering
  without bound. (A single write larger than the limit is accepted when nothing else is buffered.)
- Retries: batches are stored one at a time, in order. While the store raises `StoreUnavailable`,
  the same batch is retried with exponential backoff (capped) until it goes through, so the sink
  resumes by itself when the store is back. Any other error fails that batch's receipts.

A store plugs in as a `BatchWriter` in two steps: `prepare` turns rows into what to write (for the
product store: read current states and detect changes) and `commit` writes it. Each step is
retried on its own, so a commit that failed halfway is retried with the same prepared batch (not
re-prepared against the half-written store). Commits must therefore be idempotent.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from scrapestream import metrics
from scrapestream.config import Settings
from scrapestream.stores.errors import StoreUnavailable

log = logging.getLogger(__name__)

RowT = TypeVar("RowT")
PreparedT = TypeVar("PreparedT")
OutT = TypeVar("OutT")
T = TypeVar("T")


class BatchWriter(Protocol[RowT, PreparedT, OutT]):
    name: str  # the sink's metric label

    async def prepare(self, rows: list[RowT]) -> PreparedT: ...

    async def commit(self, prepared: PreparedT) -> list[OutT]:
        """Store the batch; one outcome per row of `prepare`'s input, in order."""
        ...


class SinkClosed(RuntimeError):
    """A write arrived after `close()`."""


@dataclass(frozen=True)
class SinkPolicy:
    batch_rows: int = 2000
    flush_seconds: float = 0.5
    max_buffered_rows: int = 20000
    retry_first_delay: float = 0.1
    retry_max_delay: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SinkPolicy:
        return cls(settings.sink_batch_rows, settings.sink_flush_ms / 1000, settings.sink_max_buffered_rows)


@dataclass
class _Write(Generic[RowT, OutT]):
    rows: Sequence[RowT]
    receipt: asyncio.Future[list[OutT]]
    accepted_at: float = field(default_factory=time.monotonic)


class Sink(Generic[RowT, OutT]):
    def __init__(self, writer: BatchWriter[RowT, Any, OutT], policy: SinkPolicy) -> None:
        self.writer = writer
        self.policy = policy
        self._waiting: list[_Write[RowT, OutT]] = []
        self._buffered_rows = 0  # waiting + in flight
        self._space = asyncio.Condition()
        self._wakeup = asyncio.Event()
        self._unsettled: set[asyncio.Future[list[OutT]]] = set()
        self._flush_now = False
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self._label = writer.name

    async def write(self, rows: Sequence[RowT]) -> asyncio.Future[list[OutT]]:
        """Accept `rows` (blocking while the buffer is full); the receipt resolves when they are stored."""
        if self._closing:
            raise SinkClosed(f"sink {self._label} is closed")
        if not rows:
            done: asyncio.Future[list[OutT]] = asyncio.get_running_loop().create_future()
            done.set_result([])
            return done
        async with self._space:
            await self._space.wait_for(self._has_room_for(len(rows)))
            receipt: asyncio.Future[list[OutT]] = asyncio.get_running_loop().create_future()
            self._waiting.append(_Write(rows, receipt))
            self._unsettled.add(receipt)
            receipt.add_done_callback(self._unsettled.discard)
            self._buffered_rows += len(rows)
        metrics.SINK_BUFFERED_ROWS.labels(self._label).set(self._buffered_rows)
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"sink-{self._label}")
        self._wakeup.set()  # the flusher re-checks: a batch may be full, or a deadline starts now
        return receipt

    async def flush(self) -> None:
        """Store everything accepted so far now; returns when every receipt is settled."""
        self._flush_now = True
        self._wakeup.set()
        await asyncio.gather(*self._unsettled, return_exceptions=True)

    async def close(self) -> None:
        """Flush, then stop the background task; later writes raise SinkClosed."""
        await self.flush()
        self._closing = True
        self._wakeup.set()
        if self._task is not None:
            await self._task

    @property
    def buffered_rows(self) -> int:
        return self._buffered_rows

    def _has_room_for(self, count: int) -> Callable[[], bool]:
        return lambda: (
            self._buffered_rows == 0 or self._buffered_rows + count <= self.policy.max_buffered_rows
        )

    async def _run(self) -> None:
        while not (self._closing and not self._waiting):
            await self._batch_ready()
            batch = self._take_batch()
            if batch:
                await self._store(batch)

    async def _batch_ready(self) -> None:
        """Wait until a batch is full, the oldest row is due, or a flush or close was asked for."""
        while True:
            waiting_rows = sum(len(write.rows) for write in self._waiting)
            if self._closing or self._flush_now or waiting_rows >= self.policy.batch_rows:
                return
            timeout = None
            if self._waiting:
                timeout = self._waiting[0].accepted_at + self.policy.flush_seconds - time.monotonic()
                if timeout <= 0:
                    return
            self._wakeup.clear()
            try:
                await asyncio.wait_for(self._wakeup.wait(), timeout)
            except TimeoutError:
                return

    def _take_batch(self) -> list[_Write[RowT, OutT]]:
        batch, rows = [], 0
        while self._waiting and (not batch or rows + len(self._waiting[0].rows) <= self.policy.batch_rows):
            write = self._waiting.pop(0)
            batch.append(write)
            rows += len(write.rows)
        if not self._waiting:
            self._flush_now = False
        return batch

    async def _store(self, batch: list[_Write[RowT, OutT]]) -> None:
        rows = [row for write in batch for row in write.rows]
        started = time.perf_counter()
        try:
            prepared = await self._retrying(lambda: self.writer.prepare(rows))
            outcomes = await self._retrying(lambda: self.writer.commit(prepared))
        except Exception as error:  # permanent for this batch: its writers decide (e.g. dead-letter)
            log.exception("sink %s: batch of %d rows failed", self._label, len(rows))
            metrics.SINK_ERRORS.labels(self._label, "permanent").inc()
            for write in batch:
                if not write.receipt.done():
                    write.receipt.set_exception(error)
        else:
            metrics.SINK_ROWS_WRITTEN.labels(self._label).inc(len(rows))
            metrics.SINK_BATCH_SECONDS.labels(self._label).observe(time.perf_counter() - started)
            start = 0
            for write in batch:
                if not write.receipt.done():
                    write.receipt.set_result(outcomes[start : start + len(write.rows)])
                start += len(write.rows)
        async with self._space:
            self._buffered_rows -= len(rows)
            self._space.notify_all()
        metrics.SINK_BUFFERED_ROWS.labels(self._label).set(self._buffered_rows)

    async def _retrying(self, step: Callable[[], Awaitable[T]]) -> T:
        delay = self.policy.retry_first_delay
        while True:
            try:
                return await step()
            except StoreUnavailable as error:
                metrics.SINK_ERRORS.labels(self._label, "unavailable").inc()
                log.warning("sink %s: %s; retrying in %.1fs", self._label, error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.policy.retry_max_delay)
