"""Structured data on hand-written pages: sloppy JSON-LD, schema.org Product subtypes, graphs and
references, the offer rule, prices without a currency, brands, SKUs, RDFa, microdata itemref and
loose itemprops, titles, and the merge rule (docs/extraction.md)."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest
from selectolax.lexbor import LexborHTMLParser

from consumers.extract import Availability, Extractor, Price, ProductData, Profiles
from consumers.extract.rdfa import read_rdfa
from consumers.extract.schemaorg import PRODUCT_TYPES
from tests.unit.hostile_input import no_hang

EXTRACT = Extractor(Profiles())
URL = "https://shop.example/p/desk-lamp"


def product(html: str, url: str = URL) -> ProductData:
    data = EXTRACT.product(html, url)
    assert data is not None
    return data


def jsonld_page(*blocks: object, head: str = "", body: str = "", lang: str = "") -> str:
    """A page with one JSON-LD block per argument: str as written, anything else as JSON."""
    texts = [block if isinstance(block, str) else json.dumps(block) for block in blocks]
    scripts = "".join(f'<script type="application/ld+json">{text}</script>' for text in texts)
    lang_attribute = f' lang="{lang}"' if lang else ""
    return f"<html{lang_attribute}><head>{head}{scripts}</head><body>{body}</body></html>"


def offer(
    price: object, currency: str | None = "EUR", availability: str | None = None, **more: object
) -> dict:
    found: dict[str, object] = {"@type": "Offer", "price": price, **more}
    if currency is not None:
        found["priceCurrency"] = currency
    if availability is not None:
        found["availability"] = f"https://schema.org/{availability}"
    return found


LAMP = '{"@type": "Product", "name": "Desk Lamp", "offers": {"price": "19.90", "priceCurrency": "EUR"}}'


# -- JSON-LD that strict JSON refuses -------------------------------------------------------------
@pytest.mark.parametrize(
    "block",
    [
        f"/*<![CDATA[*/{LAMP}/*]]>*/",
        f"//<![CDATA[\n{LAMP}\n//]]>",
        f"<!-- {LAMP} -->",
        LAMP.replace('"name"', '<!-- a note --> "name"'),
        LAMP.replace('"EUR"}', '"EUR",},'),  # trailing commas
        LAMP.replace("Desk Lamp", "Desk\tLamp\n"),  # raw control characters in a string
        LAMP.replace('"name"', '// the product\n "name"').replace('"offers"', '/* price */ "offers"'),
        '{"@type": "WebSite", "name": "Shop"}\n' + LAMP,  # values one after the other
        '{"@type": "WebSite", "name": "Shop"},' + LAMP + ";",
        LAMP + "\n{broken",  # what parses before the damage is kept
        LAMP[:-2],  # cut off: the brackets left open are closed
        LAMP.replace('"name"', '"sku": ,, "name"'),  # an empty value and a doubled comma
    ],
    ids=[
        "cdata",
        "cdata-line-comments",
        "html-comment-wrapper",
        "html-comment-inside",
        "trailing-commas",
        "control-characters",
        "js-comments",
        "concatenated",
        "concatenated-with-separators",
        "damaged-tail",
        "cut-off",
        "empty-value",
    ],
)
def test_jsonld_blocks_that_strict_json_refuses_are_repaired(block: str) -> None:
    data = product(jsonld_page(block))
    assert data.title == "Desk Lamp" and data.price == Price(1990, "EUR") and data.sources == ("jsonld",)


def test_jsonld_repair_keeps_strings_intact() -> None:
    block = '{"@type": "Product", "name": "Lamp // 2 /* x */ <!-- y -->", "url": "https://shop.example/p",}'
    assert product(jsonld_page(block)).title == "Lamp // 2 /* x */ <!-- y -->"
    assert product(jsonld_page('{"@type": "Product", "name": "Men\\\'s Lamp",}')).title == "Men's Lamp"


def test_html_entities_in_jsonld_strings_are_unescaped() -> None:
    block = {
        "@type": "Product",
        "name": ["", "Black &amp; Silver &#39;Pro&#39; &quot;XL&quot;"],
        "brand": {"@type": "Brand", "name": "Brew &amp; Co"},
    }
    data = product(jsonld_page(block))
    assert (data.title, data.brand) == ("Black & Silver 'Pro' \"XL\"", "Brew & Co")


def test_html_entities_escaped_twice_in_jsonld_are_unescaped_whole() -> None:
    block = {
        "@type": "Product",
        "name": "Black &amp;amp; Silver &amp;#39;Pro&amp;#39;",
        "brand": "A &amp;amp;&amp;amp; B",
    }
    data = product(jsonld_page(block))
    assert (data.title, data.brand) == ("Black & Silver 'Pro'", "A && B")


# -- schema.org Product subtypes and type forms ---------------------------------------------------
@pytest.mark.parametrize(
    "kind",
    [
        "Book",
        "Car",
        "Motorcycle",
        "IndividualProduct",
        "ProductModel",
        "ProductGroup",
        "SomeProducts",
        "DietarySupplement",
        "Drug",
        ["Product", "Car"],
        ["Thing", "Vehicle"],
        "https://schema.org/Product",
        "http://schema.org/Product",
        "schema:Product",
        "http://schema.org/Product/",
        "https://schema.org/Product#",
        " product ",
    ],
)
def test_product_subtypes_and_type_forms_count(kind: object) -> None:
    data = product(jsonld_page({"@type": kind, "name": "Thing for sale", "offers": offer("5")}))
    assert data.title == "Thing for sale" and data.price == Price(500, "EUR")


def test_the_product_subtree_is_listed() -> None:
    assert {
        "Product",
        "Vehicle",
        "Car",
        "BusOrCoach",
        "MotorizedBicycle",
        "ProductCollection",
    } <= PRODUCT_TYPES


# -- graphs, main entities, itemOffered, nested offers, @id references ---------------------------
def test_graph_references_to_brand_and_offer_are_resolved() -> None:
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "Organization", "@id": "#org", "name": "The Shop"},
            {"@type": "Brand", "@id": "#brand", "name": "Lumen"},
            {
                "@id": "#offer",
                "@type": "Offer",
                "price": "24.00",
                "priceCurrency": "GBP",
                "availability": "InStock",
            },
            {
                "@type": "Product",
                "@id": "#product",
                "name": "Desk Lamp",
                "brand": {"@id": "#brand"},
                "offers": [{"@id": "#offer"}],
            },
        ],
    }
    data = product(jsonld_page(graph))
    assert (data.title, data.brand) == ("Desk Lamp", "Lumen")
    assert data.price == Price(2400, "GBP") and data.availability is Availability.IN_STOCK


def test_reference_cycles_do_not_hang() -> None:
    graph = {
        "@graph": [
            {
                "@type": "Product",
                "@id": "#a",
                "name": {"@id": "#a"},
                "brand": {"@id": "#a"},
                "offers": {"@id": "#o"},
                "isRelatedTo": {"@id": "#a"},
            },
            {
                "@type": "AggregateOffer",
                "@id": "#o",
                "lowPrice": "3",
                "priceCurrency": "EUR",
                "offers": {"@id": "#o"},
            },
        ]
    }
    with no_hang(2.0):
        data = product(jsonld_page(graph))
    assert data.price == Price(300, "EUR") and data.title is None


def test_main_entity_of_a_web_page() -> None:
    page = {
        "@type": "ItemPage",
        "mainEntity": {
            "@type": "Product",
            "name": "Desk Lamp",
            "offers": offer("30", availability="InStock"),
        },
    }
    carousel = {"@type": "Product", "name": "Floor Lamp", "offers": offer("90")}
    data = product(jsonld_page(carousel, page))
    assert data.title == "Desk Lamp" and data.price == Price(3000, "EUR")


def test_offer_whose_item_offered_is_the_product() -> None:
    block = {**offer("12.50", "CHF", "PreOrder"), "itemOffered": {"@type": "Product", "name": "Desk Lamp"}}
    data = product(jsonld_page(block))
    assert data.title == "Desk Lamp" and data.price == Price(1250, "CHF")
    assert data.availability is Availability.PREORDER


def test_aggregate_offer_with_nested_offers_uses_them() -> None:
    aggregate = {
        "@type": "AggregateOffer",
        "lowPrice": "10",
        "highPrice": "15",
        "priceCurrency": "EUR",
        "offers": [offer("10", None, "OutOfStock"), offer("15", None, "InStock")],
    }
    data = product(jsonld_page({"@type": "Product", "name": "Shirt", "offers": aggregate}))
    assert data.price == Price(1500, "EUR") and data.availability is Availability.IN_STOCK


def test_product_group_takes_its_variants_offers() -> None:
    group = {
        "@type": "ProductGroup",
        "name": "Shirt",
        "hasVariant": [
            {
                "@type": "Product",
                "name": "Shirt S",
                "sku": "SH-S",
                "offers": offer("20", availability="OutOfStock"),
            },
            {
                "@type": "Product",
                "name": "Shirt M",
                "sku": "SH-M",
                "offers": offer("22", availability="InStock"),
            },
        ],
    }
    data = product(jsonld_page(group))
    assert data.title == "Shirt" and data.price == Price(2200, "EUR")
    assert data.sku == "SH-M"  # the SKU of the variant whose offer was taken


def test_the_offer_the_page_url_names_is_the_variant_shown_whatever_its_stock() -> None:
    variants = [
        offer("20", availability="InStock", sku="SH-S", url=f"{URL}?variant=101"),
        offer("24", availability="OutOfStock", sku="SH-L", url=f"{URL}?variant=103"),
    ]
    page = jsonld_page({"@type": "Product", "name": "Shirt", "offers": variants})
    shown = product(page, f"{URL}?variant=103&utm_source=mail")
    assert shown.price == Price(2400, "EUR") and shown.availability is Availability.OUT_OF_STOCK
    assert shown.sku == "SH-L"
    assert product(page, f"{URL}?sku=SH-L").price == Price(2400, "EUR")  # named by its sku
    assert product(page).price == Price(2000, "EUR")  # no query: the first in stock
    assert product(page, f"{URL}?variant=999").price == Price(2000, "EUR")  # names none


def test_a_url_naming_several_offers_names_none() -> None:
    same_url = [
        offer("20", availability="OutOfStock", url=f"{URL}?colour=red"),
        offer("22", availability="InStock", url=f"{URL}?colour=red"),
    ]
    page = jsonld_page({"@type": "Product", "name": "Shirt", "offers": same_url})
    assert product(page, f"{URL}?colour=red").price == Price(2200, "EUR")


def test_a_product_group_variant_is_named_by_its_own_url() -> None:
    group = {
        "@type": "ProductGroup",
        "name": "Shirt",
        "url": URL,
        "hasVariant": [
            {
                "@type": "Product",
                "sku": "SH-S",
                "url": f"{URL}?size=s",
                "offers": offer("20", availability="InStock"),
            },
            {
                "@type": "Product",
                "sku": "SH-M",
                "url": f"{URL}?size=m",
                "offers": offer("22", availability="InStock"),
            },
        ],
    }
    data = product(jsonld_page(group), f"{URL}?size=m")
    assert data.price == Price(2200, "EUR") and data.sku == "SH-M"


def test_a_variant_matching_the_page_url_stands_for_its_group() -> None:
    variants = [
        {
            "@type": "Product",
            "name": f"Shirt {size.upper()}",
            "sku": f"SH-{size.upper()}",
            "url": f"{URL}?size={size}",
        }
        for size in ("s", "m")
    ]
    for variant, price in zip(variants, ("20", "22"), strict=True):
        variant["offers"] = offer(price, availability="InStock")
    page = jsonld_page({"@type": "ProductGroup", "name": "Shirt", "hasVariant": variants})
    assert (product(page).title, product(page).sku) == ("Shirt", "SH-S")
    shown = product(page, f"{URL}?size=m")
    assert (shown.title, shown.price, shown.sku) == ("Shirt", Price(2200, "EUR"), "SH-M")


def test_a_marked_up_price_keeps_digits_beyond_the_minor_unit_only_when_the_page_shows_them() -> None:
    part = {"@type": "Product", "name": "Compute Module", "offers": offer("84.0973")}
    shown = product(jsonld_page(part, body="<td>84,09730 €</td>"))
    assert (shown.price.amount, shown.price.minor) == (Decimal("84.0973"), 8410)
    net = {"@type": "Product", "name": "Monitor", "offers": offer("224.904")}
    assert product(jsonld_page(net, body="<span>224,90 EUR</span>")).price == Price(22490, "EUR")


def test_a_sku_loses_a_number_sign_before_it() -> None:
    block = {"@type": "Product", "name": "Lamp", "sku": "# 4711-B", "offers": offer("5")}
    assert product(jsonld_page(block)).sku == "4711-B"


# -- the main product among several ---------------------------------------------------------------
def test_main_product_is_the_one_at_the_page_url() -> None:
    related = {
        "@type": "Product",
        "name": "Floor Lamp",
        "url": "https://shop.example/p/floor-lamp",
        "offers": offer("90"),
    }
    own = {"@type": "Product", "name": "Desk Lamp", "@id": "https://www.shop.example/p/desk-lamp/#product"}
    assert product(jsonld_page(related, own)).title == "Desk Lamp"
    canonical = '<link rel="canonical" href="https://shop.example/p/desk-lamp">'
    own_by_canonical = {**own, "@id": "/p/desk-lamp"}
    html = jsonld_page(related, own_by_canonical, head=canonical)
    assert product(html, URL + "?utm_source=mail").title == "Desk Lamp"


def test_main_product_is_else_the_top_level_one_with_offers_then_the_first() -> None:
    no_offers = {"@type": "Product", "name": "Teaser"}
    with_offers = {
        "@type": "Product",
        "name": "Desk Lamp",
        "offers": offer("30"),
        "isRelatedTo": {"@type": "Product", "name": "Bulb", "offers": offer("2")},
    }
    assert product(jsonld_page(no_offers, with_offers)).title == "Desk Lamp"
    carousel = {
        "@type": "ItemList",
        "itemListElement": [
            {"@type": "ListItem", "item": {"@type": "Product", "name": "Bulb", "offers": offer("2")}}
        ],
    }
    assert product(jsonld_page(carousel, no_offers)).title == "Teaser"  # nested ones come last


# -- the offer rule ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("offers", "price", "availability"),
    [
        # in stock beats cheaper but sold out; the first in stock wins, not the cheapest
        ([("10", "OutOfStock"), ("14", "InStock"), ("12", "InStock")], 1400, Availability.IN_STOCK),
        # no availability counts as buyable
        ([("10", "OutOfStock"), ("11", None)], 1100, None),
        ([("9", None), ("11", "InStock")], 900, Availability.IN_STOCK),
        # limited is in stock; orderable beats sold out
        ([("10", "LimitedAvailability"), ("9", "PreOrder")], 1000, Availability.LIMITED),
        ([("10", "OutOfStock"), ("13", "BackOrder")], 1300, Availability.BACKORDER),
        # nothing buyable: the first
        ([("10", "OutOfStock"), ("8", "Discontinued")], 1000, Availability.OUT_OF_STOCK),
    ],
)
def test_offer_rule_prefers_in_stock_then_the_first_offer(
    offers: list[tuple[str, str | None]], price: int, availability: Availability | None
) -> None:
    block = {
        "@type": "Product",
        "name": "Shirt",
        "offers": [offer(amount, "EUR", stock) for amount, stock in offers],
    }
    data = product(jsonld_page(block))
    assert (data.price, data.availability) == (Price(price, "EUR"), availability)


def test_offers_in_another_currency_than_the_first_are_left_out() -> None:
    offers = [offer("30", "EUR", "InStock"), offer("25", "USD", "InStock"), offer("28", "EUR", "OutOfStock")]
    assert product(jsonld_page({"@type": "Product", "name": "Lamp", "offers": offers})).price == Price(
        3000, "EUR"
    )


def test_a_currency_code_iso_4217_lacks_leaves_the_currency_to_the_page() -> None:
    page = jsonld_page(
        {"@type": "Product", "name": "Battery BL-44JN", "offers": offer("253", "UAN")},
        body="<h1>Battery BL-44JN</h1><span class='price'>253.0 грн</span>",
    )
    assert product(page).price == Price(25300, "UAH")


@pytest.mark.parametrize(
    ("offer_node", "expected"),
    [
        (
            {
                "priceCurrency": "EUR",
                "priceSpecification": [
                    {
                        "@type": "UnitPriceSpecification",
                        "price": "129.00",
                        "priceType": "https://schema.org/ListPrice",
                    },
                    {"@type": "UnitPriceSpecification", "price": "99.00"},
                ],
            },
            9900,
        ),
        (
            {
                "priceCurrency": "EUR",
                "priceSpecification": [
                    {"@type": "UnitPriceSpecification", "price": "129.00", "priceType": "StrikethroughPrice"},
                    {"@type": "UnitPriceSpecification", "price": "99.00", "priceType": "SalePrice"},
                ],
            },
            9900,
        ),
        (
            {
                "priceCurrency": "EUR",
                "price": "129.00",
                "priceSpecification": [  # `price` repeats the list price
                    {"@type": "UnitPriceSpecification", "price": "129", "priceType": "MSRP"},
                    {"@type": "UnitPriceSpecification", "price": "99.00", "priceType": "SalePrice"},
                ],
            },
            9900,
        ),
        (
            {
                "priceCurrency": "EUR",
                "priceSpecification": {
                    "@type": "UnitPriceSpecification",
                    "price": "129.00",
                    "priceType": "SRP",
                },
            },
            12900,
        ),  # only a list price
        ({"@type": "AggregateOffer", "lowPrice": "80", "highPrice": "120", "priceCurrency": "EUR"}, 8000),
        ({"@type": "AggregateOffer", "price": "95", "lowPrice": "80", "priceCurrency": "EUR"}, 9500),
    ],
    ids=[
        "untyped-beats-list",
        "sale-beats-strikethrough",
        "price-equal-to-msrp",
        "list-only",
        "low-price",
        "aggregate-price",
    ],
)
def test_sale_price_beats_list_price_and_aggregate_offers(offer_node: dict, expected: int) -> None:
    data = product(jsonld_page({"@type": "Product", "name": "TV", "offers": offer_node}))
    assert data.price == Price(expected, "EUR")


def test_opengraph_sale_price_beats_regular_price() -> None:
    head = (
        '<meta property="og:type" content="product"><meta property="og:title" content="TV">'
        '<meta property="product:price:amount" content="129.00">'
        '<meta property="product:price:currency" content="EUR">'
        '<meta property="product:sale_price:amount" content="99.00">'
    )
    assert product(jsonld_page(head=head)).price == Price(9900, "EUR")


def test_offer_sku_counts_when_the_product_has_none() -> None:
    block = {
        "@type": "Product",
        "name": "Shirt",
        "mpn": "MPN-1",
        "gtin13": "4006381333931",
        "productID": "P-77",
        "offers": [
            offer("10", availability="OutOfStock", sku="SH-S"),
            offer("12", availability="InStock", sku="SH-M"),
        ],
    }
    data = product(jsonld_page(block))
    assert (data.sku, data.product_id) == ("SH-M", "P-77")  # the representative offer's; never mpn or gtin
    assert product(jsonld_page({**block, "sku": "SH"})).sku == "SH"
    # No sku anywhere: the productID stands for it (the shop's code); mpn and gtin never do.
    assert product(jsonld_page({**block, "offers": offer("10")})).sku == "P-77"
    without_id = {key: value for key, value in block.items() if key != "productID"}
    assert product(jsonld_page({**without_id, "offers": offer("10")})).sku is None


# -- prices without a currency ----------------------------------------------------------------------
def test_price_without_currency_is_kept() -> None:
    data = product(jsonld_page({"@type": "Product", "name": "Lamp", "offers": {"price": "49.90"}}))
    assert data.price == Price(4990, None)


@pytest.mark.parametrize(
    ("head", "body", "expected"),
    [
        (
            '<meta property="product:price:currency" content="JPY">',
            "",
            Price(4990, "JPY"),
        ),  # 0 decimals: 4990 yen
        (
            '<meta property="og:price:currency" content="KWD">',
            "",
            Price(4990, "KWD"),
        ),  # 3 decimals: 4.990 KWD
        ("", '<meta itemprop="priceCurrency" content="CHF">', Price(4990, "CHF")),
        # microdata with a price and currency: the currency comes along, not the price
        (
            "",
            '<div itemscope itemtype="https://schema.org/Product"><span itemprop="name">Lamp</span>'
            '<div itemprop="offers" itemscope><meta itemprop="price" content="52.00">'
            '<meta itemprop="priceCurrency" content="SEK"></div></div>',
            Price(4990, "SEK"),
        ),
    ],
    ids=["opengraph", "opengraph-og-prefix", "loose-itemprop", "another-source"],
)
def test_price_without_currency_takes_the_page_currency(head: str, body: str, expected: Price) -> None:
    amount = "4990" if expected.currency == "JPY" else "4.990" if expected.currency == "KWD" else "49.90"
    data = product(
        jsonld_page({"@type": "Product", "name": "Lamp", "offers": {"price": amount}}, head=head, body=body)
    )
    assert data.price == expected and data.sources[0] == "jsonld"


@pytest.mark.parametrize(
    ("url", "amount", "expected"),
    [
        ("https://sklep.example.pl/p/1", "49.90", Price(4990, "PLN")),
        ("https://www.amazon.in/dp/B01", "237097.00", Price(23709700, "INR")),
        ("https://shop.co.uk/p/1", "49.90", Price(4990, "GBP")),
        ("https://shop.example.jp/p/1", "4990", Price(4990, "JPY")),  # read again in yen
        ("https://shop.example.com/p/1", "49.90", Price(4990, None)),  # no country
        ("https://shop.example.io/p/1", "49.90", Price(4990, None)),  # a vanity domain
    ],
)
def test_a_price_without_any_currency_takes_the_domain_s(url: str, amount: str, expected: Price) -> None:
    data = product(jsonld_page({"@type": "Product", "name": "Lamp", "offers": {"price": amount}}), url)
    assert data.price == expected


def test_price_without_currency_takes_another_offers_currency() -> None:
    offers = [offer("20", None, "InStock"), offer("18", "GBP", "OutOfStock")]
    data = product(jsonld_page({"@type": "Product", "name": "Lamp", "offers": offers}))
    assert data.price == Price(2000, "GBP")


def test_price_and_currency_travel_together() -> None:
    head = (
        '<meta property="og:type" content="product"><meta property="product:price:amount" content="60">'
        '<meta property="product:price:currency" content="USD">'
    )
    block = {"@type": "Product", "name": "Lamp", "offers": offer("55", "EUR")}
    assert product(jsonld_page(block, head=head)).price == Price(5500, "EUR")  # never 55 USD


@pytest.mark.parametrize(
    ("url", "lang", "expected"),
    [
        ("https://shop.example.ca/p/lamp", "", "CAD"),
        ("https://shop.example/p/lamp", "en-AU", "AUD"),
        ("https://shop.example/p/lamp", "", "USD"),
    ],
)
def test_page_locale_and_tld_resolve_an_ambiguous_currency_sign(url: str, lang: str, expected: str) -> None:
    block = {"@type": "Product", "name": "Lamp", "offers": {"price": "20", "priceCurrency": "$"}}
    assert product(jsonld_page(block, lang=lang), url).price == Price(2000, expected)


# -- brands -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"brand": {"@type": "Brand", "name": "Sony"}}, "Sony"),
        ({"brand": [{"@type": "Brand", "logo": "x.png"}, {"@type": "Brand", "name": "Sony"}]}, "Sony"),
        ({"brand": ["Sony", "Other"]}, "Sony"),
        (
            {"brand": {"@type": "Organization"}, "manufacturer": {"@type": "Organization", "name": "Sony"}},
            "Sony",
        ),
        ({"brand": "Brand: Sony"}, "Sony"),
        ({"brand": "Visit the Sony Store"}, "Sony"),
        ({"brand": "by Sony"}, "Sony"),
        ({"brand": "Marke: Sony"}, "Sony"),
        ({"brand": "Mehr von Sony"}, "Sony"),
        ({"brand": "Av Sony"}, "Sony"),  # Norwegian 'by'
        ({"brand": "AV Link"}, "AV Link"),
        ({"brand": "Κατασκευαστής: Sony"}, "Sony"),  # Greek 'Manufacturer'
        ({"brand": "Visite a loja Black+Decker"}, "Black+Decker"),
        ({"brand": "Gymshark | We Do Gym"}, "Gymshark"),
        ({"brand": "Meryl Arnett - Atlanta Meditation teacher"}, "Meryl Arnett"),
        ({"brand": "Mid-East"}, "Mid-East"),
        ({"manufacturer": {"@type": "Organization", "brand": {"@type": "Brand", "name": "Gree"}}}, "Gree"),
        ({"manufacturer": {"@type": "Organization", "brand": "Gree"}}, "Gree"),
        ({"brand": "Powered by"}, None),
        ({"brand": "De'Longhi"}, "De'Longhi"),
        ({"brand": "https://schema.org/Brand"}, None),
    ],
)
def test_brand_forms_and_page_labels(fields: dict, expected: str | None) -> None:
    assert product(jsonld_page({"@type": "Product", "name": "Headphones", **fields})).brand == expected


# -- titles -------------------------------------------------------------------------------------------
def test_title_that_is_just_the_sku_or_empty_falls_back() -> None:
    head = '<meta property="og:type" content="product"><meta property="og:title" content="Desk Lamp">'
    for name in ("LMP-0042", "", ["", " "]):
        block = {"@type": "Product", "name": name, "sku": "LMP-0042", "offers": offer("5")}
        data = product(jsonld_page(block, head=head))
        assert (data.title, data.sku, data.sources) == ("Desk Lamp", "LMP-0042", ("jsonld", "meta"))


# -- RDFa ---------------------------------------------------------------------------------------------
RDFA_PAGE = """<html><head><meta property="og:title" content="OpenGraph title">
<meta property="og:type" content="website"></head><body>
<div vocab="https://schema.org/" typeof="Product" resource="#lamp">
  <img property="image" src="/img/lamp.jpg" alt=""><h1 property="name">Desk Lamp</h1>
  <span property="sku">LMP-1</span>
  <div property="brand" typeof="Brand"><span property="name">Lumen</span></div>
  <div property="offers" typeof="Offer">
    <span property="price" content="24.50">24,50 €</span><meta property="priceCurrency" content="EUR">
    <link property="availability" href="https://schema.org/InStock">
    <time property="priceValidUntil" datetime="2030-01-01">soon</time></div>
  <div property="aggregateRating" typeof="AggregateRating">
    <span property="ratingValue">4.5</span> (<span property="reviewCount">12</span>)</div>
</div></body></html>"""


def test_rdfa_product() -> None:
    data = product(RDFA_PAGE)
    assert data == ProductData(
        sku="LMP-1",
        title="Desk Lamp",
        brand="Lumen",
        price=Price(2450, "EUR"),
        availability=Availability.IN_STOCK,
        rating=4.5,
        review_count=12,
        image_url="https://shop.example/img/lamp.jpg",
        sources=("rdfa",),
    )


def test_rdfa_nodes_have_the_shape_of_jsonld_ones() -> None:
    nodes = read_rdfa(RDFA_PAGE, LexborHTMLParser(RDFA_PAGE))
    lamp = nodes[0]
    assert (lamp["@type"], lamp["@id"], lamp["name"]) == ("Product", "#lamp", "Desk Lamp")
    assert lamp["offers"]["priceValidUntil"] == "2030-01-01" and lamp["brand"] == {
        "@type": "Brand",
        "name": "Lumen",
    }
    assert not any("og:title" in node or "title" in node for node in nodes)  # OpenGraph tags are no items


def test_rdfa_prefixes_and_other_vocabularies() -> None:
    prefixed = """<html prefix="s: http://schema.org/ og: https://ogp.me/ns#"><body>
    <div typeof="s:Product"><span property="s:name">Desk Lamp</span><span property="og:title">no</span>
    <span property="schema:sku">LMP-2</span></div></body></html>"""
    data = product(prefixed)
    assert (data.title, data.sku) == ("Desk Lamp", "LMP-2")
    other_vocabulary = (
        '<div vocab="http://xmlns.com/foaf/0.1/" typeof="Product"><span property="name">x</span></div>'
    )
    assert read_rdfa(other_vocabulary, LexborHTMLParser(other_vocabulary)) == [{"@type": "Product"}]


def test_pages_without_typeof_attributes_skip_rdfa() -> None:
    script = "<script>if (typeof window !== 'undefined') {}</script>"
    html = script + '<div property="name">x</div>'
    assert read_rdfa(html, LexborHTMLParser(html)) == []


PRICE_SPECIFICATION = """<div rel="gr:hasPriceSpecification"><div typeof="gr:UnitPriceSpecification">
  <span property="gr:hasCurrency" content="EUR"></span>
  <span property="gr:hasCurrencyValue">0.60</span></div></div>"""
GOODRELATIONS_PAGES = {
    "an offering naming the product": f"""<div typeof="gr:Offering" about="#offering">
  <h1 property="gr:name">Dragées Coccinelle</h1><span property="gr:hasStockKeepingUnit" content="1617"></span>
  {PRICE_SPECIFICATION}<div rel="gr:hasBusinessFunction" resource="http://purl.org/goodrelations/v1#Sell"></div>
  </div>""",
    "an offering including its good": f"""<div xmlns:g="http://purl.org/goodrelations/v1#"
  prefix="g: http://purl.org/goodrelations/v1#" typeof="g:Offering">{PRICE_SPECIFICATION.replace("gr:", "g:")}
  <div rel="g:includesObject"><div typeof="g:TypeAndQuantityNode"><div rel="g:typeOfGood">
  <div typeof="g:SomeItems"><span property="g:name">Dragées Coccinelle</span>
  <span property="g:hasStockKeepingUnit">1617</span>
  <div rel="g:hasManufacturer"><div typeof="g:BusinessEntity"><span property="g:legalName">Massardier</span>
  </div></div></div></div></div></div></div>""",
}


@pytest.mark.parametrize("name", GOODRELATIONS_PAGES)
def test_goodrelations_offerings_give_the_product_and_its_price(name: str) -> None:
    data = product(f"<html><body>{GOODRELATIONS_PAGES[name]}</body></html>")
    assert (data.title, data.sku, data.price) == ("Dragées Coccinelle", "1617", Price(60, "EUR"))
    assert data.sources[0] == "rdfa"


def test_goodrelations_types_and_terms_read_as_schema_org() -> None:
    html = GOODRELATIONS_PAGES["an offering including its good"]
    nodes = read_rdfa(html, LexborHTMLParser(html))
    good = next(node for node in nodes if node["@type"] == "SomeProducts")
    assert (good["name"], good["sku"], good["manufacturer"]) == (
        "Dragées Coccinelle",
        "1617",
        {"@type": "Organization", "name": "Massardier"},
    )
    (offer,) = good["offers"]
    assert offer["@type"] == "Offer" and "includesObject" not in offer  # no cycle good -> offer -> good
    specification = {"@type": "UnitPriceSpecification", "priceCurrency": "EUR", "price": "0.60"}
    assert offer["priceSpecification"] == specification


def test_a_price_written_inside_the_offering_s_quantity_node_is_the_offering_s() -> None:
    html = f"""<html><body><h1>AspectJ Cookbook</h1><div typeof="gr:Offering">
      <span rel="gr:includesObject"><span typeof="gr:TypeAndQuantityNode">
      <span property="gr:amountOfThisGood" content="1"></span>{PRICE_SPECIFICATION}</span></span>
      </div></body></html>"""
    assert product(html).price == Price(60, "EUR")


def test_a_rel_naming_its_own_object_or_an_item_between_hangs_nothing() -> None:
    html = """<div typeof="gr:Offering"><span property="gr:name">Kettle</span>
      <div rel="gr:hasPriceSpecification" resource="#price"><div typeof="gr:UnitPriceSpecification">
      <span property="gr:hasCurrencyValue">5</span></div></div></div>"""
    offering = read_rdfa(html, LexborHTMLParser(html))[0]
    assert "priceSpecification" not in offering


RDFA_ITEM = "<div vocab='https://schema.org/' typeof='Product'>"
HOSTILE_RDFA = {
    "nested properties": RDFA_ITEM
    + "<div property=description>" * 3_900
    + "<span property=name>x</span>" * 60_000,
    "nested typeofs": RDFA_ITEM + "<div property=isRelatedTo typeof=Product>" * 3_900 + "<i></i>" * 250_000,
    "100,000 items": "<div typeof='Product'><b property=name>x</b></div>" * 25_000,
    "typeof words in scripts": "<script>" + "typeof x; " * 200_000 + "</script>",
    "items under 3,900 hanging rels": "<div typeof=gr:Offering>"
    + "<div rel=gr:includes>" * 3_900
    + "<i typeof=gr:SomeItems></i>" * 100_000,
    "offerings by the ten thousand": "<div typeof=gr:Offering><b property=gr:name>x</b></div>" * 20_000,
}


def test_quotes_left_unescaped_inside_jsonld_strings() -> None:
    block = LAMP.replace("Desk Lamp", 'Monitor 27" IPS, 4K "Pro"')
    data = product(jsonld_page(block))
    assert (data.title, data.price) == ('Monitor 27" IPS, 4K "Pro"', Price(1990, "EUR"))


@pytest.mark.parametrize("name", HOSTILE_RDFA)
def test_hostile_rdfa_pages_are_read_within_seconds(name: str) -> None:
    started = time.process_time()
    with no_hang():
        EXTRACT.product(HOSTILE_RDFA[name], URL)
    assert time.process_time() - started < 4.0, name


HOSTILE_JSONLD = {
    "unterminated strings": '{"a": "\\"' + '\\"' * 500_000,
    "unterminated comments": "{" + "/*" * 500_000,
    "unterminated html comments": "{" + "<!--" * 400_000,
    "trailing commas and spaces": "[" + ",     " * 300_000 + "x",
    "many small values": '{"@type": "Thing"} ' * 100_000,
    "quotes and spaces": '{"a": "' + '"     ' * 300_000,
    "open brackets": "{" + '"a": [' * 200_000 + ",,",
    "empty values": '{"a": ' + '"b":  ,' * 200_000,
}


@pytest.mark.parametrize("name", HOSTILE_JSONLD)
def test_hostile_jsonld_repair_within_seconds(name: str) -> None:
    started = time.process_time()
    with no_hang():
        EXTRACT.product(jsonld_page(HOSTILE_JSONLD[name]), URL)
    assert time.process_time() - started < 4.0, name


# -- microdata: itemref, itemid, loose itemprops ----------------------------------------------------
def test_microdata_itemref_and_itemid() -> None:
    html = """<html><body>
    <div id="buy-box"><div itemprop="offers" itemscope itemtype="https://schema.org/Offer">
      <meta itemprop="price" content="3.50"><meta itemprop="priceCurrency" content="USD"></div></div>
    <div itemscope itemtype="https://schema.org/Product" itemid="https://shop.example/p/other">
      <span itemprop="name">Other lamp</span></div>
    <div itemscope itemtype="https://schema.org/Product" itemid="https://shop.example/p/desk-lamp"
      itemref="buy-box brand-line"><h1 itemprop="name">Desk Lamp</h1></div>
    <p id="brand-line">by <span itemprop="brand">Lumen</span></p></body></html>"""
    data = product(html)
    assert (data.title, data.brand, data.price) == ("Desk Lamp", "Lumen", Price(350, "USD"))


def test_loose_itemprop_tags_are_a_low_priority_source() -> None:
    loose = (
        '<meta itemprop="price" content="19.90"><meta itemprop="priceCurrency" content="EUR">'
        '<link itemprop="availability" href="https://schema.org/InStock"><meta itemprop="sku" content="L-3">'
    )
    data = product(
        f"<html><head><title>Desk Lamp</title></head><body><h1>Desk Lamp</h1>{loose}</body></html>"
    )
    assert (data.price, data.availability, data.sku) == (Price(1990, "EUR"), Availability.IN_STOCK, "L-3")
    assert data.sources[0] == "itemprop"
    og = (
        '<meta property="og:type" content="product"><meta property="product:price:amount" content="25">'
        '<meta property="product:price:currency" content="EUR">'
    )
    data = product(f"<html><head>{og}</head><body>{loose}</body></html>")
    assert data.price == Price(2500, "EUR") and data.sku == "L-3" and data.sources == ("meta", "itemprop")
    assert EXTRACT.product('<html><body><meta itemprop="name" content="My Shop"></body></html>', URL) is None


# -- the merge order ------------------------------------------------------------------------------------
def test_sources_merge_in_priority_order() -> None:
    html = jsonld_page(
        {"@type": "Product", "name": "From JSON-LD"},
        head='<meta property="og:type" content="product"><meta property="og:title" content="From OG">'
        '<meta property="product:brand" content="OG Brand">',
        body="""<div itemscope itemtype="https://schema.org/Product">
        <span itemprop="name">From microdata</span><span itemprop="sku">MD-1</span></div>
        <div vocab="https://schema.org/" typeof="Product"><span property="name">From RDFa</span>
        <span property="sku">RD-1</span><span property="brand">RDFa Brand</span>
        <div property="offers" typeof="Offer"><meta property="price" content="7">
        <meta property="priceCurrency" content="EUR"></div></div>""",
    )
    data = product(html)
    assert (data.title, data.sku, data.brand, data.price) == (
        "From JSON-LD",
        "MD-1",
        "RDFa Brand",
        Price(700, "EUR"),
    )
    assert data.sources == ("jsonld", "microdata", "rdfa")


# -- schema.org as shops write it (issue #18) ----------------------------------------------------------
def test_types_in_any_case_count() -> None:
    block = {
        "@type": "product",
        "name": "Desk Lamp",
        "offers": {"@type": "offer", "price": "5", "priceCurrency": "EUR"},
    }
    data = product(jsonld_page(block))
    assert (data.title, data.price) == ("Desk Lamp", Price(500, "EUR"))


@pytest.mark.parametrize(
    ("value", "availability"),
    [
        ("http://schema.org/instock", Availability.IN_STOCK),
        ("in_stock", Availability.IN_STOCK),
        (["https://schema.org/PreOrder"], Availability.PREORDER),
        ({"@id": "https://schema.org/InStock"}, Availability.IN_STOCK),
        ({"@id": "schema:BackOrder"}, Availability.BACKORDER),
        ("https://schema.org/Reserved", Availability.OUT_OF_STOCK),
        ("OutStock", Availability.OUT_OF_STOCK),
    ],
)
def test_offer_availability_as_shops_write_it(value: object, availability: Availability) -> None:
    block = {"@type": "Product", "name": "Desk Lamp", "offers": offer("5", availability=None)}
    block["offers"]["availability"] = value
    assert product(jsonld_page(block)).availability is availability


def test_a_legend_of_stock_states_in_a_microdata_availability_states_none() -> None:
    legend = (
        "Availability <div>In Stock: items are available for purchase and ship in 1-3 business days."
        " Backordered: temporarily out of stock, ships when inventory arrives. Out of Stock: not"
        " available via the website.</div>"
    )
    page = (
        '<div itemscope itemtype="https://schema.org/Product"><h1 itemprop="name">Hoodie</h1>'
        '<div itemprop="offers" itemscope itemtype="https://schema.org/Offer">'
        '<span itemprop="price">$52.00</span><span itemprop="availability">{}</span></div>'
        '<button type="submit" class="add-to-cart">Add to cart</button></div>'
    )
    assert product(page.format(legend)).availability is Availability.IN_STOCK  # the enabled button's
    stated = "Out of stock: this item is not available via the website, sorry, but we will restock it soon."
    assert product(page.format(stated)).availability is Availability.OUT_OF_STOCK  # long, one state


@pytest.mark.parametrize("placeholder", ["N/A", "Unbranded", "Does not apply", "No brand", "none"])
def test_a_placeholder_brand_is_no_brand(placeholder: str) -> None:
    block = {"@type": "Product", "name": "Desk Lamp", "brand": {"@type": "Brand", "name": placeholder}}
    assert product(jsonld_page({**block, "offers": offer("5")})).brand is None
    with_maker = {**block, "manufacturer": {"@type": "Organization", "name": "Lumen"}, "offers": offer("5")}
    assert product(jsonld_page(with_maker)).brand == "Lumen"


@pytest.mark.parametrize("product_id", ["isbn:9780306406157", "4006381333931", "https://shop.example/p/1"])
def test_a_product_id_that_is_no_shop_code_is_no_sku(product_id: str) -> None:
    block = {"@type": "Product", "name": "Desk Lamp", "productID": product_id, "offers": offer("5")}
    data = product(jsonld_page(block))
    assert (data.product_id, data.sku) == (product_id, None)


def test_a_labelled_sku_beats_the_product_id() -> None:
    block = {"@type": "Product", "name": "Desk Lamp", "productID": "P-77", "offers": offer("5")}
    assert product(jsonld_page(block, body="<h1>Desk Lamp</h1><p>SKU: DL-5</p>")).sku == "DL-5"


@pytest.mark.parametrize("value", ["SKU: DL-5", "Art.-Nr. DL-5", "Item # DL-5", "DL-5"])
def test_a_sku_value_loses_its_label(value: str) -> None:
    block = {"@type": "Product", "name": "Desk Lamp", "sku": value, "offers": offer("5")}
    assert product(jsonld_page(block)).sku == "DL-5"


def test_a_zero_price_gives_way_to_the_offers_other_amount() -> None:
    spec = {"@type": "UnitPriceSpecification", "price": "19.90", "priceCurrency": "EUR"}
    block = {"@type": "Product", "name": "Desk Lamp", "offers": offer("0.00", priceSpecification=spec)}
    assert product(jsonld_page(block)).price == Price(1990, "EUR")
    variants = {"@type": "Product", "name": "Desk Lamp", "offers": [offer("0"), offer("24.50")]}
    assert product(jsonld_page(variants)).price == Price(2450, "EUR")
    alone = {"@type": "Product", "name": "Desk Lamp", "offers": offer("0")}
    assert product(jsonld_page(alone)).price is None  # a placeholder, and nothing better: no price


def test_a_zero_price_gives_way_to_a_later_sources_price() -> None:
    block = {"@type": "Product", "name": "Desk Lamp", "offers": offer("0")}
    og = (
        '<meta property="product:price:amount" content="19.90">'
        '<meta property="product:price:currency" content="EUR">'
    )
    data = product(jsonld_page(block, head=og))
    assert data.price == Price(1990, "EUR") and data.sources == ("jsonld", "meta")


def test_markup_in_a_structured_name_goes() -> None:
    block = {"@type": "Product", "name": "<b>Desk</b> Lamp <br/>", "offers": offer("5")}
    assert product(jsonld_page(block)).title == "Desk Lamp"


def test_a_twitter_card_s_brand_pair_gives_the_brand() -> None:
    head = (
        '<meta property="og:type" content="product"><meta property="og:title" content="PowerBlock Micro">'
        '<meta property="product:price:amount" content="11.99">'
        '<meta property="product:price:currency" content="USD">'
        '<meta name="twitter:label1" content="Price"><meta name="twitter:data1" content="$11.99">'
        '<meta name="twitter:label2" content="Brand"><meta name="twitter:data2" content="Griffin">'
    )
    assert product(f"<html><head>{head}</head><body></body></html>").brand == "Griffin"


def test_a_link_marked_as_a_name_or_brand_gives_its_text_not_its_url() -> None:
    page = """<html><body><div itemscope itemtype="https://schema.org/Product">
        <h1><a itemprop="name" href="/p/boot">Combat Boot</a></h1>
        <a itemprop="manufacturer" href="/Search.aspx?m=14">Clothier to the King</a>
        <div itemprop="offers" itemscope itemtype="https://schema.org/Offer">
        <meta itemprop="price" content="59.00"><meta itemprop="priceCurrency" content="USD"></div>
        </div></body></html>"""
    data = product(page)
    assert (data.title, data.brand) == ("Combat Boot", "Clothier to the King")


def test_a_name_that_is_a_url_is_no_title() -> None:
    block = {"@type": "Product", "name": "http://www.shop.example/", "offers": offer("5")}
    assert product(jsonld_page(block, body="<h1>Combat Boot</h1>")).title == "Combat Boot"


def test_markup_in_a_structured_name_is_dropped_and_a_wbr_joins_the_word() -> None:
    block = {"@type": "Product", "name": "<b>Monitor</b> höhenverstellb<wbr/>ar", "offers": offer("5")}
    assert product(jsonld_page(block)).title == "Monitor höhenverstellbar"


@pytest.mark.parametrize(
    ("structured", "shown", "availability"),
    [
        ("InStock", "Only 2 left!", Availability.LIMITED),
        ("InStock", "Temporarily on backorder", Availability.BACKORDER),
        ("OutOfStock", "Temporarily on backorder", Availability.BACKORDER),
        ("InStock", "Sold out", Availability.IN_STOCK),  # only a more precise word refines it
        ("OutOfStock", "Only 2 left!", Availability.OUT_OF_STOCK),
    ],
)
def test_shown_stock_wording_refines_structured_in_or_out_of_stock(
    structured: str, shown: str, availability: Availability
) -> None:
    block = {"@type": "Product", "name": "Kettle", "offers": offer("5", availability=structured)}
    buy = "<button>Add to cart</button>"  # a backorder takes orders
    body = (
        f"<h1>Kettle</h1><p>{shown}</p><span class='price'>5,00 €</span>{buy}"  # no brand: the page is read
    )
    assert product(jsonld_page(block, body=body)).availability is availability


@pytest.mark.parametrize(
    "shown",
    [
        "Temporarily on backorder",
        # A backorder note with a sign-up link in it: the shop still takes orders.
        "<span class='stock'>Temporarily on backorder, you can order it now."
        " <a href='#'>Notify me when in stock</a></span>",
        "We'll get this back in stock soon. Ships within 30 days.",
        "Nicht lagernd, ab Bestellung versandfertig in 8 Tagen",
    ],
)
def test_a_backorder_shown_refines_out_of_stock_even_when_the_markup_gives_every_field(shown: str) -> None:
    block = {
        "@type": "Product",
        "name": "Kettle",
        "brand": "Brew",
        "sku": "K-1",
        "offers": offer("5", availability="OutOfStock"),
    }
    body = f"<h1>Kettle</h1><p>{shown}</p><span class='price'>5,00 €</span><button>Add to cart</button>"
    assert product(jsonld_page(block, body=body)).availability is Availability.BACKORDER
    sold_out = body.replace(shown, "Sold out")
    assert product(jsonld_page(block, body=sold_out)).availability is Availability.OUT_OF_STOCK
    no_way_to_buy = body.replace("<button>Add to cart</button>", "")  # not available for backorder
    assert product(jsonld_page(block, body=no_way_to_buy)).availability is Availability.OUT_OF_STOCK


def test_an_og_availability_backorder_refines_json_ld_out_of_stock() -> None:
    sold_out = offer("5", availability="OutOfStock")
    block = {"@type": "Product", "name": "Kettle", "brand": "Brew", "sku": "K-1", "offers": sold_out}
    head = '<meta property="og:type" content="product"><meta property="og:availability" content="BackOrder">'
    assert product(jsonld_page(block, head=head)).availability is Availability.BACKORDER


def test_a_brand_that_is_the_page_title_is_none() -> None:
    misfiled = {"@type": "Brand", "name": "Regular Fit Wool Coat - All products | Colin's"}
    block = {"@type": "Product", "name": "Regular Fit Wool Coat", "brand": misfiled, "offers": offer("5")}
    assert product(jsonld_page(block), url="https://www.colins.com.tr/p/1").brand is None
    block["brand"] = "Regular Fit"  # a short brand the name starts with stays
    assert product(jsonld_page(block), url="https://www.colins.com.tr/p/1").brand == "Regular Fit"


def test_a_brand_typed_as_an_offer_or_a_product_is_none() -> None:
    for kind in ("Offer", "Product"):
        misfiled = {"@type": kind, "name": "Desktop 15 for Mac"}
        block = {"@type": "Product", "name": "Desktop for Mac", "brand": misfiled, "offers": offer("5")}
        assert product(jsonld_page(block)).brand is None
    block["brand"] = [misfiled, {"@type": "Brand", "name": "Parallels"}]
    assert product(jsonld_page(block)).brand == "Parallels"


def test_skus_of_related_tiles_inside_the_product_give_way_to_its_offer_s_sku() -> None:
    tiles = "".join(f"<div class='tile'><span itemprop='sku'>C06{n}</span></div>" for n in range(3))
    page = f"""<html><body><div itemscope itemtype="https://schema.org/Product">
        <h1 itemprop="name">Monitor</h1>
        <div itemprop="offers" itemscope itemtype="https://schema.org/Offer">
        Artikel-Nr.: <span itemprop="sku">C1045026</span><meta itemprop="price" content="178.64">
        <meta itemprop="priceCurrency" content="EUR"></div>{tiles}</div></body></html>"""
    assert product(page).sku == "C1045026"
    one_sku = page.replace(tiles, "<span itemprop='sku'>M-1</span>")
    assert product(one_sku).sku == "M-1"  # the product's own SKU still beats the offer's


def test_of_two_prices_in_one_offer_the_lower_is_the_selling_one() -> None:
    page = """<html><body><div itemscope itemtype="https://schema.org/Product">
        <h1 itemprop="name">Cardigan</h1>
        <div itemprop="offers" itemscope itemtype="https://schema.org/Offer">
        <span class="price-standard" itemprop="price" content="39.90">$39.90</span>
        <span class="price-sales" itemprop="price" content="19.90">$19.90</span>
        <meta itemprop="priceCurrency" content="USD"></div></div></body></html>"""
    assert product(page).price == Price(1990, "USD")


def test_the_shop_s_name_the_title_starts_with_is_the_brand_of_its_own_label() -> None:
    block = {"@type": "Product", "name": "Williams Sonoma Oven Mitt", "offers": offer("19.95")}
    url = "https://www.williams-sonoma.com/products/oven-mitt/"
    assert product(jsonld_page(block), url).brand == "Williams Sonoma"
    named = {**block, "brand": "Acme"}
    assert product(jsonld_page(named), url).brand == "Acme"


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("Magellan L-Shaped Desk, Espresso Item # 101095", "Magellan L-Shaped Desk, Espresso"),
        ("Steel Kettle SKU: KT-9", "Steel Kettle"),
        ("Diners Collage 1000 Piece Puzzle: 724819255917", "Diners Collage 1000 Piece Puzzle"),
        ("Ratio: 1000", "Ratio: 1000"),  # a number, no barcode
    ],
)
def test_the_item_number_inside_a_heading_is_not_the_title(name: str, title: str) -> None:
    block = {"@type": "Product", "name": name, "offers": offer("5")}
    assert product(jsonld_page(block)).title == title


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("Staple Tee | 5001", "Staple Tee"),
        ("Printer - 5001", "Printer - 5001"),  # how some shops name it: only a bar sets the code apart
        ("Staple Tee | 5002", "Staple Tee | 5002"),  # another number: no SKU
    ],
)
def test_the_sku_after_a_bar_is_not_part_of_the_title(name: str, title: str) -> None:
    block = {"@type": "Product", "name": name, "sku": "5001", "offers": offer("5")}
    assert product(jsonld_page(block)).title == title


def test_the_shop_s_name_with_shop_words_as_the_brand_is_the_shop_s_own_brand() -> None:
    block = {"@type": "Product", "name": "DualSense", "brand": "Sony Store Thailand", "offers": offer("2390")}
    assert product(jsonld_page(block), "https://www.sony.co.th/p/1").brand == "Sony"
    assert product(jsonld_page(block), "https://www.shop.example/p/1").brand == "Sony Store Thailand"


def test_a_brand_slot_left_empty_before_the_shop_s_name_is_no_brand() -> None:
    block = {"@type": "Product", "name": "Daisy Banner", "brand": "| Urban Outfitters", "offers": offer("5")}
    assert product(jsonld_page(block)).brand is None


def test_a_shopify_product_id_is_not_the_sku() -> None:
    block = {"@type": "Product", "name": "Pillow", "productID": "8128683401", "offers": offer("5")}
    assert product(jsonld_page(block)).sku is None


def test_an_opengraph_title_with_the_breadcrumb_after_it_takes_the_heading() -> None:
    head = (
        '<meta property="og:type" content="product">'
        '<meta property="og:title" content="Goya: Woman Mini Art Print> Mini Posters> Famous Art">'
        '<meta property="product:price:amount" content="9.99">'
        '<meta property="product:price:currency" content="USD">'
    )
    page = f"<html><head>{head}</head><body><h1>Goya: Woman Mini Art Print</h1></body></html>"
    assert product(page).title == "Goya: Woman Mini Art Print"


@pytest.mark.parametrize(
    "name",
    [
        "Samsung G9 G93SC im Syswork IT Online Shop",
        "Samsung G9 G93SC at Syswork",
        "Samsung G9 G93SC | Syswork Store",
    ],
)
def test_the_shop_s_name_after_a_preposition_or_with_more_shop_words_goes(name: str) -> None:
    block = {"@type": "Product", "name": name, "offers": offer("5")}
    assert product(jsonld_page(block), "https://www.syswork.at/p/1").title == "Samsung G9 G93SC"


@pytest.mark.parametrize(
    ("title", "currency"), [("海尔 M311 手机-淘宝网", "CNY"), ("ハイアール 携帯電話", "JPY")]
)
def test_a_page_without_a_language_is_told_by_its_title_s_script(title: str, currency: str) -> None:
    page = (
        f"<html><head><title>{title}</title><meta property='og:type' content='product'>"
        "<meta property='product:price:amount' content='309'>"
        "<meta property='product:price:currency' content='¥'>"
        "</head><body></body></html>"
    )
    assert product(page, "https://item.shop.example/1").price.currency == currency


def test_a_shop_name_with_a_locale_after_it_goes() -> None:
    block = {"@type": "Product", "name": "Office 365 Home - Microsoft Store ro-RO", "offers": offer("5")}
    assert product(jsonld_page(block), "https://www.microsoft.com/ro-ro/store/p/1").title == "Office 365 Home"


def test_data_vocabulary_products_offer_details_and_currency() -> None:
    body = (
        '<div itemscope itemtype="http://data-vocabulary.org/Product"><h1 itemprop="name">Vase</h1>'
        '<div itemprop="offerDetails" itemscope itemtype="http://data-vocabulary.org/Offer">'
        '<meta itemprop="currency" content="PLN"><span itemprop="price">99,00</span>'
        '<meta itemprop="availability" content="out_of_stock"></div></div>'
    )
    data = product(f"<html><body>{body}</body></html>")
    assert (data.title, data.price, data.availability) == (
        "Vase",
        Price(9900, "PLN"),
        Availability.OUT_OF_STOCK,
    )


def test_an_offer_s_currency_under_the_name_currency() -> None:
    block = {
        "@type": "Product",
        "name": "Lamp",
        "offers": {"@type": "Offer", "price": "30", "currency": "CHF"},
    }
    assert product(jsonld_page(block)).price == Price(3000, "CHF")


def test_a_microdata_name_leaves_out_the_text_its_element_hides() -> None:
    body = (
        '<div itemscope itemtype="https://schema.org/Product"><h1 itemprop="name">'
        '<span class="g-hdn">Details about &nbsp;</span>Shiatsu Massage Chair</h1>'
        '<span itemprop="brand"><span style="display: none">Brand:</span> RelaxCo</span>'
        '<div itemprop="offers" itemscope itemtype="https://schema.org/Offer">'
        '<meta itemprop="priceCurrency" content="USD"><span itemprop="price">649.99</span></div></div>'
    )
    data = product(f"<html><body>{body}</body></html>")
    assert (data.title, data.brand) == ("Shiatsu Massage Chair", "RelaxCo")


def test_jsonld_value_objects_stand_for_their_values() -> None:
    block = {
        "@type": "Product",
        "name": {"@value": "Desk Lamp", "@language": "en"},
        "offers": {"@type": "Offer", "price": {"@value": "19.90"}, "priceCurrency": "EUR"},
    }
    data = product(jsonld_page(block))
    assert (data.title, data.price) == ("Desk Lamp", Price(1990, "EUR"))
