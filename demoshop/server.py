"""The demo shop server: three shops, one catalogue and clock, each shop on its own port.

Binds 127.0.0.1 only. Use `DemoShop` in-process (tests, benchmarks) or `serve()` from the CLI.

Admin endpoints (every shop, never faulted, disallowed in robots.txt):
    GET  /_admin/clock                        -> {"epoch": n}
    POST /_admin/clock?advance=N | ?epoch=N   -> {"epoch": n}   (the clock is shared by all shops)
    POST /_admin/outage?mode=error|maintenance|timeout&seconds=S
                                              this shop answers 503 (a broken backend: no
                                              Retry-After; maintenance: with one) / hangs for S seconds
    DELETE /_admin/outage                     ends this shop's outage
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from importlib import resources
from xml.sax.saxutils import escape as xml_escape

from aiohttp import web

from demoshop.catalog import Catalog, shop_name
from demoshop.clock import ShopClock
from demoshop.config import DemoShopConfig
from demoshop.faults import FaultPlan, Outage, retry_response
from demoshop.sites.base import Site, route
from demoshop.sites.common import CategoryPage, PageContext, page_numbers, product_count_pages
from demoshop.sites.js import JsSite
from demoshop.sites.jsonld import JsonLdSite
from demoshop.sites.microdata import MicrodataSite

SITE_CLASSES: dict[str, type[Site]] = {"microdata": MicrodataSite, "jsonld": JsonLdSite, "js": JsSite}
OUTAGE_MODES = ("error", "maintenance", "timeout")
SITEMAP_CHUNK = 5_000
_GIF = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")
_HTML = "text/html"


class DemoShop:
    """The running shops. `async with DemoShop(config) as shop:` then `shop.urls[...]`."""

    def __init__(
        self,
        config: DemoShopConfig | None = None,
        *,
        catalog: Catalog | None = None,
        clock: ShopClock | None = None,
    ) -> None:
        self.config = config or DemoShopConfig()
        self.catalog = catalog or Catalog(self.config.seed, self.config.products)
        self.clock = clock or ShopClock(self.config.epoch_seconds, self.config.start_epoch)
        self.faults = FaultPlan(self.config.faults, self.config.seed)
        self.urls: dict[str, str] = {}
        self._outages: dict[str, Outage] = {}
        self._runners: list[web.AppRunner] = []

    def app(self, shop: str) -> web.Application:
        """The aiohttp application of one shop (also usable with aiohttp's test utilities)."""
        return ShopApp(self, SITE_CLASSES[shop](self.catalog)).build()

    async def start(self) -> dict[str, str]:
        """Listen on every configured port; returns shop -> base URL."""
        for shop, port in self.config.ports.items():
            runner = web.AppRunner(self.app(shop), access_log=None)
            await runner.setup()
            self._runners.append(runner)
            listener = _listen(port)
            await web.SockSite(runner, listener, backlog=1024).start()
            self.urls[shop] = f"http://127.0.0.1:{listener.getsockname()[1]}"
        return self.urls

    async def stop(self) -> None:
        for runner in self._runners:
            await runner.cleanup()
        self._runners.clear()

    async def __aenter__(self) -> DemoShop:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def set_outage(self, shop: str, mode: str, seconds: float) -> None:
        """Make `shop` answer 503 ('error': no Retry-After, 'maintenance': Retry-After until the end)
        or hang then 504 ('timeout') for `seconds`."""
        if mode not in OUTAGE_MODES:
            raise ValueError(f"outage mode must be one of {OUTAGE_MODES}, got {mode!r}")
        if shop not in SITE_CLASSES:
            raise ValueError(f"unknown shop {shop!r}")
        self._outages[shop] = Outage(mode, time.monotonic() + seconds)

    def clear_outage(self, shop: str) -> None:
        self._outages.pop(shop, None)

    def outage(self, shop: str) -> Outage | None:
        outage = self._outages.get(shop)
        return outage if outage and outage.remaining() > 0 else None


def _listen(port: int) -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    return listener


class ShopApp:
    """Request handlers of one shop; the Site decides URL shapes and markup."""

    def __init__(self, shop: DemoShop, site: Site) -> None:
        self.shop = shop
        self.site = site
        self.catalog = shop.catalog
        self._sitemaps: dict[str, bytes] = {}
        self._app_js = resources.files("demoshop").joinpath("static/app.js").read_bytes()

    def build(self) -> web.Application:
        app = web.Application(middlewares=[self.guard])
        site = self.site
        app.router.add_get("/", self.home, name="page-home")
        app.router.add_get(route(site.product_url), self.product, name="page-product")
        app.router.add_get(route(site.category_url), self.category, name="page-category")
        app.router.add_get(route(site.legacy_url), self.legacy, name="legacy")
        app.router.add_get("/robots.txt", self.robots, name="robots")
        app.router.add_get("/sitemap.xml", self.sitemap_index, name="sitemap")
        app.router.add_get(
            r"/sitemap-{part:categories|products-\d+}.xml", self.sitemap_part, name="sitemap-part"
        )
        app.router.add_get("/private/{rest:.*}", self.private, name="private")
        app.router.add_get(r"/images/{number:\d+}.gif", self.image, name="image")
        app.router.add_get(r"/api/products/{number:\d+}.json", self.api_product, name="api")
        app.router.add_get("/static/app.js", self.app_js, name="static")
        app.router.add_get("/_admin/clock", self.admin_clock, name="admin-clock")
        app.router.add_post("/_admin/clock", self.admin_move_clock, name="admin-move-clock")
        app.router.add_post("/_admin/outage", self.admin_start_outage, name="admin-outage")
        app.router.add_delete("/_admin/outage", self.admin_end_outage, name="admin-end-outage")
        return app

    # -- faults ---------------------------------------------------------------------------
    @web.middleware
    async def guard(self, request: web.Request, handler: web.RequestHandler) -> web.StreamResponse:
        """Outages for every route but admin; injected faults for product and category pages."""
        route = request.match_info.route.name or ""
        if route.startswith("admin"):
            return await handler(request)
        outage = self.shop.outage(self.site.key)
        if outage is not None:
            return await self._outage_response(outage)
        if not route.startswith("page-") or route == "page-home":
            return await handler(request)
        faults = self.shop.faults
        transient, delay = faults.transient_fault(request.path_qs)
        if delay:
            await asyncio.sleep(delay)
        if transient:
            return faults.retry_later(transient)
        permanent = faults.permanent_fault(request.path_qs)
        if permanent == "not_found":
            return _not_found(request.path)
        response = await handler(request)
        if permanent and response.status == 200 and isinstance(response, web.Response) and response.text:
            return faults.break_page(permanent, response.text, request.path_qs)
        return response

    async def _outage_response(self, outage: Outage) -> web.Response:
        if outage.mode == "timeout":
            # Hang until the outage ends or is cleared (polling, as tests clear it from other threads).
            while self.shop.outage(self.site.key) is outage:
                await asyncio.sleep(min(0.05, outage.remaining()))
            return web.Response(status=504, text="504 Gateway Timeout\n")
        if outage.mode == "maintenance":
            return retry_response(503, "Service Unavailable", outage.remaining())
        return web.Response(status=503, text="503 Service Unavailable\n")

    # -- pages ----------------------------------------------------------------------------
    def _context(self, request: web.Request) -> PageContext:
        return PageContext(self.catalog, self.shop.clock.epoch(), f"{request.scheme}://{request.host}")

    async def home(self, request: web.Request) -> web.Response:
        return _html(self.site.render_home(self._context(request)))

    async def product(self, request: web.Request) -> web.Response:
        number = int(request.match_info["number"])
        if number not in self.catalog:
            return _not_found(request.path)
        context = self._context(request)
        snapshot = self.catalog.product(number, context.epoch, self.site.key)
        return _html(self.site.render_product(snapshot, context))

    async def legacy(self, request: web.Request) -> web.Response:
        number = int(request.match_info["number"])
        if number not in self.catalog:
            return _not_found(request.path)
        location = self.site.product_path(self.catalog.get(number))
        return web.Response(status=self.site.legacy_status, headers={"Location": location})

    async def category(self, request: web.Request) -> web.Response:
        category = self.catalog.categories_by_slug.get(request.match_info["slug"])
        raw_page = request.match_info.get("page") or request.query.get(self.site.page_query or "", "1")
        page = int(raw_page) if raw_page.isdigit() else 0
        page_count = product_count_pages(category, self.shop.config.page_size) if category else 0
        if category is None or not 1 <= page <= page_count:
            return _not_found(request.path_qs)
        context = self._context(request)
        numbers = page_numbers(category, page, self.shop.config.page_size)
        listing = CategoryPage(
            category=category,
            page=page,
            page_count=page_count,
            products=[self.catalog.product(number, context.epoch, self.site.key) for number in numbers],
            product_hrefs=[self._listing_href(number) for number in numbers],
        )
        return _html(self.site.render_category(listing, context))

    def _listing_href(self, number: int) -> str:
        if self.shop.faults.uses_legacy_link(number):
            return self.site.legacy_path(number)
        return self.site.product_path(self.catalog.get(number))

    async def private(self, request: web.Request) -> web.Response:
        """Behind a robots.txt Disallow, yet linked from every footer: polite crawlers skip it."""
        links = "".join(
            f'<li><a href="{self.site.product_path(product)}">{product.sku}</a> staff price on request</li>'
            for product in self.catalog.products[:10]
        )
        return _html(
            f'<!doctype html><html><head><meta charset="utf-8"><title>Staff prices</title></head>'
            f"<body><h1>Staff prices (internal)</h1><ul>{links}</ul></body></html>"
        )

    async def image(self, request: web.Request) -> web.Response:
        return web.Response(body=_GIF, content_type="image/gif")

    async def api_product(self, request: web.Request) -> web.Response:
        number = int(request.match_info["number"])
        if number not in self.catalog or not isinstance(self.site, JsSite):
            return web.json_response({"error": "not found"}, status=404)
        context = self._context(request)
        snapshot = self.catalog.product(number, context.epoch, self.site.key)
        return web.json_response(
            self.site.api_document(snapshot, context), headers={"Cache-Control": "no-store"}
        )

    async def app_js(self, request: web.Request) -> web.Response:
        return web.Response(body=self._app_js, content_type="application/javascript")

    # -- crawl metadata -------------------------------------------------------------------
    async def robots(self, request: web.Request) -> web.Response:
        text = (
            "User-agent: *\nDisallow: /private/\nDisallow: /_admin/\nDisallow: /api/\n\n"
            "User-agent: BadBot\nDisallow: /\n\n"
            f"Sitemap: {request.scheme}://{request.host}/sitemap.xml\n"
        )
        return web.Response(text=text, content_type="text/plain")

    async def sitemap_index(self, request: web.Request) -> web.Response:
        base = f"{request.scheme}://{request.host}"
        parts = ["categories"] + [
            f"products-{n}" for n in range(1, -(-self.catalog.size // SITEMAP_CHUNK) + 1)
        ]
        entries = "".join(f"<sitemap><loc>{base}/sitemap-{part}.xml</loc></sitemap>" for part in parts)
        return _xml(f"<sitemapindex {_SITEMAP_NS}>{entries}</sitemapindex>".encode())

    async def sitemap_part(self, request: web.Request) -> web.Response:
        part = request.match_info["part"]
        key = f"{request.host}/{part}"
        if key not in self._sitemaps:
            base = f"{request.scheme}://{request.host}"
            paths = self._sitemap_paths(part)
            if not paths:
                return _not_found(request.path)
            entries = "".join(f"<url><loc>{xml_escape(base + path)}</loc></url>" for path in paths)
            self._sitemaps[key] = f"<urlset {_SITEMAP_NS}>{entries}</urlset>".encode()
        return _xml(self._sitemaps[key])

    def _sitemap_paths(self, part: str) -> list[str]:
        if part == "categories":
            return [self.site.category_path(category) for category in self.catalog.categories]
        chunk = int(part.removeprefix("products-"))
        products = self.catalog.products[(chunk - 1) * SITEMAP_CHUNK : chunk * SITEMAP_CHUNK]
        return [self.site.product_path(product) for product in products]

    # -- admin ----------------------------------------------------------------------------
    async def admin_clock(self, request: web.Request) -> web.Response:
        return web.json_response({"epoch": self.shop.clock.epoch()})

    async def admin_move_clock(self, request: web.Request) -> web.Response:
        clock = self.shop.clock
        try:
            if "epoch" in request.query:
                epoch = clock.set(int(request.query["epoch"]))
            else:
                epoch = clock.advance(int(request.query.get("advance", "1")))
        except ValueError:
            return _bad_request("advance and epoch must be integers")
        return web.json_response({"epoch": epoch})

    async def admin_start_outage(self, request: web.Request) -> web.Response:
        mode = request.query.get("mode", "error")
        try:
            seconds = float(request.query.get("seconds", "30"))
            self.shop.set_outage(self.site.key, mode, seconds)
        except ValueError as error:
            return _bad_request(f"bad outage request: {error}")
        return web.json_response({"shop": self.site.key, "mode": mode, "seconds": seconds})

    async def admin_end_outage(self, request: web.Request) -> web.Response:
        self.shop.clear_outage(self.site.key)
        return web.json_response({"shop": self.site.key, "mode": None})


_SITEMAP_NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


def _html(text: str) -> web.Response:
    return web.Response(text=text, content_type=_HTML, charset="utf-8")


def _xml(body: bytes) -> web.Response:
    return web.Response(
        body=b'<?xml version="1.0" encoding="UTF-8"?>\n' + body, content_type="application/xml"
    )


def _not_found(path: str) -> web.Response:
    return web.Response(
        status=404,
        text=f'<!doctype html><html><head><meta charset="utf-8"><title>Not found</title></head>'
        f"<body><h1>Not found</h1><p>No page at {xml_escape(path)}.</p></body></html>",
        content_type=_HTML,
    )


def _bad_request(message: str) -> web.Response:
    return web.json_response({"error": message}, status=400)


async def run(config: DemoShopConfig, ready: asyncio.Event | None = None) -> None:
    """Serve until cancelled, printing each shop's URL once listening."""
    async with DemoShop(config) as shop:
        for name, url in shop.urls.items():
            print(f"{name:<10} {url}  ({shop_name(name)})", flush=True)
        print(
            f"catalogue: {shop.catalog.size} products, seed {config.seed}, epoch {shop.clock.epoch()}",
            flush=True,
        )
        if ready is not None:
            ready.set()
        await asyncio.Event().wait()


def serve(config: DemoShopConfig) -> int:
    """Blocking entry point for the CLI; Ctrl-C stops it."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(config))
    return 0
