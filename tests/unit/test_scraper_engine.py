"""The scrape engine over real HTTP against the demo shop (in-process) and small purpose-built pages."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from consumers.scraper.breaker import BreakerState
from consumers.scraper.engine import ScrapeEngine, scrape_engine
from demoshop.catalog import CONTRACT_AVAILABILITY, Catalog, ProductSnapshot
from demoshop.config import FaultConfig
from demoshop.server import SITE_CLASSES
from scrapestream.config import Settings, load_settings
from scrapestream.urls import domain_of
from tests.scraper_harness import js_profiles, request, scraper_settings
from tests.unit.shop_runner import RunningShop

CATALOG = Catalog(seed=42, size=10_000)
SAMPLE = range(1, CATALOG.size + 1, 50)  # 200 products spread over the catalogue
EPOCH = 17
SETTINGS = scraper_settings(load_settings())


@pytest.fixture(scope="module")
def running() -> Iterator[RunningShop]:
    with RunningShop(CATALOG) as shop:
        shop.shop.clock.set(EPOCH)
        yield shop


def product_url(running: RunningShop, shop: str, number: int) -> str:
    return running.url(shop, SITE_CLASSES[shop](CATALOG).product_path(CATALOG.get(number)))


def expected_product(truth: ProductSnapshot, base_url: str) -> dict[str, Any]:
    rated = truth.rating is not None
    return {
        "product_id": f"{domain_of(base_url)}:{truth.product_id}",
        "sku": truth.sku,
        "title": truth.title,
        "brand": truth.brand,
        "price": {"amount_minor": truth.taken_offer.price_minor, "currency": truth.currency},
        "availability": CONTRACT_AVAILABILITY[truth.taken_offer.availability],
        "rating": float(truth.rating) if rated else None,
        "review_count": truth.review_count if rated else None,
        "image_url": base_url + truth.image_path,
        "category_path": list(truth.category_path),
        "attributes": dict(truth.attributes),
    }


def scrape_all(
    requests: list[dict[str, Any]], settings: Settings = SETTINGS, **engine_options: Any
) -> list[dict[str, Any]]:
    async def main() -> list[dict[str, Any]]:
        async with scrape_engine(settings, **engine_options) as engine:
            outcomes = await asyncio.gather(*(engine.scrape(one) for one in requests))
        return [outcome.result for outcome in outcomes]

    return asyncio.run(main())


@pytest.mark.parametrize("shop", ["microdata", "jsonld"])
def test_every_field_of_200_products_through_the_engine(running: RunningShop, shop: str) -> None:
    results = scrape_all([request(product_url(running, shop, number)) for number in SAMPLE])
    mismatches = []
    for number, result in zip(SAMPLE, results, strict=True):
        assert result["status"] == "OK", result
        assert result["http_status"] == 200 and result["bytes"] > 1000 and result["error"] is None
        expected = expected_product(CATALOG.product(number, EPOCH, shop), running.url(shop))
        if result["product"] != expected:
            mismatches.append((number, result["product"], expected))
    assert not mismatches, mismatches[:2]


def test_category_page_yields_links_and_crawl_requests(running: RunningShop) -> None:
    category = CATALOG.categories[5]
    parent = request(
        running.url("jsonld", f"/kategorie/{category.slug}/seite-1"), kind="CATEGORY", priority="HIGH"
    )

    async def main() -> Any:
        async with scrape_engine(SETTINGS) as engine:
            return await engine.scrape(parent)

    outcome = asyncio.run(main())
    site = SITE_CLASSES["jsonld"](CATALOG)
    products = [
        running.url("jsonld", site.product_path(CATALOG.get(n))) for n in category.product_numbers[:24]
    ]
    next_page = running.url("jsonld", f"/kategorie/{category.slug}/seite-2")
    assert outcome.result["status"] == "OK" and outcome.result["product"] is None
    assert outcome.result["discovered_urls"] == [*products, next_page]
    assert [child["canonical_url"] for child in outcome.discovered] == [*products, next_page]
    assert [child["kind"] for child in outcome.discovered] == ["PRODUCT"] * 24 + ["CATEGORY"]
    child = outcome.discovered[0]
    assert (child["priority"], child["attempt"], child["requested_by"]) == ("HIGH", 0, "crawl")
    assert child["correlation_id"] == parent["correlation_id"] and child["tags"] == parent["tags"]


# -- small purpose-built sites -------------------------------------------------------------
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

OPENGRAPH_ONLY = """<!doctype html><html><head><meta charset="utf-8">
<meta property="og:type" content="product"><meta property="og:title" content="Plain Teapot 1 l">
<meta property="product:price:amount" content="24.50"><meta property="product:price:currency" content="EUR">
<meta property="product:availability" content="oos"><meta property="og:image" content="/img/teapot.jpg">
</head><body><h1>Plain Teapot 1 l</h1></body></html>"""


async def _with_site(
    routes: dict[str, Handler], scenario: Callable[[str, ScrapeEngine], Awaitable[None]]
) -> None:
    """Serve `routes` on 127.0.0.1, then run `scenario(base_url, engine)` with that server allowlisted."""
    app = web.Application()
    for path, handler in routes.items():
        app.router.add_get(path, handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    base_url = f"http://127.0.0.1:{server.port}"
    settings = scraper_settings(load_settings(), ssrf_allowlist=(f"127.0.0.1:{server.port}",))
    try:
        async with scrape_engine(settings) as engine:
            await scenario(base_url, engine)
    finally:
        await server.close()


async def _no_robots(_: web.Request) -> web.Response:
    return web.Response(status=404)


def test_a_page_without_profile_is_read_by_the_generic_fallbacks() -> None:
    async def page(_: web.Request) -> web.Response:
        return web.Response(text=OPENGRAPH_ONLY, content_type="text/html")

    async def scenario(base_url: str, engine: ScrapeEngine) -> None:
        result = (await engine.scrape(request(f"{base_url}/teapot"))).result
        assert result["status"] == "OK"
        product = result["product"]
        assert product["title"] == "Plain Teapot 1 l"
        assert product["price"] == {"amount_minor": 2450, "currency": "EUR"}
        assert product["availability"] == "OUT_OF_STOCK"
        assert product["image_url"] == f"{base_url}/img/teapot.jpg"
        assert product["product_id"].startswith(f"{domain_of(base_url)}:url-")  # no id or sku on the page

    asyncio.run(_with_site({"/robots.txt": _no_robots, "/teapot": page}, scenario))


def test_429_with_retry_after_is_waited_out() -> None:
    hits: list[float] = []

    async def throttled(_: web.Request) -> web.Response:
        hits.append(time.monotonic())
        if len(hits) == 1:
            return web.Response(status=429, headers={"Retry-After": "1"})
        return web.Response(text=OPENGRAPH_ONLY, content_type="text/html")

    async def scenario(base_url: str, engine: ScrapeEngine) -> None:
        result = (await engine.scrape(request(f"{base_url}/busy"))).result
        assert result["status"] == "OK"
        assert len(hits) == 2 and hits[1] - hits[0] >= 1.0  # waited out, and asked again

    asyncio.run(_with_site({"/robots.txt": _no_robots, "/busy": throttled}, scenario))


def test_redirect_into_a_private_address_is_refused() -> None:
    async def bounce(request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": request.query["to"]})

    async def scenario(base_url: str, engine: ScrapeEngine) -> None:
        for target in (
            "http://169.254.169.254/latest/meta-data/",
            "http://10.1.2.3/",
            "http://127.0.0.1:1/admin",
        ):
            result = (await engine.scrape(request(f"{base_url}/bounce?to={target}"))).result
            assert result["status"] == "ERROR", result
            assert result["error"].startswith("refused by the SSRF guard"), result["error"]
        ok = (await engine.scrape(request(f"{base_url}/bounce?to=/teapot"))).result
        assert ok["status"] == "OK" and ok["url"] == f"{base_url}/teapot"

    async def teapot(_: web.Request) -> web.Response:
        return web.Response(text=OPENGRAPH_ONLY, content_type="text/html")

    asyncio.run(_with_site({"/robots.txt": _no_robots, "/bounce": bounce, "/teapot": teapot}, scenario))


def test_the_fetcher_reports_each_request_of_a_redirect_chain_going_on_the_wire() -> None:
    async def bounce(_: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": "/teapot"})

    async def teapot(_: web.Request) -> web.Response:
        return web.Response(text=OPENGRAPH_ONLY, content_type="text/html")

    async def scenario(base_url: str, engine: ScrapeEngine) -> None:
        sent: list[str] = []
        response = await engine.fetcher.fetch(f"{base_url}/bounce", on_sent=lambda: sent.append("sent"))
        assert response.status == 200 and response.url == f"{base_url}/teapot"
        assert sent == ["sent", "sent"]

    asyncio.run(_with_site({"/robots.txt": _no_robots, "/bounce": bounce, "/teapot": teapot}, scenario))


# -- demo shop faults ----------------------------------------------------------------------
def test_robots_disallowed_url_is_skipped(running: RunningShop) -> None:
    (result,) = scrape_all([request(running.url("microdata", "/private/staff-prices"))])
    assert result["status"] == "SKIPPED_ROBOTS" and "robots.txt" in result["error"]
    assert result["http_status"] is None and result["product"] is None


def test_legacy_links_redirect_to_the_product() -> None:
    catalog = Catalog(seed=42, size=200)
    with RunningShop(catalog, faults=FaultConfig(redirect_rate=1.0)) as shop:
        urls = {
            name: shop.url(name, SITE_CLASSES[name](catalog).legacy_path(7))
            for name in ("microdata", "jsonld")
        }
        results = scrape_all([request(url) for url in urls.values()])
        for name, result in zip(urls, results, strict=True):
            assert result["status"] == "OK", result
            assert result["url"] == shop.url(name, SITE_CLASSES[name](catalog).product_path(catalog.get(7)))
            assert result["product"]["sku"] == catalog.get(7).sku


def test_each_broken_page_kind_gives_a_clean_result() -> None:
    catalog = Catalog(seed=42, size=300)
    site = SITE_CLASSES["microdata"](catalog)
    faults = FaultConfig.with_broken_rate(1.0, huge_page_bytes=3_000_000)
    expected = {
        "truncated": ("ERROR", "page looks truncated"),
        "huge": ("ERROR", "body larger than 2000000 bytes"),
        "wrong_type": ("ERROR", "content type application/pdf is not HTML"),
        "bad_charset": ("OK", None),
        "meta_charset": ("OK", None),
    }
    with RunningShop(catalog, faults=faults) as shop:
        shop.shop.clock.set(EPOCH)
        kinds: dict[str, int] = {}
        for product in catalog.products:  # the first product of each kind, preferring non-ASCII brands
            kind = shop.shop.faults.permanent_fault(site.product_path(product))
            if kind not in kinds or (
                product.brand.isascii() is False and catalog.get(kinds[kind]).brand.isascii()
            ):
                kinds[kind] = product.number
        assert set(kinds) == set(expected)
        numbers = [kinds[kind] for kind in expected]
        results = scrape_all([request(product_url_of(shop, site, catalog, n)) for n in numbers])
    for kind, number, result in zip(expected, numbers, results, strict=True):
        status, error = expected[kind]
        assert result["status"] == status, (kind, result)
        if error is None:
            truth = catalog.product(number, EPOCH, "microdata")
            assert not truth.brand.isascii() and result["product"]["brand"] == truth.brand
            assert result["product"]["title"] == truth.title
        else:
            assert result["error"].startswith(error), (kind, result["error"])
            assert result["http_status"] == 200 and result["product"] is None


def product_url_of(shop: RunningShop, site: Any, catalog: Catalog, number: int) -> str:
    return shop.url("microdata", site.product_path(catalog.get(number)))


def test_circuit_breaker_opens_on_an_outage_and_recovers(running: RunningShop) -> None:
    settings = scraper_settings(
        load_settings(),
        scraper_breaker_failures=3,
        scraper_breaker_cooldown_seconds=1.0,
        scraper_retries=0,
    )
    urls = [product_url(running, "microdata", number) for number in range(1, 10)]

    async def main() -> None:
        async with scrape_engine(settings) as engine:
            assert (await engine.scrape(request(urls[0]))).result["status"] == "OK"  # robots.txt cached
            running.shop.set_outage("microdata", "error", 30)  # 503 without Retry-After: broken
            failed = [(await engine.scrape(request(url))).result for url in urls[1:4]]
            assert [(r["status"], r["error"]) for r in failed] == [("ERROR", "HTTP 503")] * 3
            assert engine.breakers.state(domain_of(urls[0])) is BreakerState.OPEN
            fast = (await engine.scrape(request(urls[4]))).result
            assert (
                fast["status"] == "ERROR" and "circuit open" in fast["error"] and fast["http_status"] is None
            )
            running.shop.clear_outage("microdata")
            await asyncio.sleep(1.1)
            probe = (await engine.scrape(request(urls[5]))).result
            assert probe["status"] == "OK"
            assert engine.breakers.state(domain_of(urls[0])) is BreakerState.CLOSED

    try:
        asyncio.run(main())
    finally:
        running.shop.clear_outage("microdata")


def test_503s_asking_for_a_pause_we_honour_do_not_open_the_breaker(running: RunningShop) -> None:
    settings = scraper_settings(load_settings(), scraper_breaker_failures=1, scraper_retries=0)
    urls = [product_url(running, "microdata", number) for number in range(1, 4)]

    async def main() -> None:
        async with scrape_engine(settings) as engine:
            assert (await engine.scrape(request(urls[0]))).result["status"] == "OK"  # robots.txt cached
            running.shop.set_outage("microdata", "maintenance", 1)  # 503 + Retry-After: 1
            failed = (await engine.scrape(request(urls[1]))).result
            assert (failed["status"], failed["error"]) == ("ERROR", "HTTP 503")
            assert engine.breakers.state(domain_of(urls[0])) is BreakerState.CLOSED
            # The domain waits out the Retry-After, then the shop is back.
            assert (await engine.scrape(request(urls[2]))).result["status"] == "OK"

    try:
        asyncio.run(main())
    finally:
        running.shop.clear_outage("microdata")


# -- the browser ---------------------------------------------------------------------------
def test_js_shop_through_chromium_matches_the_catalogue(running: RunningShop) -> None:
    numbers = list(SAMPLE[:5])
    requests = [request(product_url(running, "js", n), render="BROWSER") for n in numbers]
    requests.append(request(product_url(running, "js", SAMPLE[5]), render="AUTO"))  # static has no price
    extractor = js_profiles(running.url("js"))
    settings = scraper_settings(load_settings(), browser_pool_size=2, browser_pages_per_restart=3)
    results = scrape_all(requests, settings, browser=True, extractor=extractor)
    for number, result in zip([*numbers, SAMPLE[5]], results, strict=True):
        assert result["status"] == "OK", result
        assert result["render_ms"] > 0
        expected = expected_product(CATALOG.product(number, EPOCH, "js"), running.url("js"))
        expected["attributes"] = {}  # the JS shop does not show them
        assert result["product"] == expected


def test_a_static_engine_hands_pages_only_a_browser_can_scrape_to_the_browser_lane(
    running: RunningShop,
) -> None:
    js_shop = js_profiles(running.url("js"))
    requests = [
        request(product_url(running, "js", SAMPLE[0]), render="BROWSER"),
        request(product_url(running, "js", SAMPLE[1]), render="AUTO"),  # static HTML has no price
        request(product_url(running, "js", SAMPLE[2]), render="STATIC"),
        request(product_url(running, "microdata", SAMPLE[3]), render="AUTO"),
    ]

    async def main() -> list[Any]:
        async with scrape_engine(SETTINGS, extractor=js_shop) as engine:
            return list(await asyncio.gather(*(engine.scrape(one) for one in requests)))

    browser_job, auto_without_price, static_only, auto_with_price = asyncio.run(main())
    assert browser_job.needs_browser and browser_job.result is None
    assert auto_without_price.needs_browser and auto_without_price.result is None
    assert not static_only.needs_browser and static_only.result["status"] == "OK"
    assert static_only.result["product"]["price"] is None  # asked for static: scraped as it is
    assert not auto_with_price.needs_browser and auto_with_price.result["product"]["price"] is not None
