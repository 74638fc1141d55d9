"""The browser stage: a bounded pool of Chromium pages (Playwright) that render JavaScript pages.

Debian's Chromium (settings.chromium_path) is launched by Playwright, never downloaded. One
browser and one context per worker; at most `size` pages exist, each reused for page after page
(a navigation replaces the document, so reuse is safe and skips page set-up). Memory stays
bounded: the browser is relaunched after `pages_per_restart` renders, and at once after a crash
or a render that timed out (a script in an endless loop keeps its renderer process busy).
Images, fonts, stylesheets and media are aborted in the route handler; every other request is
checked by the SSRF guard (redirect hops included, as Chromium routes each hop).

When is a page done? After the load event, an init script tracks the page's own fetch/XHR calls
(including reading their bodies) and DOM mutations; the page is read once none is pending and
the DOM has been quiet for `QUIET_MS` (bounded by the timeout). One evaluate call waits for that
and returns the HTML, so a render costs one navigation plus one round trip.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from playwright.async_api import Browser, BrowserContext, Page, Playwright, Route, async_playwright
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from consumers.scraper.outcome import ScrapeFailure, Status
from consumers.scraper.slots import Slots
from scrapestream.urls import InvalidURL, UrlGuard

CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-extensions",
    "--mute-audio",
)
BLOCKED_RESOURCES = frozenset(("image", "font", "stylesheet", "media", "imageset", "texttrack"))
QUIET_MS = 30
HUNG_PAGE_GRACE = 2.0  # seconds past the timeout for a render, or a page close, before giving up on it

# Installed before any page script runs: counts pending fetch/XHR calls and notes DOM changes.
_SETTLE_SCRIPT = """
(() => {
  let pending = 0, changed = performance.now();
  const touch = () => { changed = performance.now(); };
  const fetchOriginal = window.fetch;
  window.fetch = function (...args) {
    pending++; touch();
    return fetchOriginal.apply(this, args).finally(() => { pending--; touch(); });
  };
  // Reading a body is async too: count it, or a page reading JSON looks settled before it renders.
  for (const method of ["json", "text", "arrayBuffer", "blob"]) {
    const readOriginal = Response.prototype[method];
    Response.prototype[method] = function (...args) {
      pending++; touch();
      return readOriginal.apply(this, args).finally(() => { pending--; touch(); });
    };
  }
  const sendOriginal = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (...args) {
    pending++; touch();
    this.addEventListener("loadend", () => { pending--; touch(); }, { once: true });
    return sendOriginal.apply(this, args);
  };
  new MutationObserver(touch).observe(
    document, { subtree: true, childList: true, attributes: true, characterData: true });
  window.__scrapestreamSettled = (quietMs, maxMs) => new Promise((resolve) => {
    const started = performance.now();
    const check = () => {
      const now = performance.now();
      const quiet = pending === 0 && document.readyState === "complete" && now - changed >= quietMs;
      if (quiet || now - started >= maxMs) resolve(document.documentElement.outerHTML);
      else setTimeout(check, 5);
    };
    check();
  });
})();
"""


@dataclass(frozen=True, slots=True)
class Rendered:
    url: str  # final URL after redirects
    status: int | None
    html: str
    render_ms: int


@dataclass
class PoolEvents:
    """Hooks for metrics: pages in use changed, browser (re)launched."""

    in_use: Callable[[int], None] = lambda count: None
    restarted: Callable[[str], None] = lambda reason: None


class BrowserPool:
    """`async with BrowserPool(...) as pool: rendered = await pool.render(url)`."""

    def __init__(
        self,
        chromium_path: Path,
        guard: UrlGuard,
        *,
        size: int,
        pages_per_restart: int,
        timeout: float,
        user_agent: str,
        events: PoolEvents | None = None,
    ) -> None:
        self.chromium_path = chromium_path
        self.size = size
        self.pages_per_restart = pages_per_restart
        self.timeout = timeout
        self._guard = guard
        self._user_agent = user_agent
        self._events = events or PoolEvents()
        self._slots = Slots(size)
        self._state = asyncio.Condition()
        self._idle: list[Page] = []
        self._in_use = 0
        self._rendered = 0  # since the last launch
        self._hung = False  # a page timed out since the last launch
        self._restarting = False
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._context: BrowserContext | None = None
        self.restarts = 0

    async def __aenter__(self) -> BrowserPool:
        self._playwright = await async_playwright().start()
        await self._launch()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._shut_browser()
        if self._playwright is not None:
            await self._playwright.stop()

    async def render(self, url: str) -> Rendered:
        """Navigate to `url` (already SSRF-checked) and return the settled DOM as HTML."""
        async with self._slots:
            page = await self._take_page()
            broken = True
            try:
                rendered = await self._render(page, url)
                broken = False
                return rendered
            except ScrapeFailure as failure:
                # A page that timed out may be a script spinning forever: its renderer process is
                # busy and other pages of the site would share it, so the browser is relaunched.
                self._hung = self._hung or failure.status is Status.TIMEOUT
                raise
            finally:
                await self._give_back(page, broken)

    async def _render(self, page: Page, url: str) -> Rendered:
        started = time.perf_counter()
        timeout_ms = self.timeout * 1000
        try:
            # The outer limit covers evaluate(), which has no timeout of its own: a script looping
            # after the load event never lets the settle check run.
            async with asyncio.timeout(self.timeout + HUNG_PAGE_GRACE):
                response = await page.goto(url, wait_until="load", timeout=timeout_ms)
                elapsed_ms = (time.perf_counter() - started) * 1000
                html = await page.evaluate(
                    "([quiet, budget]) => window.__scrapestreamSettled(quiet, budget)",
                    [QUIET_MS, max(QUIET_MS, timeout_ms - elapsed_ms)],
                )
        except (PlaywrightTimeout, TimeoutError):
            raise ScrapeFailure(
                Status.TIMEOUT,
                f"page did not load within {self.timeout:g} s",
                retryable=True,
                domain_fault=True,
            ) from None
        except PlaywrightError as error:
            message = error.message.splitlines()[0] if error.message else repr(error)
            raise ScrapeFailure(
                Status.ERROR, f"browser: {message}", retryable=True, domain_fault=True
            ) from None
        render_ms = int((time.perf_counter() - started) * 1000)
        return Rendered(page.url, response.status if response else None, html, render_ms)

    # -- pages ------------------------------------------------------------------------------
    async def _take_page(self) -> Page:
        async with self._state:
            await self._state.wait_for(lambda: not self._restarting)
            if self._rendered >= self.pages_per_restart or self._hung or not self._connected():
                await self._restart("crash" if not self._connected() else "hung" if self._hung else "pages")
            self._in_use += 1
            self._rendered += 1
            self._events.in_use(self._in_use)
            page = self._idle.pop() if self._idle else None
        if page is None or page.is_closed():
            assert self._context is not None
            page = await self._context.new_page()
        return page

    async def _give_back(self, page: Page, broken: bool) -> None:
        async with self._state:
            self._in_use -= 1
            self._events.in_use(self._in_use)
            if broken or self._restarting or page.is_closed():
                with contextlib.suppress(PlaywrightError, TimeoutError):  # a hung page may not close
                    await asyncio.wait_for(page.close(), HUNG_PAGE_GRACE)
            else:
                self._idle.append(page)
            self._state.notify_all()

    # -- the browser ------------------------------------------------------------------------
    def _connected(self) -> bool:
        return self._browser is not None and self._browser.is_connected()

    async def _restart(self, reason: str) -> None:
        """Relaunch once every page in use is handed back (called holding the state lock)."""
        self._restarting = True
        try:
            await self._state.wait_for(lambda: self._in_use == 0)
            await self._shut_browser()
            await self._launch()
            self.restarts += 1
            self._events.restarted(reason)
        finally:
            self._restarting = False
            self._state.notify_all()

    async def _launch(self) -> None:
        assert self._playwright is not None
        self._browser = await self._playwright.chromium.launch(
            executable_path=str(self.chromium_path), args=list(CHROMIUM_ARGS), headless=True
        )
        self._context = await self._browser.new_context(user_agent=self._user_agent, service_workers="block")
        await self._context.add_init_script(_SETTLE_SCRIPT)
        await self._context.route("**/*", self._route)
        self._rendered = 0
        self._hung = False

    async def _shut_browser(self) -> None:
        self._idle.clear()
        if self._browser is not None:
            with contextlib.suppress(PlaywrightError):
                await self._browser.close()
        self._browser = self._context = None

    async def _route(self, route: Route) -> None:
        with contextlib.suppress(PlaywrightError):  # the page may close while a request is routed
            if route.request.resource_type in BLOCKED_RESOURCES or not await self._allowed(route.request.url):
                await route.abort("blockedbyclient")
            else:
                await route.continue_()

    async def _allowed(self, url: str) -> bool:
        try:
            await self._guard.check(url)
        except (InvalidURL, OSError):
            return False
        return True
