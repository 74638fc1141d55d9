"""Extraction on hand-written pages: generic fallbacks, site profiles, typed errors, random input."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consumers.extract import (
    Availability,
    ExtractionError,
    Extractor,
    Links,
    Price,
    ProductData,
    ProfileError,
    Profiles,
    extract_links,
    extract_product,
    normalise_availability,
)
from consumers.extract.nesting import MAX_NESTING
from consumers.extract.values import absolute_url, resolved_url
from tests.unit.hostile_input import fuzz_settings, mutated_text, no_hang

NO_PROFILES = Extractor(Profiles())
URL = "https://shop.example/p/kettle-9"

OPENGRAPH_ONLY = """<html><head>
<meta property="og:type" content="product"><meta property="og:title" content="Steel Kettle 1.7 l">
<meta property="og:image" content="/img/kettle.jpg"><meta property="product:brand" content="Brew&amp;Co">
<meta property="product:price:amount" content="1.299,00">
<meta property="product:price:currency" content="SEK">
<meta property="product:availability" content="oos"><meta property="product:retailer_item_id" content="K-9">
</head><body><h1>Steel Kettle</h1></body></html>"""

JSONLD_GRAPH = {
    "@context": "https://schema.org",
    "@graph": [
        {"@type": "WebPage", "name": "Kettle page"},
        {
            "@type": ["Product", "Thing"],
            "name": "Steel Kettle",
            "sku": "K9",
            "brand": "Brew",
            "image": {"@type": "ImageObject", "url": "//cdn.example/k.jpg"},
            "offers": {
                "@type": "Offer",
                "priceSpecification": {
                    "@type": "PriceSpecification",
                    "price": "49.5",
                    "priceCurrency": "CHF",
                },
                "availability": "schema:LimitedAvailability",
            },
            "aggregateRating": {"ratingValue": "4,5", "ratingCount": "1,204"},
            "category": "Home / Kitchen / Kettles",
        },
    ],
}


def page_with_jsonld(document: object, extra_head: str = "") -> str:
    script = f'<script type="application/ld+json">{json.dumps(document)}</script>'
    return f"<html><head>{extra_head}{script}</head></html>"


def test_opengraph_tags_alone_give_a_product() -> None:
    data = NO_PROFILES.product(OPENGRAPH_ONLY, URL)
    assert data == ProductData(
        product_id="K-9",
        sku="K-9",  # product:retailer_item_id stands for the SKU the page does not give
        title="Steel Kettle 1.7 l",
        brand="Brew&Co",
        price=Price(129900, "SEK"),
        availability=Availability.OUT_OF_STOCK,
        image_url="https://shop.example/img/kettle.jpg",
        sources=("meta",),
    )


def test_jsonld_graph_with_price_specification_and_loose_values() -> None:
    data = NO_PROFILES.product(page_with_jsonld(JSONLD_GRAPH), URL)
    assert data is not None
    assert (data.title, data.sku, data.brand) == ("Steel Kettle", "K9", "Brew")
    assert data.price == Price(4950, "CHF") and data.availability is Availability.LIMITED
    assert (data.rating, data.review_count) == (4.5, 1204)
    assert data.image_url == "https://cdn.example/k.jpg"
    assert data.category_path == ("Kitchen", "Kettles")  # "Home" dropped


def test_jsonld_wins_and_other_sources_fill_the_gaps() -> None:
    html = page_with_jsonld(
        {"@type": "Product", "name": "From JSON-LD", "offers": {"price": 5, "priceCurrency": "USD"}},
        extra_head='<meta property="og:type" content="product"><meta property="og:title" content="From OG">'
        '<meta property="og:image" content="https://img.example/a.png">',
    )
    data = NO_PROFILES.product(html, URL)
    assert data is not None and data.title == "From JSON-LD" and data.price == Price(500, "USD")
    assert data.image_url == "https://img.example/a.png" and data.sources == ("jsonld", "meta")


def test_broken_jsonld_block_is_skipped_not_fatal() -> None:
    html = '<script type="application/ld+json">{"@type": "Product", "name": </script>' + OPENGRAPH_ONLY
    data = NO_PROFILES.product(html, URL)
    assert data is not None and data.sources == ("meta",)


def test_microdata_nested_items_keep_their_own_properties() -> None:
    html = """<div itemscope itemtype="http://schema.org/Product"><h1 itemprop="name">Lamp</h1>
    <div itemprop="brand" itemscope itemtype="https://schema.org/Brand"><span itemprop="name">Lux</span></div>
    <div itemscope itemtype="https://schema.org/Product"><span itemprop="name">Unrelated</span></div>
    <div itemprop="offers" itemscope itemtype="https://schema.org/Offer">
      <span itemprop="price">€ 1.049,00</span><meta itemprop="priceCurrency" content="EUR">
      <span itemprop="availability">Nur noch wenige verfügbar</span></div></div>"""
    data = NO_PROFILES.product(html, URL)
    assert data is not None
    assert (data.title, data.brand) == ("Lamp", "Lux")
    assert data.price == Price(104900, "EUR") and data.availability is Availability.LIMITED


@pytest.mark.parametrize(
    "html",
    [
        "",
        "<html><head><title>Blog</title><meta property='og:title' content='A post'></head></html>",
        "<p>Nothing to see</p>",
        page_with_jsonld({"@type": "Organization", "name": "Acme"}),
    ],
)
def test_pages_without_product_data_give_none(html: str) -> None:
    assert NO_PROFILES.product(html, URL) is None


@pytest.mark.parametrize(
    ("html", "url", "message"),
    [
        (b"<html></html>", URL, "must be str"),
        ("<html></html>", "/relative/path", "absolute http"),
        ("<html></html>", "ftp://host/file", "absolute http"),
        ("<html></html>", "http://[oops/", "absolute http"),
    ],
)
def test_unparseable_input_raises_extraction_error(html: object, url: str, message: str) -> None:
    with pytest.raises(ExtractionError, match=message):
        extract_product(html, url)  # type: ignore[arg-type]


# -- profiles ---------------------------------------------------------------------------------
PROFILE_TOML = r"""
["shop.example"]
name = "Example"
currency = "EUR"
product_links = "ul.grid a.card"
next_page = "a.more"
aliases = ["www.shop-example.test"]

["shop.example".fields]
title = "h1.name"
price = { css = ".price-box", attr = "data-price-text" }
availability = ".stock"
sku = { css = ".meta", regex = 'Art\.-Nr\.\s*(\S+)' }
review_count = { css = ".meta", regex = '(\d+) Bewertungen' }
category_path = { css = "ol.crumbs li", all = true }
"""

PROFILE_PAGE = """<html><head><meta property="og:type" content="product">
<meta property="og:title" content="Generic title"><meta property="og:image" content="/i/1.jpg"></head><body>
<ol class="crumbs"><li>Startseite</li><li>Küche</li><li>Wasserkocher</li></ol>
<h1 class="name"> Wasserkocher  Deluxe </h1><div class="price-box" data-price-text="ab 39,90"></div>
<p class="stock">Ausverkauft</p><p class="meta">Art.-Nr. WK-77 · 12 Bewertungen</p>
<ul class="grid"><a class="card" href="/p/1">1</a><a class="card" href="p/2#reviews">2</a></ul>
<a class="more" href="?page=2">mehr</a></body></html>"""


def test_profile_fields_win_and_generic_sources_fill_the_rest() -> None:
    extractor = Extractor(Profiles.parse(PROFILE_TOML))
    data = extractor.product(PROFILE_PAGE, "https://shop.example/k/wasserkocher")
    assert data == ProductData(
        sku="WK-77",
        title="Wasserkocher Deluxe",
        price=Price(3990, "EUR"),
        availability=Availability.OUT_OF_STOCK,
        review_count=12,
        image_url="https://shop.example/i/1.jpg",
        category_path=("Küche", "Wasserkocher"),
        sources=("profile", "meta"),
    )
    assert extractor.product(PROFILE_PAGE, "https://www.shop-example.test/x") is not None  # alias


def test_profile_links() -> None:
    links = Extractor(Profiles.parse(PROFILE_TOML)).links(PROFILE_PAGE, "https://shop.example/k/kettles")
    assert links == Links(
        product_urls=("https://shop.example/p/1", "https://shop.example/k/p/2"),
        next_page="https://shop.example/k/kettles?page=2",
    )


def test_profile_lookup_by_port_then_host() -> None:
    profiles = Profiles.parse('["a.test:8080"]\nname = "with port"\n["a.test"]\nname = "any port"')
    assert profiles.for_url("http://a.test:8080/x").name == "with port"
    assert profiles.for_url("http://A.test:9/x").name == "any port"
    assert profiles.for_url("http://www.a.test/x").name == "any port"
    assert profiles.for_url("http://b.test/x") is None


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('["s"]\nfields = { colour = "h1" }', "unknown field"),
        ('["s"]\nfields = { title = "h1[[" }', "invalid CSS"),
        ('["s"]\nfields = { sku = { css = "p", regex = "(a)(b)" } }', "at most one"),
        ('["s"]\nfields = { sku = { css = "p", regex = "(" } }', "invalid regex"),
        ('["s"]\ncurrency = "euro"', "ISO 4217"),
        ('["s"]\nselector = "h1"', "unknown key"),
        ('["s"\n', "not valid TOML"),
    ],
)
def test_bad_profiles_fail_at_load_time_naming_the_problem(toml: str, message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        Profiles.parse(toml)


def test_shipped_profiles_load() -> None:
    assert "127.0.0.1:8603" in Profiles.load().sites()


# -- links without profiles -------------------------------------------------------------------
def test_generic_links_from_jsonld_item_list_and_rel_next() -> None:
    item_list = {
        "@type": "ItemList",
        "itemListElement": [
            {"@type": "ListItem", "position": 1, "url": "/a"},
            {"@type": "ListItem", "position": 2, "item": {"@id": "https://shop.example/b"}},
            {"@type": "ListItem", "position": 3, "url": "javascript:void(0)"},
            {"@type": "ListItem", "position": 4, "url": "/a#again"},
        ],
    }
    html = page_with_jsonld(item_list, extra_head='<link rel="next" href="/list?page=3">')
    links = NO_PROFILES.links(html, "https://shop.example/list?page=2")
    assert links.product_urls == ("https://shop.example/a", "https://shop.example/b")
    assert links.next_page == "https://shop.example/list?page=3"


def test_generic_links_fall_back_to_product_like_hrefs_and_honour_base_href() -> None:
    html = """<head><base href="https://cdn.shop.example/en/"></head>
    <a href="products/kettle">k</a><a href="/about">about</a><a href="https://other.example/p/9">p</a>
    <a rel="prev next" href="page/2">next</a>"""
    links = NO_PROFILES.links(html, "https://shop.example/en/")
    assert links.product_urls == ("https://cdn.shop.example/en/products/kettle", "https://other.example/p/9")
    assert links.next_page == "https://cdn.shop.example/en/page/2"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://schema.org/InStock", Availability.IN_STOCK),
        ("http://schema.org/OutOfStock", Availability.OUT_OF_STOCK),
        ("http://schema.org/OutOfStock/", Availability.OUT_OF_STOCK),
        ("https://schema.org/InStock?ref=feed", Availability.IN_STOCK),
        ("PreOrder", Availability.PREORDER),
        ("in stock", Availability.IN_STOCK),
        ("Sold out", Availability.OUT_OF_STOCK),
        ("Currently unavailable.", Availability.OUT_OF_STOCK),
        ("Not in stock", Availability.OUT_OF_STOCK),
        ("Only 3 left in stock - order soon", Availability.LIMITED),
        ("2 left!", Availability.LIMITED),
        ("Swipe left to see 3 more", None),
        ("Available on back order", Availability.BACKORDER),
        ("available for order", Availability.BACKORDER),
        ("Auf Lager", Availability.IN_STOCK),
        ("Ürün stoklarımızda tükenmiştir.", Availability.OUT_OF_STOCK),  # a101.com.tr  # noqa: RUF001
        ("Slut i lager", Availability.OUT_OF_STOCK),  # not 'i lager'
        ("品切れ", Availability.OUT_OF_STOCK),
        ("缺貨", Availability.OUT_OF_STOCK),
        ("품절", Availability.OUT_OF_STOCK),
        ("재고 있음", Availability.IN_STOCK),
        ("Hết hàng", Availability.OUT_OF_STOCK),
        ("Còn hàng", Availability.IN_STOCK),
        ("Stok habis", Availability.OUT_OF_STOCK),
        ("Tidak tersedia", Availability.OUT_OF_STOCK),  # not 'tersedia'
        ("Tersedia", Availability.IN_STOCK),
        ("نفدت الكمية", Availability.OUT_OF_STOCK),
        ("غير متوفر", Availability.OUT_OF_STOCK),  # not 'متوفر'
        ("متوفر", Availability.IN_STOCK),
        ("Εξαντλημένο", Availability.OUT_OF_STOCK),
        ("Μη διαθέσιμο", Availability.OUT_OF_STOCK),  # not 'διαθέσιμο'
        ("Άμεσα διαθέσιμο", Availability.IN_STOCK),
        ("สินค้าหมด", Availability.OUT_OF_STOCK),
        ("אזל מהמלאי", Availability.OUT_OF_STOCK),
        ("Indisponibil", Availability.OUT_OF_STOCK),
        ("Под заказ", Availability.BACKORDER),
        ("販売終了", Availability.DISCONTINUED),
        ("Discontinued", Availability.DISCONTINUED),
        ("Ask in store", None),
        ("", None),
    ],
)
def test_availability_normalisation(text: str, expected: Availability | None) -> None:
    assert normalise_availability(text) is expected


# -- random input -----------------------------------------------------------------------------
fragments = st.sampled_from(
    [
        "<div itemscope itemtype='https://schema.org/Product'>",
        "<span itemprop='name'>",
        "<span itemprop='price' content='",
        "<meta itemprop='priceCurrency' content='EUR'>",
        "<div itemprop='offers' itemscope>",
        "<script type='application/ld+json'>",
        '{"@type": "Product", "name": "x", "offers": {"price": ',
        '"@graph": [',
        "</script>",
        "<meta property='og:type' content='product'>",
        "<meta property='product:price:amount' content='",
        "<a href='",
        "<link rel='next' href='",
        "'>",
        "</div>",
        "1.234,56",
        "-5",
        "NaN",
        "\x00",
        "€",
        "]}",
    ]
)
page_like = st.lists(st.one_of(fragments, st.text(max_size=12)), max_size=30).map("".join)


def _product_and_links_or_extraction_error(html: str) -> None:
    with no_hang():
        try:
            data = extract_product(html, URL)
            links = extract_links(html, URL)
        except ExtractionError:
            return
    assert data is None or isinstance(data, ProductData)
    assert all(url.startswith(("http://", "https://")) for url in links.product_urls)


@settings(max_examples=300, deadline=None)
@given(st.one_of(page_like, st.text(max_size=200)))
def test_random_pages_never_crash_the_extractors(html: str) -> None:
    _product_and_links_or_extraction_error(html)


@given(st.text(max_size=40))
def test_random_urls_give_a_result_or_an_extraction_error(url: str) -> None:
    try:
        extract_product("<h1>x</h1>", url)
    except ExtractionError:
        return


url_parts = st.sampled_from(
    (
        *("http://", "https://", "HTTP://", "//", "/", "./", "../", "/./", "/../", "?", "#", ";", ":"),
        *("@", "[", "]", "\\", " ", "%20", "a", "img", ".jpg", "shop.example", ":8080", "é", "data:"),
        *("x=1&y=2", "www."),
    )
)
hrefs = st.lists(url_parts, max_size=8).map("".join)
bases = st.sampled_from(
    ["https://shop.example/p/1", "http://127.0.0.1:8600/a/b?c=d#e", "HTTPS://Shop.Example", "ftp://x/y"]
)


@settings(max_examples=1000)
@given(hrefs, bases)
def test_absolute_url_resolves_as_urllib_does(href: str, base: str) -> None:
    """The fast path for plain hrefs (values._plain_url) gives urllib's answer or leaves it to urllib."""
    cleaned = " ".join(href.split())  # as absolute_url's clean_text leaves it
    assert absolute_url(href, base) == (resolved_url(cleaned, base) if cleaned else None)


# -- hostile input: mutated real pages and pathological shapes ------------------------------------
MICRODATA_PAGE = """<html><body><div itemscope itemtype="https://schema.org/Product">
<h1 itemprop="name">Kettle</h1><span itemprop="brand">Brew</span><meta itemprop="sku" content="K9">
<div itemprop="offers" itemscope itemtype="https://schema.org/Offer">
<span itemprop="price" content="49.50">49,50</span><meta itemprop="priceCurrency" content="EUR">
<link itemprop="availability" href="https://schema.org/InStock"></div>
<div itemprop="aggregateRating" itemscope>
<span itemprop="ratingValue">4.5</span><span itemprop="reviewCount">12</span></div>
</div><a href="/p/kettle-10">next kettle</a><link rel="next" href="?page=2"></body></html>"""
SEED_PAGES = [OPENGRAPH_ONLY, page_with_jsonld(JSONLD_GRAPH), MICRODATA_PAGE]


@fuzz_settings(max_examples=1000, deadline_seconds=2.0)
@given(st.sampled_from(SEED_PAGES).flatmap(mutated_text))
def test_mutated_real_pages_give_a_product_none_or_an_extraction_error(html: str) -> None:
    _product_and_links_or_extraction_error(html)


ITEM = "<div itemscope itemtype='https://schema.org/Product'>"
# Pages of about 2 MB (the scraper's body limit) built to be slow or to crash; several took minutes
# (or raised OverflowError) before the limits in consumers/extract/ (nesting.py, microdata.py,
# price.py, values.py). Each is read as a product page and as a listing page.
PATHOLOGICAL_PAGES = {
    "400,000 nested divs": "<div>" * 400_000,
    "3,999 nested divs around 250,000 siblings": "<div>" * 3_999 + "<i></i>" * 250_000,
    "nested itemprops": ITEM + "<div itemprop=a>" * 3_900 + "<span itemprop=name>x</span>" * 60_000,
    "nested itemprops around empty elements": ITEM + "<div itemprop=a>" * 3_900 + "<i></i>" * 250_000,
    "100,000 itemscopes": "<div itemscope itemtype='https://schema.org/Product'><b itemprop=name>x</b></div>"
    * 25_000,
    "price text of 2 MB": ITEM
    + "<span itemprop=name>x</span><span itemprop=price>"
    + "$1 " * 600_000
    + "</span>",
    "rating of 400 digits": page_with_jsonld(
        {"@type": "Product", "name": "x", "aggregateRating": {"ratingValue": 10**400}}
    ),
    "100,000 product links": "<a href='/p/x'>x</a>" * 100_000,
    "deeply nested JSON-LD": '<script type="application/ld+json">' + "[" * 500_000 + "</script>",
    "50,000 JSON-LD blocks": page_with_jsonld({"@type": "Product", "name": "x"}) * 20_000,
    "unclosed comments and scripts": "<!--" * 200_000 + "<script>" * 100_000,
}


@pytest.mark.parametrize("name", PATHOLOGICAL_PAGES)
def test_pathological_pages_are_extracted_or_refused_within_seconds(name: str) -> None:
    started = time.process_time()  # CPU time: other processes sharing the machine do not count
    _product_and_links_or_extraction_error(PATHOLOGICAL_PAGES[name])
    assert time.process_time() - started < 4.0, name


def test_a_page_nesting_too_deep_is_refused_with_a_typed_error() -> None:
    with pytest.raises(ExtractionError, match=f"nest more than {MAX_NESTING} levels"):
        extract_product("<div>" * MAX_NESTING + "<h1>x</h1>", URL)
    assert extract_product("<div>" * (MAX_NESTING - 10) + "<h1>x</h1>" + "</div>" * MAX_NESTING, URL) is None
    unclosed_items = "<ul>" + "<li>item" * 50_000 + "</ul><p>para" * 10_000  # siblings, however unclosed
    assert extract_product(unclosed_items, URL) is None
