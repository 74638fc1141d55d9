# ruff: noqa: RUF001  (shop wording in Turkish, Cyrillic, CJK... is the point here)
"""General extraction rules on small hand-written pages, one rule a test: titles without the shop's
name or format tags (titles.py, applied to every source in product._merge), the brand as the page
spells and shows it, product pages without a visible price, SKU, brand and stock labels in many
languages (visible/, availability.py)."""

from __future__ import annotations

import json

import pytest

from consumers.extract import Availability, Extractor, Price, Profiles, normalise_availability
from consumers.extract.availability import mentions_backorder, unmistakable_availability
from consumers.extract.titles import clean_title, site_names

NO_PROFILES = Extractor(Profiles())


def jsonld(document: dict[str, object], head: str = "", body: str = "") -> str:
    script = f'<script type="application/ld+json">{json.dumps(document)}</script>'
    return f"<html><head>{head}{script}</head><body>{body}</body></html>"


def product(name: str, **extra: object) -> dict[str, object]:
    return {
        "@type": "Product",
        "name": name,
        "offers": {"@type": "Offer", "price": "10.00", "priceCurrency": "EUR"},
        **extra,
    }


def extract(html: str, url: str = "https://www.shop.example/p/1"):
    data = NO_PROFILES.product(html, url)
    assert data is not None
    return data


# -- titles ----------------------------------------------------------------------------------------
def test_a_structured_name_loses_the_shops_name_from_its_domain() -> None:
    data = extract(jsonld(product("Bulgur Pilavlık 2000 g - A101")), "https://www.a101.com.tr/market/bulgur/")
    assert data.title == "Bulgur Pilavlık 2000 g"


def test_an_og_title_loses_the_og_site_name_before_or_after_a_separator() -> None:
    head = (
        '<meta property="og:type" content="product"><meta property="og:site_name" content="Macro Online">'
        '<meta property="og:title" content="Steel Kettle | Macro Online">'
        '<meta property="product:price:amount" content="5">'
        '<meta property="product:price:currency" content="EUR">'
    )
    assert extract(f"<html><head>{head}</head></html>").title == "Steel Kettle"
    assert clean_title("Macro Online: Steel Kettle", {"macroonline"}) == "Steel Kettle"


def test_a_title_that_is_the_shops_name_gives_way_to_the_next_source() -> None:
    html = jsonld(product("Migros"), body="<main><h1>Süt 1 L</h1><button>Sepete ekle</button></main>")
    assert extract(html, "https://www.migros.com.tr/sut-p-1").title == "Süt 1 L"


def test_a_product_whose_name_merely_contains_the_shops_name_keeps_it() -> None:
    data = extract(jsonld(product("Acme Rocket - Red")), "https://acme.example/p/1")
    assert data.title == "Acme Rocket - Red"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Vegetable Perfection Hardcover \u2013 7 Apr 2016", "Vegetable Perfection"),
        ("Vegetable Perfection Paperback - Illustrated, 7 April 2016", "Vegetable Perfection"),
        ("The Whole Truth (A. Shaw Book 1) Kindle Edition", "The Whole Truth (A. Shaw Book 1)"),
        (
            "O Essencial da Segunda Guerra - Caixa Capa comum \u2013 6 março 2017",
            "O Essencial da Segunda Guerra - Caixa",
        ),
        ("Midea Washing Machine 8 kg, White [Energy Class B]", "Midea Washing Machine 8 kg, White"),
        ("Candy Waschmaschine 8 kg [Energieklasse A]", "Candy Waschmaschine 8 kg"),
        ("Moleskine Notebook, Paperback", "Moleskine Notebook, Paperback"),  # no edition date: kept
        ("Paperback Writer T-Shirt", "Paperback Writer T-Shirt"),
        ("LEGO Creator Seaside House 7346\u00a0product details page", "LEGO Creator Seaside House 7346"),
        ("Steel Kettle - Product Information", "Steel Kettle"),
        ("Product Details Pen", "Product Details Pen"),  # the page type ends the title or is not one
    ],
)
def test_store_format_tags_are_dropped_from_titles(title: str, expected: str) -> None:
    assert clean_title(title, set()) == expected


def test_a_page_type_is_no_title() -> None:
    html = (
        "<html><head><title>Seeds of Change | Item Detail</title></head><body>"
        "<div><span class='price'>$3.49</span></div></body></html>"
    )
    data = extract(html, "https://www.seedsofchange.example/item?no=1")
    assert data.title is None and data.price == Price(349, "USD")
    assert clean_title("Product details", set()) is None


def test_site_names_come_from_og_site_name_and_the_domain() -> None:
    names = site_names({"og:site_name": "Macro Online"}, "https://shop.macroonline.co.uk/x")
    assert {"macroonline", "macroonlinecouk"} <= names


def test_the_h1_with_the_brand_before_the_structured_name_is_the_title() -> None:
    body = "<main><h1 class='title'>Apple iPhone 7 - 32GB - Silver</h1></main>"
    data = extract(jsonld(product("iPhone 7 - 32GB - Silver", brand={"name": "Apple"}), body=body))
    assert data.title == "Apple iPhone 7 - 32GB - Silver" and data.brand == "Apple"


def test_a_brand_set_apart_inside_the_h1_is_a_label_not_part_of_the_name() -> None:
    body = "<main><h1><a href='/michael-kors'><span>Michael Kors</span></a> Extreme Blue</h1></main>"
    data = extract(jsonld(product("Extreme Blue", brand="Michael Kors"), body=body))
    assert data.title == "Extreme Blue"


def test_a_brand_in_a_span_of_the_h1_runs_on_into_the_name() -> None:
    body = "<main><h1><span><strong>BenQ</strong></span> <span>BL3290QT IPS</span></h1></main>"
    data = extract(jsonld(product("BL3290QT IPS", brand="BenQ"), body=body))
    assert data.title == "BenQ BL3290QT IPS"


def test_a_page_title_going_on_after_the_h1_gives_way_to_it() -> None:
    head = (
        '<meta property="og:type" content="product"><meta property="product:price:amount" content="99">'
        '<meta property="og:title" content="Patio Umbrella - Black 6468744 | Acme">'
        '<meta property="og:site_name" content="Acme">'
    )
    data = extract(f"<html><head>{head}</head><body><h1>Patio Umbrella - Black</h1></body></html>")
    assert data.title == "Patio Umbrella - Black"


def test_a_title_cut_short_with_an_ellipsis_is_taken_whole_from_the_page_title() -> None:
    head = "<title>YesHom Memory Foam Seat Cushion Pain Relief Pillow - Rakuten.com</title>"
    body = (
        "<div itemscope itemtype='https://schema.org/Product'><h1 itemprop='name'>YesHom Memory Foam "
        "Seat Cushion Pain...</h1><span itemprop='price'>19.99</span></div>"
    )
    data = extract(f"<html><head>{head}</head><body>{body}</body></html>", "https://www.rakuten.com/p/1")
    assert data.title == "YesHom Memory Foam Seat Cushion Pain Relief Pillow"


def test_an_h1_the_page_title_does_not_repeat_gives_way_to_the_page_title() -> None:
    head = "<title>Diners Collage Puzzle | Calendars.com</title>"
    body = (
        "<h1 class='promo'>Free Standard Shipping above $35</h1><div><span class='price'>$14.99</span></div>"
        "<p><b>Diners Collage Puzzle</b></p>"
    )
    page = f"<html><head>{head}</head><body><main>{body}</main></body></html>"
    assert extract(page, "https://www.calendars.com/p/1").title == "Diners Collage Puzzle"
    unshown = page.replace("<p><b>Diners Collage Puzzle</b></p>", "")  # a page title the page never shows
    assert extract(unshown, "https://www.calendars.com/p/1").title == "Free Standard Shipping above $35"


def test_a_badge_before_the_name_in_the_h1_is_not_part_of_it() -> None:
    head = "<title>Lenovo L24i-40 FHD Monitor ++ Cyberport</title>"
    body = (
        "<h1><span class='badge'>Neuheit</span> Lenovo L24i-40 FHD Monitor</h1><p class='price'>€ 99,00</p>"
    )
    page = f"<html><head>{head}</head><body><main>{body}</main></body></html>"
    assert extract(page, "https://www.cyberport.at/p/1").title == "Lenovo L24i-40 FHD Monitor"
    shown = page.replace("<title>", "<title>Neuheit ")  # the page's title says it too: part of the name
    assert extract(shown, "https://www.cyberport.at/p/1").title == "Neuheit Lenovo L24i-40 FHD Monitor"
    commented = page.replace("<h1>", "<h1><!-- badge -->")  # a comment before the badge shows nothing
    assert extract(commented, "https://www.cyberport.at/p/1").title == "Lenovo L24i-40 FHD Monitor"


def test_a_brand_line_over_a_name_that_starts_with_the_brand_is_said_once() -> None:
    heading = "<h1><span class='brand'>Michael Kors</span> Michael Kors Gorgeous Gift Set</h1>"
    body = f"{heading}<p class='price'>$124.00</p>"
    head = "<title>Michael Kors Gorgeous Gift Set | Sephora</title>"
    page = f"<html><head>{head}</head><body><main>{body}</main></body></html>"
    assert extract(page, "https://www.sephora.com/p/1").title == "Michael Kors Gorgeous Gift Set"
    plain = page.replace(
        " Michael Kors Gorgeous", " Gorgeous"
    )  # brand over the name: the page's whole heading
    assert extract(plain, "https://www.sephora.com/p/1").title == "Michael Kors Gorgeous Gift Set"


def test_a_byline_inside_the_h1_is_the_author_not_the_name() -> None:
    body = (
        "<h1>Crash <em>by <a href='/author/js'>Jerry Spinelli</a></em></h1><span class='price'>$7.99</span>"
    )
    assert extract(visible_page(body)).title == "Crash"
    assert extract(visible_page("<h1>Stand <em>Bye</em></h1><p class='price'>$7.99</p>")).title == "Stand Bye"


def test_an_item_number_element_inside_the_h1_is_not_the_name() -> None:
    body = "<h1>Staple Tee <label class='productView-sku'>5001</label></h1><p class='price'>$20.00</p>"
    assert extract(visible_page(body)).title == "Staple Tee"
    skull = body.replace("productView-sku", "skull-icon")  # only the class word 'sku' says so
    assert extract(visible_page(skull)).title == "Staple Tee 5001"


def test_the_h1_with_brand_name_and_a_parenthesised_spec_is_the_title() -> None:
    body = (
        "<main><h1><span>ASUS</span> <span>VZ24EHF</span> <small>(61 cm(24 Zoll), HDMI)</small></h1></main>"
    )
    data = extract(jsonld(product("VZ24EHF", brand="ASUS"), body=body))
    assert data.title == "ASUS VZ24EHF (61 cm(24 Zoll), HDMI)"


def test_the_h1_with_the_name_and_a_parenthesised_spec_is_the_title() -> None:
    body = "<main><h1>Canon MG2570S Inkjet Printer (Black, Ink Cartridge)</h1></main>"
    data = extract(jsonld(product("Canon MG2570S Inkjet Printer", brand="Canon"), body=body))
    assert data.title == "Canon MG2570S Inkjet Printer (Black, Ink Cartridge)"


def test_an_h1_saying_more_than_brand_and_name_does_not_replace_the_name() -> None:
    body = "<main><h1>Apple iPhone 7 - 32GB - Silver - Refurbished</h1></main>"
    data = extract(jsonld(product("iPhone 7 - 32GB - Silver", brand="Apple"), body=body))
    assert data.title == "iPhone 7 - 32GB - Silver"


# -- brand -----------------------------------------------------------------------------------------
def test_an_all_caps_brand_takes_the_case_another_source_spells_it_in() -> None:
    head = '<meta property="og:type" content="product"><meta property="og:brand" content="Aptamil">'
    data = extract(jsonld(product("Aptamil 2", brand={"@type": "Brand", "name": "APTAMİL"}), head=head))
    assert data.brand == "Aptamil"
    assert extract(jsonld(product("Sony TV", brand="SONY"))).brand == "SONY"  # nobody spells it otherwise


def visible_page(body: str, head: str = "") -> str:
    return f"<html><head>{head}</head><body><main>{body}</main></body></html>"


def test_a_brand_row_of_a_spec_table_gives_the_brand() -> None:
    body = (
        "<h1>Canon SD960 Camera</h1><span class='price'>$284.45</span><table>"
        "<tr><td>Manufacturer</td><td>Canon, Inc</td></tr><tr><td>Brand Name</td><td>Canon</td></tr></table>"
    )
    assert extract(visible_page(body)).brand == "Canon"


def test_a_brand_element_linking_to_the_shops_home_page_is_the_shop() -> None:
    body = (
        "<div id='GH_brand'><a href='http://autos.shop.example/'>Shop Autos</a></div>"
        "<h1>2011 Hyundai Veracruz</h1><span class='price'>$30,045</span>"
    )
    # not 'Shop Autos': the car's make, from its title
    assert extract(visible_page(body), "http://autos.shop.example/cars/1").brand == "Hyundai"


@pytest.mark.parametrize(
    "byline",
    [
        "<div class='byline'>Mat Follas (Author)</div>",
        "<div class='byline'>Share Facebook Twitter Pinterest</div>",
        "<div class='review-byline'>Angela Bidmead</div>",
    ],
)
def test_author_bylines_share_buttons_and_review_bylines_are_no_brand(byline: str) -> None:
    body = f"<h1>Vegetable Perfection</h1>{byline}<span class='price'>£10.89</span>"
    assert extract(visible_page(body), "https://www.shop.example/p/1").brand is None


# -- pages without a visible price -----------------------------------------------------------------
def test_a_sold_out_page_without_a_price_but_with_a_labelled_sku_is_a_product() -> None:
    body = (
        "<h1 id='title'>ASUS Dual RTX 3070</h1><div id='availability'>Currently unavailable.</div>"
        "<table><tr><th>ASIN</th><td>B08L8HPKR6</td></tr></table>"
    )
    data = extract(visible_page(body), "https://www.shop.example/dp/B08L8HPKR6")
    assert (data.title, data.price, data.sku) == ("ASUS Dual RTX 3070", None, "B08L8HPKR6")
    assert data.availability is Availability.OUT_OF_STOCK


def test_a_page_without_a_price_but_with_one_add_to_cart_button_is_a_product() -> None:
    body = "<h1>Think Kong Boots</h1><button id='add-to-cart-button'>Add to Cart</button>"
    assert extract(visible_page(body)).title == "Think Kong Boots"


def test_a_listing_with_many_buttons_and_no_prices_is_still_no_product() -> None:
    tiles = "".join(f"<div class='tile'><a>Boot {n}</a><button>Add to Cart</button></div>" for n in range(6))
    html = visible_page(f"<h1>Boots</h1>{tiles}")
    assert NO_PROFILES.product(html, "https://www.shop.example/c/boots") is None


def test_a_listing_with_sku_labels_on_every_tile_is_still_no_product() -> None:
    tiles = "".join(
        f"<div class='tile'><a>Boot {n}</a><span class='price'>${n + 10}.00</span><p>SKU: B-{n}00</p></div>"
        for n in range(6)
    )
    html = visible_page(f"<h1>Boots</h1>{tiles}")
    assert NO_PROFILES.product(html, "https://www.shop.example/c/boots") is None


def test_a_heading_alone_is_no_product() -> None:
    assert (
        NO_PROFILES.product(visible_page("<h1>About us</h1><p>We sell boots.</p>"), "https://a.example/")
        is None
    )


# -- SKU labels ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("label", "sku"),
    [
        ("SKU (config)\nAP009ELAO4IJNAFAMZ", "AP009ELAO4IJNAFAMZ"),
        ("Bestellnummer: 1234567", "1234567"),
        ("Réf. : AB-1234", "AB-1234"),
        ("Referencia: 55012", "55012"),
        ("Codice articolo: IT9921", "IT9921"),
        ("Kod produktu: PL-774", "PL-774"),
        ("Código do produto: 8812", "8812"),
        ("Артикул: 778812", "778812"),
        ("Код товара: 991", "991"),
        ("Stok kodu: 30112", "30112"),
        ("商品番号：ABC123", "ABC123"),
        ("货号: 100234", "100234"),
    ],
)
def test_sku_labels_in_many_languages(label: str, sku: str) -> None:
    lines = "".join(f"<div>{line}</div>" for line in label.split("\n"))
    body = f"<h1>Kettle</h1><span class='price'>€10,00</span>{lines}"
    assert extract(visible_page(body)).sku == sku


def test_an_asin_beats_the_makers_article_number() -> None:
    body = (
        "<h1>Candy Waschmaschine</h1><span class='price'>399,00 €</span><table>"
        "<tr><th>Artikelnummer</th><td>31010360</td></tr><tr><th>ASIN</th><td>B08R3YHPK1</td></tr></table>"
    )
    assert extract(visible_page(body), "https://www.shop.example/dp/B08R3YHPK1").sku == "B08R3YHPK1"


@pytest.mark.parametrize("measurement", ["60W", "2.5mm", "512GB", "1kHz", "12V", "500ml"])
def test_a_measurement_after_ref_in_a_spec_sheet_is_no_sku(measurement: str) -> None:
    spec = f"<p>S/N Ratio: 110dB, ref. {measurement} @ 8</p>"
    body = f"<h1>Alesis M1Active</h1><span class='price'>€430,00</span>{spec}"
    assert extract(visible_page(body)).sku is None


def test_an_ean13_label_is_no_article_number() -> None:
    body = (
        "<h1>La légende de Darkseid</h1><span class='price'>22,50 €</span><p>EAN13 :</p><p>9782365775717</p>"
    )
    assert extract(visible_page(body)).sku is None


# -- availability ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "wording",
    [
        "Backorder",
        "On back order",
        "Back-Order",
        "BACKORDERED",
        "BACK-ORDER",
        "More on the Way",
        "In Stock Soon",
        "in stock soon",
        "Nicht lagernd",
        "NICHT LAGERND",
    ],
)
def test_each_spelling_of_a_backorder_is_found_in_the_raw_html(wording: str) -> None:
    assert normalise_availability(wording) is Availability.BACKORDER
    assert mentions_backorder(f"<p>{wording}</p>")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tükendi", Availability.OUT_OF_STOCK),
        ("Stokta yok", Availability.OUT_OF_STOCK),
        ("I lager", Availability.IN_STOCK),
        ("På lager", Availability.IN_STOCK),
        ("Ikke på lager", Availability.OUT_OF_STOCK),
        ("Slutsåld", Availability.OUT_OF_STOCK),
        ("Udsolgt", Availability.OUT_OF_STOCK),
        ("Varastossa", Availability.IN_STOCK),
        ("Loppuunmyyty", Availability.OUT_OF_STOCK),
        ("Skladem", Availability.IN_STOCK),
        ("Vyprodáno", Availability.OUT_OF_STOCK),
        ("Nincs készleten", Availability.OUT_OF_STOCK),
        ("Low in stock", Availability.LIMITED),
        ("Last items in stock", Availability.LIMITED),
        ("Almost sold out", Availability.LIMITED),
        ("Out-of-stock", Availability.OUT_OF_STOCK),
        ("Stokta", Availability.IN_STOCK),
        ("Temporarily out of stock.", Availability.OUT_OF_STOCK),
        ("Currently unavailable.", Availability.OUT_OF_STOCK),
        ("More on the Way", Availability.BACKORDER),
        ("In stock soon. Order now.", Availability.BACKORDER),
        ("Nicht lagernd, ab Bestellung versandfertig in 8 Tagen", Availability.BACKORDER),
        ("Only 2 left in stock (more on the way).", Availability.LIMITED),
        ("Usually ships within 24 hours", Availability.IN_STOCK),
        ("Usually dispatched within 48 hours", Availability.IN_STOCK),
        ("Derzeit nicht verfügbar", Availability.OUT_OF_STOCK),
        ("Sofort versandfertig", Availability.IN_STOCK),
        ("Indisponible", Availability.OUT_OF_STOCK),
        ("Sin stock", Availability.OUT_OF_STOCK),
        ("Non disponibile", Availability.OUT_OF_STOCK),
        ("Disponibile", Availability.IN_STOCK),
        ("Niet op voorraad", Availability.OUT_OF_STOCK),
        ("Niedostępny", Availability.OUT_OF_STOCK),
        ("Dostępny", Availability.IN_STOCK),
        ("Esgotado", Availability.OUT_OF_STOCK),
        ("Em estoque", Availability.IN_STOCK),
        ("Нет в наличии", Availability.OUT_OF_STOCK),
        ("В наличии", Availability.IN_STOCK),
        ("Немає в наявності", Availability.OUT_OF_STOCK),
        ("Нет в продаже", Availability.OUT_OF_STOCK),
        ("Немає в продажу", Availability.OUT_OF_STOCK),
        ("Є в наявності", Availability.IN_STOCK),
        ("在庫切れ", Availability.OUT_OF_STOCK),
        ("在庫あり", Availability.IN_STOCK),
        ("缺货", Availability.OUT_OF_STOCK),
        ("有货", Availability.IN_STOCK),
        ("Fuori produzione", Availability.DISCONTINUED),
        ("Предзаказ", Availability.PREORDER),
    ],
)
def test_shop_stock_phrases_in_many_languages(text: str, expected: Availability) -> None:
    assert normalise_availability(text) is expected


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Dostępność: Niedostępny", Availability.OUT_OF_STOCK),
        ("Наличие: В наличии", Availability.IN_STOCK),
        ("Beschikbaarheid: Op voorraad", Availability.IN_STOCK),
        ("Stok durumu: Tükendi", Availability.OUT_OF_STOCK),
    ],
)
def test_stock_labels_in_more_languages(label: str, expected: Availability) -> None:
    body = f"<h1>Kettle</h1><span class='price'>€10,00</span><p>{label}</p>"
    assert extract(visible_page(body)).availability is expected


def test_stock_wording_after_the_heading_in_other_languages() -> None:
    body = "<h1>Kettle</h1><span class='price'>€10,00</span><p>Tükendi</p><button>Sepete ekle</button>"
    assert extract(visible_page(body)).availability is Availability.OUT_OF_STOCK


# -- more: company names, formats in parentheses, MSRP, variant messages --------------------------
@pytest.mark.parametrize(
    ("raw", "brand"),
    [("Canon, Inc", "Canon"), ("Sony Corporation", "Sony"), ("Bosch GmbH", "Bosch"), ("Apple Inc.", "Apple")],
)
def test_a_brand_loses_its_companys_legal_form(raw: str, brand: str) -> None:
    assert extract(jsonld(product("Camera", brand=raw))).brand == brand


def test_a_company_name_is_cut_to_the_brand_the_title_starts_with() -> None:
    data = extract(jsonld(product("Casio Exilim EX-S200", brand="Casio Computer Co., Ltd.")))
    assert data.brand == "Casio"
    assert extract(jsonld(product("Tom Lamp", brand="Tom Dixon"))).brand == "Tom Dixon"  # no company name


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Shreveport Chronicles (Paperback)", "Shreveport Chronicles"),
        ("Season of Migration (Paperback) By (author) Tayeb Salih", "Season of Migration"),
        ("Fancy Nancy and the Babysitter [Paperback]", "Fancy Nancy and the Babysitter"),  # Amazon, 2010
        ("Thriller [Explicit]", "Thriller [Explicit]"),  # a label, not a print format
        ("Kettle (Blue)", "Kettle (Blue)"),
    ],
)
def test_a_format_in_parentheses_at_the_end_is_dropped(title: str, expected: str) -> None:
    assert clean_title(title, set()) == expected


def test_a_labelled_msrp_is_the_price_when_no_other_is_labelled() -> None:
    body = "<h1>2010 Subaru Forester</h1><dl><dt>Starting MSRP:</dt><dd>$ 26,495</dd></dl>"
    assert extract(visible_page(body)).price == Price(2649500, "USD")
    body = "<h1>Kettle</h1><p>MSRP: $60.00</p><p>Price: $49.99</p>"
    assert extract(visible_page(body)).price == Price(4999, "USD")


def test_a_message_about_the_variant_choice_is_not_the_products_stock() -> None:
    body = (
        "<h1>Shreveport Chronicles</h1><span class='price'>$11.02</span>"
        "<div id='availability-error'>Sorry, this selection is currently unavailable.</div>"
        "<div id='availability'>In Stock. Ships in 1 business day</div>"
    )
    assert extract(visible_page(body)).availability is Availability.IN_STOCK


def test_a_stock_block_of_labelled_values_is_read_by_its_label() -> None:
    body = (
        "<h1>Casio Exilim</h1><div class='stock'>Price: $162.99 Availability: 26 In Stock"
        " Quantity: Limited Exchanges</div><span class='price'>$162.99</span>"
    )
    assert extract(visible_page(body)).availability is Availability.IN_STOCK


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 Year Limited Warranty", None),
        ("Limited", Availability.LIMITED),
        ("Limited stock", Availability.LIMITED),
        ("In Stock. Usually ships in 1 business day", Availability.IN_STOCK),
        ("Ships in 3 weeks", Availability.BACKORDER),
    ],
)
def test_limited_and_ships_in_wording(text: str, expected: Availability | None) -> None:
    assert normalise_availability(text) is expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Sold out", Availability.OUT_OF_STOCK),
        ("Nicht mehr verfügbar", Availability.OUT_OF_STOCK),  # not the 'verfügbar' in it
        ("Nicht mehr erhältlich", Availability.DISCONTINUED),
        ("Only 2 left in stock (more on the way)", Availability.LIMITED),
        ("Almost sold out", Availability.LIMITED),
        ("Pre-order now", Availability.PREORDER),
        # words that say stock only where the page says it speaks of stock
        ("Limited Edition", None),
        ("This combination is not available", None),
        ("Discontinued styles", None),
        ("Free shipping on items in stock", None),
        # a line that is just 'In stock', or counts the stock, says it
        ("In stock", Availability.IN_STOCK),
        ("72 in stock", Availability.IN_STOCK),
        ("Usually ships within 24 hours", Availability.IN_STOCK),
        ("Usually ships in 2-3 weeks", None),
    ],
)
def test_unmistakable_stock_wording_in_a_line_of_free_text(line: str, expected: Availability | None) -> None:
    assert unmistakable_availability(line) is expected


def test_a_list_price_label_is_passed_over_for_the_price_label_after_it() -> None:
    body = "<h1>Cashflow Quadrant</h1><p>Retail Price:</p><p>$17.95</p><p>Online Price: $13.75</p>"
    assert extract(visible_page(body)).price == Price(1375, "USD")


def test_labels_with_direction_marks_around_the_colon() -> None:
    bullets = (
        "<ul><li><span>Hersteller \u200f : \u200e</span><span>Think!</span></li>"
        "<li><span>ASIN \u200f : \u200e</span><span>B08FSZSW2L</span></li></ul>"
    )
    body = f"<h1>THINK! Herren Boots</h1><button>In den Einkaufswagen</button>{bullets}"
    data = extract(visible_page(body), "https://www.shop.example/dp/B08FT9HBQC")
    assert (data.sku, data.brand) == ("B08FSZSW2L", "Think!")


@pytest.mark.parametrize(
    ("rows", "sku"),
    [
        ("<dt>eCOST Part #:</dt><dd>59231639</dd><dt>MFG Part #:</dt><dd>14-166-0068</dd>", "59231639"),
        ("<dt>MFG Part #:</dt><dd>14-166-0068</dd>", None),
        ("<dt>SKU \u200e(\u200econfig\u200e)\u200e</dt><dd>LD168EL1L44LONAFAMZ</dd>", "LD168EL1L44LONAFAMZ"),
    ],
)
def test_the_shops_part_number_but_not_the_makers(rows: str, sku: str | None) -> None:
    body = f"<h1>Battery</h1><span class='price'>$26.99</span><dl>{rows}</dl>"
    assert extract(visible_page(body)).sku == sku


@pytest.mark.parametrize(
    ("name", "h1", "title"),
    [
        ("AFC Cable Systems 1/2 x 25 ft. Conduit", "1/2 x 25 ft. Conduit", "1/2 x 25 ft. Conduit"),
        ("Tiffany Novo® Diamond Ring", "Diamond Ring", "Diamond Ring"),
        ("iFixit Pro Tech® Toolkit: Computer, Phone Repair Kit", "Pro Tech Toolkit", "Pro Tech Toolkit"),
        ("Nike Club Training Bag", "Nike Club", "Nike Club Training Bag"),  # its start: a part
        ("Acme Steel Kettle Deluxe", "Steel Kettle", "Acme Steel Kettle Deluxe"),  # words after it: a part
        ("Acme Steel Kettle", "Kettle", "Acme Steel Kettle"),  # one word: a category
    ],
)
def test_the_h1_without_the_words_before_the_structured_name_is_the_title(
    name: str, h1: str, title: str
) -> None:
    assert extract(jsonld(product(name), body=f"<main><h1>{h1}</h1></main>")).title == title


def test_the_h1_without_the_structured_names_variant_suffix_is_the_title() -> None:
    body = "<main><h1><span>JAAMES TURNTABLES - T-Shirt print</span></h1></main>"
    data = extract(
        jsonld(product("JAAMES TURNTABLES - T-Shirt print - acid black", brand="ARMEDANGELS"), body=body)
    )
    assert data.title == "JAAMES TURNTABLES - T-Shirt print"


def test_without_a_product_h1_the_element_naming_the_product_cuts_an_og_titles_suffix() -> None:
    # No <h1> but one in a script's template; the name is a labelled element (twice: desktop, mobile).
    head = (
        '<meta property="og:type" content="product">'
        '<meta property="og:title" content="Eye Webbing Key Ring - Black - Accessories">'
        '<meta property="product:price:amount" content="10.00">'
        '<meta property="product:price:currency" content="EUR">'
    )
    name = "<label class='product-name'>Eye Webbing Key Ring</label>"
    template = "<script type='text/x-template'><h1>Accessories</h1></script>"
    body = f"{template}<form class='product-details'>{name}{name}</form>"
    page = f"<html><head>{head}</head><body>{body}</body></html>"
    assert extract(page).title == "Eye Webbing Key Ring"
    with_h1 = page.replace("<form", "<h1>Eye Webbing Key Ring - Black</h1><form")
    assert extract(with_h1).title == "Eye Webbing Key Ring - Black"  # the product's <h1> decides


@pytest.mark.parametrize(
    "h1",
    [
        "<h1>Kettle</h1>",  # one word: a brand or a category, not the name shown
        "<h1 class='logo'>Steel Kettle</h1>",  # the shop's logo
        "<h1>Steel Kettles</h1>",  # not cut at a separator
    ],
)
def test_an_h1_that_is_not_the_name_cut_at_a_separator_leaves_the_name(h1: str) -> None:
    data = extract(
        jsonld(product("Steel Kettle - 1.7 l"), body=f"<header>{h1}</header>" if "logo" in h1 else h1)
    )
    assert data.title == "Steel Kettle - 1.7 l"


@pytest.mark.parametrize(
    ("brand", "heading", "expected"),
    [
        ("General Electric Company", "GE E1480W Camera", "GE"),
        ("Hewlett-Packard", "HP Envy 13 Laptop", "HP"),
        ("Fuji Photo Film", "Fujifilm FinePix Z70", "Fujifilm"),
        ("Tom Dixon", "Copper Shade", "Tom Dixon"),
        ("Tom Dixon", "Tomato Copper Shade", "Tom Dixon"),
        ("Sony", "SONY Alpha 7", "Sony"),
        ("Fuji Photo Film", "Fuji X100 camera", "Fuji Photo Film"),  # the first word alone: no company
    ],
)
def test_a_brand_of_several_words_as_the_title_shortens_it(brand: str, heading: str, expected: str) -> None:
    body = f"<h1>{heading}</h1><span class='price'>$99.00</span><p>Brand: {brand}</p>"
    assert extract(visible_page(body)).brand == expected


def test_a_labelled_sku_extending_the_structured_one_is_the_shops() -> None:
    ld = json.dumps(
        {"@context": "https://schema.org", "@type": "Product", "name": "Backofen", "sku": "64649515"}
    )
    html = (
        f"<html><head><script type='application/ld+json'>{ld}</script></head><body><h1>Backofen</h1>"
        "<div>Artikel-Nr. <span>6464951586</span></div></body></html>"
    )
    assert extract(html).sku == "6464951586"


@pytest.mark.parametrize(
    "shown",
    [
        "<div>Artikel-Nr. <span>64649515</span></div>",  # the same
        "<div>Artikel-Nr. <span>99887766</span></div><p>Ref. 64649515</p>",  # another, but it is shown
        "<div><a href='/p/646495159999'>Zubehör</a></div>",  # runs on, but unlabelled
    ],
)
def test_a_structured_sku_stays_unless_a_label_extends_it(shown: str) -> None:
    ld = json.dumps(
        {"@context": "https://schema.org", "@type": "Product", "name": "Backofen", "sku": "64649515"}
    )
    html = (
        f"<html><head><script type='application/ld+json'>{ld}</script></head><body><h1>Backofen</h1>"
        f"{shown}</body></html>"
    )
    assert extract(html).sku == "64649515"


# -- the shop's name with more words after it (issue #18) ------------------------------------------
@pytest.mark.parametrize(
    "title",
    [
        "Steel Kettle | Acme Outlet UK",
        "Steel Kettle – Acme Outlet Online Shop",
        "Steel Kettle - Acme Outlet Official Store",
        "Acme Outlet Online: Steel Kettle",
    ],
)
def test_the_shops_name_with_a_country_or_shop_words_goes(title: str) -> None:
    assert clean_title(title, site_names({}, "https://www.acme-outlet.com/p/1")) == "Steel Kettle"


@pytest.mark.parametrize(
    "title",
    [
        "Steel Kettle - Acme Outlet Exclusive",  # more than shop words after the name
        "Steel Kettle - Acmeo",  # another name that starts alike
    ],
)
def test_a_title_part_that_only_starts_like_the_shop_stays(title: str) -> None:
    assert clean_title(title, site_names({}, "https://www.acme-outlet.com/p/1")) == title


def test_the_shops_name_written_with_accents_its_domain_cannot_hold_goes() -> None:
    names = site_names({}, "https://www.chasexy.com.br/p/1")
    assert clean_title("Calcinha com bolso - Chá Sexy Shop", names) == "Calcinha com bolso"
    accented = site_names({"og:site_name": "Chá Sexy"}, "https://www.example.com.br/p/1")
    assert clean_title("Calcinha com bolso - Chá Sexy Shop", accented) == "Calcinha com bolso"


def test_a_short_shop_name_needs_the_whole_part() -> None:
    names = site_names({}, "https://www.hm.com/p/1")
    assert clean_title("Cotton Shirt - HM Store", names) == "Cotton Shirt - HM Store"
    assert clean_title("Cotton Shirt - HM", names) == "Cotton Shirt"


def test_an_og_title_with_the_shops_name_and_more_gives_way() -> None:
    head = (
        '<meta property="og:type" content="product">'
        '<meta property="og:title" content="Steel Kettle | Shop Example UK">'
        '<meta property="product:price:amount" content="5">'
        '<meta property="product:price:currency" content="GBP">'
    )
    assert (
        extract(f"<html><head>{head}</head></html>", "https://shopexample.co.uk/p/1").title == "Steel Kettle"
    )


def test_a_product_id_stands_for_a_sku_the_page_does_not_show() -> None:
    html = jsonld(product("Moshult Mattress", productID="003.025.02"))
    data = extract(html)
    assert (data.sku, data.product_id) == ("003.025.02", "003.025.02")


@pytest.mark.parametrize(
    ("title", "brand"),
    [
        ("LEGO® Creator Seaside House 7346", "LEGO"),
        ("Nespresso ® by Breville VertuoLine", "Nespresso"),
        ("Royal Canin™ Mini Adult", "Royal Canin"),
        ("PlayStation®5 Console", None),  # the mark is inside the product's name
        ("Sid Meier's Civilization® V", None),  # three words: a franchise's name, not the maker's
        ("Steel Kettle®", None),  # a mark at the end names no brand before a product
    ],
)
def test_the_words_under_a_trademark_at_a_title_s_start_are_the_brand(title: str, brand: str | None) -> None:
    assert extract(jsonld(product(title))).brand == brand


def test_a_named_brand_beats_a_trademarked_title_start() -> None:
    assert extract(jsonld(product("LEGO® Star Wars Death Star", brand="Disney"))).brand == "Disney"


@pytest.mark.parametrize(
    "label", ["Herst.Art.Nr.: 90IX-B3", "Hersteller-Artikelnummer: 90IX-B3", "Hersteller Art.-Nr. 90IX-B3"]
)
def test_the_maker_s_article_number_is_no_sku(label: str) -> None:
    body = f"<h1>NAS AS6210T</h1><span class='price'>920,29 €</span><p>{label}</p>"
    assert extract(visible_page(body)).sku is None


def _meta_sku_page(shown: str) -> str:
    return (
        '<html><body><div itemscope itemtype="https://schema.org/Product"><h1 itemprop="name">Printer</h1>'
        '<meta itemprop="sku" content="5301079"><div itemprop="offers" itemscope '
        'itemtype="https://schema.org/Offer"><meta itemprop="price" content="199">'
        f'<meta itemprop="priceCurrency" content="USD"></div>{shown}</div></body></html>'
    )


@pytest.mark.parametrize(
    ("shown", "sku"),
    [
        ("<p>Item#: 40528810 | Model#: 35SC060</p>", "40528810"),  # the structured SKU is never shown
        ("<p>Item#: 40528810</p><p>Ref. <b>5301079</b></p>", "5301079"),  # shown: it stays
        (
            "<p>Item#: 40528810</p><dl><dt>Ref.</dt><dd>\n    5301079\n  </dd></dl>",
            "5301079",
        ),  # shown, spaced
        ("<p>Ships in 2 days</p>", "5301079"),  # no label: it stays
    ],
)
def test_a_structured_sku_the_page_never_shows_gives_way_to_the_labelled_one(shown: str, sku: str) -> None:
    assert extract(_meta_sku_page(shown)).sku == sku


@pytest.mark.parametrize(
    ("brand", "sku"),
    [
        ("INNO3D", "9520706"),  # the shop labels the maker's part number: the structured SKU stays
        ("Multicom", "N1030-1SDV-E5BL"),  # its own label: its part number is its item number
        ("Multicóm", "N1030-1SDV-E5BL"),  # the shop's name with an accent its domain cannot hold
    ],
)
def test_a_labelled_maker_part_number_is_no_sku_unless_the_shop_makes_it(brand: str, sku: str) -> None:
    product = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": "GeForce GT 1030 0dB",
        "sku": "9520706",
        "mpn": "N1030-1SDV-E5BL",
        "brand": {"@type": "Brand", "name": brand},
        "offers": {"@type": "Offer", "price": "1152.00", "priceCurrency": "NOK"},
    }
    html = (
        f'<html><head><script type="application/ld+json">{json.dumps(product)}</script></head><body>'
        "<h1>GeForce GT 1030 0dB</h1><p>Varenummer: N1030-1SDV-E5BL</p></body></html>"
    )
    assert extract(html, "https://www.multicom.no/p9520706").sku == sku
