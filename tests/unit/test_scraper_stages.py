"""Pure scraper stages: offsets, priority order, circuit breaker, retry policy, decoding, Retry-After."""

from __future__ import annotations

import asyncio
import time

import pytest

from consumers.scraper.breaker import BreakerState, CircuitBreakers
from consumers.scraper.decode import decode_body, html_text
from consumers.scraper.offsets import OffsetTracker
from consumers.scraper.outcome import Response, ScrapeFailure, Status, http_failure, parse_retry_after
from consumers.scraper.priority import PriorityBuffer, most_urgent_waiting
from consumers.scraper.retry import RetryPolicy, with_retries
from consumers.scraper.slots import Slots

P0 = ("scrape.tasks.normal", 0)


def test_commit_point_never_passes_an_unfinished_task() -> None:
    tracker = OffsetTracker()
    for offset in (10, 11, 12, 13):
        tracker.track(P0, offset)
    tracker.done(P0, 12)
    tracker.done(P0, 11)
    assert tracker.commit_points() == {}  # 10 still runs
    tracker.done(P0, 10)
    assert tracker.commit_points() == {P0: 13}
    tracker.done(P0, 13)
    assert tracker.commit_points() == {P0: 14} and tracker.in_flight(P0) == 0
    tracker.forget({P0})
    tracker.done(P0, 14)  # a task of a revoked partition finishing late is ignored
    assert tracker.commit_points() == {}


def test_priority_buffer_serves_the_most_urgent_first_in_arrival_order() -> None:
    buffer = PriorityBuffer()
    for rank, name in [(2, "bulk-1"), (0, "high-1"), (1, "normal-1"), (0, "high-2"), (2, "bulk-2")]:
        buffer.push(rank, ("t", rank), name)
    assert buffer.drop({("t", 1)}) == 1
    assert [buffer.pop() for _ in range(len(buffer))] == ["high-1", "high-2", "bulk-1", "bulk-2"]
    assert most_urgent_waiting({2}, {0: 3, 1: 0}) == 0  # lag on the high topic outranks buffered bulk
    assert most_urgent_waiting({2}, {0: 0, 1: 0}) == 2
    assert most_urgent_waiting(set(), {0: 0}) is None


def opened_breakers(now: list[float], cooldown: float = 10.0) -> CircuitBreakers:
    """Breakers whose "shop" circuit has just opened after 3 failures, on the clock `now`."""
    breakers = CircuitBreakers(3, cooldown, clock=lambda: now[0])
    for _ in range(3):
        asyncio.run(breakers.before_request("shop"))
        breakers.record_failure("shop")
    return breakers


def test_breaker_opens_probes_once_and_closes() -> None:
    now = [100.0]
    changes: list[tuple[str, BreakerState]] = []
    breakers = CircuitBreakers(3, 10.0, on_change=lambda d, s: changes.append((d, s)), clock=lambda: now[0])

    async def scenario() -> None:
        for _ in range(3):
            await breakers.before_request("shop")
            breakers.record_failure("shop")
        with pytest.raises(ScrapeFailure, match="circuit open for shop after 3 consecutive failures"):
            await breakers.before_request("shop")
        now[0] += 10
        await breakers.before_request("shop")  # the probe
        breakers.record_failure("shop")  # probe failed: open for another cool-down
        assert breakers.state("shop") is BreakerState.OPEN
        with pytest.raises(ScrapeFailure, match=r"next probe in 10\.0 s"):
            await breakers.before_request("shop")
        now[0] += 10
        await breakers.before_request("shop")
        breakers.record_success("shop")

    asyncio.run(scenario())
    assert breakers.state("shop") is BreakerState.CLOSED and breakers.state("other") is BreakerState.CLOSED
    assert [state for _, state in changes] == ["open", "half_open", "open", "half_open", "closed"]


def test_requests_during_a_probe_wait_for_its_verdict() -> None:
    now = [100.0]
    breakers = opened_breakers(now)
    now[0] += 10

    async def during_probe(probe_succeeds: bool) -> list[str]:
        await breakers.before_request("shop")  # the probe
        waiters = [asyncio.create_task(breakers.before_request("shop")) for _ in range(3)]
        await asyncio.sleep(0.05)
        assert not any(waiter.done() for waiter in waiters)  # held, not failed
        if probe_succeeds:
            breakers.record_success("shop")
        else:
            breakers.record_failure("shop")
        outcomes = await asyncio.gather(*waiters, return_exceptions=True)
        return ["went ahead" if outcome is None else str(outcome) for outcome in outcomes]

    assert (
        asyncio.run(during_probe(probe_succeeds=False))
        == ["circuit open for shop after 4 consecutive failures; next probe in 10.0 s"] * 3
    )
    now[0] += 10
    assert asyncio.run(during_probe(probe_succeeds=True)) == ["went ahead"] * 3


def test_a_waiter_gives_up_on_a_slow_probe_and_a_lost_probe_is_replaced() -> None:
    breakers = CircuitBreakers(1, cooldown=0.3, verdict_wait=0.1)  # the real clock

    async def scenario() -> tuple[str, float, BreakerState]:
        await breakers.before_request("shop")
        breakers.record_failure("shop")  # open
        await asyncio.sleep(0.3)
        await breakers.before_request("shop")  # a probe that hangs and never reports
        began = time.monotonic()
        with pytest.raises(ScrapeFailure, match="a probe is in flight") as refused:
            await breakers.before_request("shop")  # holds its request slot for verdict_wait only
        waited = time.monotonic() - began
        await asyncio.sleep(0.25)
        await breakers.before_request("shop")  # a cool-down after the probe began: the new probe
        return str(refused.value), waited, breakers.state("shop")

    refusal, waited, state = asyncio.run(scenario())
    assert 0.1 <= waited < 0.3 and "after 1 consecutive failures" in refusal
    assert state is BreakerState.HALF_OPEN


def test_retry_policy_backs_off_exponentially_and_honours_retry_after() -> None:
    policy = RetryPolicy(retries=3, backoff=0.5, max_retry_after=5)
    transient = ScrapeFailure(Status.ERROR, "HTTP 503", retryable=True)
    assert all(0 <= policy.delay(n, transient) <= 0.5 * 2 ** (n - 1) for n in (1, 2, 3) for _ in range(50))
    assert policy.delay(4, transient) is None
    assert policy.delay(1, ScrapeFailure(Status.NOT_FOUND, "HTTP 404")) is None
    assert policy.delay(1, ScrapeFailure(Status.BLOCKED, "429", retryable=True, retry_after=2)) == 2
    assert policy.delay(1, ScrapeFailure(Status.BLOCKED, "429", retryable=True, retry_after=60)) is None


def test_with_retries_gives_up_with_the_last_failure() -> None:
    calls = []

    async def always_busy() -> None:
        calls.append(1)
        raise ScrapeFailure(Status.BLOCKED, "HTTP 429", retryable=True, retry_after=0)

    with pytest.raises(ScrapeFailure, match="HTTP 429"):
        asyncio.run(with_retries(always_busy, RetryPolicy(retries=2, backoff=0.01)))
    assert len(calls) == 3


def test_http_statuses_map_to_result_statuses() -> None:
    def failure(status: int, headers: dict[str, str] | None = None) -> ScrapeFailure | None:
        return http_failure(Response("http://shop.example/", status, headers or {}, b""))

    assert failure(200) is None
    assert failure(404).status is Status.NOT_FOUND and not failure(404).retryable
    throttled = failure(429, {"retry-after": "7"})
    assert throttled.status is Status.BLOCKED and throttled.retryable and throttled.retry_after == 7
    assert failure(403).status is Status.BLOCKED and not failure(403).retryable
    assert failure(503).retryable and failure(503).domain_fault and failure(501).retryable is False
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0 and parse_retry_after("soon") is None


def test_decoding_falls_back_from_a_wrong_declared_charset() -> None:
    text = "<html><body>Müller &amp; Söhne</body></html>"
    assert decode_body(text.encode("cp1252"), "utf-8") == text
    assert decode_body(b'<meta charset="windows-1252">' + "é".encode("cp1252")).endswith("é")
    assert decode_body("hé".encode("utf-8-sig")) == "hé"  # a byte-order mark wins over sniffing
    pdf = Response("http://a.example/", 200, {"content-type": "application/pdf"}, b"%PDF-1.4")
    with pytest.raises(ScrapeFailure, match="content type application/pdf is not HTML"):
        html_text(pdf)
    cut = Response("http://a.example/", 200, {"content-type": "text/html"}, b"<html><body><h1>Half")
    with pytest.raises(ScrapeFailure, match="truncated"):
        html_text(cut)


def test_slots_bound_holders_serve_waiters_in_order_and_survive_cancellation() -> None:
    async def main() -> tuple[list[str], int]:
        slots, order, peak, holding = Slots(2), [], 0, 0

        async def hold(name: str, seconds: float) -> None:
            nonlocal peak, holding
            async with slots:
                order.append(name)
                holding += 1
                peak = max(peak, holding)
                await asyncio.sleep(seconds)
                holding -= 1

        first = [asyncio.create_task(hold(name, 0.02)) for name in "ab"]
        await asyncio.sleep(0)
        waiting = [asyncio.create_task(hold(name, 0.01)) for name in "cdef"]
        await asyncio.sleep(0)
        waiting[1].cancel()  # "d" gives up while queued: the others still get their turn
        await asyncio.gather(*first, *waiting, return_exceptions=True)
        async with slots, slots:  # and every slot came back
            pass
        return order, peak

    order, peak = asyncio.run(main())
    assert order == ["a", "b", "c", "e", "f"] and peak == 2
