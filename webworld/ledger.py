"""Per-domain bookkeeping: which limits an arriving request breaks, and what the domain answered.

    VIOLATION_KINDS                 concurrency, rate, crawl_delay, retry_after, robots
    DomainLedger                    one domain's in-flight count, windows and counters
    DomainStats, WorldStats         snapshots of the counters (`WorldStats.to_json()` is /stats,
                                    `WorldStats.from_json` reads it back)

Times are whatever the world's clock returns (time.monotonic by default: the same clock in every
process of the machine, so a benchmark can compare its own readings with them).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from typing import Any, NamedTuple

from webworld.profiles import DomainProfile
from webworld.robots import disallows

VIOLATION_KINDS = ("concurrency", "rate", "crawl_delay", "retry_after", "robots")


@dataclass
class DomainStats:
    """Counters of one domain. `pages` counts product pages served (200); `violations` counts
    requests by the limit they broke (a request may break several)."""

    domain: str
    requests: int = 0
    pages: int = 0
    sent_429: int = 0
    sent_503: int = 0
    violations: dict[str, int] = field(default_factory=lambda: dict.fromkeys(VIOLATION_KINDS, 0))
    first_arrival: float | None = None
    last_arrival: float | None = None
    max_in_flight: int = 0


@dataclass(frozen=True)
class WorldStats:
    """Totals over every domain, and every domain's row (in domain order)."""

    requests: int
    pages: int
    sent_429: int
    sent_503: int
    violations: dict[str, int]
    first_arrival: float | None
    last_arrival: float | None
    domains: tuple[DomainStats, ...]

    @classmethod
    def of(cls, rows: tuple[DomainStats, ...]) -> WorldStats:
        firsts = [row.first_arrival for row in rows if row.first_arrival is not None]
        lasts = [row.last_arrival for row in rows if row.last_arrival is not None]
        return cls(
            requests=sum(row.requests for row in rows),
            pages=sum(row.pages for row in rows),
            sent_429=sum(row.sent_429 for row in rows),
            sent_503=sum(row.sent_503 for row in rows),
            violations={kind: sum(row.violations[kind] for row in rows) for kind in VIOLATION_KINDS},
            first_arrival=min(firsts, default=None),
            last_arrival=max(lasts, default=None),
            domains=rows,
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WorldStats:
        """The stats of a GET /stats answer."""
        return cls(**{**data, "domains": tuple(DomainStats(**row) for row in data["domains"])})


class Arrival(NamedTuple):
    violations: tuple[str, ...]
    nth: int  # this is the n-th request for its path (0-based): per-request draws hash it


class DomainLedger:
    """Judges each arrival against the domain's limits and counts what happens.

    A robots.txt Crawl-delay binds a crawler only once robots.txt has been served (200): until
    then the crawler cannot know it, and arrivals are judged by `rate_interval` (1/rate) alone.
    """

    def __init__(self, profile: DomainProfile, tolerance: float, rate_interval: float | None = None) -> None:
        self.profile = profile
        self._min_gap = profile.interval * (1 - tolerance)
        self._min_gap_unread = (profile.interval if rate_interval is None else rate_interval) * (
            1 - tolerance
        )
        self.in_flight = 0
        self.reset()

    def reset(self) -> None:
        """Zero the counters and forget past arrivals; requests in flight stay in flight."""
        self.counts = DomainStats(self.profile.domain, max_in_flight=self.in_flight)
        self._retry_until = float("-inf")
        self._path_requests: Counter[str] = Counter()
        self._robots_read = False

    def arrive(self, path: str, now: float) -> Arrival:
        """A request for `path` (with query) arrived at `now`: judge it, then count it in flight."""
        counts = self.counts
        violations = []
        if self.in_flight >= self.profile.concurrency:
            violations.append("concurrency")
        min_gap, kind = (
            (self._min_gap, self.profile.rate_kind) if self._robots_read else (self._min_gap_unread, "rate")
        )
        if counts.last_arrival is not None and now - counts.last_arrival < min_gap:
            violations.append(kind)
        if now < self._retry_until:
            violations.append("retry_after")
        if disallows(self.profile.robots, path):
            violations.append("robots")
        for kind in violations:
            counts.violations[kind] += 1
        counts.requests += 1
        if counts.first_arrival is None:
            counts.first_arrival = now
        counts.last_arrival = now
        self.in_flight += 1
        counts.max_in_flight = max(counts.max_in_flight, self.in_flight)
        nth = self._path_requests[path]
        self._path_requests[path] += 1
        return Arrival(tuple(violations), nth)

    def answered(
        self, status: int, product_page: bool, retry_after: int | None, now: float, robots_txt: bool = False
    ) -> None:
        """The domain answered `status`; a Retry-After opens a window before which arrivals violate it."""
        counts = self.counts
        self._robots_read = self._robots_read or (robots_txt and status == 200)
        if status == 200 and product_page:
            counts.pages += 1
        elif status == 429:
            counts.sent_429 += 1
        elif status == 503:
            counts.sent_503 += 1
        if retry_after is not None:
            self._retry_until = max(self._retry_until, now + retry_after)

    def depart(self) -> None:
        """The request is no longer in flight (answered, or its handler ended otherwise)."""
        self.in_flight -= 1

    def stats(self) -> DomainStats:
        return replace(self.counts, violations=dict(self.counts.violations))
