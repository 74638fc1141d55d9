"""The scraper's scheduling: domain budgets, the fetch scheduler, the frontier and robots.txt rules.

No assertion here bounds how long something takes: a loaded machine only makes waits longer, so
every check is about order, counts and lower bounds.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from consumers.scraper.frontier import Frontier, TaskRun
from consumers.scraper.outcome import Response, ScrapeFailure, Status
from consumers.scraper.politeness import DomainBudget, PolitenessPolicy
from consumers.scraper.robots import RobotsCache
from consumers.scraper.scheduler import FetchScheduler

POLITE = PolitenessPolicy(rate=2.0, concurrency=2, max_crawl_delay=10.0, max_delay=8.0, max_retry_after=30.0)


# -- the budget of one domain ----------------------------------------------------------------
def test_a_domain_starts_at_one_request_then_spaces_starts_by_its_interval() -> None:
    budget = DomainBudget(POLITE)
    assert budget.may_start(0.0)
    budget.started(0.0)
    assert not budget.has_room()  # one at a time until the domain has answered once
    budget.finished(0.1, 0.1, status=200, retry_after=None)
    assert budget.has_room() and not budget.may_start(0.4) and budget.may_start(0.5)
    budget.started(0.5)
    assert budget.has_room() and budget.ready_at() == 1.0  # now two at a time, still 0.5 s apart
    budget.started(1.0)
    assert not budget.has_room()


def test_the_spacing_counts_from_when_a_request_reached_the_wire() -> None:
    budget = DomainBudget(POLITE)
    budget.started(0.0)
    budget.sent(0.3)  # a new connection, or a busy event loop, held it back
    budget.finished(0.4, 0.4, status=200, retry_after=None)
    assert not budget.may_start(0.7) and budget.ready_at() == 0.8
    budget.sent(0.1)  # a later redirect hop can never move the spacing back
    assert budget.ready_at() == 0.8


def test_a_domain_taken_over_from_another_worker_starts_one_interval_after_the_hand_over() -> None:
    async def main() -> None:
        clock = [100.0]
        scheduler = FetchScheduler(4, POLITE, clock=lambda: clock[0])
        scheduler.taken_over("shop.example", 99.8)  # its partition came to us 0.2 s ago
        assert not scheduler.budget("shop.example").may_start(100.0)
        assert scheduler.budget("shop.example").ready_at() == 99.8 + POLITE.interval
        scheduler.budget("other.example").started(100.0)
        scheduler.taken_over("other.example", 200.0)  # already ours: its own history counts
        assert scheduler.budget("other.example").last_start == 100.0

    asyncio.run(main())


def test_crawl_delay_stretches_the_interval_up_to_its_cap() -> None:
    budget = DomainBudget(POLITE)
    budget.set_crawl_delay(3.0)
    budget.started(0.0)
    assert budget.ready_at() == 3.0
    budget.set_crawl_delay(3600.0)  # a site asking for an hour between requests gets the cap
    assert budget.interval == POLITE.max_crawl_delay


def test_retry_after_pauses_the_domain_capped_and_other_faults_double_the_delay() -> None:
    budget = DomainBudget(POLITE)
    budget.started(0.0)
    budget.finished(0.2, 0.2, status=503, retry_after=5.0)
    assert budget.ready_at() == pytest.approx(5.2)
    assert budget.delay == POLITE.interval  # the site said how long: no guessing on top
    budget.started(6.0)
    budget.finished(6.1, 0.1, status=429, retry_after=3600.0)
    assert budget.ready_at() == pytest.approx(6.1 + POLITE.max_retry_after)
    budget.started(40.0)
    budget.finished(40.1, 0.1, status=503, retry_after=None)
    assert budget.delay == 2 * POLITE.interval  # an overloaded site that gave no wait: slow down
    for _ in range(5):  # timeouts: 2, 4, 8, then held at the cap
        budget.started(40.0)
        budget.finished(40.0, 15.0, status=None, retry_after=None)
    assert budget.delay == POLITE.max_delay


def test_adaptive_delay_follows_latency_but_error_pages_never_speed_a_domain_up() -> None:
    budget = DomainBudget(POLITE)
    for _ in range(8):
        budget.started(0.0)
        budget.finished(0.0, 6.0, status=200, retry_after=None)  # a slow site: 6 s a page
    assert budget.delay == pytest.approx(3.0, rel=0.05)  # latency / concurrency
    slowed = budget.delay
    budget.started(0.0)
    budget.finished(0.0, 0.01, status=404, retry_after=None)
    assert budget.delay == slowed
    for _ in range(20):
        budget.started(0.0)
        budget.finished(0.0, 0.01, status=200, retry_after=None)
    assert budget.delay == POLITE.interval  # never below the configured interval


def test_a_rate_of_zero_means_no_spacing_and_no_adaptive_delay() -> None:
    budget = DomainBudget(PolitenessPolicy(rate=0.0, concurrency=4))
    budget.started(0.0)
    budget.finished(0.0, 9.0, status=500, retry_after=None)
    for _ in range(4):
        assert budget.may_start(0.0)
        budget.started(0.0)
    assert not budget.has_room()


# -- the scheduler ---------------------------------------------------------------------------
async def _hold(scheduler: FetchScheduler, domain: str, log: list[str], *, rank: int = 1, status: int = 200,
                retry_after: float | None = None, until: asyncio.Event | None = None) -> None:  # fmt: skip
    async with scheduler.slot(domain, rank) as ticket:
        log.append(domain)
        if until is not None:
            await until.wait()
        ticket.answered(status, retry_after)


def test_a_domain_waiting_for_its_interval_holds_no_slot() -> None:
    async def main() -> list[str]:
        scheduler = FetchScheduler(1, PolitenessPolicy(rate=0.01, concurrency=1))  # 100 s apart
        log: list[str] = []
        await _hold(scheduler, "slow.example", log)
        second = asyncio.create_task(_hold(scheduler, "slow.example", log))
        await asyncio.gather(*(_hold(scheduler, f"d{n}.example", log) for n in range(5)))
        assert not second.done() and scheduler.waiting == 1 and scheduler.in_use == 0
        second.cancel()
        await asyncio.gather(second, return_exceptions=True)
        assert scheduler.waiting == 0
        return log

    assert asyncio.run(main()) == ["slow.example", *(f"d{n}.example" for n in range(5))]


def test_the_most_urgent_ready_domain_gets_the_next_slot() -> None:
    async def main() -> list[str]:
        scheduler = FetchScheduler(1, PolitenessPolicy(rate=0.0, concurrency=1))
        log: list[str] = []
        release = asyncio.Event()
        busy = asyncio.create_task(_hold(scheduler, "busy.example", log, until=release))
        await asyncio.sleep(0)
        waiting = [
            asyncio.create_task(_hold(scheduler, name, log, rank=rank))
            for name, rank in [("bulk.example", 2), ("normal.example", 1), ("high.example", 0)]
        ]
        await asyncio.sleep(0)
        release.set()
        await asyncio.gather(busy, *waiting)
        return log

    assert asyncio.run(main()) == ["busy.example", "high.example", "normal.example", "bulk.example"]


def test_cancelled_waiters_and_a_timeout_give_every_slot_back() -> None:
    async def main() -> FetchScheduler:
        scheduler = FetchScheduler(2, PolitenessPolicy(rate=0.0, concurrency=2))
        log: list[str] = []
        release = asyncio.Event()
        holders = [asyncio.create_task(_hold(scheduler, "a.example", log, until=release)) for _ in range(4)]
        await asyncio.sleep(0)
        holders[3].cancel()  # still queued
        holders[0].cancel()  # holding a slot
        release.set()
        await asyncio.gather(*holders, return_exceptions=True)
        with pytest.raises(ScrapeFailure):
            async with scheduler.slot("a.example"):
                raise ScrapeFailure(Status.TIMEOUT, "no answer", domain_fault=True)
        return scheduler

    scheduler = asyncio.run(main())
    assert scheduler.in_use == 0 and scheduler.waiting == 0 and scheduler.domains_on_the_wire == 0
    assert scheduler.budget("a.example").in_flight == 0


def test_a_retry_after_answer_pauses_every_request_of_its_domain() -> None:
    async def main() -> tuple[float, float]:
        loop = asyncio.get_running_loop()
        scheduler = FetchScheduler(4, PolitenessPolicy(rate=0.0, concurrency=4, max_retry_after=30.0))
        log: list[str] = []
        await _hold(scheduler, "busy.example", log, status=429, retry_after=1.0)
        answered = loop.time()
        await asyncio.gather(*(_hold(scheduler, "busy.example", log) for _ in range(3)))
        return answered, loop.time()

    answered, resumed = asyncio.run(main())
    assert resumed - answered >= 0.99  # none of the three went before the second had passed


# -- the frontier ----------------------------------------------------------------------------
def _request(domain: str, number: int) -> dict[str, Any]:
    return {"domain": domain, "url": f"http://{domain}/p/{number}"}


def test_frontier_runs_few_requests_per_domain_and_finishes_tasks_once() -> None:
    async def main() -> tuple[list[TaskRun], int]:
        gate, live, peak, done = asyncio.Event(), 0, 0, []

        async def scrape(request: dict[str, Any], task: TaskRun) -> None:
            nonlocal live, peak
            live += 1
            peak = max(peak, live)
            await gate.wait()
            live -= 1

        frontier = Frontier(scrape, live_per_domain=2, on_task_done=done.append, on_error=pytest.fail)
        tasks = [TaskRun(("t", 0), offset, None, "NORMAL", remaining=5) for offset in range(3)]
        for task in tasks:
            frontier.add(task, [_request("a.example", n) for n in range(5)], rank=1)
        frontier.add(TaskRun(("t", 1), 0, None, "HIGH", remaining=1), [_request("b.example", 0)], rank=0)
        await asyncio.sleep(0)
        assert len(frontier) == 16 and peak == 3  # two of a.example, one of b.example
        gate.set()
        while len(frontier):
            await asyncio.sleep(0)
        return done, peak

    done, peak = asyncio.run(main())
    assert peak == 3
    assert sorted((task.partition, task.offset) for task in done) == [
        (("t", 0), 0), (("t", 0), 1), (("t", 0), 2), (("t", 1), 0),
    ]  # fmt: skip


def test_dropping_a_partition_separates_tasks_that_can_still_finish() -> None:
    async def main() -> None:
        gate = asyncio.Event()

        async def scrape(request: dict[str, Any], task: TaskRun) -> None:
            await gate.wait()

        frontier = Frontier(scrape, live_per_domain=1, on_task_done=lambda task: None, on_error=pytest.fail)
        whole = TaskRun(("t", 0), 0, None, "NORMAL", remaining=1)
        split = TaskRun(("t", 1), 0, None, "NORMAL", remaining=2)
        frontier.add(whole, [_request("a.example", 0)], rank=1)
        frontier.add(split, [_request("b.example", 0), _request("b.example", 1)], rank=1)
        await asyncio.sleep(0)
        finishable, unfinishable = frontier.drop({("t", 0), ("t", 1)})
        assert len(finishable) == 1 and len(unfinishable) == 1 and len(frontier) == 2
        for job in unfinishable:
            job.cancel()
        gate.set()
        await asyncio.gather(*finishable, *unfinishable, return_exceptions=True)
        await asyncio.sleep(0)
        assert len(frontier) == 0

    asyncio.run(main())


# -- robots.txt, RFC 9309 --------------------------------------------------------------------
ROBOTS = """
User-agent: *
Disallow: /

User-agent: ScrapeStreamBot
Disallow: /*.pdf$
Disallow: /cart/*/checkout
Allow: /p/
Disallow: /p/private
Allow: /p/private/public-
Crawl-delay: 3
"""


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/file.pdf", False),  # `$` anchors the end
        ("/file.pdf?download=1", True),
        ("/cart/12/checkout", False),  # `*` matches any run of characters
        ("/cart", True),
        ("/p/1", True),
        ("/p/private/1", False),  # the longest matching rule wins
        ("/p/private/public-1", True),
        ("/about", True),  # our group, not `*`, applies
    ],
)
def test_robots_rules_follow_rfc_9309(path: str, allowed: bool) -> None:
    delays: list[tuple[str, float]] = []

    async def fetch(url: str) -> Response:
        assert url == "http://shop.example:8080/robots.txt"
        return Response(url, 200, {"content-type": "text/plain"}, ROBOTS.encode())

    async def main() -> None:
        robots = RobotsCache(
            fetch, "ScrapeStreamBot/0.1", 60.0, on_crawl_delay=lambda d, s: delays.append((d, s))
        )
        await robots.check(f"http://shop.example:8080{path}")

    if allowed:
        asyncio.run(main())
    else:
        with pytest.raises(ScrapeFailure) as failure:
            asyncio.run(main())
        assert failure.value.status is Status.SKIPPED_ROBOTS
    assert delays == [("shop.example:8080", 3.0)]


@pytest.mark.parametrize(("status", "allowed"), [(404, True), (403, True), (429, False), (503, False)])
def test_robots_txt_that_is_missing_allows_all_but_one_refused_or_failing_allows_nothing(
    status: int, allowed: bool
) -> None:
    async def fetch(url: str) -> Response:
        return Response(url, status, {"retry-after": "7"}, b"")

    async def main() -> None:
        await RobotsCache(fetch, "ScrapeStreamBot/0.1", 60.0).check("http://shop.example/p/1")

    if allowed:
        asyncio.run(main())
        return
    with pytest.raises(ScrapeFailure) as failure:
        asyncio.run(main())
    assert failure.value.retryable and failure.value.retry_after == 7.0
