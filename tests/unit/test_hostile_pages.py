"""Hostile pages against the scrape engine: a purpose-built server on 127.0.0.1 serves huge, endless,
slow, compressed-bomb, mislabelled, over-nested and script-heavy pages. Each request must end in one
clean result with a typed status (consumers/scraper/outcome.py) within the configured limits, and the
same engine (and browser pool) must go on serving good pages afterwards.
"""

from __future__ import annotations

import asyncio
import time
import zlib
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from typing import Any

import brotli
from aiohttp import web

from consumers.scraper.engine import ScrapeEngine, scrape_engine
from schemas.codec import Codec
from scrapestream.config import load_settings
from tests.integration.gateway_helpers import serving
from tests.scraper_harness import request, scraper_settings

TIMEOUT = 2.0  # scraper_timeout_seconds of these tests: a slow page must be cut at about this
MAX_BODY = 2_000_000
BOMB_BYTES = 200_000_000  # what each compressed bomb expands to (a few hundred KB on the wire)
GOOD_PAGE = """<html><head><meta property="og:title" content="Plain Teapot">
<meta property="product:price:amount" content="24.50"><meta property="product:price:currency" content="EUR">
</head><body><h1>Plain Teapot</h1></body></html>"""
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def html(text: str, **headers: str) -> web.Response:
    return web.Response(text=text, content_type="text/html", headers=headers)


def bomb(encoding: str) -> bytes:
    """An HTML start and BOMB_BYTES zeros, compressed chunk by chunk (never all in memory)."""
    compressor: Any = (
        brotli.Compressor(quality=5)
        if encoding == "br"
        else zlib.compressobj(9, wbits=31 if encoding == "gzip" else 15)
    )
    compress = compressor.process if encoding == "br" else compressor.compress
    parts = [compress(b"<html><body>")]
    zeros = bytes(1_000_000)
    parts += [compress(zeros) for _ in range(BOMB_BYTES // len(zeros))]
    parts.append(compressor.finish() if encoding == "br" else compressor.flush())
    return b"".join(parts)


BOMBS: dict[str, bytes] = {}


async def compressed_bomb(request: web.Request) -> web.Response:
    encoding = request.match_info["encoding"]
    return web.Response(
        body=BOMBS[encoding], headers={"Content-Type": "text/html", "Content-Encoding": encoding}
    )


async def corrupt_gzip(_: web.Request) -> web.Response:
    return web.Response(body=b"\x1f\x8b\x08\x00garbage" * 100, headers={"Content-Encoding": "gzip"})


HUGE_PAGE = "<html><body>" + "x" * MAX_BODY + "</body></html>"


async def huge_announced(_: web.Request) -> web.Response:
    return html(HUGE_PAGE)


async def huge_streamed(request: web.Request) -> web.StreamResponse:
    """An endless chunked body: no Content-Length to refuse up front."""
    response = web.StreamResponse(headers={"Content-Type": "text/html"})
    await response.prepare(request)
    chunk = b"<div>" + b"x" * 65_531
    while True:
        await response.write(chunk)


async def slow_drip(request: web.Request) -> web.StreamResponse:
    """A byte every 0.1 s, forever: each read succeeds, so only the total time limit stops it."""
    response = web.StreamResponse(headers={"Content-Type": "text/html"})
    await response.prepare(request)
    while True:
        await response.write(b"<")
        await asyncio.sleep(0.1)


async def endless_redirects(request: web.Request) -> web.Response:
    hop = int(request.query.get("hop", "0"))
    return web.Response(status=302, headers={"Location": f"/endless?hop={hop + 1}"})


async def redirect_to_itself(_: web.Request) -> web.Response:
    return web.Response(status=301, headers={"Location": "/loop"})


async def redirect_to(request: web.Request) -> web.Response:
    return web.Response(status=302, headers={"Location": request.query["to"]})


OFFER = '{"price": "49.50", "priceCurrency": "EUR"}'


def charset_page(charset: str, body: bytes) -> Handler:
    async def page(_: web.Request) -> web.Response:
        return web.Response(body=body, headers={"Content-Type": f"text/html; charset={charset}"})

    return page


def jsonld_product(**fields: str) -> str:
    """A product page whose JSON-LD holds `fields` as written (raw JSON values, escapes kept)."""
    members = ", ".join(f'"{name}": {value}' for name, value in fields.items())
    script = f'<script type="application/ld+json">{{"@type": "Product", {members}}}</script>'
    return f"<html><head>{script}</head><body></body></html>"


# Pages whose values do not fit the ScrapeResult schema as they stand: before avro_product bounded
# them, the result could not be encoded and the scraper worker stopped (and stopped again on the
# redelivered task after every restart).
POISON_PAGES = {
    "/poison/surrogates": charset_page(
        "utf-8",
        jsonld_product(
            name='"Kettle \\ud800"', sku='"\\udfff"', brand='{"name": "\\ud83d"}', offers=OFFER
        ).encode(),
    ),
    "/poison/numbers": charset_page(
        "utf-8",
        jsonld_product(
            name='"Kettle"',
            offers=OFFER,
            aggregateRating='{"ratingValue": 1e300, "reviewCount": 99999999999}',
        ).encode(),
    ),
    "/poison/utf-7": charset_page(
        "utf-7",
        b'<html><head><meta property="og:title" content="Kettle +2AA-">'
        b'<meta property="product:price:amount" content="49.50">'
        b'<meta property="product:price:currency" content="EUR"></head><body></body></html>',
    ),
}


async def deep_nesting(_: web.Request) -> web.Response:
    return html("<html><body>" + "<div>" * 390_000 + "</body></html>")


async def good_page(_: web.Request) -> web.Response:
    return html(GOOD_PAGE)


async def no_robots(_: web.Request) -> web.Response:
    return web.Response(status=404)


# Pages for the browser pool (render=BROWSER): path -> (markup in <head>, expected status).
SCRIPT_PAGES = {
    "/js/loop-inline": ("<script>while (true) {}</script>", "TIMEOUT"),
    "/js/loop-after-load": (
        "<script>onload = () => setTimeout(() => { for (;;) {} }, 0)</script>",
        "TIMEOUT",
    ),
    "/js/alerts": ("<script>for (;;) { alert('hi'); confirm('sure?'); }</script>", "TIMEOUT"),
    "/js/huge-dom": (
        """<script>onload = () => { const body = document.body;
        for (let i = 0; i < 3e6; i++) body.appendChild(document.createElement('div')); }</script>""",
        "TIMEOUT",
    ),
    # Never quiet: the settle wait ends at the time budget and the page is read as it is.
    "/js/busy-mutations": (
        "<script>setInterval(() => document.body.dataset.t = Date.now(), 1)</script>",
        "NOT_FOUND",
    ),
}


def script_page(markup: str) -> Handler:
    async def page(_: web.Request) -> web.Response:
        return html(f"<html><head>{markup}</head><body><h1>x</h1></body></html>")

    return page


ROUTES: dict[str, Handler] = {
    "/robots.txt": no_robots,
    "/good": good_page,
    "/bomb/{encoding}": compressed_bomb,
    "/corrupt-gzip": corrupt_gzip,
    "/huge": huge_announced,
    "/huge-streamed": huge_streamed,
    "/drip": slow_drip,
    "/endless": endless_redirects,
    "/loop": redirect_to_itself,
    "/to": redirect_to,
    "/charset/undefined": charset_page("undefined", b"<html><body>\xff\xfe caf\xe9</body></html>"),
    "/charset/unknown": charset_page("x-no-such-charset", b"<html><body>caf\xe9</body></html>"),
    "/charset/utf-16-lie": charset_page("utf-16", b"<html><body>odd length\xff</body></html>"),
    "/charset/binary": charset_page("utf-8", bytes(range(256)) * 50 + b"</html>"),
    "/deep": deep_nesting,
    **{path: script_page(markup) for path, (markup, _) in SCRIPT_PAGES.items()},
    **POISON_PAGES,
}


@contextmanager
def hostile_server() -> Iterator[str]:
    """The hostile server's base URL on 127.0.0.1, served from a thread and event loop of its own so
    it never slows the scraper down."""
    for encoding in ("gzip", "deflate", "br"):
        BOMBS.setdefault(encoding, bomb(encoding))
    app = web.Application()
    for path, handler in ROUTES.items():
        app.router.add_get(path, handler)
    with serving(app) as base_url:
        yield base_url


def engine_for(
    base_url: str, *, browser: bool = False, **changes: Any
) -> AbstractAsyncContextManager[ScrapeEngine]:
    """An engine allowed to fetch the hostile server (its port only), one attempt per request."""
    options = {
        "ssrf_allowlist": (base_url.removeprefix("http://"),),
        "scraper_timeout_seconds": TIMEOUT,
        "scraper_max_body_bytes": MAX_BODY,
        "scraper_retries": 0,  # one attempt: the outcome of the page itself, not of retries
    }
    return scrape_engine(scraper_settings(load_settings(), **options | changes), browser=browser)


async def timed_scrape(
    engine: ScrapeEngine, url: str, render: str = "STATIC"
) -> tuple[dict[str, Any], float]:
    started = time.monotonic()
    result = (await engine.scrape(request(url, render=render))).result
    return result, time.monotonic() - started


# (path, status, start of the error text)
STATIC_CASES = [
    ("/bomb/gzip", "ERROR", f"body larger than {MAX_BODY} bytes (more than"),
    ("/bomb/deflate", "ERROR", f"body larger than {MAX_BODY} bytes (more than"),
    ("/bomb/br", "ERROR", f"body larger than {MAX_BODY} bytes (more than"),
    ("/corrupt-gzip", "ERROR", "connection failed"),
    ("/huge", "ERROR", f"body larger than {MAX_BODY} bytes ({len(HUGE_PAGE)} bytes announced)"),
    ("/huge-streamed", "ERROR", f"body larger than {MAX_BODY} bytes (more than"),
    ("/drip", "TIMEOUT", f"no complete answer within {TIMEOUT:g} s"),
    ("/endless", "ERROR", "more than 5 redirects"),
    ("/loop", "ERROR", "more than 5 redirects"),
    ("/charset/undefined", "NOT_FOUND", "no product found"),
    ("/charset/unknown", "NOT_FOUND", "no product found"),
    ("/charset/utf-16-lie", "NOT_FOUND", "no product found"),
    ("/charset/binary", "NOT_FOUND", "no product found"),
    ("/deep", "ERROR", "extraction failed: "),
]


def test_hostile_pages_end_in_typed_results_and_the_engine_keeps_serving() -> None:
    async def main(base: str) -> None:
        async with engine_for(base) as engine:
            scrapes = [timed_scrape(engine, base + path) for path, _, _ in STATIC_CASES]
            outcomes = await asyncio.gather(timed_scrape(engine, f"{base}/good"), *scrapes)
            (good, good_seconds), *hostile = outcomes
            seconds = {path: s for (path, _, _), (_, s) in zip(STATIC_CASES, hostile, strict=True)}
            # Not held up: the good page is done before the dripping one times out.
            assert good["status"] == "OK" and good_seconds < seconds["/drip"], (good, good_seconds, seconds)
            for (path, status, error), (result, seconds) in zip(STATIC_CASES, hostile, strict=True):
                assert (result["status"], result["product"]) == (status, None), (path, result)
                assert result["error"].startswith(error), (path, result["error"])
                assert seconds < TIMEOUT + 2.0, (path, seconds)  # the total time limit holds for each
            after, _ = await timed_scrape(engine, f"{base}/good")
            assert after["status"] == "OK" and after["product"]["title"] == "Plain Teapot"

    with hostile_server() as base:
        asyncio.run(main(base))


def test_page_values_that_do_not_fit_the_result_schema_are_made_to_fit() -> None:
    codec = Codec()

    async def main(base: str) -> None:
        async with engine_for(base) as engine:
            for path in POISON_PAGES:
                result, _ = await timed_scrape(engine, base + path)
                assert result["status"] == "OK", (path, result)
                decoded = codec.decode("ScrapeResult", codec.encode("ScrapeResult", result))["product"]
                assert decoded["title"].startswith("Kettle") and decoded["price"]["amount_minor"] == 4950
                assert (decoded["rating"], decoded["review_count"]) == (None, None)
                if path == "/poison/surrogates":
                    assert decoded["title"] == "Kettle \ufffd" and decoded["sku"] == "\ufffd", decoded

    with hostile_server() as base:
        asyncio.run(main(base))


# Redirect targets that reach the private network in disguise, from an allowed host. The hostile
# server's own port is allowlisted, so each names another port or host.
DISGUISED_TARGETS = [
    ("http://2130706433:22/", "'127.0.0.1' is a loopback"),  # decimal
    ("http://0177.0.0.1:22/", "'127.0.0.1' is a loopback"),  # octal
    ("http://0x7f.1:22/", "'127.0.0.1' is a loopback"),  # hex, short form
    ("http://[::ffff:127.0.0.1]:22/", "127.0.0.1 in IPv6 form, a loopback"),  # IPv6-mapped IPv4
    ("http://[::ffff:a9fe:a9fe]/", "169.254.169.254 in IPv6 form"),  # cloud metadata, mapped
    ("http://0xa9fea9fe/latest/meta-data/", "'169.254.169.254' is a link-local"),
    ("http://localhost/", "resolves to"),  # a name resolving to loopback
    ("http://10.0.0.1/", "'10.0.0.1' is a private"),
]


def test_every_redirect_hop_is_checked_by_the_ssrf_guard() -> None:
    async def main(base: str) -> None:
        async with engine_for(base) as engine:
            for target, reason in DISGUISED_TARGETS:
                result, _ = await timed_scrape(engine, f"{base}/to?to={target}")
                assert result["status"] == "ERROR", (target, result)
                assert result["error"].startswith("refused by the SSRF guard"), (target, result["error"])
                assert reason in result["error"], (target, result["error"])

    with hostile_server() as base:
        asyncio.run(main(base))


def test_script_heavy_pages_time_out_and_the_browser_pool_recovers() -> None:
    async def main(base: str) -> None:
        pool = {"browser_pool_size": 1, "browser_pages_per_restart": 100}
        async with engine_for(base, browser=True, **pool) as engine:
            for path, (_, status) in SCRIPT_PAGES.items():
                result, seconds = await timed_scrape(engine, base + path, render="BROWSER")
                assert result["status"] == status, (path, result)
                assert seconds < TIMEOUT + 4.0, (path, seconds, result)
                good, _ = await timed_scrape(engine, f"{base}/good", render="BROWSER")
                assert good["status"] == "OK", (path, good)  # the pool's one page serves again
                assert good["product"]["title"] == "Plain Teapot"
            assert engine.browser is not None
            assert engine.browser.restarts == 4  # one relaunch after each page that timed out

    with hostile_server() as base:
        asyncio.run(main(base))
