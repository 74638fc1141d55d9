"""The fetch scheduler: the worker's fetch slots, handed only to domains that may be fetched now.

Every page fetch, render and robots.txt fetch goes through `FetchScheduler.slot(domain, rank)`.
A request waits in its domain's queue (most urgent rank first, then first come) and takes one of
the worker's `slots` only when its domain's budget (politeness.py) lets it start now: a domain
that must wait holds no slot, and a slow domain holds only the slots of its requests on the wire.

The frontier design of Heritrix ("ready" and "snoozed" host queues) and of Scrapy's downloader
slots: domains whose next start is due wait in a ready heap, ordered by the rank of their most
urgent request (high before normal before bulk) and then by when they became ready, so every
ready domain gets its turn; domains whose next start lies ahead wait in a snoozed heap behind one
timer. Each domain has at most one live heap entry (`_Domain.entry`); older entries are skipped.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from consumers.scraper.outcome import ScrapeFailure
from consumers.scraper.politeness import DomainBudget, PolitenessPolicy


class Ticket:
    """Held while a request is on the wire; the holder says when it went out (`sent`, if it can
    tell) and how the domain answered."""

    __slots__ = ("retry_after", "sent", "status")

    def __init__(self, sent: Callable[[], None] = lambda: None) -> None:
        self.status: int | None = None
        self.retry_after: float | None = None
        self.sent = sent

    def answered(self, status: int | None, retry_after: float | None = None) -> None:
        self.status, self.retry_after = status, retry_after


class _Domain:
    __slots__ = ("budget", "entry", "entry_rank", "waiters")

    def __init__(self, budget: DomainBudget) -> None:
        self.budget = budget
        self.waiters: list[tuple[int, int, asyncio.Future[None]]] = []  # heap of (rank, sequence, grant)
        self.entry: int | None = None  # sequence of this domain's live entry in a heap, if any
        self.entry_rank = math.inf


class FetchScheduler:
    def __init__(
        self, slots: int, policy: PolitenessPolicy, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if slots < 1:
            raise ValueError(f"scheduler: slots must be at least 1, got {slots}")
        self.capacity = slots
        self.policy = policy
        self._free = slots
        self._clock = clock
        self._domains: dict[str, _Domain] = {}
        self._ready: list[tuple[float, int, str]] = []  # (rank, sequence, domain)
        self._snoozed: list[tuple[float, int, str]] = []  # (ready at, sequence, domain)
        self._sequence = itertools.count()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = math.inf
        self.waiting = 0  # requests queued for a slot
        self.domains_on_the_wire = 0  # distinct domains with a request in flight

    @property
    def in_use(self) -> int:
        return self.capacity - self._free

    def budget(self, domain: str) -> DomainBudget:
        return self._domain(domain).budget

    @asynccontextmanager
    async def slot(self, domain: str, rank: int = 1) -> AsyncIterator[Ticket]:
        """Wait until `domain` may be fetched and a slot is free; hold it for the body of the block.

        An escaping ScrapeFailure that blames the domain (timeout, connection error) counts as a
        fault for its adaptive delay; a cancelled or otherwise failed block counts as nothing.
        """
        state = self._domain(domain)
        await self._acquire(domain, state, rank)
        started, faulted = self._clock(), False
        ticket = Ticket(sent=lambda: state.budget.sent(self._clock()))
        try:
            yield ticket
        except ScrapeFailure as failure:
            faulted = failure.domain_fault
            raise
        finally:
            self._release(domain, state, started, ticket, faulted)

    def taken_over(self, domain: str, since: float) -> None:
        """`domain` comes from a partition that became ours at `since`: another worker may have
        fetched it until then. A domain this worker has not met yet starts one interval after it."""
        if domain not in self._domains:
            self._domain(domain).budget.started_elsewhere(since)

    def pause(self, domain: str, seconds: float) -> None:
        """Start no request of `domain` for `seconds` (capped by the policy's max_retry_after)."""
        state = self._domain(domain)
        state.budget.pause(self._clock(), seconds)
        self._reschedule(domain, state)

    def set_crawl_delay(self, domain: str, seconds: float) -> None:
        state = self._domain(domain)
        state.budget.set_crawl_delay(seconds)
        self._reschedule(domain, state)

    # -- waiting and granting ----------------------------------------------------------------
    def _domain(self, domain: str) -> _Domain:
        state = self._domains.get(domain)
        if state is None:
            state = self._domains[domain] = _Domain(DomainBudget(self.policy))
        return state

    async def _acquire(self, domain: str, state: _Domain, rank: int) -> None:
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(state.waiters, (rank, next(self._sequence), granted))
        self.waiting += 1
        if rank < state.entry_rank:  # a more urgent request moves its domain up
            self._reschedule(domain, state)
        try:
            await granted
        except asyncio.CancelledError:
            if granted.cancelled():
                self.waiting -= 1  # still queued: dropped from the heap when it comes up
            else:  # granted just as it was cancelled: the slot goes back unused
                state.budget.abandoned()
                self._give_back(domain, state)
            raise

    def _release(self, domain: str, state: _Domain, started: float, ticket: Ticket, faulted: bool) -> None:
        now = self._clock()
        if ticket.status is not None or faulted:
            state.budget.finished(now, now - started, status=ticket.status, retry_after=ticket.retry_after)
        else:
            state.budget.abandoned()
        self._give_back(domain, state)

    def _give_back(self, domain: str, state: _Domain) -> None:
        self._free += 1
        if not state.budget.in_flight:
            self.domains_on_the_wire -= 1
        self._reschedule(domain, state)

    def _reschedule(self, domain: str, state: _Domain) -> None:
        """Give `domain` a fresh heap entry, then hand out what is free."""
        self._enqueue(domain, state, self._clock())
        self._grant()

    def _enqueue(self, domain: str, state: _Domain, now: float) -> None:
        """Replace `domain`'s heap entry: ready if it may start at `now`, else snoozed until it may."""
        state.entry, state.entry_rank = None, math.inf
        if not (state.waiters and state.budget.has_room()):
            return  # it comes back when a request of it is added or ends
        state.entry, state.entry_rank = next(self._sequence), state.waiters[0][0]
        ready_at = state.budget.ready_at()
        if ready_at <= now:
            heapq.heappush(self._ready, (state.entry_rank, state.entry, domain))
        else:
            heapq.heappush(self._snoozed, (ready_at, state.entry, domain))

    def _grant(self) -> None:
        """Hand free slots to ready domains, most urgent first; then wake up for the next snoozer."""
        now = self._clock()
        while self._snoozed and self._snoozed[0][0] <= now:
            _, entry, domain = heapq.heappop(self._snoozed)
            state = self._domains[domain]
            if state.entry == entry:
                heapq.heappush(self._ready, (state.entry_rank, entry, domain))
        while self._free and self._ready:
            _, entry, domain = heapq.heappop(self._ready)
            state = self._domains[domain]
            if state.entry == entry:
                if state.budget.may_start(now):  # else paused or spaced since it became ready
                    self._start_next(state, now)
                self._enqueue(domain, state, now)
        self._arm_timer()

    def _start_next(self, state: _Domain, now: float) -> None:
        while state.waiters:
            _, _, granted = heapq.heappop(state.waiters)
            if granted.done():
                continue  # cancelled while queued
            self.waiting -= 1
            self._free -= 1
            if not state.budget.in_flight:
                self.domains_on_the_wire += 1
            state.budget.started(now)
            granted.set_result(None)
            return

    def _arm_timer(self) -> None:
        if not self._snoozed or self._snoozed[0][0] >= self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = self._snoozed[0][0]
        delay = max(0.0, self._timer_at - self._clock())
        self._timer = asyncio.get_running_loop().call_later(delay, self._on_timer)

    def _on_timer(self) -> None:
        self._timer, self._timer_at = None, math.inf
        self._grant()
