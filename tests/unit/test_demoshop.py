"""The demo shop over real HTTP: crawl metadata, clock, faults and outages, and the catalogue."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from urllib.robotparser import RobotFileParser

import pytest

from demoshop.catalog import SHOPS, Catalog, CatalogError
from demoshop.config import BROKEN_KINDS, DemoShopConfig, DemoShopConfigError, FaultConfig
from demoshop.faults import FaultPlan
from tests.unit.shop_runner import RunningShop

CATALOG = Catalog(seed=7, size=300)


@pytest.fixture(scope="module")
def running() -> Iterator[RunningShop]:
    with RunningShop(CATALOG, page_size=10) as shop:
        yield shop


def product_path(running: RunningShop, shop: str, number: int) -> str:
    sites = {
        "microdata": f"/product/{number}/x",
        "jsonld": f"/artikel/x-{number}.html",
        "js": f"/app/product/{number}",
    }
    return sites[shop]


# -- catalogue ------------------------------------------------------------------------------
def test_catalogue_is_deterministic_and_prices_are_pure_functions_of_epoch() -> None:
    again = Catalog(seed=7, size=300)
    assert again.product(42, 5, "jsonld") == CATALOG.product(42, 5, "jsonld")
    assert Catalog(seed=8, size=300).product(42, 5) != CATALOG.product(42, 5)
    changed = sum(CATALOG.price_minor(n, 0) != CATALOG.price_minor(n, 1) for n in range(1, 301))
    assert 30 < changed < 200  # a share of products moves each epoch, not none and not all


def test_catalogue_rejects_unknown_products_and_shops() -> None:
    with pytest.raises(CatalogError, match="no product 301"):
        CATALOG.product(301, 0)
    with pytest.raises(CatalogError, match="unknown shop"):
        CATALOG.product(1, 0, "amazon")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"throttle_rate": 1.5}, "throttle_rate"), ({"not_found_rate": 0.6, "huge_rate": 0.6}, "exceed 1")],
)
def test_fault_config_is_validated(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(DemoShopConfigError, match=message):
        FaultConfig(**kwargs)


def test_shop_config_rejects_unknown_shop_ports() -> None:
    with pytest.raises(DemoShopConfigError, match="unknown shop"):
        DemoShopConfig(ports={"ebay": 1})


# -- crawl metadata ---------------------------------------------------------------------------
@pytest.mark.parametrize("shop", SHOPS)
def test_robots_txt_disallows_the_private_area_that_the_footer_links(running: RunningShop, shop: str) -> None:
    robots = running.get(shop, "/robots.txt")
    assert robots.status == 200 and robots.headers["content-type"].startswith("text/plain")
    assert "Disallow: /private/" in robots.text
    assert f"Sitemap: {running.url(shop)}/sitemap.xml" in robots.text
    parser = RobotFileParser()
    parser.parse(robots.text.splitlines())
    home = running.get(shop, "/").text
    assert 'href="/private/staff-prices"' in home
    assert not parser.can_fetch("ScrapeStream", running.url(shop, "/private/staff-prices"))
    assert parser.can_fetch("ScrapeStream", running.url(shop, product_path(running, shop, 1)))
    assert running.get(shop, "/private/staff-prices").status == 200  # findable, just not allowed
    assert not parser.can_fetch("BadBot", running.url(shop, "/"))


def test_sitemap_lists_every_product_and_category_page(running: RunningShop) -> None:
    index = running.get("jsonld", "/sitemap.xml")
    assert index.status == 200 and index.headers["content-type"].startswith("application/xml")
    parts = re.findall(r"<loc>([^<]+)</loc>", index.text)
    assert [part.rsplit("/", 1)[1] for part in parts] == ["sitemap-categories.xml", "sitemap-products-1.xml"]
    products = re.findall(r"<loc>([^<]+)</loc>", running.get("jsonld", "/sitemap-products-1.xml").text)
    assert len(products) == CATALOG.size
    categories = re.findall(r"<loc>([^<]+)</loc>", running.get("jsonld", "/sitemap-categories.xml").text)
    assert len(categories) == len(CATALOG.categories)
    for url in (products[0], products[-1], categories[3]):
        assert running.get("jsonld", url.removeprefix(running.url("jsonld"))).status == 200


def test_category_pages_paginate_with_rel_next(running: RunningShop) -> None:
    category = next(c for c in CATALOG.categories if 10 < len(c.product_numbers) <= 20)
    first = running.get("microdata", f"/c/{category.slug}")
    assert f'<link rel="next" href="/c/{category.slug}?page=2">' in first.text
    last = running.get("microdata", f"/c/{category.slug}?page=2")
    assert last.status == 200 and 'rel="next"' not in last.text.split("</head>")[0]
    assert running.get("microdata", f"/c/{category.slug}?page=3").status == 404


def test_unknown_product_is_a_404_page(running: RunningShop) -> None:
    missing = running.get("microdata", "/product/99999/x")
    assert missing.status == 404 and "Not found" in missing.text


# -- clock ------------------------------------------------------------------------------------
def test_admin_clock_advances_and_prices_follow_the_catalogue(running: RunningShop) -> None:
    start = json.loads(running.get("js", "/_admin/clock").body)["epoch"]
    moved = [
        n
        for n in range(1, 301)
        if CATALOG.price_minor(n, start, "js") != CATALOG.price_minor(n, start + 3, "js")
    ]
    number = moved[0]
    before = json.loads(running.get("js", f"/api/products/{number}.json").body)
    reply = running.get("js", "/_admin/clock?advance=3", method="POST")
    assert json.loads(reply.body) == {"epoch": start + 3}
    after = json.loads(running.get("js", f"/api/products/{number}.json").body)
    assert before["price"] != after["price"]
    expected = CATALOG.product(number, start + 3, "js")
    assert after["price"] == f"{expected.price_minor // 100}.{expected.price_minor % 100:02d}"
    # The clock is shared: another shop shows the new epoch's price too.
    page = running.get("microdata", product_path(running, "microdata", number)).text
    assert f'content="{CATALOG.price_minor(number, start + 3) / 100:.2f}"' in page
    running.get("js", f"/_admin/clock?epoch={start}", method="POST")
    assert running.shop.clock.epoch() == start


def test_admin_rejects_bad_clock_values(running: RunningShop) -> None:
    reply = running.get("js", "/_admin/clock?advance=soon", method="POST")
    assert reply.status == 400 and "integers" in reply.text


# -- faults -----------------------------------------------------------------------------------
def broken_kind_ok(
    kind: str, response_status: int, headers: dict[str, str], body: bytes, good: bytes
) -> bool:
    """Whether a response is the broken variant `kind` of the good page (see FaultConfig)."""
    content_type = headers["content-type"]
    if kind == "not_found":
        return response_status == 404
    if kind == "truncated":
        return (
            good.startswith(body) and len(body) < len(good) * 0.85 and not body.rstrip().endswith(b"</html>")
        )
    if kind == "bad_charset":
        return "charset=utf-8" in content_type and body == good.decode().encode("cp1252", "xmlcharrefreplace")
    if kind == "meta_charset":
        return "charset" not in content_type and b'<meta charset="windows-1252">' in body
    if kind == "huge":
        return len(body) >= 2_000_000 and body.endswith(b"</html>\n")
    if kind == "wrong_type":
        return content_type == "application/pdf" and body.startswith(b"%PDF")
    raise AssertionError(kind)


def test_each_broken_page_kind_is_served_as_specified() -> None:
    share = 1 / (len(BROKEN_KINDS) + 1)
    faults = FaultConfig(
        not_found_rate=share, huge_page_bytes=2_000_000, **{f"{k}_rate": share for k in BROKEN_KINDS}
    )
    plan = FaultPlan(faults, CATALOG.seed)
    seen = set()
    with RunningShop(CATALOG, faults=faults) as broken, RunningShop(CATALOG) as healthy:
        for number in range(1, 80):
            path = f"/artikel/x-{number}.html"
            kind = plan.permanent_fault(path)
            response = broken.get("jsonld", path)
            # The same page from a shop without faults, with its port swapped in for the comparison.
            good = (
                healthy.get("jsonld", path).text.replace(healthy.url("jsonld"), broken.url("jsonld")).encode()
            )
            assert broken_kind_ok(kind, response.status, response.headers, response.body, good), (
                number,
                kind,
            )
            seen.add(kind)
    assert seen == {"not_found", *BROKEN_KINDS}


def test_bad_charset_page_is_not_valid_utf8_but_the_meta_charset_page_decodes_with_its_meta() -> None:
    number = next(n for n in range(1, 301) if any(ord(ch) > 127 for ch in CATALOG.get(n).title))
    with (
        RunningShop(CATALOG, faults=FaultConfig(bad_charset_rate=1.0)) as shop,
        pytest.raises(UnicodeDecodeError),
    ):
        shop.get("jsonld", f"/artikel/x-{number}.html").body.decode("utf-8")
    with RunningShop(CATALOG, faults=FaultConfig(meta_charset_rate=1.0)) as shop:
        page = shop.get("jsonld", f"/artikel/x-{number}.html").body.decode("cp1252")
        assert CATALOG.get(number).title in page.replace("&amp;", "&")


def test_transient_faults_carry_retry_after_and_replay_identically() -> None:
    faults = FaultConfig(throttle_rate=0.4, unavailable_rate=0.3, retry_after_seconds=2)
    runs = []
    for _ in range(2):
        with RunningShop(CATALOG, faults=faults) as shop:
            responses = [shop.get("microdata", "/product/3/x") for _ in range(30)]
        runs.append([response.status for response in responses])
        for response in responses:
            if response.status in (429, 503):
                assert response.headers["retry-after"] == "2"
    assert runs[0] == runs[1]
    assert {429, 503, 200} <= set(runs[0])


def test_latency_is_injected() -> None:
    with RunningShop(CATALOG, faults=FaultConfig(latency_rate=1.0, latency_ms=200)) as shop:
        started = time.perf_counter()
        assert shop.get("microdata", "/product/3/x").status == 200
        assert time.perf_counter() - started >= 0.1


@pytest.mark.parametrize(
    ("shop", "status", "canonical"), [("microdata", 301, "/product/"), ("jsonld", 302, "/artikel/")]
)
def test_redirect_rate_routes_category_links_through_legacy_urls(
    shop: str, status: int, canonical: str
) -> None:
    category = CATALOG.categories[0]
    with RunningShop(CATALOG, faults=FaultConfig(redirect_rate=1.0)) as running:
        listing = running.get(
            shop, "/c/" + category.slug if shop == "microdata" else f"/kategorie/{category.slug}/seite-1"
        )
        legacy = re.findall(r'href="(/(?:p|a)/\d+)"', listing.text)
        assert len(legacy) == min(24, len(category.product_numbers))
        hop = running.get(shop, legacy[0])
        assert hop.status == status and hop.headers["location"].startswith(canonical)
        assert running.follow(shop, legacy[0]).status == 200


@pytest.mark.parametrize(("mode", "retry_after"), [("error", False), ("maintenance", True)])
def test_outage_makes_one_shop_fail_for_a_while(running: RunningShop, mode: str, retry_after: bool) -> None:
    reply = running.get("microdata", f"/_admin/outage?mode={mode}&seconds=30", method="POST")
    assert json.loads(reply.body)["mode"] == mode
    try:
        down = running.get("microdata", "/product/1/x")
        assert down.status == 503
        if retry_after:  # maintenance says when to come back; a broken backend says nothing
            assert int(down.headers["retry-after"]) > 20
        else:
            assert "retry-after" not in down.headers
        assert running.get("microdata", "/robots.txt").status == 503
        assert running.get("jsonld", "/artikel/x-1.html").status == 200  # other shops unaffected
    finally:
        running.get("microdata", "/_admin/outage", method="DELETE")
    assert running.get("microdata", "/product/1/x").status == 200


def test_timeout_outage_hangs_then_ends_by_itself(running: RunningShop) -> None:
    running.shop.set_outage("js", "timeout", 0.5)
    started = time.perf_counter()
    assert running.get("js", "/app/product/1").status == 504
    assert time.perf_counter() - started >= 0.4
    assert running.get("js", "/app/product/1").status == 200
    with pytest.raises(TimeoutError):
        running.shop.set_outage("js", "timeout", 5)
        try:
            running.get("js", "/app/product/1", timeout=0.3)
        finally:
            running.shop.clear_outage("js")


def test_cli_flags_become_the_shop_config() -> None:
    from demoshop.command_flags import config_from_args
    from scrapestream.cli import build_parser

    flags = ["--ports", "0,9002,9003", "--broken-rate", "0.5", "--throttle-rate", "0.1", "--seed", "3"]
    args = build_parser().parse_args(["demo-shop", *flags])
    config = config_from_args(args)
    assert config.ports == {"microdata": 0, "jsonld": 9002, "js": 9003} and config.seed == 3
    assert config.faults.throttle_rate == 0.1
    assert config.faults.truncated_rate == config.faults.wrong_type_rate == pytest.approx(0.1)
    with pytest.raises(DemoShopConfigError, match="--ports"):
        config_from_args(build_parser().parse_args(["demo-shop", "--ports", "80,eighty,8"]))
