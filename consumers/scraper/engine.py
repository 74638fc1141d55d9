"""The scrape engine: one ScrapeRequest in, exactly one ScrapeResult (and crawl requests) out.

Stages, in order, each in its own module:
    circuit breaker (breaker.py) -> robots.txt (robots.py) -> a fetch slot when the domain's
    politeness budget allows (scheduler.py, politeness.py; robots.txt fetches take one too)
    -> fetch (fetch.py, SSRF check of every hop) or render (browser.py, SSRF check per request)
    -> HTTP status and decoding (outcome.py, decode.py) -> extraction (consumers.extract)
    -> Avro records (product.py, discovery.py)
retry.py wraps breaker..decode: a retryable failure is attempted again after a backoff.

Render modes: STATIC fetches only; BROWSER renders in Chromium; AUTO fetches statically and
renders a product page in the browser only when the static page yields no price. An engine
without a browser pool (a static scraper) hands such requests to the browser lane instead
(`ScrapeOutcome.needs_browser`): the browser scraper that takes them writes their one result.
Any failure ends as a result with its status and error text, never as an exception: nothing is
silently dropped.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from consumers.extract import ExtractionError, Extractor, ProductData
from consumers.extract.product import default_extractor
from consumers.scraper import telemetry
from consumers.scraper.breaker import CircuitBreakers
from consumers.scraper.browser import BrowserPool, PoolEvents
from consumers.scraper.decode import html_text
from consumers.scraper.discovery import discovered_requests
from consumers.scraper.fetch import Fetcher, FetchLimits, make_session
from consumers.scraper.outcome import Response, ScrapeFailure, Status, http_failure, parse_retry_after
from consumers.scraper.politeness import PolitenessPolicy
from consumers.scraper.product import avro_product
from consumers.scraper.retry import RetryPolicy, with_retries
from consumers.scraper.robots import RobotsCache
from consumers.scraper.scheduler import FetchScheduler
from schemas import records
from schemas.records import PRIORITIES
from scrapestream.config import Settings
from scrapestream.urls import CachingResolver, InvalidURL, UrlGuard, domain_of, fingerprint


@dataclass(frozen=True, slots=True)
class Page:
    """A fetched or rendered page, decoded."""

    url: str
    http_status: int | None
    html: str
    mode: str  # "static" | "browser"
    fetch_ms: int = 0
    render_ms: int = 0
    size: int = 0


@dataclass
class ScrapeOutcome:
    """The ScrapeResult record of one request and the ScrapeRequests it discovered, or (with no
    result) the request handed to the browser lane because only a browser can scrape it."""

    result: dict[str, Any] | None
    discovered: list[dict[str, Any]] = field(default_factory=list)

    @property
    def needs_browser(self) -> bool:
        return self.result is None


HANDED_TO_BROWSER = ScrapeOutcome(None)


class ScrapeEngine:
    def __init__(
        self,
        fetcher: Fetcher,
        *,
        scheduler: FetchScheduler,
        breakers: CircuitBreakers,
        retry: RetryPolicy,
        robots: RobotsCache,
        extractor: Extractor | None = None,
        browser: BrowserPool | None = None,
        scraper_id: str = "",
    ) -> None:
        self.fetcher = fetcher
        self.scheduler = scheduler
        self.breakers = breakers
        self.retry = retry
        self.robots = robots
        self.extractor = extractor or default_extractor()
        self.browser = browser
        self.scraper_id = scraper_id or f"{socket.gethostname()}/{os.getpid()}"

    async def scrape(self, request: dict[str, Any], task_id: uuid.UUID | None = None) -> ScrapeOutcome:
        """Scrape one request; every outcome, failures included, is a result."""
        started = time.perf_counter()
        url = request.get("canonical_url") or request["url"]
        domain = request.get("domain") or ""
        mode = "browser" if request["render"] == "BROWSER" else "static"
        rank = PRIORITIES.index(request["priority"])
        if mode == "browser" and self.browser is None:
            return HANDED_TO_BROWSER
        try:
            if not domain:  # publishers set it (domain_of the canonical URL); parse only when missing
                domain = domain_of(url)
            page = await self._page(url, domain, mode, rank)
            data = self._product(page) if request["kind"] == "PRODUCT" else None
            if self._wants_browser(request, data):
                if self.browser is None:
                    telemetry.request_done(domain, mode, "TO_BROWSER", time.perf_counter() - started)
                    return HANDED_TO_BROWSER
                mode = "browser"
                page = await self._page(url, domain, mode, rank)
                data = self._product(page)
            outcome = self._extracted(request, task_id, page, domain, data)
        except ScrapeFailure as failure:
            outcome = ScrapeOutcome(
                self._result(
                    request, task_id, url, domain, failure.status, failure.http_status, error=failure.message
                )
            )
        except InvalidURL as error:
            outcome = ScrapeOutcome(
                self._result(request, task_id, url, domain, Status.ERROR, error=str(error))
            )
        telemetry.request_done(domain, mode, outcome.result["status"], time.perf_counter() - started)
        return outcome

    def failure_result(
        self, request: dict[str, Any], task_id: uuid.UUID | None, status: Status, error: str
    ) -> dict[str, Any]:
        """A result for a request that could not be scraped at all."""
        url = request.get("canonical_url") or request["url"]
        return self._result(request, task_id, url, request.get("domain", ""), status, error=error)

    # -- fetching ---------------------------------------------------------------------------
    async def _page(self, url: str, domain: str, mode: str, rank: int) -> Page:
        def count_retry(failure: ScrapeFailure, delay: float) -> None:
            telemetry.retried(domain, failure.status)

        return await with_retries(lambda: self._attempt(url, domain, mode, rank), self.retry, count_retry)

    async def _attempt(self, url: str, domain: str, mode: str, rank: int) -> Page:
        await self.breakers.before_request(domain)
        try:
            await self.robots.check(url)
            fetched = self._render(url, domain, rank) if mode == "browser" else self._fetch(url, domain, rank)
            page = await fetched
        except ScrapeFailure as failure:
            # A 503 with a Retry-After we honour is a server asking for a pause (the domain's
            # budget takes it), not one that is down: flaky pages must not open the breaker.
            if failure.domain_fault and not self.retry.waits_out(failure):
                self.breakers.record_failure(domain)
            else:
                self.breakers.record_success(domain)
            raise
        self.breakers.record_success(domain)
        return page

    async def _fetch(self, url: str, domain: str, rank: int) -> Page:
        response = await fetch_politely(self.scheduler, self.fetcher, url, domain, rank)
        _raise_for_status(response)
        return Page(
            response.url,
            response.status,
            html_text(response),
            "static",
            response.fetch_ms,
            0,
            len(response.body),
        )

    async def _render(self, url: str, domain: str, rank: int) -> Page:
        browser = self.browser
        assert browser is not None, "scrape() hands BROWSER work to the browser lane when there is no pool"
        async with self.scheduler.slot(domain, rank) as ticket:
            rendered = await browser.render(url)
            ticket.answered(rendered.status)
        if rendered.status is not None:
            _raise_for_status(Response(rendered.url, rendered.status, {}, b""))
        size = len(rendered.html.encode())
        return Page(rendered.url, rendered.status, rendered.html, "browser", 0, rendered.render_ms, size)

    def _wants_browser(self, request: dict[str, Any], static_product: ProductData | None) -> bool:
        """AUTO mode: a product page whose static HTML shows no price needs a browser."""
        if request["render"] != "AUTO" or request["kind"] != "PRODUCT":
            return False
        return static_product is None or static_product.price is None

    # -- extraction -------------------------------------------------------------------------
    def _product(self, page: Page) -> ProductData | None:
        try:
            return self.extractor.product(page.html, page.url)
        except ExtractionError as error:
            raise ScrapeFailure(
                Status.ERROR, f"extraction failed: {error}", http_status=page.http_status
            ) from None

    def _extracted(
        self,
        request: dict[str, Any],
        task_id: uuid.UUID | None,
        page: Page,
        domain: str,
        data: ProductData | None,
    ) -> ScrapeOutcome:
        """The result of a fetched page: links for a category page, the product for a product page."""
        timing = {"fetch_ms": page.fetch_ms, "render_ms": page.render_ms, "size": page.size}
        if request["kind"] == "CATEGORY":
            try:
                links = self.extractor.links(page.html, page.url)
            except ExtractionError as error:
                raise ScrapeFailure(
                    Status.ERROR, f"extraction failed: {error}", http_status=page.http_status
                ) from None
            discovered = discovered_requests(links, request)
            urls = [child["canonical_url"] for child in discovered]
            result = self._result(
                request,
                task_id,
                page.url,
                domain,
                Status.OK,
                page.http_status,
                discovered_urls=urls,
                **timing,
            )
            return ScrapeOutcome(result, discovered)
        if data is None:
            result = self._result(
                request, task_id, page.url, domain, Status.NOT_FOUND, page.http_status,
                error="no product found on the page", **timing,
            )  # fmt: skip
            return ScrapeOutcome(result)
        product = avro_product(data, domain, fingerprint(page.url))
        telemetry.product_scraped(domain)
        return ScrapeOutcome(
            self._result(
                request, task_id, page.url, domain, Status.OK, page.http_status, product=product, **timing
            )
        )

    def _result(
        self,
        request: dict[str, Any],
        task_id: uuid.UUID | None,
        url: str,
        domain: str,
        status: Status,
        http_status: int | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """A ScrapeResult signed by this scraper (`fields`: the rest of records.scrape_result)."""
        return records.scrape_result(
            request,
            task_id,
            url=url,
            domain=domain,
            status=str(status),
            scraper_id=self.scraper_id,
            http_status=http_status,
            **fields,
        )


async def fetch_politely(
    scheduler: FetchScheduler, fetcher: Fetcher, url: str, domain: str, rank: int
) -> Response:
    """One GET on one of the scheduler's slots, once `domain` may be fetched; its answer informs
    the domain's budget (latency, faults, a Retry-After that pauses the whole domain)."""
    async with scheduler.slot(domain, rank) as ticket:
        response = await fetcher.fetch(url, on_sent=ticket.sent)
        ticket.answered(response.status, parse_retry_after(response.headers.get("retry-after")))
    return response


def _raise_for_status(response: Response) -> None:
    failure = http_failure(response)
    if failure is not None:
        raise failure


@asynccontextmanager
async def scrape_engine(
    settings: Settings, *, browser: bool = False, extractor: Extractor | None = None
) -> AsyncIterator[ScrapeEngine]:
    """A ready engine for `settings`, with its HTTP session (and browser pool when asked) closed after."""
    async with AsyncExitStack() as stack:
        session = await stack.enter_async_context(make_session(settings))
        guard = UrlGuard(settings.ssrf_allowlist, resolve=CachingResolver())
        fetcher = Fetcher(session, guard, FetchLimits.from_settings(settings))
        pool = None
        if browser:
            pool = await stack.enter_async_context(
                BrowserPool(
                    settings.chromium_path,
                    guard,
                    size=settings.browser_pool_size,
                    pages_per_restart=settings.browser_pages_per_restart,
                    timeout=settings.scraper_timeout_seconds,
                    user_agent=settings.scraper_user_agent,
                    events=PoolEvents(telemetry.browser_pages_in_use, telemetry.browser_restarted),
                )
            )
        scheduler = FetchScheduler(settings.scraper_concurrency, PolitenessPolicy.from_settings(settings))

        def fetch_robots(url: str) -> Awaitable[Response]:  # most urgent: every page of the site waits
            return fetch_politely(scheduler, fetcher, url, domain_of(url), rank=0)

        yield ScrapeEngine(
            fetcher,
            scheduler=scheduler,
            breakers=CircuitBreakers(
                settings.scraper_breaker_failures,
                settings.scraper_breaker_cooldown_seconds,
                telemetry.breaker_changed,
            ),
            retry=RetryPolicy(
                settings.scraper_retries,
                settings.scraper_backoff_seconds,
                max_retry_after=settings.scraper_max_retry_after_seconds,
            ),
            robots=RobotsCache(
                fetch_robots,
                settings.scraper_user_agent,
                settings.scraper_robots_ttl_seconds,
                on_crawl_delay=scheduler.set_crawl_delay,
            ),
            extractor=extractor,
            browser=pool,
        )
