"""The frontier: every request of every task a worker took, queued by domain until it is scraped.

A task (one domain's batch) is the unit of delivery, never of concurrency: its requests join
their domain's queue (most urgent first, then first come), and each domain has at most
`live_per_domain` requests running at once (waiting for a fetch slot in the scheduler, on the
wire, or being extracted and published). Queued requests are plain records, not coroutines, so
thousands of domains with many requests each cost little memory; `len(frontier)` (queued plus
running) is what the worker bounds by pausing its partitions.

A task is done when its last request is: `on_task_done(task)` is then called once.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from consumers.scraper.offsets import PartitionKey


@dataclass(eq=False)
class TaskRun:
    """A consumed task whose requests are in the frontier."""

    partition: PartitionKey
    offset: int
    task_id: Any
    priority: str
    remaining: int


@dataclass(order=True)
class _Queued:
    rank: int
    sequence: int
    request: dict[str, Any] = field(compare=False)
    task: TaskRun = field(compare=False)
    domain: str = field(compare=False)


Scrape = Callable[[dict[str, Any], TaskRun], Awaitable[None]]
Job = asyncio.Task[None]


class Frontier:
    def __init__(
        self,
        scrape: Scrape,
        *,
        live_per_domain: int,
        on_task_done: Callable[[TaskRun], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        self._scrape = scrape
        self._live_per_domain = live_per_domain
        self._on_task_done = on_task_done
        self._on_error = on_error
        self._queues: dict[str, list[_Queued]] = {}
        self._live: dict[str, int] = {}
        self._running: dict[Job, _Queued] = {}
        self._sequence = itertools.count()
        self._size = 0

    def __len__(self) -> int:
        """Requests taken and not finished: queued plus running."""
        return self._size

    def add(self, task: TaskRun, requests: list[dict[str, Any]], rank: int) -> None:
        for request in requests:
            domain = request.get("domain") or ""
            queued = _Queued(rank, next(self._sequence), request, task, domain)
            heapq.heappush(self._queues.setdefault(domain, []), queued)
            self._size += 1
            self._start(domain)

    def drop(self, partitions: set[PartitionKey]) -> tuple[list[Job], list[Job]]:
        """Forget the queued requests of these partitions. Returns their running requests as
        (those whose task can still finish, those whose task lost a queued request and cannot)."""
        unfinishable: set[TaskRun] = set()
        for domain, queue in list(self._queues.items()):
            kept = [entry for entry in queue if entry.task.partition not in partitions]
            unfinishable.update(entry.task for entry in queue if entry.task.partition in partitions)
            self._size -= len(queue) - len(kept)
            heapq.heapify(kept)
            self._queues[domain] = kept
            if not kept:
                del self._queues[domain]
        running = [(job, e.task) for job, e in self._running.items() if e.task.partition in partitions]
        return (
            [job for job, task in running if task not in unfinishable],
            [job for job, task in running if task in unfinishable],
        )

    def _start(self, domain: str) -> None:
        queue = self._queues.get(domain)
        while queue and self._live.get(domain, 0) < self._live_per_domain:
            entry = heapq.heappop(queue)
            self._live[domain] = self._live.get(domain, 0) + 1
            running = asyncio.create_task(self._scrape(entry.request, entry.task))
            self._running[running] = entry
            running.add_done_callback(self._finished)
        if queue is not None and not queue:
            del self._queues[domain]

    def _finished(self, running: asyncio.Task[None]) -> None:
        entry = self._running.pop(running)
        domain = entry.domain
        self._size -= 1
        self._live[domain] -= 1
        if not self._live[domain]:
            del self._live[domain]
        if not running.cancelled():  # cancelled: revoked or stopping, the task is redone elsewhere
            error = running.exception()
            if error is not None:
                self._on_error(error)
                return
            entry.task.remaining -= 1
            if not entry.task.remaining:
                self._on_task_done(entry.task)
        self._start(domain)
