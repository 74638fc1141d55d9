"""Politeness: one budget per domain that says when its next request may go on the wire.

A domain's budget is the one object its queue consults (the scheduler, scheduler.py, asks it):
- concurrency: at most `concurrency` requests at a time, and only one until the domain has
  answered once (a domain starts at one request, not a burst);
- spacing: request starts at least `delay` seconds apart, never less than the configured rate's
  interval or the site's robots.txt Crawl-delay / Request-rate (capped by a setting);
- adaptive delay (the idea of Scrapy's AutoThrottle): after each answer the delay moves half-way
  towards latency / concurrency, doubles after no answer (timeout, connection error), or a 5xx or
  429 that does not say how long to wait,
  stays within [interval, max_delay]; a rate of 0 (our own sites) turns all spacing off;
- Retry-After: a 429 or 503 that names a wait pauses the whole domain (every request of it, from
  every task) for that long, capped by `max_retry_after`.
Pure bookkeeping on a clock reading passed in: no asyncio here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scrapestream.config import Settings

PAUSING_STATUSES = frozenset((429, 503))


@dataclass(frozen=True)
class PolitenessPolicy:
    """The limits every domain gets, from settings (SCRAPER_DOMAIN_* and friends)."""

    rate: float = 0.0  # request starts per second per domain; 0 = no spacing at all
    concurrency: int = 1
    max_crawl_delay: float = 60.0  # a robots.txt Crawl-delay above this is taken as this
    max_delay: float = 60.0  # the adaptive delay's ceiling
    max_retry_after: float = 30.0  # the longest domain pause a Retry-After starts
    adaptive: bool = True

    def __post_init__(self) -> None:
        if self.rate < 0 or self.concurrency < 1:
            raise ValueError(
                f"politeness: rate must be >= 0 and concurrency >= 1, got {self.rate}, {self.concurrency}"
            )

    @classmethod
    def from_settings(cls, settings: Settings) -> PolitenessPolicy:
        return cls(
            rate=settings.scraper_domain_rate,
            concurrency=settings.scraper_domain_concurrency,
            max_crawl_delay=settings.scraper_max_crawl_delay_seconds,
            max_delay=settings.scraper_max_domain_delay_seconds,
            max_retry_after=settings.scraper_max_retry_after_seconds,
            adaptive=settings.scraper_autothrottle,
        )

    @property
    def interval(self) -> float:
        return 1.0 / self.rate if self.rate else 0.0


class DomainBudget:
    """When the next request of one domain may start. Times are readings of one monotonic clock."""

    def __init__(self, policy: PolitenessPolicy) -> None:
        self.policy = policy
        self.in_flight = 0
        self.answered = False  # until the first answer, one request at a time
        self.crawl_delay = 0.0
        self.delay = policy.interval
        self.last_start = -math.inf
        self.paused_until = -math.inf

    @property
    def interval(self) -> float:
        """The shortest spacing allowed: the configured rate's, or the site's own if longer."""
        return max(self.policy.interval, self.crawl_delay)

    def has_room(self) -> bool:
        return self.in_flight < (self.policy.concurrency if self.answered else 1)

    def ready_at(self) -> float:
        """The earliest time the next request may start, room permitting. Read at each use, so a
        Crawl-delay learnt or a delay raised since the last start applies to the next one."""
        return max(self.last_start + max(self.delay, self.interval), self.paused_until)

    def may_start(self, now: float) -> bool:
        return self.has_room() and now >= self.ready_at()

    def started(self, now: float) -> None:
        self.in_flight += 1
        self.last_start = now

    def started_elsewhere(self, at: float) -> None:
        """Another worker may have started a request of this domain as late as `at`."""
        self.last_start = max(self.last_start, at)

    def sent(self, now: float) -> None:
        """The request started at `last_start` reached the wire only at `now` (a new connection, a
        busy event loop): the site sees that arrival, so the spacing counts from it."""
        self.last_start = max(self.last_start, now)

    def finished(self, now: float, latency: float, *, status: int | None, retry_after: float | None) -> None:
        """A request of this domain ended: `status` None means no answer (timeout, connection error)."""
        self.in_flight -= 1
        self.answered = self.answered or status is not None
        if status in PAUSING_STATUSES and retry_after is not None:
            self.pause(now, retry_after)  # the site said how long: that, not a guess, is the slow-down
            return
        overloaded = status is None or status >= 500 or status == 429  # no answer, or "too many"
        self._adapt(latency, fault=overloaded, success=status is not None and 200 <= status < 300)

    def abandoned(self) -> None:
        """A request given its turn ended without reaching the domain (cancelled): nothing learnt."""
        self.in_flight -= 1

    def pause(self, now: float, seconds: float) -> None:
        self.paused_until = max(self.paused_until, now + min(seconds, self.policy.max_retry_after))

    def set_crawl_delay(self, seconds: float) -> None:
        self.crawl_delay = min(max(seconds, 0.0), self.policy.max_crawl_delay)
        self.delay = max(self.delay, self.crawl_delay)

    def _adapt(self, latency: float, *, fault: bool, success: bool) -> None:
        if not (self.policy.adaptive and self.policy.rate):
            return
        if fault:
            wanted = 2 * self.delay
        else:
            target = latency / self.policy.concurrency
            wanted = max(target, (self.delay + target) / 2)
            if not success and wanted < self.delay:
                return  # error pages are small and fast: they must not speed a domain up
        self.delay = min(max(wanted, self.interval), max(self.policy.max_delay, self.interval))
