"""Visible-markup fallbacks: title, price, availability, SKU and brand as a shopper sees them.

The last source Extractor.product consults, for fields no profile or structured data filled:
many shops publish no JSON-LD, microdata or product meta tags, yet every product page shows a
heading, a price near it, stock wording and labelled values ("SKU: ...", "Marke: ...").

A page yields nothing here unless it looks like one product: it declares one (og:type product,
a schema.org Product), shows one unambiguous price near its heading, or shows no price but a
heading with a shop's signs of one product (a labelled SKU, exactly one add-to-cart button: a
sold-out page often hides its price). A category page shows many prices equally near its
heading (and many buttons), so it stays what it is: no product (None).

The heading is the product's <h1>; on a page without one (older shops), the first <h2> the
page's <title> repeats (_subheading); with neither, the one element whose class or id calls it
the product's name or title (_name_element).

"Near": the number of steps from the chosen <h1> up to the lowest ancestor it shares with an
element. The product's own price shares a low ancestor with its <h1>; related-product tiles and
the mini-cart share only <main> or <body> with it. Among equally near prices a sale or current
price beats a plain one, which beats a regular/list price; crossed-out prices (<del>, <s>,
.old-price, .was-price, .price--compare...) and savings, shipping or instalment amounts never count.
A page known to show one product whose price element names itself nothing ('<strong>22,50
€</strong>') takes the first bare amount with its currency after the heading (_price_line).

Labels ("SKU:", "Art.-Nr.", "Brand:", "Availability:", "Price:") are read from the visible text:
a copy of the tree without scripts and styles, one text node a line. A site profile's
sku_from_url (profiles.toml) gives the SKU from the page's URL.

Bounded for hostile pages: at most MAX_CANDIDATES elements of each kind are looked at, each
walks up at most MAX_WALK ancestors, the text of at most MAX_TEXTS price elements is read, and
each label regex makes one pass over the visible text; so the work is linear in the page
(tests/unit/test_extract_visible.py times pages of 2 MB built to be slow).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache, partial
from itertools import takewhile
from typing import TYPE_CHECKING, TypeVar

from selectolax.lexbor import LexborHTMLParser, LexborNode

from consumers.extract.availability import (
    Availability,
    normalise_availability,
    stated_availability,
    unmistakable_availability,
)
from consumers.extract.page import Page
from consumers.extract.price import ISO_CODES, Price, parse_price_or_none
from consumers.extract.schemaorg import of_type
from consumers.extract.titles import WORD_BREAK, clean_title, normalised, site_names
from consumers.extract.values import (
    BRAND_LABEL_WORDS,
    BRAND_WORDS_PATTERN,
    NO_BRAND,
    clean_text,
    is_hidden,
    node_text,
    shown_text,
    without_brand_label,
)

if TYPE_CHECKING:
    from consumers.extract.profiles import SiteProfile

MAX_CANDIDATES = 100  # elements of one kind (price, stock, button, brand, heading) looked at
MAX_WALK = 48  # ancestors walked up from one element
MAX_TEXTS = 30  # price elements whose text is read (nested containers each hold all the text inside)
MAX_PRICE_BLOCKS = 4  # separate prices equally near the heading; more is a listing, not a product
_MAX_PRICE_CHARS = 120  # longer text holds more than a price
_MAX_PRICE_WORDS = 12
_MAX_PRICE_PARTS = 12  # elements inside a price element looked at for list-price marks
_MAX_TITLE_CHARS = 300
_MAX_H1 = 5  # <h1> elements compared with a structured name
# Inner elements that set a brand apart from the name in a heading: a link, or a line of its own
# (a <span> or <strong> runs on into the name: "<strong>BenQ</strong> BL3290QT" shows one name).
_BRAND_LINE_TAGS = frozenset({"a", "div", "p"})
_BYLINE = re.compile(r"by\s", re.IGNORECASE)  # 'by Jerry Spinelli'
_MIN_STYLE_CODE = 5  # characters of a style number ('YLS0030'); shorter is a size or a count
_MIN_ECHO_CHARS = 3  # words of a heading the page title must repeat: not 'of', '7', 'x'
_MAX_H2 = 10  # <h2> elements looked at on a page without a product <h1>
_MAX_VALUE_CHARS = 80  # brand or SKU
_PRICE_LINES = 60  # lines of page text after the heading searched for a bare price ('22,50 €')
_PRICE_LINE_CHARS = 24
_PRICE_LINE_LETTERS = 3  # a currency's code or sign in letters ('EUR', 'zł', 'kr'), nothing more
_FAR = 1_000_000  # distance of an element that shares no ancestor with the heading within reach

_PRICE_WORDS = (
    "price",
    "preis",
    "prix",
    "precio",
    "prezzo",
    "prijs",
    "cena",
    "цена",
    "fiyat",
    "hinta",
    "money",
)
_PRICE_CSS = ", ".join(
    ["[itemprop=price]", *(f"[{attr}*={word} i]" for word in _PRICE_WORDS for attr in ("class", "id"))]
)
_STOCK_CSS = ", ".join(
    f"[{attr}*={word} i]"
    for word in ("stock", "availab", "inventory", "lieferbar")
    for attr in ("class", "id")
)
_VARIANT_SELECT_CSS = ", ".join(
    f"select[{attr}*={word} i]"
    for word in ("variation", "variant", "size", "colo", "option", "attribute", "groesse", "taille")
    for attr in ("name", "id", "class")
)
_BADGE_CSS = "[class*=sold-out i], [class*=soldout i], [class*=out-of-stock i], [class*=outofstock i]"
_BRAND_CSS = ", ".join(
    [
        "[itemprop=brand]",
        *(
            f"[{attr}*={word} i]"
            for word in ("brand", "vendor", "manufacturer", "byline")
            for attr in ("class", "id")
        ),
    ]
)
_SKU_CSS = ", ".join(
    ["[itemprop=sku]", "[class*=sku i]", "[id*=sku i]"]
    + [f"[class*={word} i]" for word in ("itemno", "item-no", "item-number", "itemnumber", "product-code")]
)
_PRODUCT_TYPES = frozenset({"product", "og:product", "product.item", "product.group"})

# Price tiers, best first. Words are matched against the class/id tokens of the element and of
# its ancestors below the one it shares with the heading; the nearest word decides.
_SALE, _PLAIN, _REGULAR, _EXCLUDED = range(4)
_TIER_WORDS = {
    _SALE: {
        *("sale", "special", "current", "now", "final", "offer", "promo", "reduced", "deal", "actual"),
        *("our", "ours", "discount", "discounted", "online"),  # "Online Price": what the web shop charges
    },
    _REGULAR: {
        *("regular", "list", "original", "rrp", "uvp", "msrp", "unit", "base", "per", "reference"),
        *("competitor", "competitors", "excluding", "excl", "exkl", "zzgl", "net", "netto"),
    },
    _EXCLUDED: {
        *("old", "was", "compare", "strike", "strikethrough", "crossed", "before", "previous", "pseudo"),
        *("save", "saving", "savings", "shipping", "delivery", "installment", "instalment"),
        *("monthly", "total", "subtotal", "minicart", "filter", "range", "slider"),
        *("club", "member", "members", "membership"),  # members-only prices
    },
}
# A plain price block whose text starts with one of these words is the selling price ('Now $52.00').
_SALE_WORD = re.compile(
    r"\s*(?:now|sale|jetzt|nu|maintenant|ahora|ora|teraz|agora|şimdi|сейчас)\b", re.IGNORECASE
)
_TIER_TAGS = {"del": _EXCLUDED, "s": _EXCLUDED, "strike": _EXCLUDED, "ins": _SALE}
# Elements never shown (a script's JSON is no label), and site chrome (mini-cart totals, menus).
_NOT_TEXT_TAGS = frozenset({"script", "style", "template", "noscript"})
_UNSEEN_TAGS = _NOT_TEXT_TAGS | {"header", "nav", "footer", "select"}
_CROSSED_CSS = "del, s, strike"

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z0-9])")  # 'productTitle' -> 'product Title', 'title1' -> 'title 1'
_NOT_WORD = re.compile(r"[\W_]+")
# A class naming the brand itself ('brand', 'product-brand', 'pdp__brand', 'brand-name', 'product__vendor',
# Amazon's 'bylineInfo'), not a block that merely mentions it ('brand-and-payment-column', 'brand-logo').
_BRAND_CLASS = re.compile(
    r"^(?:[\w-]*[-_])?(?:brand|vendor|manufacturer|marke|marque|byline)(?:[-_]*(?:name|info|link|title))?$",
    re.IGNORECASE,
)
_NOT_BRAND_TOKENS = frozenset(
    {"logo", "nav", "navbar", "site", "header", "footer", "menu", "filter", "list", "brands", "image", "img"}
    | {"review", "reviews", "comment", "comments", "author", "rating", "share", "social"}
    # CSS utilities in the theme's brand colour ('btn btn-brand', 'text-brand', 'bg-brand')
    | {"btn", "button", "text", "bg", "border", "color", "colour"}
)
_LOGO = re.compile(r"logo|masthead|navbar|site[-_]?(?:title|name|brand)", re.IGNORECASE)
_TITLE_TOKENS = frozenset({"title", "name", "producttitle", "productname"})
_NAMED_TOKENS = frozenset(
    {"producttitle", "productname", "itemtitle", "itemname", "artname", "artikelname", "produktname"}
)
_NAME_CSS = "[class*=name i], [class*=title i], [id*=name i], [id*=title i]"
_NAME_TAGS = frozenset({"div", "span", "p", "strong", "b", "h2", "h3", "h4", "h5", "h6", "td", "font"})
_ASIDE_TOKENS = frozenset(
    {"recs", "recommendation", "recommendations", "related", "similar", "carousel"}
    | {"modal", "popover", "dialog"}
    | {"breadcrumb", "breadcrumbs"}  # '<h1>Monitors</h1>' as the breadcrumbs' last step
)
_PRODUCT_TOKENS = frozenset({"product", "pdp", "item", "artikel", "produkt", "produit", "producto"})

# 'Add to cart' in the shop languages (the button's label, name, class or id).
_ADD_TO_CART = (
    r"add[\s_-]?(?:\w+[\s_-]){0,2}to[\s_-]?(?:\w+[\s_-])?(?:cart|bag|basket|trolley)|addtocart"
    r"|in den (?:warenkorb|einkaufswagen|korb)|ajouter au panier|añadir al carrito|agregar al carrito"
    r"|aggiungi al carrello|in winkelwagen|do koszyka|sepete ekle|adicionar ao carrinho"
    r"|adicionar à sacola|в корзину|у кошик|カートに(?:入れる|追加)|購入する|加入购物车|加入購物車"  # noqa: RUF001
    r"|lägg i (?:varukorg|kundvagn)|læg i kurv|legg i handlekurv|lisää ostoskoriin|do košíku|kosárba"
)
# Out-of-stock sign-ups: 'Notify me', 'Email me when available', 'Benachrichtigen', 'Avvisami'.
_NOTIFY_ME = (
    r"notify me|e-?mail me when (?:(?:it'?s|this is) )?(?:available|in stock|back)|join the wait ?list"
    r"|benachrichtig|m'avertir|me prévenir|prévenez-moi|avísame|avvisami|powiadom|houd me op de hoogte"
    r"|avise-me|сообщить о поступлении"  # noqa: RUF001
)
_CART = re.compile(
    rf"{_ADD_TO_CART}|warenkorb|buy[\s_-]?now|kaufen|acheter|comprar|koupit|kúpiť|купить|kup teraz"
    rf"|购买|sold[\s_-]?out|pre-?order|{_NOTIFY_ME}",
    re.IGNORECASE,
)
# An add-to-cart link (not a mere 'Warenkorb' or 'Cart (0)' link to the cart).
_CART_LINK = re.compile(_ADD_TO_CART, re.IGNORECASE)
# A link labelled 'Add To Cart' that opens a back-in-stock sign-up: the product is out of stock.
_SIGN_UP_HREF = re.compile(r"back[\s_-]?in[\s_-]?stock|notify", re.IGNORECASE)
_CART_LINK_STEPS = 4  # steps up from the heading to the block an add-to-cart link shares with it
_LABEL_WINDOW = 60_000  # characters of visible text searched for labels
_LABEL_REACH = 300  # characters a label and its value span at most
_SHOP_NAME_CHARS = 40  # characters before a '#' looked at for the shop's name ('PCNation #')
_STOCK_LINES = 40  # non-blank lines of page text after the heading searched for stock wording
_STOCK_LINE_CHARS = 60
_IN_STOCK_CHARS = 40  # "In stock" is said briefly; longer text merely saying "available" is not it
# Messages about the shopper's choice of size, colour or other variant, or about a missing
# picture ('Bild nicht verfügbar'), not the product's stock.
_VARIANT_MESSAGE = re.compile(
    r"\b(?:this|that|the|your|selected)\s+(?:selection|combination|variant|size|colou?r|option)\b"
    r"|diese (?:auswahl|kombination|variante|größe)|cette (?:combinaison|taille|sélection)"
    r"|\b(?:image|picture|photo|bild|abbildung|foto|imagen|immagine)s?\b",
    re.IGNORECASE,
)
_NOTIFY = re.compile(_NOTIFY_ME, re.IGNORECASE)


def _label(words: str, value: str) -> re.Pattern[str]:
    """A label (one of `words`, standing alone) and its value (group 1 of `value`) in page text."""
    return re.compile(rf"(?<![^\W\d_])(?:{words})(?![^\W\d_]){value}", re.IGNORECASE)


# Between a label and its value: spaces, line breaks, a colon, and the direction marks some shops
# put around it ('ASIN \u200f : \u200e B08...').
_LABEL_SEPARATOR = r"[\s\u200e\u200f]*[:#\uff1a]?[\s\u200e\u200f]*"
_SKU_LABEL = _label(
    r"SKU(?:[\s\u200e\u200f]*\([\u200e\u200f]*(?:config|simple)[\u200e\u200f]*\))?"
    r"|(?<!mfg )(?<!mfr )(?<!oem )(?<!manufacturer )Part\s?(?:#|No\.?|number)"
    # The maker's article number ('Herst.Art.Nr.', 'Hersteller-Artikelnummer') is an MPN, not the shop's.
    r"|(?<!herst\.)(?<!herst\. )(?<!hersteller-)(?<!hersteller )"
    r"(?:Art(?:ikel)?\.?\s?-?\s?Nr\.?|Artikelnummer)"
    r"|Artikelcode"
    r"|Best(?:ell)?\.?\s?-?\s?Nr\.?|Bestellnummer|(?:Item|Product|Article)\s?(?:#|No\.?|number|code|ID)"
    r"|Productcode|Ürün\s?(?:kodu|no)|Stok\s?kodu|Code\s?article|Réf(?:érence)?\.?|Référence"
    r"|Ref\.?\s?(?:#|No\.)|Ref(?:erencia|erência)?\.|Referencia|Referência"
    r"|Código(?:\s?(?:d[oe]l?\s?)?(?:produto|producto|artículo|artigo))?"
    r"|Cod(?:ice)?\.?\s?(?:articolo|prodotto)|Kod\s?(?:produktu|towaru)|Nr\s?katalogowy|Numer\s?katalogowy"
    r"|Артикул|Код\s?(?:товара|товару)|商品番号|品番|货号|商品编号|商品編號"
    r"|Catalog\s?(?:#|No\.?|number)|Style\s?(?:#|No\.?|number|code)"
    r"|Stock\s?(?:code|no\.?|number)|Produktnummer|Produkt-?Nr\.?|Varenummer|Varenr\.?|Varunummer"
    r"|Artikkelnummer|Tuotenumero|Tuotekoodi|Kód\s?(?:produktu|zboží|tovaru)|Cikkszám|Termékkód",
    _LABEL_SEPARATOR + r"([A-Za-z0-9][A-Za-z0-9._/-]{0,63})",
)
# 'Code:' or 'Item:' alone, with its colon: not a promo, voucher, postal or colour code. The weakest
# label: its value must hold a digit ('Free shipping on $75. Code: SHIPMAGIC' is a promotion).
_BARE_CODE_LABEL = _label(
    r"(?<!promo )(?<!zip )(?<!postal )(?<!post )(?<!discount )(?<!voucher )(?<!coupon )(?<!gift )"
    r"(?<!country )(?<!area )(?<!security )(?<!access )(?<!tracking )(?<!color )(?<!colour )(?<!offer )"
    r"(?:Code|Код|Item)(?=[\s\u200e\u200f]*[:#\uff1a])",
    _LABEL_SEPARATOR + r"([A-Za-z0-9][A-Za-z0-9._/-]{0,63})",
)
# 'Style' alone ('Style: BA5208-010', 'Style YLS0030'): a fashion shop's item number when its value
# is a code with a digit, not a word ('Style: Casual') or a count.
_STYLE_LABEL = _label(r"Style", _LABEL_SEPARATOR + r"([A-Za-z0-9][A-Za-z0-9._/-]{0,63})")
# 'Item' and a code of four characters or more with a digit, without a colon ('Item 3928',
# 'Item E-2-474-3D'): the weakest label, after every other ('Item 1 of 5' is no code).
_ITEM_LABEL = _label(r"Item", r"[ \t]+([A-Za-z0-9][A-Za-z0-9._/-]{3,63})(?![^\s.,;])")
# The value after a '#' label: 'PCNation #: 3C402P'.
_NUMBER_AFTER_MARK = re.compile(r"[ \t]*:?\s*([A-Za-z0-9][A-Za-z0-9._/-]{0,63})")
# A marketplace's own item number beats the other labels: there 'Artikelnummer' is the maker's.
_ASIN_LABEL = _label(r"ASIN", _LABEL_SEPARATOR + r"(B0[A-Z0-9]{8}|[0-9]{9}[0-9X])")
# Books: a labelled ISBN or EAN tells a product page (it is no SKU: a GTIN, not the shop's number).
_CODE_LABEL = _label(r"ISBN(?:-?1[03])?|EAN(?:-?13)?", r"\s*:?\s*([0-9][0-9-]{7,20}[0-9Xx])")
# A list price's label ('Retail Price:', 'List Price:', 'Was:') is no price label: the sale price follows.
_PRICE_LABEL = _label(
    r"(?<!retail )(?<!list )(?<!regular )(?<!original )(?<!compare at )(?<!type )"
    r"(?:(?:our|your|sale|special|online)\s+)?(?:price|preis|prix|precio|prezzo|prijs|cena|цена|fiyat)",
    r"[ \t\u00a0]*(?::|\n)\s*([^\n]{1,40})",
)
# The maker's suggested price: the last resort, when the page labels no price of its own.
_MSRP_LABEL = _label(
    r"(?:starting\s+)?(?:MSRP|RRP|UVP|base\s+MSRP|manufacturer'?s suggested retail price)",
    r"[ \t\u00a0]*(?::|\n)\s*([^\n]{1,40})",
)
_BRAND_LABEL = _label(
    BRAND_WORDS_PATTERN,
    r"[ \t\u00a0\u200e\u200f]*(?:\n[\s\u200e\u200f]*)?[:\uff1a][\s\u200e\u200f]*([^\n]{1,80})",
)
_STOCK_LABEL = _label(
    r"Availability|Stock|Verfügbarkeit|Lieferstatus|Lagerstatus|Disponibilité|Disponibilidad|Disponibilità"
    r"|Disponibilidade|Beschikbaarheid|Dostępność|Dostupnost|Dostupnosť|Наличие|Наявність|Stok durumu"
    r"|Tillgänglighet|Saatavuus|Elérhetőség|Disponibilitate|在庫|库存",
    r"[ \t\u00a0]*:\s*([^\n]{1,60})",
)
# A spec table's brand (or maker) row: the label alone in its cell (th, td or dt), the value in the
# next cell.
_BRAND_ROW_LABELS = frozenset(normalised(word) for word in BRAND_LABEL_WORDS)
_CELL_TAGS = frozenset({"td", "dd", "th"})
_BOLD_TAGS = frozenset({"b", "strong"})
# Links into a shop's brand pages: '/brands/<name>', '/marken/<name>', '/manufacturer/<name>' (the
# words once, a plural ending allowed).
_BRAND_WORDS = ("brand", "marke", "marque", "marca", "merk", "hersteller", "manufacturer")
_BRAND_LINK_CSS = ", ".join(f"a[href*={word} i]" for word in _BRAND_WORDS)
_BRAND_PATH = re.compile(rf"/(?:{'|'.join(_BRAND_WORDS)})(?:s|n|en)?/[^/?#]+", re.IGNORECASE)
_MAX_BRAND_WORDS = 4
_MIN_LETTER_CODE = 4  # letters of a SKU without digits ('PHLR')
_NO_CODE = frozenset({"NONE", "NULL", "TBD", "TBA", "SIZE", "COLOR", "COLOUR", "FREE", "SALE", "NEW"})
_SIBLINGS_LOOKED_AT = 2  # on each side, to tell one of a list
_CHROME_TOKENS = frozenset({"menu", "nav", "navbar", "navigation", "header", "footer", "megamenu"})
_NOT_BRAND_WORDS = frozenset(
    {"all", "more", "see", "shop", "view", "visit", "brands", "alle", "mehr", "marken", "voir", "tous"}
    | {"todos", "ver", "marcas", "marques", "tutti"}
)
# Car makes, for a vehicle title that starts with its model year ('2010 Maybach 57 S').
_CAR_MAKES = {
    normalised(make): make
    for make in (
        *("Acura", "Alfa Romeo", "Aston Martin", "Audi", "Bentley", "BMW", "Bugatti", "Buick", "BYD"),
        *("Cadillac", "Chevrolet", "Chrysler", "Citroën", "Cupra", "Dacia", "Daewoo", "Daihatsu", "Dodge"),
        *("Ferrari", "Fiat", "Fisker", "Ford", "Genesis", "GMC", "Honda", "Hummer", "Hyundai", "Infiniti"),
        *(
            "Isuzu",
            "Jaguar",
            "Jeep",
            "Kia",
            "Lada",
            "Lamborghini",
            "Lancia",
            "Land Rover",
            "Lexus",
            "Lincoln",
        ),
        *("Lotus", "Lucid", "Maserati", "Maybach", "Mazda", "McLaren", "Mercedes-Benz", "Mercury", "MINI"),
        *("Mitsubishi", "Nissan", "Oldsmobile", "Opel", "Peugeot", "Plymouth", "Polestar", "Pontiac"),
        *("Porsche", "RAM", "Renault", "Rivian", "Rolls-Royce", "Saab", "Saturn", "Scion", "SEAT", "Škoda"),
        *("Smart", "Subaru", "Suzuki", "Tesla", "Toyota", "Vauxhall", "Volkswagen", "Volvo"),
    )
}
_CAR_TITLE = re.compile(
    r"(?:New |Used |Certified )?(?:19[5-9]\d|20[0-4]\d)\s+("
    + "|".join(re.escape(make) for make in sorted(_CAR_MAKES.values(), key=len, reverse=True))
    + r")(?![\w-])",
    re.IGNORECASE,
)
# Bylines of books and social buttons caught by a .byline or .brand element: no brand.
_NOT_A_BRAND = re.compile(
    r"\((?:author|autor|auteur|autore|editor|illustrator|translator|narrator|photographer|contributor"
    r"|foreword|introduction|herausgeber|übersetzer|fotograf)\)"
    r"|\b(?:facebook|twitter|pinterest|instagram|whatsapp)\b",
    re.IGNORECASE,
)
_TRAILING_NUMBER = re.compile(r"\s+[0-9]{5,}$")  # 'NEC Display 60005830': the maker's article number after it
_NOT_IN_NAMES = re.compile(r'[{}<>"\[\]\\]')  # markup, JSON or a template caught by a label, not a name
_T = TypeVar("_T")


def visible_fields(page: Page, profile: SiteProfile | None = None) -> dict[str, object]:
    """Title, price, availability, SKU and brand from the visible page, or {} for a non-product.

    A page without a price still shows a product when its <h1> comes with a shop's signs of one:
    an add-to-cart button or a labelled SKU (a sold-out page often hides its price). A listing
    (many prices alike near the heading) never does."""
    tree = page.tree
    tags = page.meta_tags
    heading = _heading(tree, page.site_names)
    named = None
    unechoed = heading is not None and not _echoed(node_text(heading), tree, tags)
    if heading is None or unechoed:
        # No <h1>, or one the page's title does not repeat ('Free shipping above $35'): an <h2> it does
        sub, named = _subheading(tree, tags, page.site_names)
        heading = sub or heading
        unechoed = unechoed and sub is None
    if heading is None:
        heading = _name_element(tree, page.site_names)
    chain = _ancestor_steps(heading)
    page_text = _page_text(tree)
    after = max(page_text.find(_text_lines(heading)), 0) if heading is not None else 0
    hints = _price_hints(page, profile)
    price, listing = _visible_price(tree, chain, hints, page_text, after)
    button = _cart_button(tree, chain)
    sku = None
    if price is None and not _declares_product(page, tags):
        if heading is None or _heading_context(heading) not in ("", "product"):
            return {}
        sku = _sku(tree, chain, page_text, after, page.url, profile)
        code = sku or _labelled(_CODE_LABEL, page_text, after, str)  # an ISBN tells a product, too
        # Near a listing's prices (or recommendation tiles), only a single labelled SKU tells one product.
        single = code is not None and not _labelled_twice(page_text)
        if not (single or (not listing and (code is not None or _one_cart_button(tree, chain)))):
            return {}
    if price is None and not listing and heading is not None:
        price = _price_line(tree, page_text, after, hints)
    title = named or _title(tree, tags, heading, page.url)
    titled = _title(tree, tags, None, page.url) if unechoed else None
    if titled and normalised(titled) in normalised(page_text):
        title = titled  # the <h1> is a banner; the page shows the name its title gives
    elif title and heading is not None and not named:
        title = _without_badge(heading, title, _page_title(tree, tags))
    return {
        "title": title,
        "price": price,
        "availability": _availability(tree, chain, page_text, after, button),
        "sku": sku
        or _sku(tree, chain, page_text, after, page.url, profile)
        or _shop_number(page_text, after, page.site_names),
        "brand": _brand(tree, chain, page_text, after)
        or _car_make(title)
        or _linked_title_start(tree, title),
    }


# -- the heading and the title ---------------------------------------------------------------------
def _heading(tree: LexborHTMLParser, site_names: set[str]) -> LexborNode | None:
    """The product's <h1>, by rank: one calling itself a title or name (h1#title,
    h1.product_title, h1.pdp__name) inside main/article/a product block; one calling itself so
    elsewhere; any inside such a block; any other; one in a recommendations block or dialog; a
    hidden one (class="hidden" may be undone by a media query). Never one that is the shop's logo
    or name. Page order breaks ties."""
    ranked: list[tuple[int, int, LexborNode]] = []
    for order, node in enumerate(_limited(tree.css("h1"))):
        text = node_text(node)
        if not _names_something(text) or normalised(text or "") in site_names:
            continue
        inside = _heading_context(node)
        if inside == "logo" or node.css_first('a[href="/"]') is not None:
            continue
        named = bool(_tokens(node) & _TITLE_TOKENS)
        rank = {"aside": 4, "hidden": 5, "product": 0 if named else 2}.get(inside, 1 if named else 3)
        ranked.append((rank, order, node))
    return min(ranked, key=lambda item: item[:2])[2] if ranked else None


def _echoed(text: str | None, tree: LexborHTMLParser, tags: dict[str, str]) -> bool:
    """Whether the page's <title> or og:title repeats at least half the words of `text` (a
    product's heading; a banner or a section heading is not repeated). True without a title."""
    page_title = _page_title(tree, tags)
    if not page_title or not text:
        return True
    titled = set(_words_of(page_title))
    words = [word for word in _words_of(text) if len(word) >= _MIN_ECHO_CHARS]
    return not words or 2 * sum(word in titled for word in words) >= len(words)


def page_titles(tree: LexborHTMLParser, tags: dict[str, str]) -> list[str]:
    """The page's og:title and <title> text, those it has: what the page calls itself."""
    title = tree.css_first("title")
    return [text for text in (clean_text(tags.get("og:title")), node_text(title) if title else None) if text]


def _page_title(tree: LexborHTMLParser, tags: dict[str, str]) -> str:
    """og:title and the <title> text, one after the other."""
    return " ".join(page_titles(tree, tags))


def _words_of(text: str) -> list[str]:
    return _NOT_WORD.split(text.casefold())


def _subheading(
    tree: LexborHTMLParser, tags: dict[str, str], site_names: set[str]
) -> tuple[LexborNode | None, str | None]:
    """A page without a product <h1> (many 2011-style shops): the first of its first few <h2>
    whose text, or the text before its first inner element ('Dark Secrets 1' of 'Dark Secrets 1
    <span>: Legacy of Lies</span>'), the page's <title> or og:title repeats: the product's name,
    and the heading prices are measured from."""
    page_title = normalised(_page_title(tree, tags))
    if not page_title:
        return None, None
    for node in tree.css("h2")[:_MAX_H2]:
        for text in (node_text(node), clean_text(node.text(deep=False))):
            key = normalised(text or "")
            if len(key) < 3 or key in site_names or not _names_something(text) or key not in page_title:
                continue
            if _heading_context(node) in ("", "product"):
                return node, text
    return None, None


def _name_element(tree: LexborHTMLParser, site_names: set[str]) -> LexborNode | None:
    """A page with no heading for the product at all: the first element whose class or id calls it
    the product's name or title ('product-name', 'productTitle', 'ProductDetails_NameLabel'), shown
    and outside the site's header, one of its kind (a listing repeats its tiles' class)."""
    candidates = [
        node
        for node in _limited(tree.css(_NAME_CSS))
        if node.tag in _NAME_TAGS and _names_element(_tokens(node))
    ]
    classes = [node.attributes.get("class") for node in candidates]
    for node, kind in zip(candidates, classes, strict=True):
        text = node_text(node)
        if not _names_something(text) or normalised(text or "") in site_names:
            continue
        if kind and classes.count(kind) > 1:
            continue
        if _heading_context(node) in ("", "product"):
            return node
    return None


def _names_element(tokens: frozenset[str]) -> bool:
    return bool(tokens & _PRODUCT_TOKENS and tokens & {"name", "title"}) or bool(tokens & _NAMED_TOKENS)


def _names_something(text: str | None) -> bool:
    """A title has letters and is not a paragraph ('9780586068960' in an h1 is an ISBN)."""
    return bool(text) and len(text or "") <= _MAX_TITLE_CHARS and any(ch.isalpha() for ch in text or "")


def _heading_context(node: LexborNode) -> str:
    """Where a heading sits: 'logo' (a logo, or the site's header), 'hidden', 'aside' (a
    recommendations block, a dialog, the breadcrumbs), 'product' (main/article/a product block),
    else ''.
    (An article's own <header> is no site header.)"""
    product = logo = header = hidden = aside = False
    for current in _lineage(node):
        if current.tag in ("body", "html"):
            break
        attributes = current.attributes
        tokens = _tokens(current)
        hidden = hidden or is_hidden(attributes)
        logo = logo or bool(_LOGO.search(_class_and_id(attributes)))
        header = header or current.tag == "header"
        aside = aside or current.tag in ("aside", "dialog") or bool(tokens & _ASIDE_TOKENS)
        product = product or current.tag in ("main", "article") or bool(tokens & _PRODUCT_TOKENS)
    if logo or (header and not product):
        return "logo"
    if hidden or aside:
        return "hidden" if hidden else "aside"
    return "product" if product else ""


def _title(tree: LexborHTMLParser, tags: dict[str, str], heading: LexborNode | None, url: str) -> str | None:
    if heading is not None:
        heading = _joined_at_word_breaks(heading)
        return _without_byline(heading, shown_text(heading))
    names = site_names(tags, url)
    for text in page_titles(tree, tags):
        if len(text) <= _MAX_TITLE_CHARS:
            cleaned = clean_title(text, names)  # the shop's name or a page type alone: no product
            if cleaned is not None:
                return cleaned
    return None


def _joined_at_word_breaks(heading: LexborNode) -> LexborNode:
    """The heading without its <wbr> (a line-break chance inside a word, 'höhenverstellb<wbr>ar'
    on eBay), parsed again so that the word's parts are one text: text reading puts a space
    between texts."""
    if heading.css_first("wbr") is None:
        return heading
    body = LexborHTMLParser(WORD_BREAK.sub("", heading.html or "")).body
    return body.child if body is not None and body.child is not None else heading


def _without_badge(heading: LexborNode, text: str, page_title: str) -> str:
    """A heading's text without the badge its first element shows ('<span>Neuheit</span> Lenovo
    L24i-40'): a word or two the page's title leaves out before a name it repeats whole."""
    badge = _end_element_text(heading, last=False)
    if not badge or len(badge.split()) > 2 or not text.startswith(badge):
        return text
    titled, rest = normalised(page_title), text[len(badge) :].strip()
    if normalised(badge) in titled or len(rest.split()) < 2 or normalised(rest) not in titled:
        return text
    return rest


def _without_byline(heading: LexborNode, text: str | None) -> str | None:
    """A heading's text without the byline its last element adds ('Crash <em>by Jerry
    Spinelli</em>' is 'Crash'): the author, not the name."""
    byline = _end_element_text(heading, last=True)
    if not text or not byline or not _BYLINE.match(byline) or not text.endswith(byline):
        return text
    return text[: -len(byline)].strip() or text


def _end_element_text(node: LexborNode, last: bool) -> str | None:
    """The text of the element `node` starts (or ends) with, blank text aside; None when it starts
    (or ends) with text of its own."""
    child = node.last_child if last else node.child
    while child is not None and child.tag == "-text" and not (child.text() or "").strip():
        child = child.prev if last else child.next
    return node_text(child) if child is not None and child.tag != "-text" else None


def heading_text(page: Page, matches: Callable[[str], bool], brand: str | None = None) -> str | None:
    """The text of the first of the page's first few <h1> that `matches` accepts (shown, not the
    logo), or None. With `brand`: not an <h1> that sets the brand apart inside it (its own link,
    div or paragraph: a label over the name)."""
    key = normalised(brand) if brand else None
    for node in page.tree.css("h1")[:_MAX_H1]:
        text = shown_text(node)
        if not text or not matches(text) or _heading_context(node) in ("logo", "hidden"):
            continue
        if key and any(
            inner.tag in _BRAND_LINE_TAGS and normalised(inner.text(deep=True, separator=" ")) == key
            for inner in _limited(node.css("*"))
        ):
            continue
        return text
    return None


# -- nearness to the heading -----------------------------------------------------------------------
@dataclass(slots=True)
class _Walk:
    """What walking up from an element found: its distance from the heading (steps from the
    heading to their shared ancestor), the elements passed on the way, its price tier, and
    whether it is hidden or part of the site's header/nav/footer."""

    distance: int
    passed: list[int]
    tier: int
    hidden: bool


def _ancestor_steps(heading: LexborNode | None) -> dict[int, int]:
    """mem_id -> steps up from the heading, for the heading and every ancestor of it."""
    steps: dict[int, int] = {}
    current = heading
    while current is not None and len(steps) < 10 * MAX_WALK:
        steps[current.mem_id] = len(steps)
        current = current.parent
    return steps


def _walk(node: LexborNode, chain: dict[int, int], tiers: bool = False) -> _Walk:
    """Walk up from `node` to the heading's ancestors (at most MAX_WALK steps); `tiers` also reads
    the price tier on the way (the nearest element with a tier word or tag decides)."""
    tier: int | None = None if tiers else _PLAIN
    hidden = False
    passed: list[int] = []
    current: LexborNode | None = node
    for _ in range(MAX_WALK):
        if current is None:
            break
        key = current.mem_id
        if key in chain:
            return _Walk(chain[key], passed, _PLAIN if tier is None else tier, hidden)
        passed.append(key)
        attributes = current.attributes
        tag = current.tag or ""
        if tier is None:
            tier = _TIER_TAGS.get(tag) or _class_tier(attributes)
        hidden = hidden or tag in _UNSEEN_TAGS or is_hidden(attributes)
        current = current.parent
    return _Walk(_FAR, passed, _PLAIN if tier is None else tier, hidden)


def _class_tier(attributes: dict[str, str | None]) -> int | None:
    """The tier its class and id words give; none for the element the shop marks as the price
    (itemprop=price in a 'totalPrice' span is the price, not a cart total)."""
    if attributes.get("itemprop") == "price":
        return None
    return _tier_of(_words(_class_and_id(attributes)))


def _tier_of(tokens: frozenset[str]) -> int | None:
    for tier in (_EXCLUDED, _SALE, _REGULAR):
        if tokens & _TIER_WORDS[tier]:
            return tier
    return None


def _tokens(node: LexborNode) -> frozenset[str]:
    return _words(_class_and_id(node.attributes))


@lru_cache(maxsize=8192)  # class names repeat across elements and pages
def _words(raw: str) -> frozenset[str]:
    """Words of a class and id: 'price--old oldPrice' -> {'price', 'old'}; 'oldprice' -> 'old'."""
    if not raw.strip():
        return frozenset()
    words = set(_NOT_WORD.split(_CAMEL.sub(" ", raw).lower())) - {""}
    for word in list(words):
        for affix in ("price", "preis", "prix"):
            if word != affix and (word.startswith(affix) or word.endswith(affix)):
                words.add(word.removeprefix(affix).removesuffix(affix))
    return frozenset(words)


def _class_and_id(attributes: dict[str, str | None]) -> str:
    return f"{attributes.get('class') or ''} {attributes.get('id') or ''}"


def _nearest(nodes: Iterable[LexborNode], chain: dict[int, int]) -> list[LexborNode]:
    """The visible elements among `nodes`, nearest the heading first (page order on ties)."""
    walked = [(node, _walk(node, chain)) for node in _limited(nodes)]
    shown = [
        (walk.distance, order, node)
        for order, (node, walk) in enumerate(walked)
        if walk.passed and not walk.hidden  # no passed elements: it holds the heading, a container
    ]
    return [node for _, _, node in sorted(shown, key=lambda item: item[:2])]


def _limited(nodes: Iterable[LexborNode]) -> list[LexborNode]:
    return list(nodes)[:MAX_CANDIDATES]


# -- price -----------------------------------------------------------------------------------------
@dataclass(slots=True)
class _PriceHints:
    currency: str | None
    hints: dict[str, str]


@dataclass(slots=True)
class _Candidate:
    node: LexborNode
    order: int
    walk: _Walk
    inner: list[_Candidate]  # candidates inside this one


def _visible_price(
    tree: LexborHTMLParser, chain: dict[int, int], hints: _PriceHints, page_text: str, after: int
) -> tuple[Price | None, bool]:
    """(price, whether the page is a listing). The price of the nearest group of price elements
    that has one (see _group_price), else a labelled "Price: ..." in the page text after the
    heading, else (a car or a made-to-order good shows no other) a labelled "MSRP: ...". A
    listing: the nearest group with prices has more blocks alike than one product shows."""
    candidates = _price_candidates(tree, chain)
    budget = _Budget(MAX_TEXTS)

    def parse(text: str) -> Price | None:
        return _parse_price(text, hints)

    for distance in sorted({candidate.walk.distance for candidate in candidates}):
        group = [candidate for candidate in candidates if candidate.walk.distance == distance]
        outcome, price = _group_price(group, hints, budget)
        if outcome == "listing" and _said_once(_PRICE_LABEL, page_text):
            # Recommendation tiles nearer than the product's own price, which a label shows once
            # ('Our Price' then '$30.99' in a plain <h2>): a listing's tiles would each label theirs.
            labelled = _labelled(_PRICE_LABEL, page_text, after, parse)
            if labelled is not None:
                return labelled, False
        if outcome != "undecided":
            return price, outcome == "listing"

    labelled = _labelled(_PRICE_LABEL, page_text, after, parse) or _labelled(
        _MSRP_LABEL, page_text, after, parse
    )
    return labelled, False


def _said_once(label: re.Pattern[str], page_text: str) -> bool:
    """Whether `label` occurs exactly once in the page text's first _LABEL_WINDOW characters."""
    found = 0
    for _ in label.finditer(page_text, 0, 2 * _LABEL_WINDOW):
        found += 1
        if found > 1:
            return False
    return found == 1


def _price_line(tree: LexborHTMLParser, page_text: str, after: int, hints: _PriceHints) -> Price | None:
    """A product page whose price element names itself nothing ('<strong>22,50 €</strong>'): the
    first of the _PRICE_LINES lines after the heading that is an amount with its currency and
    little else ('22,50 €', 'EUR 19.90'), unless crossed out. Read only once the page is known
    to show one product (no listing: its tiles would each show such a line)."""
    crossed = {clean_text(node.text()) for node in _limited(tree.css(_CROSSED_CSS))}
    for line in page_text[after : after + 200 * _PRICE_LINES].splitlines()[:_PRICE_LINES]:
        line = line.strip()
        if len(line) > _PRICE_LINE_CHARS or sum(ch.isalpha() for ch in line) > _PRICE_LINE_LETTERS:
            continue
        if line in crossed or not any(ch.isdigit() for ch in line):
            continue
        price = _parse_price(line, hints)
        if price is not None and price.minor != 0 and _has_currency_marker(line):
            return price  # (a zero is an empty cart's total)
    return None


class _Budget:
    """How many more price texts may be read: nested containers each hold all the text inside."""

    def __init__(self, left: int) -> None:
        self.left = left

    def take(self) -> bool:
        self.left -= 1
        return self.left >= 0


def _price_candidates(tree: LexborHTMLParser, chain: dict[int, int]) -> list[_Candidate]:
    found = [
        _Candidate(node, order, _walk(node, chain, tiers=True), [])
        for order, node in enumerate(_limited(tree.css(_PRICE_CSS)))
    ]
    by_id = {candidate.node.mem_id: candidate for candidate in found}
    for candidate in found:
        for ancestor in candidate.walk.passed[1:]:
            if ancestor in by_id:
                by_id[ancestor].inner.append(candidate)
    # An element holding the heading (nothing passed on the way up) is a container, not a price.
    return [candidate for candidate in found if candidate.walk.passed and not candidate.walk.hidden]


def _group_price(group: list[_Candidate], hints: _PriceHints, budget: _Budget) -> tuple[str, Price | None]:
    """(outcome, price) for price elements equally near the heading: 'price', 'listing' (None),
    'spent' (the budget ran out first: None) or 'undecided'.

    Blocks are the elements not inside another one of the group. The block marked as the selling
    price ('our-price', 'sale-price', or text starting 'Now $52.00'), else the block highest in
    the tree (then the best tier, then page order) that holds a price gives it, unless
    MAX_PRICE_BLOCKS other blocks with numbers look just like it (same depth, tag and class):
    then this is a listing.
    A block showing a currency marker beats one showing a bare number ('15 copies' in a
    .club-price span above 'Online Price: $9.54'). Undecided when no block holds a price: the
    next group is tried.
    """
    counted = [candidate for candidate in group if candidate.walk.tier != _EXCLUDED]
    nested = {id(member) for candidate in counted for member in candidate.inner}
    blocks = [candidate for candidate in counted if id(candidate) not in nested]
    bare: tuple[_Candidate, Price] | None = None  # the first block with a number but no currency marker
    for block in sorted(
        blocks,
        key=lambda block: (_shown_tier(block) != _SALE, len(block.walk.passed), block.walk.tier, block.order),
    ):
        price, marked = _block_price(block, hints, budget)
        if price is not None and not marked and bare is None:
            bare = block, price
        elif price is not None and marked:
            return ("listing", None) if _repeated(block, blocks, budget) else ("price", price)
        if budget.left <= 0:
            break
    if bare is not None:
        return ("listing", None) if _repeated(bare[0], blocks, budget) else ("price", bare[1])
    return ("spent", None) if budget.left <= 0 else ("undecided", None)


def _shown_tier(block: _Candidate) -> int:
    """The block's tier, or SALE when a plain block's text starts with a sale word ('Now $52.00')."""
    if block.walk.tier != _PLAIN:
        return block.walk.tier
    text = _price_text(block)
    return _SALE if text and _SALE_WORD.match(text) else _PLAIN


def _repeated(block: _Candidate, blocks: list[_Candidate], budget: _Budget) -> bool:
    """Whether more than MAX_PRICE_BLOCKS other blocks look just like `block` and hold numbers:
    listing tiles do; a product page's empty widget containers of the same class do not."""
    signature = _signature(block)
    numbered = 0
    for other in blocks:
        if other is block or _signature(other) != signature:
            continue
        if not budget.take():
            return False
        text = _price_text(other)
        numbered += bool(text) and any(ch.isdigit() for ch in text or "")
        if numbered >= MAX_PRICE_BLOCKS:
            return True
    return False


def _signature(candidate: _Candidate) -> tuple[int, str | None, str | None]:
    return len(candidate.walk.passed), candidate.node.tag, candidate.node.attributes.get("class")


def _block_price(block: _Candidate, hints: _PriceHints, budget: _Budget) -> tuple[Price | None, bool]:
    """The best price in a block: best tier, then one with a currency marker, then page order;
    never that of an element holding other marked prices besides its own ('Why pay $11.95? Our
    price $9.56' is read from its parts); and whether it shows a currency marker."""
    members = [block, *(inner for inner in block.inner if inner.walk.tier != _EXCLUDED)]
    priced: dict[int, tuple[Price, bool]] = {}  # id(member) -> (price, has a currency marker)
    for member in sorted(members, key=lambda candidate: (candidate.walk.tier, candidate.order)):
        if not budget.take():
            break
        text = _price_text(member)
        price = _parse_price(text, hints) if text else None
        if price is not None and text is not None:
            priced[id(member)] = (price, _has_currency_marker(text))
    ranked = [
        (member.walk.tier, not priced[id(member)][1], member.order, priced[id(member)][0])
        for member in members
        if id(member) in priced and not _mixes_prices(member, priced)
    ]
    if not ranked:
        return None, False
    best = min(ranked, key=lambda item: item[:3])
    return best[3], not best[1]


def _mixes_prices(member: _Candidate, priced: dict[int, tuple[Price, bool]]) -> bool:
    amount = priced[id(member)][0].amount
    inner_prices = (priced.get(id(inner)) for inner in member.inner)
    return any(found is not None and found[1] and found[0].amount != amount for found in inner_prices)


def _price_text(candidate: _Candidate) -> str | None:
    """The element's text without the crossed-out or excluded amounts inside it."""
    node = candidate.node
    attributes = node.attributes
    if attributes.get("itemprop") == "price" and clean_text(attributes.get("content")):
        return clean_text(attributes.get("content"))
    text = node.text(deep=True, separator="")
    if len(text) > 4 * _MAX_PRICE_CHARS:
        return _own_price_text(node)
    removed = [inner.node for inner in candidate.inner if inner.walk.tier == _EXCLUDED]
    for inner in [*removed, *node.css(_CROSSED_CSS)]:
        text = text.replace(inner.text(deep=True, separator=""), " ", 1)
    cleaned = clean_text(_without_list_prices(node, text))
    if cleaned is None or not _short(cleaned):
        return _own_price_text(node)  # a sentence ('30 € coupon and no annual fee...'), not a price
    return cleaned


def _short(text: str) -> bool:
    """Whether price text is short enough to be a price, not a sentence around one."""
    return 0 < len(text) <= _MAX_PRICE_CHARS and text.count(" ") < _MAX_PRICE_WORDS


def _own_price_text(node: LexborNode) -> str | None:
    """The text of the element itself, without its children's: 'Now $52.00' of a price element
    that also holds a reviews widget; None when that is no short text with a digit either."""
    own = clean_text(node.text(deep=False))
    return own if own is not None and _short(own) and any(ch.isdigit() for ch in own) else None


def _without_list_prices(node: LexborNode, text: str) -> str:
    """The text without the parts a price element marks as list or old prices ('<li
    class=list>$79.99</li><li class=retail>$74.99</li>'), when another amount is left."""
    rest = text
    for part in node.css("[class]")[:_MAX_PRICE_PARTS]:
        if _class_tier(part.attributes) in (_REGULAR, _EXCLUDED):
            rest = rest.replace(part.text(deep=True, separator=""), " ", 1)
    return rest if rest != text and any(ch.isdigit() for ch in rest) else text


def _parse_price(text: str, hints: _PriceHints) -> Price | None:
    return parse_price_or_none(text, hints.currency, **hints.hints)


def _has_currency_marker(text: str) -> bool:
    price = parse_price_or_none(text)
    return price is not None and price.currency is not None


def _price_hints(page: Page, profile: SiteProfile | None) -> _PriceHints:
    """The site's currency (profile, product meta tags, itemprop=priceCurrency: for prices shown
    without one) and the page's locale/tld hints (for ambiguous signs such as '$' or 'kr')."""
    tags = page.meta_tags
    currency_node = page.tree.css_first("[itemprop=priceCurrency]")
    declared = [
        profile.currency if profile is not None else None,
        tags.get("product:price:currency"),
        tags.get("og:price:currency"),
        currency_node.attributes.get("content") if currency_node is not None else None,
    ]
    codes = [(code or "").strip().upper() for code in declared]
    currency = next((code for code in codes if code in ISO_CODES), None)
    return _PriceHints(currency, page.price_hints)


def page_currency(page: Page) -> str | None:
    """The currency the page declares for prices shown without one (see _price_hints)."""
    return _price_hints(page, None).currency


def _declares_product(page: Page, tags: dict[str, str]) -> bool:
    if tags.get("og:type", "").strip().lower() in _PRODUCT_TYPES:
        return True
    if any(key.startswith(("product:price", "og:price")) for key in tags):
        return True
    return any(of_type(nodes, "Product") for nodes in (page.jsonld, page.microdata, page.rdfa))


# -- availability ----------------------------------------------------------------------------------
def _availability(
    tree: LexborHTMLParser, chain: dict[int, int], page_text: str, after: int, button: _CartButton
) -> Availability | None:
    """The first of, strongest first: itemprop=availability; stock/availability elements' wording;
    an "Availability: ..." label; the add-to-cart button's wording ('Sold out', 'Pre-order',
    'Notify me'); a sold-out badge; stock wording other than "in stock" just after the heading
    ('Only 2 left', 'Backordered'); a disabled add-to-cart button (out of stock); an enabled one
    (in stock); an add-to-cart link or image button (in stock: older shops' buy buttons). In stock
    gives way to a count left or a backorder said just after the heading."""
    wording = cache(partial(_stock_wording_after_heading, tree, page_text, after))  # read once
    signals: list[Callable[[], Availability | None]] = [
        lambda: _first(_nearest(tree.css("[itemprop=availability]"), chain), _itemprop_availability),
        lambda: _first(
            _nearest(tree.css(_STOCK_CSS), chain), lambda node: _stock_element(_short_text(node, 200))
        ),
        lambda: _labelled(_STOCK_LABEL, page_text, after, normalise_availability),
        lambda: button.worded,
        lambda: _sold_out_badge(tree, chain),
        wording,
        # Weakest: some shops render the button disabled until a script has run, or until the
        # shopper picks a size (then it is just a button: in stock, below).
        lambda: Availability.OUT_OF_STOCK if button.disabled and not _variant_choice(tree) else None,
        lambda: Availability.IN_STOCK if button.present else None,
        lambda: Availability.IN_STOCK if _cart_link(tree, chain) else None,
        lambda: _stock_wording_after_heading(tree, page_text, after, in_stock=True),
    ]
    found = next((value for value in (signal() for signal in signals) if value is not None), None)
    if found is Availability.IN_STOCK and wording() in (Availability.LIMITED, Availability.BACKORDER):
        return wording()  # 'Availability: In stock' above 'Only 1 left in stock'
    return found


def _variant_choice(tree: LexborHTMLParser) -> bool:
    """Whether the page asks the shopper to choose a variant (a size or colour select)."""
    return tree.css_first(_VARIANT_SELECT_CSS) is not None


def _sold_out_badge(tree: LexborHTMLParser, chain: dict[int, int]) -> Availability | None:
    """One or two sold-out badges saying so: the product's. More are per variant (sizes) or per
    tile; and a class alone proves little ('supress-if-out-of-stock' on an 'Add to Bag' button)."""
    badges = _nearest(tree.css(_BADGE_CSS), chain)
    if not 0 < len(badges) <= 2:
        return None
    return (
        Availability.OUT_OF_STOCK
        if _worded(_short_text(badges[0], 100)) is Availability.OUT_OF_STOCK
        else None
    )


def _first(nodes: list[LexborNode], convert: Callable[[LexborNode], _T | None]) -> _T | None:
    return next((value for value in map(convert, nodes) if value is not None), None)


def _itemprop_availability(node: LexborNode) -> Availability | None:
    attributes = node.attributes
    return stated_availability(attributes.get("href") or attributes.get("content") or _short_text(node, 200))


def _worded(text: str | None) -> Availability | None:
    """Stock wording of an element or button; "in stock" only from brief text (not 'See available
    gift options')."""
    if text and _NOTIFY.search(text):
        return Availability.OUT_OF_STOCK
    value = normalise_availability(text)
    return None if value is Availability.IN_STOCK and len(text or "") > _IN_STOCK_CHARS else value


def _stock_element(text: str | None) -> Availability | None:
    """A stock element's wording: its "Availability: ..." label's value when it holds one (a block
    of labelled values: 'Price: $162.99 Availability: 26 In Stock Quantity: ...'); never a message
    about a variant choice ('Sorry, this selection is currently unavailable')."""
    if not text or _VARIANT_MESSAGE.search(text):
        return None
    labelled = _labelled(_STOCK_LABEL, text, 0, normalise_availability)
    return labelled if labelled is not None else _worded(text)


def _stock_wording_after_heading(
    tree: LexborHTMLParser, page_text: str, after: int, in_stock: bool = False
) -> Availability | None:
    """Short lines just after the heading that say more than "in stock" ('Only 2 left',
    'Backordered'), or with `in_stock` also that ('72 in stock', 'Usually ships within 24 hours'):
    the first _STOCK_LINES non-blank lines, each of at most _STOCK_LINE_CHARS (a longer line is
    prose), in unmistakable words only (free text says 'Limited Edition' and 'This combination is
    not available'), and shown (not a hidden 'SOLD OUT' a script reveals)."""
    for line in page_text[after : after + 500 * _STOCK_LINES].splitlines()[:_STOCK_LINES]:
        short = len(line) <= _STOCK_LINE_CHARS and not _VARIANT_MESSAGE.search(line)
        value = unmistakable_availability(line) if short else None
        if value is not None and (in_stock or value is not Availability.IN_STOCK) and _shown_line(tree, line):
            return value
    return None


def _shown_line(tree: LexborHTMLParser, line: str) -> bool:
    """Whether an element showing `line` of the page text is not hidden, nor inside a hidden one
    (when no element is found to hold it, it counts as shown)."""
    holders = _limited(tree.css(f"body :lexbor-contains({_css_string(line.strip())})"))
    return not holders or any(not _inside_hidden(node) for node in holders)


def _css_string(text: str) -> str:
    """`text` as a CSS string literal, for a selector built around page text."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _inside_hidden(node: LexborNode) -> bool:
    below_body = takewhile(lambda current: current.tag != "body", _lineage(node))
    return any(is_hidden(current.attributes) for current in below_body)


@dataclass(frozen=True, slots=True)
class _CartButton:
    present: bool = False
    disabled: bool = False
    worded: Availability | None = None  # what its label says beyond "add to cart"


def _cart_button(tree: LexborHTMLParser, chain: dict[int, int]) -> _CartButton:
    """The add-to-cart button nearest the heading ('Sold out', 'Pre-order', 'Notify me' count)."""
    for node in _nearest(tree.css("button, input[type=submit], input[type=button]"), chain):
        attributes = node.attributes
        label = _short_text(node, 100) or clean_text(attributes.get("value")) or ""
        if not _CART.search(f"{label} {attributes.get('name') or ''} {_class_and_id(attributes)}"):
            continue
        worded = _worded(label)
        return _CartButton(True, _disabled(attributes), None if worded is Availability.IN_STOCK else worded)
    return _CartButton()


def _cart_link(tree: LexborHTMLParser, chain: dict[int, int]) -> bool:
    """Whether an add-to-cart link or image button (no <button>: 'Add to basket' as an <a>, an
    <input type=image>) shares a block with the heading within _CART_LINK_STEPS steps up, or is the
    only one shown on the page (old table layouts nest deeper): the product's own, not one of the
    recommendation tiles'."""
    shown = 0
    for node in _cart_links(tree):
        walk = _walk(node, chain)
        if walk.passed and not walk.hidden:
            if walk.distance <= _CART_LINK_STEPS:
                return True
            shown += 1
    return shown == 1


def _cart_links(tree: LexborHTMLParser) -> list[LexborNode]:
    """The first MAX_CANDIDATES add-to-cart links and image buttons (not a disabled one, nor a
    back-in-stock sign-up), image buttons first. Every link is read: a page's menus hold
    hundreds of links before the product's own."""
    found = []
    for node in [*tree.css("input[type=image]"), *tree.css("a[href]")]:
        attributes = node.attributes
        image = node.css_first("img[alt]") if node.tag == "a" else None
        label = " ".join(
            filter(
                None,
                (
                    _short_text(node, 100),
                    attributes.get("title"),
                    attributes.get("alt"),
                    image.attributes.get("alt") if image is not None else None,
                    _class_and_id(attributes),
                ),
            )
        )
        if _CART_LINK.search(label) and not _SIGN_UP_HREF.search(attributes.get("href") or ""):
            if not _disabled(attributes):
                found.append(node)
            if len(found) == MAX_CANDIDATES:
                break
    return found


def _disabled(attributes: dict[str, str | None]) -> bool:
    """A disabled control: the attribute, ARIA's, or the class CSS frameworks grey it out with."""
    return (
        "disabled" in attributes
        or (attributes.get("aria-disabled") or "").lower() == "true"
        or "disabled" in (attributes.get("class") or "").split()
    )


def _one_cart_button(tree: LexborHTMLParser, chain: dict[int, int]) -> bool:
    """Whether the page shows exactly one add-to-cart button (a listing shows one a tile)."""
    found = 0
    for node in _nearest(tree.css("button, input[type=submit], input[type=button]"), chain):
        attributes = node.attributes
        label = _short_text(node, 100) or clean_text(attributes.get("value")) or ""
        if _CART.search(f"{label} {attributes.get('name') or ''} {_class_and_id(attributes)}"):
            found += 1
            if found > 1:
                return False
    return found == 1


def _short_text(node: LexborNode, limit: int) -> str | None:
    text = node_text(node)
    return text if text and len(text) <= limit else None


# -- SKU and brand ---------------------------------------------------------------------------------
def _sku(
    tree: LexborHTMLParser,
    chain: dict[int, int],
    page_text: str,
    after: int,
    url: str,
    profile: SiteProfile | None,
) -> str | None:
    """The profile's sku_from_url, else itemprop=sku / .sku elements, else a labelled value: an
    ASIN first, then a SKU label in the page's language. Never an ISBN or EAN: a GTIN is no
    shop's own item number (as `gtin*` in schema.org is no `sku`)."""
    pattern = profile.sku_from_url if profile is not None else None
    if pattern is not None:
        match = pattern.search(url)
        if match and match.group(1):
            return match.group(1)
    for node in _nearest(tree.css(_SKU_CSS), chain):
        content = node.attributes.get("content")
        text = clean_text(content) or _short_text(node, _MAX_VALUE_CHARS)
        value = (_labelled_sku(text, 0) or _plausible_sku(text)) if text else None
        if value:
            return value
    return _text_sku(page_text, after)


def _text_sku(page_text: str, after: int) -> str | None:
    """The SKU the page's text labels after `after`: an ASIN first, then a SKU label."""
    return _labelled(_ASIN_LABEL, page_text, after, _plausible_sku) or _labelled_sku(page_text, after)


def _shop_number(page_text: str, after: int, site_names: set[str]) -> str | None:
    """The item number the shop labels with its own name ('PCNation #: 3C402P', 'Walmart # 5855').
    Found from each '#' (a regex for the name before it would scan the whole window slowly)."""
    for start, end in _label_windows(after):
        end = min(end, after) if start < after else end  # the look from the start stops where the first began
        mark = page_text.find("#", start, end)
        while mark >= 0:
            words = page_text[max(start, mark - _SHOP_NAME_CHARS) : mark].rsplit("\n", 1)[-1].split()
            if words and any(normalised(" ".join(words[-count:])) in site_names for count in (1, 2, 3)):
                value = _NUMBER_AFTER_MARK.match(page_text, mark + 1)
                return _sku_with_digit(value.group(1)) if value else None
            mark = page_text.find("#", mark + 1, end)
    return None


def _labelled_sku(text: str, after: int) -> str | None:
    """The value of a SKU label in `text`; of a bare 'Code:' only when no other label has one."""
    for label, plausible in _SKU_LABELS:
        value = _labelled(label, text, after, plausible)
        if value:
            return value
    return None


def sku_without_label(sku: str) -> str:
    """A SKU value holding its label ('SKU: KT-9', 'Art.-Nr. 12345', 'Item # 12345'): the code."""
    if " " not in sku and ":" not in sku and "#" not in sku:
        return sku  # the usual case: a bare code
    match = _SKU_LABEL.fullmatch(sku) or _BARE_CODE_LABEL.fullmatch(sku)
    return match.group(1) if match else sku


def labelled_sku_extending(page: Page, sku: str) -> str | None:
    """The SKU the page labels ('Artikel-Nr. 6464951586') when it extends a structured one (a
    JSON-LD sku '64649515': the article's number, the shown one the variant's), else None. The
    page's text is read only when the raw HTML shows the SKU running on into more characters."""
    html, start = page.html, 0
    for _ in range(MAX_CANDIDATES):
        start = html.find(sku, start)
        if start < 0:
            return None
        start += len(sku)
        if start < len(html) and html[start].isalnum():
            break
    else:
        return None
    text = _page_text(page.tree)
    for match in _SKU_LABEL.finditer(text, 0, 2 * _LABEL_WINDOW):
        value = _plausible_sku(clean_text(match.group(1)) or "")
        if value is not None and value.startswith(sku) and value != sku:
            return value
    return None


def labelled_sku_instead(page: Page, sku: str) -> str | None:
    """The SKU the page labels ('Item#: 40528810') when it never shows the structured one as an
    element's text (a microdata meta sku '5301079': a number for machines), else None."""
    html = page.html
    if f"{sku}<" in html or f"{sku} <" in html:
        return None  # shown: the shop's own number as the shopper sees it
    text = _page_text(page.tree)
    labelled = _text_sku(text, 0)
    return labelled if labelled is not None and labelled.casefold() != sku.casefold() else None


def _labelled_twice(page_text: str) -> bool:
    """Whether SKU labels with values occur more than once in the page text (tiles each show one)."""
    found = 0
    for label, plausible in ((_ASIN_LABEL, _plausible_sku), *_SKU_LABELS):
        for match in label.finditer(page_text, 0, 2 * _LABEL_WINDOW):
            found += plausible(match.group(1)) is not None
            if found > 1:
                return True
    return False


def _sku_with_digit(value: str) -> str | None:
    return value if any(ch.isdigit() for ch in value) and _plausible_sku(value) else None


def _plausible_sku(value: str) -> str | None:
    """The value if it can be a SKU: one word holding a digit, or a code in capitals ('GLOWROLL',
    'PHLR'; not 'N/A', 'none', 'TBD', 'SKU:')."""
    if len(value) > _MAX_VALUE_CHARS or " " in value:
        return None
    if any(ch.isdigit() for ch in value):
        return value
    capitals = len(value) >= _MIN_LETTER_CODE and value.isascii() and value.isupper() and value.isalpha()
    return value if capitals and value not in _NO_CODE else None


def _style_code(value: str) -> str | None:
    return value if len(value) >= _MIN_STYLE_CODE and _sku_with_digit(value) else None


_SKU_LABELS = (
    (_SKU_LABEL, _plausible_sku),
    (_BARE_CODE_LABEL, _sku_with_digit),
    (_STYLE_LABEL, _style_code),
    (_ITEM_LABEL, _sku_with_digit),
)


def _brand(tree: LexborHTMLParser, chain: dict[int, int], page_text: str, after: int) -> str | None:
    """itemprop=brand, else a .brand/.vendor element (its text, or the alt text of the brand's
    logo it shows; not the shop's logo: nor a link to the shop's home page), else 'Brand: X',
    else a spec table's 'Brand' or 'Manufacturer' row ('Brand Name' in one cell, 'Canon' in the
    next), else a link into the shop's brand pages next to the heading."""
    for node in _nearest(tree.css(_BRAND_CSS), chain):
        if node.attributes.get("itemprop") != "brand" and not _brand_element(node):
            continue
        if _links_home(node) or _one_of_a_list(node):
            continue
        inner = node.css_first("[itemprop=name]")
        text = clean_text(node.attributes.get("content")) or _short_text(inner or node, 2 * _MAX_VALUE_CHARS)
        value = _clean_brand(text)
        if not value and (logo := node.css_first("img[alt]")) is not None:
            value = _clean_brand(clean_text(logo.attributes.get("alt")))  # <a class=brand><img alt=Sony>
        if value:
            return value
    return (
        _labelled(_BRAND_LABEL, page_text, after, _clean_brand)
        or _brand_row(tree, chain)
        or _brand_link(tree, chain)
    )


def _brand_row(tree: LexborHTMLParser, chain: dict[int, int]) -> str | None:
    """A spec table's 'Brand' row, nearest the heading first: the value of the cell after the
    label; a bold label's line ('<b>Hersteller</b> NEC<br>'): the text right after it; a
    key-value list's label element (class *label*): the element after it. Cells first: each
    kind's first MAX_CANDIDATES are looked at, and a page's bold words can be many."""
    for kinds in ("th, td, dt", "b, strong, [class*=label i]"):
        for node in _nearest(tree.css(kinds), chain):
            label = node.text(deep=True, separator=" ")
            if "#" in label or normalised(label) not in _BRAND_ROW_LABELS:
                continue  # ('Manufacturer #' labels the maker's part number)
            value = _clean_brand(_row_value(node))
            if value:
                return value
    return None


def _row_value(label: LexborNode) -> str | None:
    """The value a label element introduces: the next cell's text after a cell; the text right
    after a bold label, up to the next element; else the next element's text (a key-value list's
    '<div class=label>Marke</div><div class=value>Acer</div>')."""
    if label.tag in _BOLD_TAGS:
        after = label.next
        text = clean_text(after.text().lstrip(" :")) if after is not None and after.tag == "-text" else None
        return text if text and len(text) <= _MAX_VALUE_CHARS else None
    cell = label.next
    if label.tag in _CELL_TAGS or label.tag == "dt":  # the next cell (a dt's dd)
        while cell is not None and cell.tag not in _CELL_TAGS:
            cell = cell.next
    else:  # the next element
        while cell is not None and cell.tag == "-text":
            cell = cell.next
    return _short_text(cell, 2 * _MAX_VALUE_CHARS) if cell is not None else None


def _brand_link(tree: LexborHTMLParser, chain: dict[int, int]) -> str | None:
    """A link into the shop's brand pages ('/brands/tom-dixon', '/marke/sony') sharing a block
    with the heading, at most _CART_LINK_STEPS steps up from it: its text, when that is a name
    ('by <a href="/brands/acme">Acme</a>'), not 'See all Acme items' or 'All brands'."""
    for node in _limited(tree.css(_BRAND_LINK_CSS)):
        if not _BRAND_PATH.search(node.attributes.get("href") or ""):
            continue
        text = _short_text(node, _MAX_VALUE_CHARS)
        words = (text or "").casefold().split()
        if not words or len(words) > _MAX_BRAND_WORDS or not _NOT_BRAND_WORDS.isdisjoint(words):
            continue
        walk = _walk(node, chain)
        if walk.passed and not walk.hidden and walk.distance <= _CART_LINK_STEPS:
            return _clean_brand(text)
    return None


def _car_make(title: str | None) -> str | None:
    """A car's make, the brand of a vehicle page that labels none: the word after the model year
    that starts its title ('2011 Honda Accord EX' -> 'Honda'), when it is a known make."""
    match = _CAR_TITLE.match(title or "")
    return _CAR_MAKES.get(normalised(match.group(1))) if match else None


def _linked_title_start(tree: LexborHTMLParser, title: str | None) -> str | None:
    """The title's first word (or two) when the page also shows it alone as a link or an image's
    alt text outside its menus ('LEGO' in 'LEGO Super Heroes The Batcave' with a 'LEGO' link by
    the product): a brand the shop names without a label."""
    words = (title or "").split()
    starts = [" ".join(words[:count]) for count in (1, 2) if len(words) > count]
    starts = [start for start in starts if start[0].isupper()]
    for start in starts:
        quoted = _css_string(start)
        for node in _limited(tree.css(f"a:lexbor-contains({quoted} i), img[alt={quoted} i]")):
            text = clean_text(node.attributes.get("alt") if node.tag == "img" else node.text(deep=True))
            if text and text.casefold() == start.casefold() and not _in_site_chrome(node):
                return start
    return None


def _in_site_chrome(node: LexborNode) -> bool:
    """Whether an element sits in the site's header, navigation, menus or footer."""
    return any(
        current.tag in _UNSEEN_TAGS or _tokens(current) & _CHROME_TOKENS for current in _lineage(node.parent)
    )


def _lineage(node: LexborNode | None) -> Iterator[LexborNode]:
    """`node` and its ancestors, at most MAX_WALK of them."""
    for _ in range(MAX_WALK):
        if node is None:
            return
        yield node
        node = node.parent


def _links_home(node: LexborNode) -> bool:
    """Whether the element is (or holds) a link to the site's home page: the shop's own name."""
    link = node if node.tag == "a" else node.css_first("a[href]")
    if link is None:
        return False
    href = (link.attributes.get("href") or "").strip()
    return (
        href in ("/", "./")
        or (href.count("/") == 3 and href.endswith("/") and "://" in href)
        or (href.count("/") == 2 and href.startswith(("http://", "https://")))
    )


def _brand_element(node: LexborNode) -> bool:
    attributes = node.attributes
    names = f"{attributes.get('class') or ''} {attributes.get('id') or ''}".split()
    return any(_BRAND_CLASS.match(name) for name in names) and not _tokens(node) & _NOT_BRAND_TOKENS


def _one_of_a_list(node: LexborNode) -> bool:
    """Whether `node` has two alike siblings next to it ('<li class=brand>' in a menu of brands):
    a list of brands, not the product's."""
    signature = (node.tag, node.attributes.get("class"))
    alike = 0
    for step in ("prev", "next"):
        sibling = getattr(node, step)
        for _ in range(_SIBLINGS_LOOKED_AT):
            while sibling is not None and sibling.tag in ("-text", "-comment"):
                sibling = getattr(sibling, step)
            if sibling is None or (sibling.tag, sibling.attributes.get("class")) != signature:
                break
            alike += 1
            sibling = getattr(sibling, step)
    return alike >= 2


def _clean_brand(text: str | None) -> str | None:
    if not text:
        return None
    value = _TRAILING_NUMBER.sub("", without_brand_label(text.strip())).strip(" :-\u2013|")
    if not value or len(value) > _MAX_VALUE_CHARS or value.casefold() in NO_BRAND:
        return None
    if _NOT_A_BRAND.search(value) or ":" in value:  # a block of labelled values ('EAN: 08879...')
        return None
    if sum(word in _NOT_BRAND_WORDS for word in value.casefold().split()) >= 2:
        return None  # 'View all brand products', 'See all brands'
    return value if any(ch.isalpha() for ch in value) and not _NOT_IN_NAMES.search(value) else None


def _labelled(
    label: re.Pattern[str], text: str | None, after: int, convert: Callable[[str], _T | None]
) -> _T | None:
    """The first value after `label` in `text` that `convert` accepts, looking in the
    _LABEL_WINDOW characters from `after` (the heading) on, then in those from the start. (Some
    pages show 600 KB of text; the product's labels are not that far from its heading.)"""
    if not text:
        return None
    for start, end in _label_windows(after):
        for match in label.finditer(text, start, end):
            if start < after <= match.start():
                break  # the first window was read from here on
            value = clean_text(match.group(1))
            converted = convert(value) if value else None
            if converted is not None:
                return converted
    return None


def _label_windows(after: int) -> list[tuple[int, int]]:
    """Where labels are looked for: _LABEL_WINDOW characters of page text from the heading on,
    then those before it (a label just before it may run _LABEL_REACH characters on past it)."""
    windows = [(after, after + _LABEL_WINDOW)]
    if after:
        windows.append((0, min(after + _LABEL_REACH, _LABEL_WINDOW)))
    return windows


def _page_text(tree: LexborHTMLParser) -> str:
    """The body's visible text, one text node a line: a copy of the tree without scripts, styles
    and templates (their JSON is no label, and it is most of a modern page's text: 434 of 444 KB
    on one, where the label search took 40 ms on the whole and 0.5 ms on the rest)."""
    copy = tree.clone()
    copy.strip_tags(list(_NOT_TEXT_TAGS))
    body = copy.body
    return body.text(deep=True, separator="\n", strip=True, skip_empty=True) if body is not None else ""


def _text_lines(node: LexborNode | None) -> str:
    """A node's text as it appears in the page text (`_page_text`), for finding it there."""
    return node.text(deep=True, separator="\n", strip=True, skip_empty=True) if node is not None else ""
