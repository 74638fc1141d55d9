"""robots.txt: fetched once per site (scheme, host, port), cached for a TTL, obeyed.

Answers follow RFC 9309: 2xx -> the rules; 4xx -> no rules (everything allowed); 5xx or no
answer -> the site is unreachable and the request fails (retryable), rather than guessing. A
disallowed URL ends as SKIPPED_ROBOTS. Concurrent requests for one site share a single fetch.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from consumers.scraper.decode import decode_body, split_content_type
from consumers.scraper.outcome import Response, ScrapeFailure, Status

Fetch = Callable[[str], Awaitable[Response]]


class RobotsCache:
    def __init__(
        self, fetch: Fetch, user_agent: str, ttl: float, clock: Callable[[], float] = time.monotonic
    ):
        self._fetch = fetch
        self._user_agent = user_agent
        self._ttl = ttl
        self._clock = clock
        self._rules: dict[str, tuple[float, RobotFileParser]] = {}
        self._pending: dict[str, asyncio.Future[RobotFileParser]] = {}

    async def check(self, url: str) -> None:
        """Raise ScrapeFailure(SKIPPED_ROBOTS) when robots.txt forbids `url` (a canonical URL)."""
        rules = await self.rules_for(url)
        if not rules.can_fetch(self._user_agent, url):
            raise ScrapeFailure(Status.SKIPPED_ROBOTS, f"disallowed by robots.txt for {self._user_agent}")

    async def rules_for(self, url: str) -> RobotFileParser:
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

    async def _load(self, site: str) -> RobotFileParser:
        response = await self._fetch(f"{site}/robots.txt")
        rules = RobotFileParser()
        if 200 <= response.status < 300:
            _, charset = split_content_type(response.headers.get("content-type", ""))
            rules.parse(decode_body(response.body, charset).splitlines())
        elif 400 <= response.status < 500:
            rules.parse([])  # no robots.txt: everything is allowed
        else:
            raise ScrapeFailure(
                Status.ERROR,
                f"robots.txt unreachable (HTTP {response.status})",
                http_status=response.status,
                retryable=True,
                domain_fault=True,
            )
        self._rules[site] = (self._clock(), rules)
        return rules
