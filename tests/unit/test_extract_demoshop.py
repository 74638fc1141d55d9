"""Extraction of real demo shop pages, fetched over HTTP, against the catalogue's ground truth."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from consumers.extract import (
    Availability,
    Extractor,
    Price,
    ProductData,
    Profiles,
    extract_links,
    extract_product,
)
from consumers.scraper.browser import CHROMIUM_ARGS
from demoshop.catalog import CONTRACT_AVAILABILITY, Catalog, ProductSnapshot
from demoshop.server import SITE_CLASSES
from scrapestream.config import load_settings
from tests.unit.shop_runner import RunningShop

CATALOG = Catalog(seed=42, size=10_000)
SAMPLE = range(1, CATALOG.size + 1, 50)  # 200 products spread over the catalogue
EPOCH = 17
PRODUCT_PATHS = {"microdata": "/product/{}/x", "jsonld": "/artikel/x-{}.html", "js": "/app/product/{}"}


@pytest.fixture(scope="module")
def running() -> Iterator[RunningShop]:
    with RunningShop(CATALOG) as shop:
        shop.shop.clock.set(EPOCH)
        yield shop


def expected_fields(truth: ProductSnapshot, base_url: str) -> dict[str, object]:
    rated = truth.rating is not None
    offer = truth.taken_offer
    return {
        "product_id": truth.product_id,
        "sku": truth.sku,
        "title": truth.title,
        "brand": truth.brand,
        "price": Price(offer.price_minor, truth.currency),
        "availability": Availability(CONTRACT_AVAILABILITY[offer.availability]),
        "rating": float(truth.rating) if rated else None,
        "review_count": truth.review_count if rated else None,
        "image_url": base_url + truth.image_path,
        "category_path": truth.category_path,
        "attributes": dict(truth.attributes),
    }


def extracted_fields(data: ProductData | None, names: list[str]) -> dict[str, object]:
    assert data is not None
    return {name: getattr(data, name) for name in names}


def js_shop_extractor(running: RunningShop) -> Extractor:
    """The shipped profile of the JS shop, moved to the test shop's ephemeral port."""
    shipped = Profiles.load()["127.0.0.1:8603"]
    return Extractor(Profiles({urlsplit(running.url("js")).netloc: shipped}))


@pytest.mark.parametrize(("shop", "source"), [("microdata", "microdata"), ("jsonld", "jsonld")])
def test_every_field_of_200_products_matches_the_catalogue(
    running: RunningShop, shop: str, source: str
) -> None:
    mismatches = []
    for number in SAMPLE:
        url = running.url(shop, PRODUCT_PATHS[shop].format(number))
        page = running.get(shop, PRODUCT_PATHS[shop].format(number))
        assert page.status == 200
        data = extract_product(page.text, url)
        assert data is not None and data.sources[0] == source
        expected = expected_fields(CATALOG.product(number, EPOCH, shop), running.url(shop))
        extracted = extracted_fields(data, list(expected))
        if extracted != expected:
            mismatches.append((number, extracted, expected))
    assert not mismatches, mismatches[:3]


def test_the_sample_covers_the_awkward_cases() -> None:
    truths = [CATALOG.product(number, EPOCH, "jsonld") for number in SAMPLE]
    assert {truth.availability for truth in truths} == set(CONTRACT_AVAILABILITY)
    assert any(truth.rating is None for truth in truths)
    assert any(len(truth.offers) > 1 for truth in truths)  # JSON-LD offer lists
    assert any(truth.taken_offer is not truth.offers[0] for truth in truths)  # own one sold out
    assert any(truth.number % 7 == 0 and len(truth.offers) == 1 for truth in truths)  # AggregateOffer
    assert any(truth.price_minor >= 100_000 for truth in truths)  # thousands separators
    assert any("&" in truth.brand for truth in truths) and any(not truth.title.isascii() for truth in truths)


@pytest.mark.parametrize(
    ("shop", "first_page", "second_page"),
    [
        ("microdata", "/c/{}", "/c/{}?page=2"),
        ("jsonld", "/kategorie/{}/seite-1", "/kategorie/{}/seite-2"),
    ],
)
def test_category_links_and_next_page(
    running: RunningShop, shop: str, first_page: str, second_page: str
) -> None:
    category = CATALOG.categories[5]
    page = running.get(shop, first_page.format(category.slug))
    links = extract_links(page.text, page.url)
    site = SITE_CLASSES[shop](CATALOG)
    expected_paths = [site.product_path(CATALOG.get(number)) for number in category.product_numbers[:24]]
    assert [urlsplit(url).path for url in links.product_urls] == expected_paths
    assert all(url.startswith(running.url(shop)) for url in links.product_urls)
    assert links.next_page == running.url(shop, second_page.format(category.slug))
    assert extract_product(page.text, page.url) is None  # a listing is not a product


def test_last_category_page_has_no_next_link(running: RunningShop) -> None:
    category = CATALOG.categories[0]
    pages = -(-len(category.product_numbers) // 24)
    page = running.get("microdata", f"/c/{category.slug}?page={pages}")
    assert extract_links(page.text, page.url).next_page is None


def test_js_shop_static_html_has_no_price_or_stock(running: RunningShop) -> None:
    extractor = js_shop_extractor(running)
    for number in SAMPLE[:20]:
        truth = CATALOG.product(number, EPOCH, "js")
        page = running.get("js", PRODUCT_PATHS["js"].format(number))
        data = extractor.product(page.text, page.url)
        assert data is not None and data.title == truth.title
        assert data.price is None and data.availability is None and data.brand is None
        assert f"{truth.price_minor // 100}.{truth.price_minor % 100:02d}" not in page.text


def test_js_shop_category_links_come_from_the_profile(running: RunningShop) -> None:
    category = CATALOG.categories[2]
    page = running.get("js", f"/category/{category.slug}?p=1")
    links = js_shop_extractor(running).links(page.text, page.url)
    assert [urlsplit(url).path for url in links.product_urls] == [
        f"/app/product/{number}" for number in category.product_numbers[:24]
    ]
    assert links.next_page == running.url("js", f"/category/{category.slug}?p=2")
    assert extract_links(page.text, page.url).next_page is None  # without the profile: no rel=next here


def test_js_shop_rendered_in_chromium_matches_the_catalogue(running: RunningShop) -> None:
    from playwright.sync_api import sync_playwright

    extractor = js_shop_extractor(running)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(load_settings().chromium_path), args=CHROMIUM_ARGS
        )
        try:
            tab = browser.new_page()
            for number in SAMPLE[:6]:
                url = running.url("js", PRODUCT_PATHS["js"].format(number))
                tab.goto(url)
                tab.wait_for_selector('#app[data-state="ready"]', timeout=10_000)
                data = extractor.product(tab.content(), url)
                expected = expected_fields(CATALOG.product(number, EPOCH, "js"), running.url("js"))
                expected["attributes"] = {}  # the JS shop does not show them
                assert extracted_fields(data, list(expected)) == expected
                assert data is not None and data.sources == ("profile",)
        finally:
            browser.close()
