"""The static fetch stage: one shared aiohttp session, redirects followed by hand, hard limits.

Every hop of a redirect chain is checked by the SSRF guard (scrapestream.urls.UrlGuard) before it
is requested, so a public page cannot bounce the scraper into the private network; allowlisted
hosts (settings.ssrf_allowlist) pass. Limits: total time for the whole chain, body size (checked
against Content-Length before reading, and on the decompressed bytes while reading), number of
redirects.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from urllib.parse import urljoin

import aiohttp
from yarl import URL

from consumers.scraper.outcome import Response, ScrapeFailure, Status
from scrapestream.config import Settings
from scrapestream.urls import BlockedURL, InvalidURL, UrlGuard

REDIRECT_STATUSES = frozenset((301, 302, 303, 307, 308))
# Headers later stages read; the rest are not copied out of aiohttp's multidict.
KEPT_HEADERS = ("content-type", "retry-after", "content-length")


@dataclass(frozen=True)
class FetchLimits:
    timeout: float
    max_body_bytes: int
    max_redirects: int

    @classmethod
    def from_settings(cls, settings: Settings) -> FetchLimits:
        return cls(
            settings.scraper_timeout_seconds, settings.scraper_max_body_bytes, settings.scraper_max_redirects
        )


def make_session(settings: Settings) -> aiohttp.ClientSession:
    """The one HTTP session a worker shares between all its fetches (connection pool, DNS cache)."""
    connector = aiohttp.TCPConnector(
        limit=settings.scraper_concurrency * 2, limit_per_host=0, ttl_dns_cache=300
    )
    on_the_wire = aiohttp.TraceConfig()
    on_the_wire.on_request_headers_sent.append(_report_sent)
    return aiohttp.ClientSession(
        connector=connector,
        trace_configs=[on_the_wire],
        headers={
            "User-Agent": settings.scraper_user_agent,
            "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
        },
        cookie_jar=aiohttp.DummyCookieJar(),  # stateless: a page never depends on an earlier one
        timeout=aiohttp.ClientTimeout(total=None),  # the fetcher bounds the whole redirect chain itself
    )


async def _report_sent(session: object, context: SimpleNamespace, params: object) -> None:
    """Tell the fetch's `on_sent` (its trace_request_ctx) that the request headers went out."""
    if context.trace_request_ctx is not None:
        context.trace_request_ctx()


class Fetcher:
    def __init__(self, session: aiohttp.ClientSession, guard: UrlGuard, limits: FetchLimits) -> None:
        self.session = session
        self.guard = guard
        self.limits = limits

    async def fetch(self, url: str, on_sent: Callable[[], None] | None = None) -> Response:
        """GET `url`, following redirects; any status is returned, failures raise ScrapeFailure.
        `on_sent()` is called each time a request of the chain has gone on the wire."""
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.limits.timeout):
                response = await self._follow(url, on_sent)
        except TimeoutError:
            raise ScrapeFailure(
                Status.TIMEOUT,
                f"no complete answer within {self.limits.timeout:g} s",
                retryable=True,
                domain_fault=True,
            ) from None
        except BlockedURL as error:
            raise ScrapeFailure(Status.ERROR, f"refused by the SSRF guard: {error}") from None
        except InvalidURL as error:
            raise ScrapeFailure(Status.ERROR, f"invalid URL: {error}") from None
        except (aiohttp.ClientError, OSError) as error:
            raise ScrapeFailure(
                Status.ERROR, f"connection failed: {error!r}", retryable=True, domain_fault=True
            ) from None
        fetch_ms = int((time.perf_counter() - started) * 1000)
        return Response(response.url, response.status, response.headers, response.body, fetch_ms)

    async def _follow(self, url: str, on_sent: Callable[[], None] | None) -> Response:
        for _ in range(self.limits.max_redirects + 1):
            checked = await self.guard.check(url)
            request = self.session.get(
                URL(checked, encoded=True), allow_redirects=False, trace_request_ctx=on_sent
            )
            async with request as reply:
                location = reply.headers.get("Location")
                if reply.status in REDIRECT_STATUSES and location:
                    url = urljoin(checked, location.strip())
                    continue
                headers = {name: reply.headers[name] for name in KEPT_HEADERS if name in reply.headers}
                return Response(checked, reply.status, headers, await self._read(reply))
        raise ScrapeFailure(Status.ERROR, f"more than {self.limits.max_redirects} redirects")

    async def _read(self, reply: aiohttp.ClientResponse) -> bytes:
        """The body, decompressed, refused as soon as it passes the limit.

        Always streamed and counted: Content-Length gives the size on the wire, which for a
        gzip/deflate/br body says nothing about its decompressed size (a 2 MB "zip bomb" can
        expand to gigabytes), and aiohttp decompresses what `content` yields.
        """
        limit = self.limits.max_body_bytes
        if reply.content_length is not None and reply.content_length > limit:
            raise self._too_large(reply.status, f"{reply.content_length} bytes announced")
        chunks, size = [], 0
        async for chunk in reply.content.iter_any():
            size += len(chunk)
            if size > limit:
                raise self._too_large(reply.status, f"more than {size} bytes, decompressed")
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self, http_status: int, detail: str) -> ScrapeFailure:
        return ScrapeFailure(
            Status.ERROR,
            f"body larger than {self.limits.max_body_bytes} bytes ({detail})",
            http_status=http_status,
        )
