"""Small coercions shared by every source: loose structured-data values -> clean Python values."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from urllib.parse import urljoin, urlsplit, urlunsplit

from selectolax.lexbor import LexborNode

from consumers.extract.price import ISO_CODES, Price, PriceError, price_from_value

# A brand value starting with a separator is a template's empty slot before more text.
_EMPTY_SLOT_MARKS = "|-\u2013\u2014:/>"
_MAX_DEPTH = 8  # how deep clean_text looks into lists and dicts: hostile JSON nests a thousand deep
# Words that label a brand in the shop languages: THE list, for labels ('Marke: Sony'), labelled
# values ('Marke Sony') and spec-table rows.
BRAND_LABEL_WORDS = (
    *("brand", "brand name", "marke", "markenname", "marque", "nom de marque", "marca", "marka"),
    *("merk", "marchio", "značka", "márka", "merkki", "märke", "mærke", "merke", "бренд", "марка"),
    *("ブランド", "品牌", "manufacturer", "hersteller", "fabricant", "fabricante", "produttore"),
    *("fabrikant", "producent", "výrobce", "производитель", "производители", "виробник", "メーカー"),
    *("制造商", "製造商", "κατασκευαστής", "μάρκα", "produsent", "tillverkare", "valmistaja", "gyártó"),
    *("marcă", "producător", "üretici", "브랜드", "제조사", "thương hiệu", "merek", "แบรนด์", "ยี่ห้อ"),
    *("العلامة التجارية", "الماركة", "الشركة المصنعة", "מותג", "יצרן"),
)
BRAND_WORDS_PATTERN = "|".join(re.escape(word) for word in sorted(BRAND_LABEL_WORDS, key=len, reverse=True))
# Page labels and links around a brand name: "Brand: Sony", "Marke Sony", "by Sony", "Mehr von
# Sony", "Visit the Sony Store", "Besuche den Sony-Store" (the one home of brand labels).
_BRAND_LABEL = re.compile(
    rf"^(?:(?:{BRAND_WORDS_PATTERN})(?:\s*[:\uff1a]\s*|\s+)"
    r"|(?:by|von|par|(?-i:[Aa]v)|from|more from|more by|mehr von)\s+"  # 'Av PNY' (Norwegian), not 'AV Link'
    r"|(?P<store>visit the|besuche den|visiter la boutique|visita la tienda de|visita lo store di"
    r"|bezoek de|visite a loja(?: da| de| do)?)\s+)"
    r"(?P<rest>.+)$",
    re.IGNORECASE,
)
# A company's legal form after its name: 'Canon, Inc.', 'Sony Corporation', 'Casio Computer Co., Ltd.'.
_LEGAL_FORM = re.compile(
    r"(?:,?\s+(?:co\.?,?\s*)?(?:inc|incorporated|ltd|limited|llc|l\.l\.c|corp|corporation|gmbh|ag"
    r"|gmbh\s*&\s*co\.?\s*kg|s\.?a\.?|s\.?p\.?a\.?|s\.?r\.?l\.?|b\.?v\.?|n\.?v\.?|plc|oy|ab|a/s|pty)\.?)+$",
    re.IGNORECASE,
)
# Values a brand field holds when the product has none (marketplace and feed placeholders).
NO_BRAND = frozenset(
    {"n/a", "na", "none", "null", "-", "unknown", "keine", "k.a.", "unbranded", "no brand", "nobrand"}
    | {"does not apply", "not applicable", "ohne marke", "sans marque", "sin marca", "senza marca"}
    | {"powered by"}  # an attribution over a logo, not the product's brand
)
_BRAND_STORE = re.compile(r"^(?P<name>.+?)[\s-](?:store|shop|storefront|winkel)$", re.IGNORECASE)
_NUMBER = re.compile(r"[0-9]+(?:[.,][0-9]+)?")
_HIDING_CLASS = re.compile(
    r"(?!visually-)(?:[a-z]+-)?(?:hidden|hide|hdn|d-none|display-?none|invisible)", re.IGNORECASE
)
_COUNT = re.compile(r"[0-9][0-9,.\u00a0\u202f ]*")
_CATEGORY_SEPARATOR = re.compile(r"\s*[>/|\u203a\u00bb]\s*")
_HOME_CRUMBS = frozenset({"home", "start", "startseite", "accueil", "inicio", "homepage", "home page"})


def clean_text(value: object, _depth: int = 0) -> str | None:
    """A one-line string, or None for empty values; dicts give their 'name', lists their first
    non-empty item (looking at most _MAX_DEPTH levels deep)."""
    if isinstance(value, str):  # the usual case first
        return " ".join(value.split()) or None  # str.split() splits at the whitespace \s+ matches
    if isinstance(value, (list, dict)):
        if _depth >= _MAX_DEPTH:
            return None
        if isinstance(value, dict):
            return clean_text(value.get("name"), _depth + 1)
        return next((text for item in value if (text := clean_text(item, _depth + 1))), None)
    if value is None or isinstance(value, bool):
        return None
    return " ".join(str(value).split()) or None


_SLOGAN = re.compile(r" [|\u2013-] ")  # 'Gymshark | We Do Gym': a site title's tagline after the name


def clean_brand(value: object) -> str | None:
    """A brand without the page's label around it: 'Brand: Sony', 'Visit the Sony Store',
    'by Sony', 'Marke: Sony', 'Mehr von Sony' -> 'Sony'; nor the company's legal form: 'Canon,
    Inc.' -> 'Canon'; nor a slogan after a bar or dash: 'Gymshark | We Do Gym', 'Meryl Arnett -
    Atlanta Meditation teacher' -> 'Gymshark', 'Meryl Arnett'. A
    placeholder ('N/A', 'Unbranded', 'Does not apply': NO_BRAND) is no brand: None."""
    text = clean_text(value)
    if not text or text[0] in _EMPTY_SLOT_MARKS:
        return None  # '| Urban Outfitters': a template's empty brand slot before the shop's name
    text = _SLOGAN.split(without_brand_label(text), 1)[0]
    if text and " " in text:
        text = _LEGAL_FORM.sub("", text).strip(" ,") or text
    return text if text and text.casefold() not in NO_BRAND else None


def without_brand_label(text: str) -> str:
    """'Brand: Sony', 'by Sony', 'Mehr von Sony', 'Visit the Sony Store' -> 'Sony'."""
    labelled = _BRAND_LABEL.match(text)
    if labelled is None:
        return text
    rest = labelled.group("rest").strip()
    store = _BRAND_STORE.match(rest) if labelled.group("store") else None
    return store.group("name") if store else rest


def company_name(value: object) -> bool:
    """Whether a brand value is a company's name with its legal form ('Casio Computer Co., Ltd.')."""
    text = clean_text(value)
    if not text or " " not in text:
        return False
    return _LEGAL_FORM.search(text) is not None and bool(_LEGAL_FORM.sub("", text).strip())


def structured_price(
    value: object, currency: str | None, hints: Mapping[str, str] | None = None
) -> Price | None:
    """A structured-data price (see price_from_value), or None when it is no usable price. A
    missing currency gives a price without one; `hints` (keywords of price_from_value: the
    page's locale and TLD, built by page._price_hints) help read locale-formatted text."""
    if is_blank(value):
        return None
    try:
        return price_from_value(value, currency, **(hints or {}))
    except PriceError:
        return None


def node_text(node: LexborNode) -> str | None:
    return clean_text(node.text(deep=True, separator=" "))


def shown_text(node: LexborNode) -> str | None:
    """node_text without the children a page hides ('<h1><span class="g-hdn">Details about</span>
    Kettle</h1>' shows 'Kettle')."""
    first = node.child
    if first is None or (first.next is None and first.tag == "-text"):  # most: one text, nothing to hide
        return node_text(node)
    if not any(is_hidden(child.attributes) for child in node.iter()):
        return node_text(node)
    shown = (
        child
        for child in node.iter(include_text=True)
        if child.tag == "-text" or not is_hidden(child.attributes)
    )
    return clean_text(" ".join(child.text(deep=True, separator=" ") for child in shown))


def is_hidden(attributes: Mapping[str, str | None]) -> bool:
    """Hidden by attribute, inline style or a hiding class ('hidden', 'aok-hidden', 'd-none'; not
    'visually-hidden' or 'sr-only', which hold text for screen readers: often the whole price)."""
    style = (attributes.get("style") or "").replace(" ", "").lower()
    if "hidden" in attributes or "display:none" in style or "visibility:hidden" in style:
        return True
    return _hiding(attributes.get("class") or "")


@lru_cache(maxsize=8192)
def _hiding(classes: str) -> bool:
    return any(_HIDING_CLASS.fullmatch(name) for name in classes.split())


def to_float(value: object) -> float | None:
    """4.5, '4,5', '4.5 out of 5' -> 4.5. (Ratings only: prices never go through float.)"""
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        number = float(Decimal(value))  # float(int) overflows beyond 1e308; via Decimal it is inf
        return number if math.isfinite(number) else None
    text = clean_text(value)
    match = _NUMBER.search(text) if text else None
    if match is None:
        return None
    try:
        number = float(Decimal(match.group().replace(",", ".")))
    except InvalidOperation:
        return None
    return number if math.isfinite(number) else None  # 400 digits of "rating" are no rating


def to_count(value: object) -> int | None:
    """12, '1,234 reviews', '(1.234)' -> a non-negative int."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value >= 0 else None
    if isinstance(value, Decimal):
        return int(value) if value.is_finite() and value >= 0 else None
    if isinstance(value, str) and value.isascii() and value.isdigit():  # the usual '3'
        return int(value) if len(value) <= 18 else None
    text = clean_text(value)
    match = _COUNT.search(text) if text else None
    if match is None:
        return None
    digits = "".join(ch for ch in match.group() if ch.isdigit())
    return int(digits) if len(digits) <= 18 else None


def absolute_url(value: object, base_url: str) -> str | None:
    """An http(s) URL resolved against the page; anything else (data:, javascript:) -> None."""
    href = clean_text(value.get("url") or value.get("contentUrl") if isinstance(value, dict) else value)
    if not href:
        return None
    return _plain_url(href, base_url) or resolved_url(href, base_url)


# What urllib would rewrite in an href (a fragment, params, brackets, a backslash): not plain.
_NOT_PLAIN_MARKS = ("#", ";", "[", "]", "\\")


def _plain_url(href: str, base_url: str) -> str | None:
    """resolved_url's answer without urllib (which costs ~5 % of extracting a demo page) for the
    usual hrefs: an absolute http(s) URL, or a path from the root, that urllib keeps as it is
    (ASCII, no empty query, no doubled slashes or dot segments in a path); else None."""
    if not href.isascii() or href.endswith("?") or any(mark in href for mark in _NOT_PLAIN_MARKS):
        return None
    if href.startswith(("http://", "https://")):
        host_start = href.index("//") + 2
        return href if href[host_start : host_start + 1] not in ("", "/", "?") else None
    if href.startswith("/") and "//" not in href and "/." not in href:
        origin = _origin(base_url)
        return origin + href if origin else None
    return None


@lru_cache(maxsize=64)
def _origin(url: str) -> str | None:
    """'https://shop.example' of an http(s) URL; None for anything else."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None


def resolved_url(href: str, base_url: str) -> str | None:
    """`href` resolved against `base_url` by urllib, without its fragment; None unless http(s)."""
    try:
        parts = urlsplit(href)
        # urljoin (slow) changes an absolute http(s) URL only by dropping an empty ';' (params)
        if not (parts.netloc and parts.scheme in ("http", "https") and ";" not in href):
            parts = urlsplit(urljoin(base_url, href))
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))  # no fragment


def currency_code(value: object, hints: Mapping[str, str] | None = None) -> str | None:
    """The ISO 4217 code a structured-data currency means: 'usd' -> 'USD', '€' -> 'EUR', '$' on a
    Canadian page (by `hints`, see structured_price) -> 'CAD'; else None."""
    text = clean_text(value)
    if not text or len(text) > 12:
        return None
    if text.upper() in ISO_CODES:
        return text.upper()  # (a code ISO 4217 lacks, 'UAN' for UAH, leaves it to the page)
    price = structured_price("0", text, hints)  # the price parser knows the signs and words
    return price.currency if price is not None else None


def is_blank(value: object) -> bool:
    """Whether a structured value is missing: None or ''. (Not `value in (None, "")`: a Decimal
    compared with None or a string goes through the numbers ABCs, 0.3 µs a test.)"""
    return value is None or (isinstance(value, str) and not value)


def same_amount(first: object, second: object) -> bool:
    """Whether two structured-data amounts ('100', 100, '100.00') are the same number."""
    try:
        return Decimal(str(first).strip()) == Decimal(str(second).strip())
    except (InvalidOperation, ValueError):
        return False


def url_key(url: str | None) -> str | None:
    """What two URLs of one page share: host without 'www.', path without a trailing '/' (the
    scheme, query and fragment differ between a page and the URLs its markup gives for it)."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").removeprefix("www.")
    return f"{host}{parts.path.rstrip('/')}" if host else None


def first(value: object) -> object:
    return value[0] if isinstance(value, list) and value else value


def as_list(value: object) -> list[object]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def clean_category_path(names: list[str | None], title: str | None) -> tuple[str, ...]:
    """Breadcrumb names without the leading 'Home' and a trailing crumb that is the product itself."""
    path = [name for name in names if name]
    if path and path[0].lower() in _HOME_CRUMBS:
        path = path[1:]
    if path and title and path[-1].casefold() == title.casefold():
        path = path[:-1]
    return tuple(path)


def split_category(text: str | None) -> list[str | None]:
    """'Electronics > Audio > Headphones' (also '/', '|' and angle-quote separators) -> its parts."""
    if not text:
        return []
    return [clean_text(part) for part in _CATEGORY_SEPARATOR.split(text)]
