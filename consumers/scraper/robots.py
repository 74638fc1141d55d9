"""robots.txt: fetched once per site (scheme, host, port), cached for a TTL, obeyed.

Rules are read per RFC 9309 by Protego (the parser Scrapy uses): the group of our user agent's
product token or `*`, the longest matching rule wins, `*` and `$` wildcards. Answers: 2xx -> the
rules; 4xx but 429 -> no rules (everything allowed); 429, 5xx or no answer -> the site is
unreachable and the request fails (retryable, after any Retry-After), rather than guessing. A
disallowed URL ends as SKIPPED_ROBOTS.
Concurrent requests for one site share a single fetch. A site's Crawl-delay (or Request-rate,
whichever asks for the longer spacing) is passed to `on_crawl_delay(domain, seconds)`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from protego import Protego

from consumers.scraper.decode import decode_body, split_content_type
from consumers.scraper.outcome import Response, ScrapeFailure, Status, parse_retry_after

Fetch = Callable[[str], Awaitable[Response]]
TOO_MANY_REQUESTS = 429


class RobotsCache:
    def __init__(
        self,
        fetch: Fetch,
        user_agent: str,
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
        on_crawl_delay: Callable[[str, float], None] = lambda domain, seconds: None,
    ):
        self._fetch = fetch
        self._user_agent = user_agent
        self._ttl = ttl
        self._clock = clock
        self._on_crawl_delay = on_crawl_delay
        self._rules: dict[str, tuple[float, Protego]] = {}
        self._pending: dict[str, asyncio.Future[Protego]] = {}

    async def check(self, url: str) -> None:
        """Raise ScrapeFailure(SKIPPED_ROBOTS) when robots.txt forbids `url` (a canonical URL)."""
        rules = await self.rules_for(url)
        if not rules.can_fetch(url, self._user_agent):
            raise ScrapeFailure(Status.SKIPPED_ROBOTS, f"disallowed by robots.txt for {self._user_agent}")

    async def rules_for(self, url: str) -> Protego:
        parts = urlsplit(url)
        site = f"{parts.scheme}://{parts.netloc}"
        cached = self._rules.get(site)
        if cached and self._clock() - cached[0] < self._ttl:
            return cached[1]
        pending = self._pending.get(site)
        if pending is None:
            pending = self._pending[site] = asyncio.ensure_future(self._load(site))
            pending.add_done_callback(lambda _: self._pending.pop(site, None))
        return await asyncio.shield(pending)

    async def _load(self, site: str) -> Protego:
        response = await self._fetch(f"{site}/robots.txt")
        if 200 <= response.status < 300:
            _, charset = split_content_type(response.headers.get("content-type", ""))
            rules = Protego.parse(decode_body(response.body, charset))
        elif 400 <= response.status < 500 and response.status != TOO_MANY_REQUESTS:
            rules = Protego.parse("")  # no robots.txt: everything is allowed
        else:  # a 429 is no answer either: "allow all" would ignore both the site's rules and its plea
            raise ScrapeFailure(
                Status.ERROR,
                f"robots.txt unreachable (HTTP {response.status})",
                http_status=response.status,
                retryable=True,
                domain_fault=True,
                retry_after=parse_retry_after(response.headers.get("retry-after")),
            )
        self._rules[site] = (self._clock(), rules)
        self._on_crawl_delay(urlsplit(site).netloc, self._spacing(rules))
        return rules

    def _spacing(self, rules: Protego) -> float:
        """Seconds between requests the site asks of us: Crawl-delay, or 1 / Request-rate."""
        rate = rules.request_rate(self._user_agent)
        by_rate = rate.seconds / rate.requests if rate and rate.requests else 0.0
        return max(rules.crawl_delay(self._user_agent) or 0.0, by_rate)
