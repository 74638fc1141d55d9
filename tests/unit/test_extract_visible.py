"""The visible-markup fallback (consumers/extract/visible/) on small hand-written pages, one
pattern a test, and on hostile pages: it must stay linear in the page and never crash."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

import consumers.extract.page as page_module
from consumers.extract import Availability, ExtractionError, Extractor, Price, ProfileError, Profiles
from consumers.extract.page import Page
from consumers.extract.visible import visible_fields
from tests.unit.hostile_input import fuzz_settings, mutated_text, no_hang

URL = "https://www.acme-outlet.example/p/kettle-9"
NO_PROFILES = Extractor(Profiles())


def visible(html: str, url: str = URL, profiles: Profiles | None = None) -> dict[str, object]:
    """What the visible source alone finds (None values and the private keys for the merge dropped)."""
    page = Page(html, url)
    profile = profiles.for_url(url) if profiles is not None else None
    found = visible_fields(page, profile).items()
    return {key: value for key, value in found if value is not None and not key.startswith("_")}


def product_page(body: str, head: str = "") -> str:
    return (
        f"<html><head>{head}</head><body><header><h1 class='logo'>Acme Outlet</h1></header>"
        f"<main>{body}</main><footer><span class='price'>$0.00</span></footer></body></html>"
    )


KETTLE = "<h1>Steel Kettle</h1><span class='price'>$49.99</span>"


# -- title -----------------------------------------------------------------------------------------
def test_title_is_the_product_heading_not_the_logo_heading() -> None:
    assert visible(product_page(KETTLE))["title"] == "Steel Kettle"


def test_an_h1_that_is_the_brand_over_an_h2_name_the_page_title_joins_gives_both() -> None:
    body = (
        "<h1><div>Kryptonite</div></h1><h2><div>KryptoLok Series 2 w/ Key</div></h2>"
        "<span class='price'>$44.99</span>"
    )
    head = "<title>Kryptonite KryptoLok Series 2 w/ Key - Campus Bike Shop</title>"
    found = visible(product_page(body, head))
    assert (found["title"], found["brand"]) == ("KryptoLok Series 2 w/ Key", "Kryptonite")
    # A name over its brand, the title setting them apart: the <h1> stays the title.
    body = "<h1>Mesmeri Halo Chrome</h1><h2>Artemide</h2><span class='price'>£229.00</span>"
    head = "<title>Mesmeri Halo Chrome - Artemide - from Icône</title>"
    assert visible(product_page(body, head))["title"] == "Mesmeri Halo Chrome"


def test_a_word_broken_by_wbr_in_the_heading_stays_one_word() -> None:
    heading = "<h1 class='title'><span>Monitor höhenverstellb<wbr>ar, Super<WBR/>Slim</span></h1>"
    assert visible(product_page(heading + "<span class='price'>$49.99</span>"))["title"] == (
        "Monitor höhenverstellbar, SuperSlim"
    )


def test_a_heading_calling_itself_a_title_beats_other_headings() -> None:
    page = product_page(
        "<h1>Customers also bought</h1><div class='pdp'><h1 class='product-title'>Steel Kettle</h1>"
        "<span class='price'>$49.99</span></div>"
    )
    assert visible(page)["title"] == "Steel Kettle"


def test_of_several_h1_the_one_the_page_title_starts_with_is_the_product_s() -> None:
    widget = "<div class='bv'><h1 class='qa-title'>Community Q&amp;A</h1></div>"
    body = f"<div><h1>Dream On Pillow</h1><span class='price'>$15.00</span></div>{widget}"
    assert visible(product_page(body, "<title>Dream On Pillow - Acme</title>"))["title"] == "Dream On Pillow"
    assert visible(product_page(body))["title"] == "Community Q&A"  # no <title>: the class ranks


def test_headings_in_recommendations_or_without_letters_are_passed_over() -> None:
    page = product_page(
        "<h1 class='isbn'>9780586068960</h1><section class='related-products'><h1>You may also like</h1>"
        "</section><div><h1>Spy Hook</h1><span class='price'>$9.99</span></div>"
    )
    assert visible(page)["title"] == "Spy Hook"


def test_a_heading_that_is_the_breadcrumbs_last_step_is_passed_over() -> None:
    page = product_page(
        "<div class='breadcrumbs'><a href='/'>Home</a><a href='/monitors'><h1>Monitors</h1></a></div>"
        "<div class='artname'><h1>NEC MultiSync E274F black</h1></div><span class='price'>214,19 €</span>"
    )
    assert visible(page)["title"] == "NEC MultiSync E274F black"


def test_without_a_heading_the_title_is_og_title() -> None:
    head = "<meta property='og:title' content='Steel Kettle'>"
    assert visible(product_page("<span class='price'>$49.99</span>", head))["title"] == "Steel Kettle"


@pytest.mark.parametrize(
    ("title", "head"),
    [
        ("Steel Kettle | Acme Outlet", ""),  # the domain's name, as a suffix
        ("Acme Outlet - Steel Kettle", ""),  # as a prefix
        ("Steel Kettle \u2013 Kettle World", "<meta property='og:site_name' content='Kettle World'>"),
    ],
)
def test_the_title_element_loses_the_shop_name(title: str, head: str) -> None:
    page = f"<html><head><title>{title}</title>{head}</head><body><p class='price'>$49.99</p></body></html>"
    assert visible(page)["title"] == "Steel Kettle"


def test_a_title_that_is_only_the_shop_name_is_no_title() -> None:
    page = "<html><head><title>Acme Outlet</title></head><body><p class='price'>$49.99</p></body></html>"
    assert "title" not in visible(page)


# -- price -----------------------------------------------------------------------------------------
def test_itemprop_price_content_outside_any_item() -> None:
    page = product_page(
        "<h1>Steel Kettle</h1><span itemprop='price' content='49.99'>49,99</span>"
        "<meta itemprop='priceCurrency' content='EUR'>"
    )
    assert visible(page)["price"] == Price(4999, "EUR")


def test_the_price_nearest_the_heading_wins_over_related_products_and_the_mini_cart() -> None:
    page = (
        "<html><body><header><span class='cart-price'>$0.00</span></header><main><div class='row'>"
        "<div class='info'><h1>Steel Kettle</h1><span class='price'>$49.99</span></div></div>"
        "<ul class='related'><li><span class='price'>$19.99</span></li><li><span class='price'>$29.99</span>"
        "</li></ul></main></body></html>"
    )
    assert visible(page)["price"] == Price(4999, "USD")


@pytest.mark.parametrize(
    "heading", ["<span class='h1' itemprop='name'>", "<div role='heading' aria-level='1'>"]
)
def test_without_an_h1_an_element_marked_or_styled_as_one_is_the_heading(heading: str) -> None:
    end = "</span>" if heading.startswith("<span") else "</div>"
    page = product_page(
        f"<div class='product'><div class='name'>{heading}Diamond Ring{end}</div>"
        "<div class='price-box'><span class='price'>9 900,00 zł</span></div></div>"
        "<div class='upsell'><ul>"
        + "".join(f"<li><a>Ring {n}</a><span class='price'>4 {n}00,00 zł</span></li>" for n in range(1, 6))
        + "</ul></div>"
    )
    found = visible(page)
    assert (found["title"], found["price"]) == ("Diamond Ring", Price(990000, "PLN"))


def test_a_price_deeper_in_the_same_block_loses_to_the_shallower_one() -> None:
    page = product_page(
        "<div class='info'><h1>Steel Kettle</h1><div class='price'>290.0 EGP</div>"
        "<div class='tiles'><div class='tile'><div class='price'>320.0 EGP</div></div></div></div>"
    )
    assert visible(page, "https://shop.example.eg/p/1")["price"] == Price(29000, "EGP")


@pytest.mark.parametrize(
    "markup",
    [
        # WooCommerce: <del> regular, <ins> sale
        "<p class='price'><del><span class='woocommerce-Price-amount'>$59.99</span></del>"
        "<ins><span class='woocommerce-Price-amount'>$49.99</span></ins></p>",
        # Magento: old-price and special-price boxes
        "<div class='price-box'><span class='old-price'><span class='price'>$59.99</span></span>"
        "<span class='special-price'><span class='price'>$49.99</span></span></div>",
        # Shopify: compare-at price
        "<div class='price'><s class='price-item price--compare'>$59.99</s>"
        "<span class='price-item price-item--sale'>$49.99</span></div>",
        # a regular price beside a sale price
        "<span class='regular-price'>$59.99</span><span class='sale-price'>$49.99</span>",
        # crossed out by markup alone
        "<div class='product-price'><s>$59.99</s> $49.99</div>",
        # a list price beside the online price, both in a 'price-list' (Barnes & Noble)
        "<div class='purchase-price'><ul class='price-list3'><li><div class='listPrice priceOff'>"
        "<span class='listPriceValue'>$59.99</span> List price</div><div class='onlinePrice'>"
        "<span class='onlinePriceValue2'>$49.99</span> Online Price</div></li></ul></div>",
        # H&M's shops: a deprecated price beside the reduced one
        "<div class='m-product-price'><span class='is-deprecated'>$59.99</span> <span>$49.99</span></div>",
        # Shopware: a price struck through by its class
        "<div class='product--price'><span class='price--line-through'>$59.99</span> <b>$49.99</b></div>",
        # Salesforce Commerce Cloud: the standard price beside the sales price
        "<div class='product-price'><span class='price-standard'>$59.99</span>"
        "<span class='price-sales'>$49.99</span></div>",
        # a list price said in words before its amount, in an element like the price's (Waterstones)
        "<p class='price'>RRP $59.99</p><p class='price'><span class='priceStandard'>$49.99</span></p>",
        "<div class='price'>List Price: $59.99</div><div class='price'>$49.99</div>",
        # BigCommerce: the non-sale price is the regular one
        "<span class='price-wrap'><span class='price price--non-sale'>$59.99</span>"
        "<span class='price price--withTax'>$49.99</span></span>",
    ],
)
def test_the_sale_price_beats_the_crossed_out_one(markup: str) -> None:
    assert visible(product_page(f"<h1>Steel Kettle</h1>{markup}"))["price"] == Price(4999, "USD")


def test_a_price_element_s_list_price_part_gives_way_to_the_other_amount() -> None:
    body = (
        "<h1>Steel Kettle</h1><div id='price'><ul><li class='list'><span>$79.99</span></li>"
        "<li class='retail'><span>$74.99</span></li></ul></div>"
    )
    assert visible(product_page(body))["price"] == Price(7499, "USD")


def test_the_element_marked_itemprop_price_is_the_price_whatever_its_class() -> None:
    body = (
        "<h1>Steel Kettle</h1><div class='product-price'>Price: "
        "<span itemprop='price' content='253' class='totalPrice'>253.0 грн</span> Code: 96133</div>"
    )
    assert visible(product_page(body))["price"] == Price(25300, "UAH")


def test_an_empty_special_price_slot_gives_way_to_the_item_price() -> None:
    prices = "<dl class='item-price'><dd>$16.99</dd></dl><dl class='special-price'><dd>$0.00</dd></dl>"
    assert visible(product_page(f"<h1>Seat Cushion</h1>{prices}"))["price"] == Price(1699, "USD")
    alone = "<dl class='special-price'><dd>$0.00</dd></dl>"  # a sold-out page's placeholder: still shown
    assert visible(product_page(f"<h1>Seat Cushion</h1>{alone}"))["price"] == Price(0, "USD")


def test_a_hidden_amount_inside_the_price_element_is_not_read() -> None:
    prices = (
        "<div class='pp__price'><span class='currency'>$</span><span class='value'>15</span>"
        "<span class='value hide'>15</span></div>"
    )
    assert visible(product_page(f"<h1>Pillow</h1>{prices}"))["price"] == Price(1500, "USD")
    styled = prices.replace("class='value hide'", "style='display: none'")
    assert visible(product_page(f"<h1>Pillow</h1>{styled}"))["price"] == Price(1500, "USD")


def test_an_indented_price_element_reads_as_a_compact_one() -> None:
    parts = ["<dt>You Pay:</dt>", "<dd><strong>$49.99</strong></dd>", "<dt>Combo:</dt>", "<dd>$59.99</dd>"]
    compact = "<h1>Kettle</h1><dl class='price'>" + "".join(parts) + "</dl>"
    indent = "\n" + " " * 160
    indented = "<h1>Kettle</h1><dl class='price'>" + "".join(indent + part for part in parts) + "</dl>"
    assert visible(product_page(indented))["price"] == visible(product_page(compact))["price"]


def test_a_regular_price_alone_is_the_price() -> None:
    page = product_page("<h1>Steel Kettle</h1><span class='regular-price'>$59.99</span>")
    assert visible(page)["price"] == Price(5999, "USD")


def test_a_price_split_into_parts_is_read_whole() -> None:
    page = product_page(
        "<h1>Steel Kettle</h1><span class='a-price'><span class='a-offscreen'>$49.99</span>"
        "<span aria-hidden='true'><span class='a-price-symbol'>$</span><span class='a-price-whole'>49"
        "<span class='a-price-decimal'>.</span></span><span class='a-price-fraction'>99</span></span></span>"
    )
    assert visible(page)["price"] == Price(4999, "USD")


@pytest.mark.parametrize(
    ("markup", "minor"),
    [
        ("<p class='product-new-price'>2.999<sup>99</sup> <span>Lei</span></p>", 299999),  # emag.ro
        ("<span class='price'><sup>$</sup>19<sup>97</sup></span>", 1997),
        (
            "<span class='price'><span class='price__currency'>$</span><span class='price__dollars'>31</span>"
            "<span class='price__cents'>57</span></span>",
            3157,
        ),
        (
            "<div class='price'><span class='price__number'>208,</span>\n"
            " <span class='price__decimal'>60</span> €</div>",
            20860,
        ),
        ("<span class='price'>1,299<sup>00</sup> $</span>", 129900),
        ("<span class='price'>$19.99<sup>12</sup></span>", 1999),  # a footnote after whole decimals
        ("<span class='price'>€\u00a010,<sup>83*</sup></span>", 1083),
        ("<span class='price'>69<sup>€99</sup></span>", 6999),  # cdiscount.com
        ("<div class='price'><span class='was'>$59<sup>99</sup></span> $49<sup>99</sup></div>", 4999),
        ("<span class='price'>$49<sup>1</sup></span>", 4900),  # a one-digit footnote
    ],
)
def test_minor_units_shown_apart_join_the_amount(markup: str, minor: int) -> None:
    page = product_page(f"<h1>Steel Kettle</h1>{markup}")
    assert visible(page, "https://shop.example.ro/p/1")["price"].minor == minor


def test_minor_units_in_the_element_after_a_price_element_join_it() -> None:
    markup = (
        "<div class='price-box'><span class='price-number'>208,</span>"
        " <span class='price-decimal'> 60\n</span>"
        "<span class='currency'>€</span><div class='tooltip'>"
        + "Unsere Preise sind in Euro ausgewiesen. " * 20
        + "</div></div>"
    )
    assert (
        visible(product_page(f"<h1>Monitor</h1>{markup}"), "https://shop.example.de/p/1")["price"].minor
        == 20860
    )


def test_savings_shipping_and_unit_prices_are_not_the_price() -> None:
    page = product_page(
        "<h1>Steel Kettle</h1><span class='price-savings'>Save $10.00</span>"
        "<span class='shipping-price'>+ $4.95 shipping</span><span class='unit-price'>$2.50 / l</span>"
        "<span class='price'>$49.99</span>"
    )
    assert visible(page)["price"] == Price(4999, "USD")


def test_local_price_words_and_formats() -> None:
    page = product_page("<h1>Wasserkocher</h1><div class='produkt-preis'>1.234,56 €</div>")
    assert visible(page, "https://shop.example.de/p/1")["price"] == Price(123456, "EUR")


def test_a_labelled_price_in_a_table_when_no_element_is_called_price() -> None:
    page = product_page(
        "<h1>Copper Shade</h1><table><tr><td>Price</td><td><strong>&pound;340.00 (inc VAT)</strong>"
        "</td></tr></table>"
    )
    assert visible(page, "https://www.icone.example.co.uk/p/1")["price"] == Price(34000, "GBP")


def test_prices_without_a_currency_take_the_declared_one() -> None:
    head = "<meta property='product:price:currency' content='TRY'>"
    page = product_page("<h1>Bulgur</h1><span class='price'>14,50</span>", head)
    assert visible(page)["price"] == Price(1450, "TRY")


def test_a_bare_amount_takes_the_currency_its_neighbour_shows_alone() -> None:
    before = (
        "<h1>Smart Watch</h1><div><a class='currency'><em></em><i>US$</i></a>\n"
        "<span class='price'>55.<sup>99</sup></span></div>"
    )
    assert visible(product_page(before))["price"] == Price(5599, "USD")
    after = "<h1>Kettle</h1><p><span class='price'>12,99</span> <span>€</span></p>"
    assert visible(product_page(after))["price"] == Price(1299, "EUR")
    counted = "<h1>Kettle</h1><p><span>3 x</span><span class='price'>12.99</span><span>in stock</span></p>"
    assert visible(product_page(counted))["price"] == Price(1299, None)  # no sign beside it


def test_a_profile_currency_applies_to_prices_without_one() -> None:
    profiles = Profiles.parse('["www.acme-outlet.example"]\ncurrency = "CHF"\n')
    page = product_page("<h1>Steel Kettle</h1><span class='price'>49.90</span>")
    assert visible(page, profiles=profiles)["price"] == Price(4990, "CHF")


def test_hidden_prices_do_not_count() -> None:
    page = product_page(
        "<h1>Steel Kettle</h1><span class='price' style='display: none'>$1.00</span>"
        "<span class='price' hidden>$2.00</span><span class='price hidden'>$3.00</span>"
        "<span class='price'>$49.99</span>"
    )
    assert visible(page)["price"] == Price(4999, "USD")


# -- a product, or not -----------------------------------------------------------------------------
def test_a_listing_page_of_many_equal_prices_is_no_product() -> None:
    tiles = "".join(
        f"<li class='tile'><a href='/p/{n}'>Kettle {n}</a><span class='price'>${n}.99</span></li>"
        for n in range(10, 34)
    )
    page = f"<html><body><main><h1>Kettles</h1><ul class='grid'>{tiles}</ul></main></body></html>"
    assert visible(page) == {}
    assert NO_PROFILES.product(page, URL) is None


def test_a_heading_without_a_price_is_no_product() -> None:
    assert (
        NO_PROFILES.product("<html><body><h1>About us</h1><p>We sell kettles.</p></body></html>", URL) is None
    )


def test_the_product_s_buy_link_tells_a_product_whose_price_element_names_itself_nothing() -> None:
    link = "<a href='/cart?add=492398'>Add to Cart</a>"
    body = f"<div><h1>Laptop Stand</h1><h2 class='cta'>£87.50</h2>{link}</div>"
    found = visible(f"<html><head><title>Laptop Stand</title></head><body>{body}</body></html>")
    assert (found["title"], found["price"]) == ("Laptop Stand", Price(8750, "GBP"))
    tile = "<div><span class='price'>£87.50</span><a href='/cart?add=1'>Add to Cart</a></div>"
    listing = f"<div><h1>Laptop Stands</h1>{tile * 6}</div>"
    assert visible(f"<html><body>{listing}</body></html>") == {}  # a listing's tiles each have one


def test_a_declared_product_gets_visible_fields_without_a_visible_price() -> None:
    head = "<meta property='og:type' content='product'>"
    page = product_page("<h1>Steel Kettle</h1><p>SKU: K-9</p>", head)
    assert visible(page) == {"title": "Steel Kettle", "sku": "K-9"}


def test_structured_data_wins_and_the_visible_source_fills_the_rest() -> None:
    head = (
        "<meta property='og:type' content='product'><meta property='og:title' content='Steel Kettle 1.7 l'>"
        "<meta property='product:price:amount' content='49.99'>"
        "<meta property='product:price:currency' content='USD'>"
    )
    page = product_page("<h1>Steel Kettle</h1><span class='price'>$45.00</span><p>SKU: K-9</p>", head)
    data = NO_PROFILES.product(page, URL)
    assert data is not None
    assert (data.title, data.price, data.sku) == ("Steel Kettle 1.7 l", Price(4999, "USD"), "K-9")
    assert data.sources == ("meta", "visible")


def test_a_page_of_visible_markup_alone_is_a_product() -> None:
    page = product_page(
        "<h1>Steel Kettle</h1><p class='brand'>by Brew&amp;Co</p><span class='price'>$49.99</span>"
        "<p class='stock'>In stock</p><p>SKU: K-9</p>"
    )
    data = NO_PROFILES.product(page, URL)
    assert data is not None and data.sources == ("visible",)
    assert (data.title, data.price, data.availability, data.sku, data.brand) == (
        "Steel Kettle",
        Price(4999, "USD"),
        Availability.IN_STOCK,
        "K-9",
        "Brew&Co",
    )


def test_a_menu_of_brands_is_not_the_product_s_brand() -> None:
    menu = "".join(
        f"<li class='brand'><a href='/b/{n}'>{n}</a></li>" for n in ("Hot Wheels", "LEGO", "Barbie")
    )
    body = f"<div class='menu'><ul class='brandList'>{menu}</ul></div>{KETTLE}"
    assert "brand" not in visible(product_page(body))


# -- availability ----------------------------------------------------------------------------------
def availability(body: str) -> object:
    return visible(product_page(KETTLE + body)).get("availability")


def test_itemprop_availability_outside_any_item() -> None:
    assert availability("<link itemprop='availability' href='https://schema.org/PreOrder'>") == "PREORDER"


@pytest.mark.parametrize(
    "sizes",
    [
        '<span id=\'size-stock\'>Size: 30" 32" 38" sold out 40" sold out</span>',  # one element
        '<ul><li>30"</li><li>38" sold out</li><li>40" sold out</li></ul>',  # a line each
    ],
)
def test_sizes_marked_sold_out_are_not_the_products_stock(sizes: str) -> None:
    assert availability(f"{sizes}<button>Add to basket</button>") == "IN_STOCK"


def test_a_sold_out_badge_and_button_saying_the_same_are_the_products_stock() -> None:
    assert availability('<p>Sold out</p><p>30"</p><p>SOLD OUT</p>') == "OUT_OF_STOCK"


def test_stock_wording_in_a_stock_element() -> None:
    assert availability("<div class='product-stock'>Nur noch wenige Artikel auf Lager</div>") == "LIMITED"


def test_long_text_merely_saying_available_is_not_in_stock() -> None:
    assert (
        availability("<div class='gift-options available'>See available gift options for this item.</div>")
        is None
    )


def test_a_labelled_availability() -> None:
    assert availability("<table><tr><td>Availability: Out Of Stock</td></tr></table>") == "OUT_OF_STOCK"


def test_a_sold_out_button() -> None:
    assert availability("<button type='submit' name='add' disabled>Sold out</button>") == "OUT_OF_STOCK"


def test_a_disabled_add_to_cart_button_is_just_a_button() -> None:
    # Shops render it disabled until a script has run or a size is picked: in stock on 8 of the
    # corpus's 10 pages with one (their structured data stripped).
    assert availability("<button class='add-to-cart' disabled>Add to cart</button>") == "IN_STOCK"
    assert availability("<input type='submit' value='Add To Cart' disabled>") == "IN_STOCK"
    assert availability("<button class='add-to-cart' disabled>Sold out</button>") == "OUT_OF_STOCK"


def test_an_enabled_add_to_cart_button_is_in_stock() -> None:
    assert availability("<button class='btn' name='add-to-cart'>Add to cart</button>") == "IN_STOCK"


def test_a_notify_me_button_is_out_of_stock() -> None:
    assert availability("<button class='add-to-cart'>Notify me when available</button>") == "OUT_OF_STOCK"


def test_a_sold_out_badge() -> None:
    assert availability("<span class='badge badge--sold-out'>Sold out</span>") == "OUT_OF_STOCK"


def test_sold_out_sizes_are_not_a_sold_out_product() -> None:
    sizes = "".join(f"<li class='size out-of-stock'>{size}</li>" for size in ("S", "M", "L"))
    assert availability(f"<ul>{sizes}<li class='size'>XL</li></ul>") is None


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("<p>Availability: In stock</p><p>Only 1 left in stock</p>", "LIMITED"),
        ("<p class='stock'>Lagernd</p><p>nur noch 1 St.</p>", "LIMITED"),
        ("<p>Availability: In stock</p><p>Ships in 2 days</p>", "IN_STOCK"),
    ],
)
def test_in_stock_gives_way_to_a_count_left_just_after_the_heading(markup: str, expected: str) -> None:
    assert availability(markup) == expected


def test_stock_wording_just_after_the_heading() -> None:
    assert availability("<p>Size: 3.4 oz</p><p>Backordered Item:</p><p>Ships 08/05</p>") == "BACKORDER"


@pytest.mark.parametrize(
    "line",
    ["Usually ships within 24 hours", "72 in stock", "In Stock: 6", "In stock", "Disponibile", "Skladem"],
)
def test_in_stock_wording_just_after_the_heading_is_the_last_resort(line: str) -> None:
    assert availability(f"<p>Size: 3.4 oz</p><p>{line}</p>") == "IN_STOCK"
    assert (
        availability(f"<p>{line}</p><button class='add-to-cart'>Notify me when available</button>")
        == "OUT_OF_STOCK"
    )


@pytest.mark.parametrize(
    "line",
    ["Check in-store stock", "Usually ships in 2-3 weeks", "Free shipping on items in stock today and more"],
)
def test_in_stock_wording_needs_a_line_of_its_own(line: str) -> None:
    assert availability(f"<p>{line}</p>") != "IN_STOCK"


# -- SKU -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("markup", "sku"),
    [
        ("<p>SKU: ABC-123</p>", "ABC-123"),
        ("<div class='pdp__sku'>Art.-Nr. 4711-0815</div>", "4711-0815"),
        ("<li>Item # 98765</li>", "98765"),
        ("<dl><dt>Product code</dt><dd>60-0929</dd></dl>", "60-0929"),
        ("<span>Артикул: 12345</span>", "12345"),
        ("<span>Réf. X-12</span>", "X-12"),
        ("<p><b>Ref #:</b> 0642</p>", "0642"),
        ("<p>Ref. No. 7781-B</p>", "7781-B"),
        ("<div class='product-code'>Ürün kodu: 17002483</div>", "17002483"),
        ("<span class='sku_wrapper'>SKU: <span class='sku'>K9-2</span></span>", "K9-2"),
        ("<meta itemprop='sku' content='K9-3'>", "K9-3"),
        ("<p>Code: 2-sd960ispk</p>", "2-sd960ispk"),
        ("<p>Stock code: KT-900</p>", "KT-900"),
        ("<p>Produktnummer: KT-900</p>", "KT-900"),
        ("<p>Varenummer: 55012</p>", "55012"),
        (
            "<ul><li>Artikkelnr.</li><li>5011122876</li><li>Prod. art. nr.</li><li>VCQ-5000</li></ul>",
            "5011122876",
        ),
        ("<p>Κωδικός: GREE-GRC/KAM2-N4</p>", "GREE-GRC/KAM2-N4"),  # Greek 'code'
        ("<dl><dt>Référence interne</dt><dd>MART-00001</dd></dl>", "MART-00001"),
        ("<p>Waren-Nr.: 3197618</p>", "3197618"),
        ("<p>Tuotenumero: 55012</p>", "55012"),
        ("<p>Cikkszám: 55012</p>", "55012"),
        ("<p>Mã sản phẩm: SM-A256</p>", "SM-A256"),  # Vietnamese
        ("<p>Kode produk: KT-900</p>", "KT-900"),  # Indonesian
        ("<p>상품번호: 1234567</p>", "1234567"),  # Korean
        ("<p>رمز المنتج: KT-900</p>", "KT-900"),  # Arabic
        ('<p>מק"ט: 55012</p>', "55012"),  # Hebrew  # noqa: RUF001
        ("<p>Item 3928</p>", "3928"),
        ("<div>Item E-2-474-3D</div>", "E-2-474-3D"),
        ("<span class='item-id'>#00076723</span>", "00076723"),
        # A screen reader's label over the shown one: 'Item' is no value, the next label has it.
        (
            "<div class='item-num'><span class='sr-only'>Item Number</span> <span>Item No.</span>"
            " <span>2725059161970P</span></div>",
            "2725059161970P",
        ),
    ],
)
def test_visible_sku_labels(markup: str, sku: str) -> None:
    assert visible(product_page(KETTLE + markup))["sku"] == sku


@pytest.mark.parametrize(
    "markup",
    [
        "<p>Model # X200</p>",
        "<p>SKU: N/A</p>",
        "<p class='sku'>SKU:</p>",
        "<p>Promo code: SAVE10</p>",
        "<p>Zip code: 90210</p>",
        "<p>Enter code below</p>",
        "<p>Voucher Code: X1</p>",
        "<p>Item 1 of 5</p>",
        "<p>Item added to your cart</p>",
        "<p>Item 12</p>",
        "<p>Código: 7797453062251</p>",  # an EAN-13 (its check digit fits): a barcode
        "<strong class='skuBestPrice'>49,99</strong>",  # VTEX: the variant's (SKU's) price
    ],
)
def test_not_a_sku(markup: str) -> None:
    assert "sku" not in visible(product_page(KETTLE + markup))


def test_an_isbn_is_no_sku() -> None:
    # A GTIN (ISBN, EAN) is no shop's own item number, as gtin* is no sku in schema.org.
    assert "sku" not in visible(product_page(KETTLE + "<p>ISBN: 978-0-262-04506-3</p>"))


def test_an_isbn_still_tells_a_product_without_a_price() -> None:
    fields = visible(product_page("<h1>Spy Hook</h1><p>ISBN: 9780586068960</p>"))
    assert fields["title"] == "Spy Hook"
    assert "sku" not in fields


def test_a_page_without_a_product_h1_takes_the_h2_its_title_repeats() -> None:
    page = product_page(
        "<div class='details'><h2>Dark Secrets 1<span class='subtitle'>: Legacy of Lies</span></h2>"
        "<table><tr><td class='our-price'>Online Price: $9.54</td></tr></table></div>"
        "<div><h2>Customers also bought</h2></div>",
        head="<title>Dark Secrets 1 by Elizabeth Chandler (Paperback): Books Example</title>",
    )
    fields = visible(page)
    assert fields["title"] == "Dark Secrets 1"
    assert fields["price"] == Price(954, "USD")


def test_an_h2_the_title_does_not_repeat_is_no_heading() -> None:
    page = product_page("<h2>Customers also bought</h2><p>Red Kettle</p>", head="<title>Red Kettle</title>")
    assert visible(page) == {}


def test_a_bare_number_in_a_price_element_gives_way_to_a_marked_price() -> None:
    body = (
        "<h1>Steel Kettle</h1><div class='box'><p><span class='club-price'>15 copies</span></p>"
        "<table><tr><td class='our-price'>Online Price: $9.54</td></tr></table></div>"
    )
    assert visible(product_page(body))["price"] == Price(954, "USD")


def test_a_profile_takes_the_sku_from_the_url() -> None:
    profiles = Profiles.parse("[\"www.acme-outlet.example\"]\nsku_from_url = '/p/([a-z]+-[0-9]+)$'\n")
    assert visible(product_page(KETTLE), profiles=profiles)["sku"] == "kettle-9"


def test_the_url_sku_comes_after_the_sku_the_page_labels() -> None:
    profiles = Profiles.parse("[\"www.acme-outlet.example\"]\nsku_from_url = '/p/([a-z]+-[0-9]+)$'\n")
    labelled = product_page(KETTLE + "<p>SKU: KT-9 blue</p>")  # the variant the page shows
    assert visible(labelled, profiles=profiles)["sku"] == "KT-9"


@pytest.mark.parametrize(
    ("url", "sku"),
    [
        ("https://www.amazon.com/Canon-PowerShot-SD1300/dp/B0035FZJKI", "B0035FZJKI"),
        ("https://www.amazon.de/dp/tech-data/B001QFZM9W?th=1", "B001QFZM9W"),
        ("https://www.amazon.co.uk/gp/product/B003OO17EW/ref=x", "B003OO17EW"),
        ("https://www.amazon.com/Official-Guide-GMAT-Review/dp/0470449748", None),  # an ISBN, no SKU
        ("https://www.amazon.com/s?k=B0035FZJKI", None),  # a search, no product URL
    ],
)
def test_the_shipped_amazon_profile_reads_the_asin_from_the_url(url: str, sku: str | None) -> None:
    assert Extractor().product(f"<html><body>{KETTLE}</body></html>", url).sku == sku


@pytest.mark.parametrize("pattern", ["/p/[a-z]+", "/(p)/([a-z]+)", "/p/([a-z"])
def test_sku_from_url_needs_one_group(pattern: str) -> None:
    with pytest.raises(ProfileError, match="sku_from_url"):
        Profiles.parse(f"[\"shop.example\"]\nsku_from_url = '{pattern}'\n")


# -- brand -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("markup", "brand"),
    [
        ("<div itemprop='brand' itemscope><span itemprop='name'>Brew</span></div>", "Brew"),
        ("<p class='product-brand'>by Brew</p>", "Brew"),
        ("<div class='pdp__brand'>Marke: Brew</div>", "Brew"),
        ("<a id='bylineInfo' href='/stores/brew'>Visit the Brew Store</a>", "Brew"),
        ("<a id='bylineInfo' href='/stores/brew'>Besuche den Brew-Store</a>", "Brew"),
        ("<table><tr><td>Brand: Brew</td></tr></table>", "Brew"),
        ("<table><tr><th>Manufacturer</th><td>Brew</td></tr></table>", "Brew"),
        ("<table><tr><td>Hersteller</td><td>Brew</td></tr></table>", "Brew"),
        ("<a class='product-brand-link' href='/b/brew'>Brew</a>", "Brew"),
        ("<div class='product-brand'><a href='/b/brew'><img src='b.png' alt='Brew'></a></div>", "Brew"),
        ("<p>by <a href='/brands/brew-co'>Brew &amp; Co</a></p>", "Brew & Co"),
        ("<p><a href='/marke/brew'>Brew</a></p>", "Brew"),
        ("<div class='attr_brand'>Brew Display<br>60005830</div>", "Brew Display"),
        ("<h2>Značka: Brew</h2>", "Brew"),
        ("<table><tr><th>Márka</th><td>Brew</td></tr></table>", "Brew"),
        ("<dl><dt>Výrobce</dt><dd>Brew</dd></dl>", "Brew"),
        ("<ul><li class='label'>Produsent</li><li>Brew</li></ul>", "Brew"),  # Norwegian
        (
            "<table>"
            + "<tr><td>Size</td><td>1 l</td></tr>" * 60
            + "<tr><th>Brand</th><td>Brew</td></tr></table>",
            "Brew",
        ),
        ("<b><small>Hersteller </small></b> Brew<br><b>Hersteller Nr.</b> 60005830<br>", "Brew"),
        ("<p><strong>Brand</strong> Brew</p>", "Brew"),
        ("<p><strong>Brand</strong><!-- brand --> Brew</p>", "Brew"),  # a comment shows nothing
        ("<dl><dt>Marke</dt><!-- brand --><dd>Brew</dd></dl>", "Brew"),
        ("<div class='labels'><span>Marke</span></div> <div class='values'><span>Brew</span></div>", "Brew"),
        ("<div class='product-brand'>Производители Brew</div>", "Brew"),
        ("<a class='brand' href='/b/brew'>Mehr von Brew</a>", "Brew"),
        ("<p class='product-brand'>De Beers</p>", "De Beers"),
        ("<table><tr><th>Thương hiệu</th><td>Brew</td></tr></table>", "Brew"),  # Vietnamese
        ("<p>Merek: Brew</p>", "Brew"),  # Indonesian
        ("<p>브랜드: Brew</p>", "Brew"),  # Korean
        ("<dl><dt>الماركة</dt><dd>Brew</dd></dl>", "Brew"),  # Arabic
        ("<p>Brand: Brew (Home Appliances)</p>", "Brew"),  # what the label adds in parentheses
        ("<div class='brand'><a href='/brew-co'><img alt='brew-co' src='/b.png'></a></div>", "Brew Co"),
    ],
)
def test_visible_brands(markup: str, brand: str) -> None:
    assert visible(product_page(KETTLE + markup))["brand"] == brand


@pytest.mark.parametrize(
    "markup",
    [
        "<a class='navbar-brand' href='/'>Acme Outlet</a>",  # the shop's logo
        "<div class='brand-and-payment-column'>Download our app</div>",  # a block that merely mentions it
        "<h2>Brand</h2><ul><li>Brew (12)</li></ul>",  # a filter heading, no label
        "<span class='brand'>[productBrandName]</span>",  # an unfilled template
        '<script class=\'brand-data\'>{"brand": "Brew"}</script>',  # not shown
        "<p><a href='/brands/brew'>See all Brew items</a></p>",  # a brand link, but no name
        "<p><a href='/brands/'>All brands</a></p>",  # the brands' directory
        "<p>Brand: Unbranded</p>",  # a placeholder
        "<div class='brand'>Powered by <img src='/dealer-logo.png'></div>",  # an attribution
        "<div>Brand:</div><div></div><div>Condition:</div><div></div>",  # an empty value: not the next label
        "<p>Zum Hersteller: www.brew.com/</p>",  # the maker's website
    ],
)
def test_not_a_brand(markup: str) -> None:
    assert "brand" not in visible(product_page(KETTLE + markup))


# -- hostile pages ---------------------------------------------------------------------------------
# About 2 MB each (the scraper's body limit), built to make a visible-markup reader slow: every
# element a candidate, candidates nested, huge texts, labels by the hundred thousand.
HOSTILE_PAGES = {
    "100,000 price elements": "<h1>x</h1>" + "<span class='price'>$1</span>" * 70_000,
    "3,900 nested price elements": "<h1>x</h1>" + "<div class='price'>" * 3_900 + "$1 " * 300_000,
    "nested price elements around many tiles": "<div class='price'>" * 3_000
    + "<h1>x</h1>"
    + "<i class='price'>$1</i>" * 60_000,
    "heading at the bottom of 3,900 levels": "<div>" * 3_900 + "<h1>x</h1><b class='price'>$1</b>",
    "a heading of 2 MB": "<h1>" + "x " * 1_000_000 + "</h1><b class='price'>$1</b>",
    "100,000 headings": "<h1>x</h1>" * 200_000,
    "100,000 buttons": "<h1>x</h1><b class='price'>$1</b>"
    + "<button class='add-to-cart'>Add</button>" * 50_000,
    "100,000 links": "<h1>x</h1><b class='price'>$1</b>" + "<a href='/c'>Category</a>" * 100_000,
    "100,000 stock and brand elements": "<h1>x</h1><b class='price'>$1</b>"
    + "<i class='stock'>in stock</i><i class='brand'>b</i>" * 30_000,
    "labels by the hundred thousand": "<h1>x</h1><b class='price'>$1</b>"
    + "<p>SKU: Brand: Price: Availability:</p>" * 50_000,
    "a label followed by 2 MB": "<h1>x</h1><p>Price: " + "9" * 2_000_000 + "</p>",
    "a price text of 2 MB": "<h1>x</h1><span class='price'>" + "$1 " * 600_000 + "</span>",
}


@pytest.mark.parametrize("name", HOSTILE_PAGES)
def test_hostile_pages_are_read_within_seconds(name: str) -> None:
    html = HOSTILE_PAGES[name]
    started = time.process_time()  # CPU time: other processes sharing the machine do not count
    with no_hang():
        try:
            page = Page(html, URL)
        except ExtractionError:
            return
        visible_fields(page)
        NO_PROFILES.product(html, URL)
    assert time.process_time() - started < 4.0, name


SEED_PAGES = [
    product_page(
        "<h1>Steel Kettle</h1><div class='price-box'><span class='old-price'>$59.99</span>"
        "<span class='special-price'>$49.99</span></div><p class='stock'>Only 2 left</p>"
        "<p>SKU: K-9</p><p>Brand: Brew</p><button class='add-to-cart' disabled>Add to cart</button>"
    ),
    "<html><body><main><h1>Kettles</h1>"
    + "".join(f"<li><span class='price'>${n}</span></li>" for n in range(8))
    + "</main></body></html>",
]


@fuzz_settings(max_examples=300, deadline_seconds=2.0)
@given(st.sampled_from(SEED_PAGES).flatmap(mutated_text))
def test_mutated_pages_give_fields_or_nothing(html: str) -> None:
    with no_hang():
        try:
            found = visible_fields(Page(html, URL))
        except ExtractionError:
            return
    assert set(found) <= {"title", "price", "availability", "sku", "brand", "_orderable"}
    kinds = (str, Price, Availability, bool)
    assert all(value is None or isinstance(value, kinds) for value in found.values())


def test_an_add_to_basket_link_near_the_heading_says_in_stock() -> None:
    body = (
        "<div class='product'><h1>Steel Kettle</h1><span class='price'>$49.99</span>"
        "<a href='/basket/additem/1'><em>Add to basket</em></a></div>"
    )
    assert visible(product_page(body))["availability"] is Availability.IN_STOCK


MENU = "<nav>" + "".join(f"<a href='/c/{n}'>Category {n}</a>" for n in range(400)) + "</nav>"


@pytest.mark.parametrize(
    ("link", "availability"),
    [
        ("<a href='/cart/add/1' class='btn'>In den Warenkorb</a>", Availability.IN_STOCK),
        (
            "<a href=\"javascript:pop('backInStock.jsp?pid=1')\" title='Add To Cart'></a>",
            Availability.OUT_OF_STOCK,
        ),
        ("<a href='/cart/add/1' class='btn disabled'>Add to cart</a>", None),
        ("<a href='/cart/add/1' aria-disabled='true'>Add to cart</a>", None),
        (
            "<div class='dc-btn'><a> <span>ADD TO CART</span></a></div>",
            Availability.IN_STOCK,
        ),  # script-driven
        ("<div role='button' tabindex='0'>Add to bag</div>", Availability.IN_STOCK),
        ("<div role='button' aria-disabled='true'>Add to bag</div>", None),
        (
            "<a class='btn-buy-big' id='buy-link' href='/cart/add/bb58?deal_id=1'>Buy</a>",
            Availability.IN_STOCK,
        ),
        ("<a class='button' href='/shop/?add-to-cart=1234'>Kaufen</a>", Availability.IN_STOCK),
    ],
)
@pytest.mark.parametrize("menu", ["", MENU])
def test_an_add_to_cart_link_after_hundreds_of_menu_links_counts_unless_disabled_or_a_sign_up_in_its_place(
    link: str, availability: Availability | None, menu: str
) -> None:
    body = f"{menu}<div class='product'><h1>Steel Kettle</h1><span class='price'>$49.99</span>{link}</div>"
    assert visible(product_page(body)).get("availability") is availability


def test_a_buy_link_beats_a_sign_up_for_another_variant() -> None:
    links = (
        "<a href='/notify?sku=2' title='Add to cart'>Size M: email me</a>"
        "<a href='/cart/add/1' class='btn'>Add to cart</a>"
    )
    body = f"<div class='product'><h1>Steel Kettle</h1><span class='price'>$49.99</span>{links}</div>"
    assert visible(product_page(body))["availability"] is Availability.IN_STOCK


def test_an_image_add_to_basket_link_says_in_stock() -> None:
    body = (
        "<div class='product'><h1>Steel Kettle</h1><span class='price'>$49.99</span>"
        "<a id='add-to-basket-link-1' href='/ShopBasket?it=1'>"
        "<img src='b.gif' alt='Add Book to Basket'></a></div>"
    )
    assert visible(product_page(body))["availability"] is Availability.IN_STOCK


def test_a_link_to_the_cart_says_nothing_about_stock() -> None:
    body = (
        "<div class='product'><h1>Steel Kettle</h1><span class='price'>$49.99</span>"
        "<a href='/cart'>Cart (0)</a></div>"
    )
    assert "availability" not in visible(product_page(body))


DEEP_KETTLE = (
    "<div><div><div><div><h1>Steel Kettle</h1><span class='price'>$49.99</span></div></div></div></div>"
)


def test_far_add_to_cart_links_are_the_tiles() -> None:
    tiles = "".join(f"<div><a href='/cart?add={n}'>Add to Cart</a></div>" for n in range(2, 5))
    body = f"<div class='product'>{DEEP_KETTLE}</div><section class='also-bought'>{tiles}</section>"
    assert "availability" not in visible(product_page(body))


def test_the_only_add_to_cart_link_counts_once_however_deep_even_with_role_button() -> None:
    link = "<section><div><div><a role='button' href='/cart?add=1'>Add to Cart</a></div></div></section>"
    body = f"<div class='product'>{DEEP_KETTLE}</div>{link}"
    assert visible(product_page(body))["availability"] is Availability.IN_STOCK


@pytest.mark.parametrize(
    "links",
    [
        "<a class='buy-button' href=\"javascript:alert('Choose a size')\">Comprar</a>",  # VTEX
        "<a href='#'>ADD</a><a href='#' class='add-to-cart'>Buy</a>",  # side by side in one block
        "<div class='button' onclick='AddProductToBasket(this, 1)'><span>Plaats in winkelwagen</span></div>",
        "<div class='btn blue add-to-cart'>Add to cart <span class='hover'>Select a colour</span></div>",
    ],
)
def test_a_script_driven_buy_link_however_deep_says_in_stock(links: str) -> None:
    body = f"<div class='product'>{DEEP_KETTLE}</div><section><div><div>{links}</div></div></section>"
    assert visible(product_page(body))["availability"] is Availability.IN_STOCK
    tiles = "".join("<div><a href='#'>Buy</a></div>" for _ in range(3))  # one a tile
    assert "availability" not in visible(product_page(f"<div class='product'>{DEEP_KETTLE}</div>{tiles}"))


def test_a_sku_number_beside_the_code_still_counts() -> None:
    assert visible(product_page(KETTLE + "<p>Código: 7797453062252</p>"))["sku"] == "7797453062252"


def test_the_only_add_to_cart_image_button_is_the_product_s_however_deep() -> None:
    button = "<table><tr><td><input type='image' src='b.gif' alt='Add to Your Cart'></td></tr></table>"
    body = f"<div class='product'>{DEEP_KETTLE}</div><form><div>{button}</div></form>"
    assert visible(product_page(body))["availability"] is Availability.IN_STOCK


def test_an_image_buy_link_with_italian_cart_wording_tells_a_product_page_without_a_price_element() -> None:
    link = (
        "<a href='ordina.asp?id=1093'><img src='compra.jpg' alt='Acquista - compra - metti nel carrello'></a>"
    )
    body = f"<h1>Alesis M1Active MK2</h1><p>Prezzo: &euro; 430,00</p><p>{link}</p>"
    found = visible(product_page(body))
    assert (found["price"], found["availability"]) == (Price(43000, "EUR"), Availability.IN_STOCK)


def test_a_missing_picture_says_nothing_about_stock() -> None:
    body = "<div class='variationUnavailable'>Bild nicht verfügbar</div><button>In den Warenkorb</button>"
    assert availability(body) == "IN_STOCK"


@pytest.mark.parametrize(
    ("heading", "brand"),
    [
        ("2010 Maybach 57", "Maybach"),
        ("2011 Land Rover Range Rover Sport", "Land Rover"),
        ("New 2021 mercedes-benz C 300", "Mercedes-Benz"),
        ("Miele TCF620 WP Eco Wärmepumpentrockner", "Miele"),  # a known maker first
    ],
)
def test_a_title_starting_with_a_known_brand_or_car_make_gives_the_brand(heading: str, brand: str) -> None:
    data = NO_PROFILES.product(product_page(f"<h1>{heading}</h1><p>Price: $405,500</p>"), URL)
    assert data is not None and data.brand == brand


@pytest.mark.parametrize(
    "heading", ["2010 Maybachs Guide", "Fordham Sweater", "1984 Orwell Paperback", "2011 Hondas", "Lotus Mug"]
)
def test_no_brand_from_a_title_without_a_known_brand(heading: str) -> None:
    data = NO_PROFILES.product(product_page(f"<h1>{heading}</h1><p>Price: $49.99</p>"), URL)
    assert data is not None and data.brand is None


def test_a_labelled_brand_beats_the_car_make_of_the_title() -> None:
    body = "<h1>2011 Honda Accord floor mats</h1><p>Price: $49.99</p><p>Brand: WeatherTech</p>"
    data = NO_PROFILES.product(product_page(body), URL)
    assert data is not None and data.brand == "WeatherTech"


def test_a_heading_in_noscript_is_never_shown() -> None:
    body = (
        "<noscript><h1>Für ein optimales Einkaufserlebnis aktivieren Sie bitte Javascript.</h1></noscript>"
        "<table><tr><td><h1>MSI PRO MP273A 27 Zoll</h1></td></tr></table><p>Preis: 225,00 €</p>"
    )
    data = NO_PROFILES.product(product_page(body), URL)
    assert data is not None and data.title == "MSI PRO MP273A 27 Zoll"


@pytest.mark.parametrize("kind", ["club-price", "member-price", "price--members"])
def test_a_members_only_price_is_not_the_price(kind: str) -> None:
    body = (
        "<h1>Steel Kettle</h1><div><span class='" + kind + "'>Club Price: $8.58</span>"
        "<div><span class='our-price'>Online Price: $9.54</span></div></div>"
    )
    assert visible(product_page(body))["price"] == Price(954, "USD")


# -- shop wording in more languages (issue #18) ----------------------------------------------------
# Enabled: in stock (disabled: out of stock); a sign-up for news of the stock: out of stock.
_BUTTONS = {
    "IN_STOCK": "Add to Trolley|In den Korb|Jetzt kaufen|Adicionar ao carrinho|Agregar al carrito|В корзину"  # noqa: RUF001
    "|カートに入れる|加入购物车|Lägg i varukorgen|Læg i kurv|Legg i handlekurv|Lisää ostoskoriin"
    "|Do košíku|Kosárba|Προσθήκη στο καλάθι|Añadir a la cesta|Toevoegen aan winkelwagen|In winkelmand"
    "|Metti nel carrello"
    "|Tilføj til kurv|Adaugă în coș|장바구니 담기|Thêm vào giỏ hàng|Tambah ke Keranjang|أضف إلى السلة"
    "|หยิบใส่ตะกร้า|הוסף לסל|Satın Al|바로구매|Mua ngay",  # noqa: RUF001
    "OUT_OF_STOCK": "Email me when available|Join the waitlist|Benachrichtigen, wenn verfügbar|Prévenez-moi"
    "|Avísame cuando esté disponible|Avvisami|Powiadom o dostępności",
}


@pytest.mark.parametrize(
    ("label", "expected"),
    [(label, expected) for expected, labels in _BUTTONS.items() for label in labels.split("|")],
)
def test_shop_buttons_in_many_languages(label: str, expected: str) -> None:
    assert availability(f"<button type='submit'>{label}</button>") == expected
    assert availability(f"<button type='submit' disabled>{label}</button>") == expected


def test_a_brand_link_far_from_the_heading_is_a_tiles() -> None:
    # The heading's block and the link share only <main>, five steps up from the heading.
    deep = f"<div><div><div><div>{KETTLE}</div></div></div></div>"
    assert "brand" not in visible(product_page(f"{deep}<p><a href='/brands/brew'>Brew</a></p>"))


@pytest.mark.parametrize(
    "naming",
    [
        "id='ctl00_ProductDetails_TopNameLabel'",
        "id='pd_artname'",
        "class='produktname'",
        "class='tb-main-title'",
    ],
)
def test_a_page_without_headings_takes_the_element_naming_the_product(naming: str) -> None:
    page = product_page(
        f"<table><tr><td><span {naming}>Gold Nugget</span></td></tr>"
        "<tr><td><span class='price'>$3.49</span></td></tr></table>",
        head="<title>Seeds | Item Detail</title>",
    )
    assert visible(page) == {"title": "Gold Nugget", "price": Price(349, "USD")}


def test_an_element_named_for_the_tax_alone_holds_no_price() -> None:
    tax = "<span class='price-tax'>(+ tax $4.50)</span>"
    body = f"<h1>Kettle</h1><div>{tax} <span class='price'>$49.99</span></div>"
    assert visible(product_page(body))["price"] == Price(4999, "USD")
    gross = "<h1>Kettle</h1><div><span class='price-including-tax'>$54.49</span></div>"
    assert visible(product_page(gross))["price"] == Price(5449, "USD")  # named for its basis: a price
    # BigCommerce's US price, its quantity tiers beside it ('1-9' in a .price span) no price
    net = (
        "<h1>Tee</h1><div class='productView-price'><span class='price price--withoutTax'>$20.00</span>"
        "<ul class='price-list'><li><span class='price'>Qty</span></li>"
        "<li><span class='price'>1\u20139</span></li></ul></div>"
    )
    assert visible(product_page(net))["price"] == Price(2000, "USD")


def test_a_price_s_currency_in_an_element_named_unit_stays_with_it() -> None:
    gross = (
        "<p class='info-price'>1,320<span class='info-unit'>円</span><span class='info-tax'>(税込)</span></p>"
    )
    net = "<p class='price-info'>1,200円 <span class='price-info-tax'>(+消費税120円)</span></p>"
    assert visible(product_page(f"<h1>Kettle</h1>{gross}{net}"))["price"] == Price(1320, "JPY")


def test_repeated_name_elements_are_a_listings_tiles() -> None:
    tiles = "".join(
        f"<div class='tile'><span class='product-name'>Kettle {n}</span>"
        f"<span class='price'>${n}.99</span></div>"
        for n in range(1, 7)
    )
    assert visible(product_page(tiles)) == {}


@pytest.mark.parametrize(
    "other",
    [
        "<div id='title-main-menu'>Buy Online</div>",  # a menu's title
        "<div id='main-title-topnav'>Buy Online</div>",  # a menu's, its words run together ('topnav')
        "<div class='product-detail-also-purchased-title'>Customers who bought this item also bought</div>",
    ],
)
def test_a_menu_s_or_a_cross_sell_block_s_title_is_not_the_name(other: str) -> None:
    body = (
        f"{other}<table><tr><td class='pageHeading'>Glenfarclas 105 - 35cl 60%</td></tr></table>"
        "<div class='product-detail-left-price'>Our price: £31.99</div>"
    )
    head = "<title>Glenfarclas 105 - 35cl 60% </title>"
    data = NO_PROFILES.product(f"<html><head>{head}</head><body>{body}</body></html>", URL)
    assert data is not None and data.title == "Glenfarclas 105 - 35cl 60%"


def test_a_category_link_in_a_run_together_menu_is_no_brand() -> None:
    menu = "<ul id='categorymenu'><li><a href='/Silikonformen:::6.html'>Silikonformen</a></li></ul>"
    body = f"{menu}<h1>Silikonformen rund 8er Set</h1><span class='price'>4,90 EUR</span>"
    assert "brand" not in visible(product_page(body))
    shown = "<p><a href='/marken/lego'>LEGO</a></p><h1>LEGO Batcave</h1><span class='price'>$9.99</span>"
    assert visible(product_page(shown))["brand"] == "LEGO"  # a link by the product, outside menus


def test_a_bare_price_after_the_heading_of_a_known_product() -> None:
    body = (
        "<h1>La légende de Darkseid</h1><p>EAN: 9791026807597</p><ul><li><div>Neuf</div>"
        "<strong>Non disponible</strong></li><li><div>Neuf</div><del>30,00 €</del> <strong>22,50 €</strong>"
        "</li></ul>"
    )
    assert visible(product_page(body))["price"] == Price(2250, "EUR")


def test_a_bare_price_line_does_not_make_a_product() -> None:
    assert visible(product_page("<h1>Kettles</h1><p>22,50 €</p>")) == {}


def test_a_machine_title_that_lost_a_line_break_s_space_takes_the_heading() -> None:
    head = (
        '<meta property="og:type" content="product">'
        '<meta property="og:title" content="HEART CLUBHeart Cardigan">'
    )
    body = "<h1>HEART CLUB<br>Heart Cardigan</h1><span class='price'>$43.80</span>"
    page = f"<html><head>{head}</head><body>{body}</body></html>"
    data = NO_PROFILES.product(page, URL)
    assert data is not None and data.title == "HEART CLUB Heart Cardigan"


@pytest.mark.parametrize(
    ("page_title", "heading", "title"),
    [
        ("Cumpărați Office 365 pentru acasă", "Office 365 pentru acasă", "Office 365 pentru acasă"),
        ("Buy Steel Kettle 1.7 l", "Steel Kettle 1.7 l", "Steel Kettle 1.7 l"),
        ("Buy Kettle", "Kettle", "Buy Kettle"),  # one word is too little to tell a lead-in by
        ("Steel Kettle Deluxe", "Steel Kettle", "Steel Kettle Deluxe"),  # words after, not before
    ],
)
def test_a_page_title_s_lead_in_words_give_way_to_the_heading(
    page_title: str, heading: str, title: str
) -> None:
    head = f'<meta property="og:type" content="product"><meta property="og:title" content="{page_title}">'
    body = f"<h1>{heading}</h1><span class='price'>$43.80</span>"
    data = NO_PROFILES.product(f"<html><head>{head}</head><body>{body}</body></html>", URL)
    assert data is not None and data.title == title


@pytest.mark.parametrize("now", ["Now", "Sale", "Jetzt"])
def test_a_price_said_to_be_the_current_one_beats_the_plain_one_before_it(now: str) -> None:
    body = (
        "<h1>Mesh leggings</h1><h5 class='product-price--markdown'>$64.95</h5>"
        f"<h5 class='product-price product-price--highlight'>{now} $52.00 <div>Reviews</div></h5>"
    )
    assert visible(product_page(body))["price"] == Price(5200, "USD")


@pytest.mark.parametrize("reader_only", ["visually-hidden", "sr-only"])
def test_text_for_screen_readers_is_not_hidden(reader_only: str) -> None:
    body = f"<button class='btn-soldout {reader_only}'>SOLD OUT</button><button>Add to cart</button>"
    assert availability(body) == "OUT_OF_STOCK"


@pytest.mark.parametrize("hiding", ["displaynone", "display-none", "g-hdn", "u-display-none", "is-d-none"])
def test_elements_hidden_by_class_say_nothing(hiding: str) -> None:
    body = f"<button class='btn-soldout {hiding}'>SOLD OUT</button><button>Add to cart</button>"
    assert availability(body) == "IN_STOCK"


def test_a_brand_element_holding_labelled_values_gives_its_logo_s_name() -> None:
    block = (
        "<div class='manufacturer-info'>Herstellerinfos: EAN: 0887942877477 "
        "<img alt='Lenovo' src='l.png'></div>"
    )
    assert visible(product_page(KETTLE + block))["brand"] == "Lenovo"


def test_a_button_in_the_theme_s_brand_colour_is_no_brand() -> None:
    body = "<a class='btn btn-brand' href='/bookmark'>Merken</a>"
    assert "brand" not in visible(product_page(KETTLE + body))


@pytest.mark.parametrize(
    ("wording", "expected"),
    [
        ("<span><b>Есть в наличии</b> – <i>осталось 6 шт.</i></span>", "LIMITED"),  # noqa: RUF001
        ("<table><tr><td>Dostupnost: Skladem</td></tr></table>", "IN_STOCK"),
        ("<p>Dostupnosť: Nie je skladom</p>", "OUT_OF_STOCK"),
        ("<div class='buy'><a href='/cart?mode=add'>Ebookを購入する</a></div>", "IN_STOCK"),
    ],
)
def test_more_stock_wording_labels_and_buy_links(wording: str, expected: str) -> None:
    assert availability(wording) == expected


@pytest.mark.parametrize(
    ("label", "sku"),
    [("Код: 96133", "96133"), ("Catalog #: 2731080", "2731080"), ("Kód tovaru: g36173", "g36173")],
)
def test_more_sku_labels(label: str, sku: str) -> None:
    assert visible(product_page(f"{KETTLE}<p>{label}</p>"))["sku"] == sku


def test_a_view_all_link_in_a_brand_block_gives_way_to_the_logo() -> None:
    block = (
        "<div class='prod_brand'><a href='/brands/teva'><img src='t.jpg' alt='Teva'></a>"
        "<a href='/brands/teva'>View all brand products</a></div>"
    )
    assert visible(product_page(KETTLE + block))["brand"] == "Teva"


@pytest.mark.parametrize(
    ("label", "sku"),
    [
        ("Item Id: GLOWROLL", "GLOWROLL"),
        ("Part Number:EMERMUS", "EMERMUS"),
        ("Style #442635", "442635"),
        ("Style: BA5208-010", "BA5208-010"),
        ("Style<br>YLS0030", "YLS0030"),
    ],
)
def test_labelled_codes_in_capitals_or_style_numbers(label: str, sku: str) -> None:
    assert visible(product_page(f"{KETTLE}<p>{label}</p>"))["sku"] == sku


def test_the_shop_s_own_name_labels_its_item_number() -> None:
    page = product_page(f"{KETTLE}<p>Model #: 4612B001</p><p>Acme Outlet #: 3C402P</p>")
    assert visible(page, "https://www.acme-outlet.example/p/1")["sku"] == "3C402P"
    assert "sku" not in visible(page, "https://www.other-shop.example/p/1")  # 'Model #' is the maker's


@pytest.mark.parametrize("label", ["Style: Casual", "Style: BOHO", "Style 2", "Style: 1-2"])
def test_a_style_that_is_no_code_is_no_sku(label: str) -> None:
    assert "sku" not in visible(product_page(f"{KETTLE}<p>{label}</p>"))


@pytest.mark.parametrize("value", ["NONE", "TBD", "Blue", "Kettle"])
def test_a_labelled_word_is_no_sku(value: str) -> None:
    assert "sku" not in visible(product_page(f"{KETTLE}<p>Item #: {value}</p>"))


def test_a_price_element_holding_a_widget_gives_its_own_text() -> None:
    reviews = "<div class='reviews'>" + "Rated 4.5 out of 5 by 120 reviewers who bought it " * 4 + "</div>"
    body = f"<h1>Steel Kettle</h1><h5 class='product-price'>Now $52.00 {reviews}</h5>"
    assert visible(product_page(body))["price"] == Price(5200, "USD")


def test_an_h1_the_page_title_does_not_repeat_gives_way_to_an_h2_it_does() -> None:
    head = "<title>Diners Collage 1000 Piece Puzzle | Calendars</title>"
    body = (
        "<h1>Free Standard Shipping above $35</h1><h2>Diners Collage 1000 Piece Puzzle</h2>"
        "<span class='price'>$14.99</span>"
    )
    assert visible(product_page(body, head))["title"] == "Diners Collage 1000 Piece Puzzle"
    kept = "<h1>Steel Kettle</h1><h2>Customers also bought</h2><span class='price'>$9</span>"
    assert (
        visible(product_page(kept, "<title>Buy cheap kitchen goods online</title>"))["title"]
        == "Steel Kettle"
    )


def test_a_title_start_the_page_links_outside_its_menus_is_the_brand() -> None:
    crumbs = "<div id='breadCrumbs'><a href='/toys'>Toys</a> &gt; <a href='/family/lego'>LEGO</a></div>"
    menu = "<nav><a href='/family/barbie'>Barbie</a></nav>"
    body = f"{menu}{crumbs}<h1>LEGO Batcave 6860</h1><span class='price'>$74.99</span>"
    assert visible(product_page(body))["brand"] == "LEGO"
    in_menu_only = "<nav><a href='/family/lego'>LEGO</a></nav>" + body.split("</div>", 1)[1]
    assert "brand" not in visible(product_page(in_menu_only))


def test_a_bare_code_label_needs_a_digit_a_sku_label_does_not() -> None:
    promo = "<div class='promo'>Free Shipping on $75 or More. Code: SHIPMAGIC</div>"
    assert "sku" not in visible(product_page(f"{promo}{KETTLE}"))
    assert visible(product_page(f"{promo}{KETTLE}<p>Code: KT-9</p>"))["sku"] == "KT-9"
    assert visible(product_page(f"{promo}{KETTLE}<p>Item Id: GLOWROLL</p>"))["sku"] == "GLOWROLL"


@pytest.mark.parametrize(
    "shown",
    [
        "<div class='itemNo'>A294466</div>",
        "<p>Item: A294466</p>",
        "<span class='product-code'>A294466</span>",
    ],
)
def test_an_item_number_element_or_a_bare_item_label_gives_the_sku(shown: str) -> None:
    assert visible(product_page(KETTLE + shown))["sku"] == "A294466"


def test_an_image_add_to_cart_button_after_a_long_menu_is_found() -> None:
    menu = "<div class='cats'>" + "".join(f"<a href='/c/{n}'>Category {n}</a>" for n in range(150)) + "</div>"
    button = "<form><input type='image' src='b.png' alt='Add to basket'></form>"
    assert availability(menu + button) == "IN_STOCK"


def test_a_price_labelled_once_beats_recommendation_tiles_nearer_the_heading() -> None:
    tiles = "".join(f"<div class='rec'><span class='price'>${n}.99</span></div>" for n in range(1, 6))
    price = "<ul><li>Our Price</li><li><h2>$30.99</h2></li></ul>"
    body = f"<div class='side'>{tiles}</div><h1>Cupcake Pan</h1>{price}"
    assert visible(product_page(body))["price"] == Price(3099, "USD")
    listing = "".join(
        f"<div class='tile'><h3>Pan {n}</h3><p>Our Price: ${n}.99</p></div>" for n in range(1, 6)
    )
    assert visible(product_page(f"<h1>Cake pans</h1>{tiles}{listing}")) == {}


def test_a_block_marked_as_our_price_beats_a_block_higher_in_the_tree() -> None:
    table = (
        "<table><tr><td><table><tr><td class='our-price'>Retail Price: <strike>$7.99</strike></td>"
        "<td class='our-price'>Online Price: $7.63</td></tr></table></td></tr></table>"
    )
    ebook = "<span class='ebook-price'>eBook Price: $7.99</span>"
    body = f"<div><h2>The Immortal Hunter</h2><div>{table}{ebook}</div></div>"
    head = "<title>The Immortal Hunter - Books-A-Million</title>"
    assert visible(product_page(body, head))["price"] == Price(763, "USD")


def test_a_price_in_the_buy_box_form_is_the_price_the_cart_total_is_not() -> None:
    other = "<ul><li>E-Book <small class='produkteprice'>17,99 €</small></li></ul>"
    buy_box = "<div class='cartprice-box'><form><span class='price'>18,95 €</span></form></div>"
    cart = "<div class='cart-total'>0,00 €</div>"
    body = f"<h1>12 Wege zu guter Pflege</h1><div>{buy_box}<div>{other}</div></div>{cart}"
    assert visible(product_page(body))["price"] == Price(1895, "EUR")


def test_a_page_reads_each_of_its_values_once(monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[str] = []
    monkeypatch.setattr(page_module, "read_jsonld", lambda tree: reads.append("jsonld") or [])
    page = Page('<script type="application/ld+json">{"@type": "Product"}</script>', "https://shop.example/a")
    assert page.jsonld == [] and page.jsonld == [] and reads == ["jsonld"]
    assert Page.jsonld.__doc__ == Page.__dict__["jsonld"].compute.__doc__  # the class sees the descriptor
