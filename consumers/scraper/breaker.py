"""Per-domain circuit breaker: stop hammering a domain that is down, probe it now and then.

CLOSED: requests flow; `failure_threshold` consecutive domain faults (connection errors,
timeouts, 5xx - see ScrapeFailure.domain_fault) open the circuit.
OPEN: every request fails at once with status ERROR and "circuit open" in its error text (ERROR
rather than BLOCKED: the site did not refuse us, we chose not to ask); after `cooldown` seconds
the next request becomes a probe.
HALF_OPEN: one probe is in flight, others still fail fast; its success (any answer that is not a
domain fault) closes the circuit, its failure opens it for another cool-down. A probe that never
reports (cancelled) is replaced by a new one after another cool-down.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from consumers.scraper.outcome import ScrapeFailure, Status


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


# Gauge values for metrics: 0 closed, 1 half-open, 2 open.
STATE_VALUES = {BreakerState.CLOSED: 0, BreakerState.HALF_OPEN: 1, BreakerState.OPEN: 2}


@dataclass
class _Circuit:
    state: BreakerState = BreakerState.CLOSED
    failures: int = 0
    opened_at: float = 0.0


class CircuitBreakers:
    """One circuit per domain. `on_change(domain, state)` is told of every state change."""

    def __init__(
        self,
        failure_threshold: int,
        cooldown: float,
        on_change: Callable[[str, BreakerState], None] = lambda domain, state: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.cooldown = cooldown
        self._circuits: dict[str, _Circuit] = {}
        self._on_change = on_change
        self._clock = clock

    def state(self, domain: str) -> BreakerState:
        return self._circuits.get(domain, _Circuit()).state

    def before_request(self, domain: str) -> None:
        """Raise ScrapeFailure(ERROR, 'circuit open ...') unless a request to `domain` may go ahead."""
        circuit = self._circuits.setdefault(domain, _Circuit())
        if circuit.state is BreakerState.CLOSED:
            return
        waited = self._clock() - circuit.opened_at
        if waited >= self.cooldown:
            circuit.opened_at = self._clock()  # this request is the probe
            self._set(domain, circuit, BreakerState.HALF_OPEN)
            return
        detail = (
            "a probe is in flight"
            if circuit.state is BreakerState.HALF_OPEN
            else f"next probe in {self.cooldown - waited:.1f} s"
        )
        raise ScrapeFailure(
            Status.ERROR, f"circuit open for {domain} after {circuit.failures} consecutive failures; {detail}"
        )

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
        circuit.state = state
        self._on_change(domain, state)
