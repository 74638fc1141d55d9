"""Per-domain circuit breaker: stop hammering a domain that is down, probe it now and then.

CLOSED: requests flow; `failure_threshold` consecutive domain faults (connection errors,
timeouts, 5xx - see ScrapeFailure.domain_fault - but not a 503 whose Retry-After the engine
honours) open the circuit.
OPEN: every request fails at once with status ERROR and "circuit open" in its error text (ERROR
rather than BLOCKED: the site did not refuse us, we chose not to ask); after `cooldown` seconds
the next request becomes a probe.
HALF_OPEN: one probe is in flight and other requests wait for its verdict (a request must not fail
against a domain that has come back): its success (any answer that is not a domain fault) closes
the circuit and lets them go, its failure opens it for another cool-down and fails them fast. They
wait at most `verdict_wait` seconds, then fail fast as before: a waiting request holds one of the
worker's request slots, and a probe hanging on a dead domain must not hold them all. A probe that
reports nothing within a cool-down (cancelled, hung) is replaced by the next request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from consumers.scraper.outcome import ScrapeFailure, Status


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


VERDICT_WAIT = 5.0  # seconds a request waits for the probe's verdict at most
# Gauge values for metrics: 0 closed, 1 half-open, 2 open.
STATE_VALUES = {BreakerState.CLOSED: 0, BreakerState.HALF_OPEN: 1, BreakerState.OPEN: 2}


@dataclass
class _Circuit:
    state: BreakerState = BreakerState.CLOSED
    failures: int = 0
    opened_at: float = 0.0
    verdict: asyncio.Event = field(default_factory=asyncio.Event)  # set when the probe reports


class CircuitBreakers:
    """One circuit per domain. `on_change(domain, state)` is told of every state change."""

    def __init__(
        self,
        failure_threshold: int,
        cooldown: float,
        on_change: Callable[[str, BreakerState], None] = lambda domain, state: None,
        clock: Callable[[], float] = time.monotonic,
        verdict_wait: float = VERDICT_WAIT,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.cooldown = cooldown
        self.verdict_wait = verdict_wait
        self._circuits: dict[str, _Circuit] = {}
        self._on_change = on_change
        self._clock = clock

    def state(self, domain: str) -> BreakerState:
        return self._circuits.get(domain, _Circuit()).state

    async def before_request(self, domain: str) -> None:
        """Raise ScrapeFailure(ERROR, 'circuit open ...') unless a request to `domain` may go ahead."""
        circuit = self._circuits.setdefault(domain, _Circuit())
        while circuit.state is BreakerState.HALF_OPEN:
            probe, lost_in = circuit.verdict, self.cooldown - (self._clock() - circuit.opened_at)
            if lost_in <= 0:
                self._start_probe(domain, circuit)  # that probe is lost: this request replaces it
                return
            reported = await _reported(probe, min(lost_in, self.verdict_wait))
            still_probing = circuit.verdict is probe and self._clock() - circuit.opened_at < self.cooldown
            if not reported and still_probing:  # waited verdict_wait: give the request slot back
                raise self._refusal(domain, circuit, "a probe is in flight")
        if circuit.state is BreakerState.CLOSED:
            return
        waited = self._clock() - circuit.opened_at
        if waited >= self.cooldown:
            self._start_probe(domain, circuit)
            return
        raise self._refusal(domain, circuit, f"next probe in {self.cooldown - waited:.1f} s")

    @staticmethod
    def _refusal(domain: str, circuit: _Circuit, detail: str) -> ScrapeFailure:
        return ScrapeFailure(
            Status.ERROR, f"circuit open for {domain} after {circuit.failures} consecutive failures; {detail}"
        )

    def _start_probe(self, domain: str, circuit: _Circuit) -> None:
        self._set(domain, circuit, BreakerState.HALF_OPEN)
        circuit.opened_at = self._clock()
        circuit.verdict = asyncio.Event()

    def record_success(self, domain: str) -> None:
        circuit = self._circuits.setdefault(domain, _Circuit())
        circuit.failures = 0
        if circuit.state is not BreakerState.CLOSED:
            self._set(domain, circuit, BreakerState.CLOSED)

    def record_failure(self, domain: str) -> None:
        circuit = self._circuits.setdefault(domain, _Circuit())
        circuit.failures += 1
        if circuit.state is BreakerState.HALF_OPEN or (
            circuit.state is BreakerState.CLOSED and circuit.failures >= self.failure_threshold
        ):
            circuit.opened_at = self._clock()
            self._set(domain, circuit, BreakerState.OPEN)

    def _set(self, domain: str, circuit: _Circuit, state: BreakerState) -> None:
        if circuit.state is BreakerState.HALF_OPEN:
            circuit.verdict.set()
        circuit.state = state
        self._on_change(domain, state)


async def _reported(verdict: asyncio.Event, timeout: float) -> bool:
    """Whether the probe reports within `timeout` seconds."""
    try:
        await asyncio.wait_for(verdict.wait(), timeout)
    except TimeoutError:
        return False
    return True
