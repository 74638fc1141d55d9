"""Product and link extraction: a site profile first, then the generic readers, merged field by field.

Sources, in priority order:
    profile    the site's profile (profiles.toml), when the site has one
    jsonld     JSON-LD (jsonld.py)
    microdata  microdata (microdata.py)
    rdfa       RDFa Lite with schema.org (rdfa.py)
    meta       OpenGraph/product meta tags (meta.py), then
    itemprop   loose <meta itemprop>/<link itemprop> tags outside any item (meta.py)
    visible    what a shopper sees: heading, price near it, labels (visible/)
The three structured readers give schema.org nodes; from each, the page's main product is read
(schemaorg.main_product: the one whose url/@id is the page's URL or canonical URL, else the one
with offers, else the first top-level one) with its representative offer (schemaorg.best_offer).

The merge rule: for each field the first source with a value wins, so a profile can fix one
field and leave the rest to structured data. Except:
- price and currency travel together: the first source with a price gives both. A price found
  without a currency keeps the source's amount and takes the currency from the page: the first
  source (in the order above) that knows one (a priced offer, product:price:currency, a loose
  itemprop=priceCurrency...); with none, the currency of the country whose domain the page is on
  ('.pl' PLN, '.in' INR); on a generic domain ('.com'), the price stays without a currency.
- a price of zero (a placeholder) gives way to a later source's price; with none, there is no price.
- a marked-up price with digits beyond the currency's minor unit ('84.0973') keeps them only when
  the page shows them ('84,09730 €'); else it is rounded ('224.904' shown '224,90 EUR': a net
  price's rounding).
- a title that is just the product's SKU or product ID gives way to the next source's title.
- every title loses the shop's name and format tags ('Kettle - A101', 'Name Kindle Edition';
  titles.py); one that is the shop's name or a page type alone gives way to the next source's;
  a structured name gives way to the <h1> that is exactly brand + name ('Apple iPhone 7') or the
  name up to a separator (without a variant suffix: 'T-Shirt print', named '... - acid black')
  or without the words before it ('Diamond Ring', named 'Tiffany Novo® Diamond Ring');
  a page title to the <h1> it ends with after lead-in words ('Buy Steel Kettle' -> 'Steel Kettle').
- a brand loses the page's labels around it ('Brand: Sony', 'Visit the Sony Store', 'by Sony')
  and a company's legal form ('Canon, Inc.'); an all-caps one takes another source's mixed case;
  a placeholder ('N/A', 'Unbranded') is none; with none from any source, the shop's name the
  title starts with is the brand of its own label, else the words before a ® or ™ it starts with.
- availability: shown stock wording, or an og:availability, more precise than a structured in or
  out of stock refines it ('Only 2 left' -> LIMITED, 'Temporarily on backorder' -> BACKORDER), when
  the page is read anyway; a page whose markup says out of stock is read on when it speaks of
  backorders.
- a title loses the SKU a bar sets after it ('Staple Tee | 5001').
- a SKU loses its label ('SKU: KT-9'); a structured one gives way to the SKU the page labels when
  that extends it or when the page never shows the structured one (not to the maker's part
  number the structured data names, unless the shop makes the product); with no SKU from any source,
  the product ID stands for it unless it is a GTIN, a platform's long number, a prefixed
  identifier or a URL.
Later sources are only read while a field is missing. A page where no source finds a title or
a price holds no product and gives None. docs/extraction.md has the whole story.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from html import escape
from urllib.parse import urlsplit

from consumers.extract.availability import Availability, mentions_backorder
from consumers.extract.brands import brand_in_title
from consumers.extract.currencies import national_currency
from consumers.extract.meta import itemprop_fields, meta_fields
from consumers.extract.model import PRODUCT_FIELDS, Links, ProductData
from consumers.extract.page import Page
from consumers.extract.price import Price, PriceError
from consumers.extract.profiles import Profiles, SiteProfile, profile_fields
from consumers.extract.schemaorg import (
    Node,
    breadcrumb_names,
    id_index,
    item_list_urls,
    main_product,
    of_type,
    product_fields,
)
from consumers.extract.titles import (
    clean_title,
    is_site_name,
    normalised,
    shop_name_before_shop_words,
    spaced,
)
from consumers.extract.values import (
    absolute_url,
    clean_brand,
    clean_category_path,
    company_name,
    structured_price,
)
from consumers.extract.visible import (
    heading_text,
    labelled_sku_extending,
    labelled_sku_instead,
    page_titles,
    sku_without_label,
    visible_fields,
)

# Last-resort product links on listing pages without structured lists or a profile.
_PRODUCT_PATH = re.compile(r"/(?:products?|p|item|items|artikel|dp)/[^/?#]+", re.IGNORECASE)
_ALL_FIELDS = frozenset(PRODUCT_FIELDS)
_EMPTY = (None, "", [], {}, ())
# One or two words at a title's start, then ® or ™ and a space (three are a franchise's name more
# often than a maker's: 'Sid Meier's Civilization® V').
_TRADEMARKED_START = re.compile(r"\s*((?:[\w'&.-]+\s)?[\w'&.-]+)\s?[\u00ae\u2122](?=\s)")
# A separator after which a structured name goes on with a variant ('- acid black', ', 256 GB').
_VARIANT_SUFFIX = re.compile(r"\s*[-|,/>\u2013\u2014\u00b7\u00bb]\s|\s+\(|>\s")
# Words run together where a line break stood ('HEART CLUBHeart Button': the <h1> had a <br>).
_GLUED_WORDS = re.compile(r"[A-Z]{2}[A-Z][a-z]|[a-z][A-Z][a-z]{2}")
# Sources whose title is a name the shop wrote for machines: the <h1> may show it otherwise.
_NAMING_SOURCES = frozenset({"jsonld", "microdata", "rdfa", "meta", "itemprop"})
_STRUCTURED_SOURCES = frozenset({"jsonld", "microdata", "rdfa"})
_MARKUP_SOURCES = _STRUCTURED_SOURCES | {"meta", "itemprop"}  # values written for machines, not shown
_NAME_WORDS = 3  # of a product's name that no brand repeats whole (a brand may be 'Nike Air')
_MAX_SHOP_NAME_WORDS = 3  # of a shop's name a title starts with ('Williams Sonoma', 'Wilsons Leather')
_LONG_NUMBER = 10  # digits of a GTIN-12/13/14 or a shop platform's internal product number (Shopify's)
# The most a fallback source can give (its keys, besides '_currency'): once these are filled (and
# the price has its currency, the title is no SKU), the source is not read at all. A source not
# listed here may give any field. Keep in step with meta.py and visible/__init__.py.
SOURCE_FIELDS = {
    "meta": frozenset({"title", "image_url", "brand", "product_id", "availability", "price"}),
    "itemprop": frozenset({"price", "availability", "sku", "brand", "product_id"}),
    "visible": frozenset({"title", "price", "availability", "sku", "brand"}),
}

Source = Callable[[Page], dict[str, object]]


class Extractor:
    """Extraction with a given set of site profiles (the shipped profiles.toml by default)."""

    def __init__(self, profiles: Profiles | None = None) -> None:
        self.profiles = profiles if profiles is not None else Profiles.load()

    def product(self, html: str, url: str) -> ProductData | None:
        """The product a page describes, or None when it describes none."""
        page = Page(html, url)
        profile = self.profiles.for_url(url)
        sources: list[tuple[str, Source]] = [
            ("jsonld", lambda page: _structured_source(page, page.jsonld)),
            ("microdata", lambda page: _structured_source(page, page.microdata)),
            ("rdfa", lambda page: _structured_source(page, page.rdfa)),
            ("meta", lambda page: meta_fields(page.tree, page.base_url, page.price_hints, page.meta_tags)),
            ("itemprop", lambda page: itemprop_fields(page.loose_itemprops, page.price_hints)),
            ("visible", lambda page: visible_fields(page, profile)),
        ]
        if profile is not None:
            sources.insert(0, ("profile", lambda page: profile_fields(profile, page.tree, page.base_url)))
        return _merge(page, sources)

    def links(self, html: str, url: str) -> Links:
        """Product links and the next-page link of a listing page, absolute, deduplicated."""
        page = Page(html, url)
        profile = self.profiles.for_url(url)
        return Links(product_urls=_product_urls(page, profile), next_page=_next_page(page, profile))


@dataclass(slots=True)
class _Merge:
    """What the sources gave, as the merge rule takes it: each field from the first source that
    has it (`fields`, `origin`: field -> source), and what the settling steps after it read from
    every source."""

    fields: dict[str, object] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)
    # Every source's title (for a title that is a code), currency (in order) and brand (for the
    # shop's own spelling of an all-caps one).
    titles: list[tuple[str, str]] = field(default_factory=list)
    currencies: list[tuple[str, str]] = field(default_factory=list)
    brands: list[str] = field(default_factory=list)
    price_value: object = None  # the raw amount of a price taken without a currency
    maker_number: str | None = None  # the first structured MPN
    companies: int = 0  # whether the brand taken was a company's name ('Casio Computer Co., Ltd.')


def _merge(page: Page, sources: list[tuple[str, Source]]) -> ProductData | None:
    """The merge rule of the module docstring: the sources' fields taken, then each settled."""
    merge = _take_fields(page, sources)
    _settle_title(page, merge)
    _settle_brand(page, merge)
    _settle_sku(page, merge)
    _settle_price(page, merge)
    merged, origin = merge.fields, merge.origin
    if merged.get("title") is None and merged.get("price") is None:
        return None
    merged["category_path"] = clean_category_path(list(merged.get("category_path", [])), merged.get("title"))
    used = set(origin.values())
    return ProductData(**merged, sources=tuple(name for name, _ in sources if name in used))


def _take_fields(page: Page, sources: list[tuple[str, Source]]) -> _Merge:
    """Each field from the first source that gives it (a later one only replaces a placeholder
    price or refines the stock). Sources may add private keys: '_currency', a currency they
    know even without a price; '_price_value', the raw amount of a price they found without
    a currency (to read it again once the currency is known); '_orderable', whether the page
    shows a buy button or link beside the backorder it says (a backorder takes orders)."""
    merge = _Merge()
    merged = merge.fields
    for name, source in sources:
        if name in SOURCE_FIELDS and merged.keys() >= SOURCE_FIELDS[name] and _settled(merged, page):
            continue  # nothing it could add
        found = source(page)
        currency = found.pop("_currency", None)
        value = found.pop("_price_value", None)
        orderable = found.pop("_orderable", True)
        maker_number = found.pop("_mpn", None)
        merge.maker_number = merge.maker_number or maker_number
        price = found.get("price")
        if isinstance(price, Price) and price.currency:
            currency = price.currency
        if currency:
            merge.currencies.append((name, str(currency)))
        if "brand" in found:
            merge.companies += "brand" not in merged and company_name(found["brand"])
            found["brand"] = clean_brand(found["brand"])
            if isinstance(found["brand"], str):
                merge.brands.append(found["brand"])
        if isinstance(sku := found.get("sku"), str):
            found["sku"] = sku_without_label(sku)
        if isinstance(title := found.get("title"), str) and title:
            cleaned = clean_title(title, page.site_names)
            found["title"] = cleaned
            if cleaned is not None:
                merge.titles.append((name, cleaned))
        for key, item in found.items():
            if item not in _EMPTY and (
                key not in merged
                or (key == "price" and _free(merged[key], item))
                or (
                    key == "availability"
                    and name in _REFINING_SOURCES
                    and orderable
                    and _refines(merged[key], item)
                )
            ):
                merged[key] = item
                merge.origin[key] = name
                if key == "price":
                    merge.price_value = value
        if merged.keys() >= _ALL_FIELDS and _settled(merged, page):
            break
    return merge


def _settle_title(page: Page, merge: _Merge) -> None:
    """A title that is just a code gives way to another source's; a cut one to the whole; a
    machine's name to the one the page shows."""
    merged, origin = merge.fields, merge.origin
    if _title_is_a_code(merged.get("title"), merged):  # the next source's title, if any is better
        titles = merge.titles
        better = next(((name, title) for name, title in titles if not _title_is_a_code(title, merged)), None)
        if better is not None:
            origin["title"], merged["title"] = better
    if isinstance(title := merged.get("title"), str) and (whole := _uncut_title(page, title, merge.titles)):
        origin["title"], merged["title"] = whole
    if origin.get("title") in _NAMING_SOURCES:
        merged["title"] = _title_as_shown(
            page, merged["title"], merged.get("brand"), lead_in=origin["title"] not in _STRUCTURED_SOURCES
        )


def _settle_brand(page: Page, merge: _Merge) -> None:
    """The brand as the shop spells and titles it; with none, the brand the title starts with: the
    shop's own name, a trademarked word, a known brand (brands.py)."""
    merged, origin = merge.fields, merge.origin
    if isinstance(brand := merged.get("brand"), str):
        brand = _brand_as_spelled(brand, merge.brands)
        if merge.companies:
            brand = _brand_in_title(brand, merged.get("title"))
        brand = _brand_as_titled(brand, merged.get("title"))
        brand = shop_name_before_shop_words(brand, page.site_names) or brand
        # A brand that is the product's whole name is a page title misfiled as one ('Regular Fit
        # Mont - Tüm ürünler | Colin's' as microdata Brand.name).
        merged["brand"] = None if _is_the_title(brand, merged.get("title")) else brand
    if not merged.get("brand"):
        title = merged.get("title")
        if (
            named := _shop_name_in_title(title, page.site_names)
            or _trademarked_start(title)
            or brand_in_title(title)
        ):
            merged["brand"], origin["brand"] = named, origin["title"]


def _settle_sku(page: Page, merge: _Merge) -> None:
    """A structured SKU as the page labels it; with none, a product id that is one; and no SKU
    left after a bar in the title."""
    merged, origin = merge.fields, merge.origin
    if isinstance(sku := merged.get("sku"), str) and sku and origin.get("sku") in _STRUCTURED_SOURCES:
        maker_number = merge.maker_number
        brand = merged.get("brand")
        if maker_number and isinstance(brand, str) and is_site_name(normalised(brand), page.site_names):
            maker_number = None  # the shop makes it: its part number is its item number
        merged["sku"] = (
            labelled_sku_extending(page, sku) or labelled_sku_instead(page, sku, maker_number) or sku
        )
    if not merged.get("sku") and (code := _id_as_sku(merged.get("product_id"))) is not None:
        merged["sku"], origin["sku"] = code, origin["product_id"]
    if isinstance(title := merged.get("title"), str) and isinstance(sku := merged.get("sku"), str) and sku:
        merged["title"] = _without_code_after_bar(title, sku)


def _settle_price(page: Page, merge: _Merge) -> None:
    """A price without a currency in the first currency a source knows, else the national one of
    the domain; a zero no source replaced is no price."""
    merged = merge.fields
    price = merged.get("price")
    if isinstance(price, Price) and price.currency is None and merge.currencies:
        merge.origin["currency"], currency = merge.currencies[0]
        merged["price"] = _priced_in(price, merge.price_value, currency, page.price_hints)
    elif (
        isinstance(price, Price)
        and price.currency is None
        and (national := national_currency(page.price_hints.get("tld")))
    ):
        merged["price"] = _priced_in(price, merge.price_value, national, page.price_hints)
    if isinstance(price := merged.get("price"), Price) and price.minor == 0:
        merged["price"] = None  # a placeholder no source replaced ('0.00' shown while sold out)
    elif (
        isinstance(price, Price)
        and price.exact is not None
        and merge.origin.get("price") in _MARKUP_SOURCES
        and not _shows_amount(page, price.exact)
    ):
        merged["price"] = Price(price.minor, price.currency)  # '224.904' marked up, '224,90 €' shown


def _shows_amount(page: Page, amount: Decimal) -> bool:
    """Whether the page's visible text shows `amount` with all its digits after the point
    ('84,09730 €' for 84.0973; the last three digits before the point, for a thousands mark)."""
    whole, _, fraction = f"{amount:f}".partition(".")
    text = page.visible_text
    return any(f"{whole[-3:]}{mark}{fraction}" in text for mark in ".,")


def _without_code_after_bar(title: str, sku: str) -> str:
    """A title without the SKU a bar sets after it ('Staple Tee | 5001': the <h1> shows the code as
    a label beside the name). Only after a bar: 'Printer - 35SC060' is how shops name it."""
    suffix = f" | {sku}"
    if len(title) > len(suffix) and title.casefold().endswith(suffix.casefold()):
        return title[: -len(suffix)].rstrip() or title
    return title


def _trademarked_start(title: object) -> str | None:
    """The word or two a title starts with under a registered or trade mark ('LEGO® Creator Seaside
    House', 'Nespresso ® by Breville'): the brand, when no source names one. Not a mark glued
    to what follows ('PlayStation®5 Console': the product's name)."""
    match = _TRADEMARKED_START.match(title) if isinstance(title, str) else None
    return match.group(1) if match else None


def _shop_name_in_title(title: object, site_names: set[str]) -> str | None:
    """The shop's name the title starts with ('Williams Sonoma Oven Mitt' on williams-sonoma.com):
    the shop's own label, the brand when no source names one."""
    if not isinstance(title, str):
        return None
    words = title.split()
    for count in range(1, min(len(words) - 1, _MAX_SHOP_NAME_WORDS) + 1):
        prefix = " ".join(words[:count])
        if normalised(prefix) in site_names:
            return prefix
    return None


# What a page title adds after the name: an item number, a parenthesised spec ('(2560 x 1440 Pixel)').
_TITLE_EXTRAS = re.compile(r" (?:[0-9]{5,}|\([^()]*\))")
# A parenthesised spec, parentheses inside allowed once: ' (61 cm(24 Zoll), schwarz, HDMI)'.
_SPEC = re.compile(r" \((?:[^()]|\([^()]*\))*\)")


def _title_as_shown(page: Page, title: object, brand: object, lead_in: bool = False) -> object:
    """The page's <h1> instead of a structured name that says the same otherwise: the title as
    the page presents it. The <h1> is the name with the brand before it ('iPhone 7' named, 'Apple
    iPhone 7' shown, also with a parenthesised spec after it; not when the <h1> sets the brand
    apart in its own element, a label over the name), or the name without a variant suffix
    ('T-Shirt print - acid black' named, 'T-Shirt print' shown: the <h1> is the name up to a
    separator), or the name with the spaces a machine's copy lost ('HEART CLUBHeart Button'
    named, 'HEART CLUB<br>Heart Button' shown). With
    `lead_in` (a page title: og:title, <title>), also the name after the page's lead-in words
    ('Buy Office 365', 'Cumpărați Office 365' titled, 'Office 365' shown) or before its extras
    ('Umbrella - Black 6468744', 'BL3290QT IPS (2560 x 1440 Pixel)' titled: an item number or a
    parenthesised spec; not more words, 'Kettle 1.7 l' with 'Kettle' shown)."""
    if not isinstance(title, str):
        return title
    brand = brand if isinstance(brand, str) and brand else None
    named = spaced(title)
    branded = spaced(f"{brand} {title}") if brand and not named.startswith(spaced(brand)) else None
    folded_brand = spaced(brand or "")

    def shows_the_name(heading: str) -> bool:
        shown = spaced(heading)
        if shown == branded or (glued and shown != named and _unspaced(shown) == _unspaced(named)):
            return True
        for stem in (named, branded):  # (brand,) name and the spec the heading adds: 'ASUS VZ24EHF (61 cm)'
            if stem and shown.startswith(f"{stem} ") and _SPEC.fullmatch(shown, len(stem)):
                return True
        around = named.endswith(f" {shown}") or (
            named.startswith(f"{shown} ") and _TITLE_EXTRAS.fullmatch(named, len(shown)) is not None
        )
        if lead_in and around and len(shown.split()) >= 2:  # lead-in words before it, extras after
            return True
        return (
            shown != named
            and named.startswith(shown)
            and _VARIANT_SUFFIX.match(named, len(shown)) is not None
            and len(shown.split()) >= 2
            and shown != folded_brand
        ) or (not lead_in and _after_a_prefix(shown, named))

    glued = _GLUED_WORDS.search(title) is not None
    specified = f"{title} (" in page.html  # the name shown with a spec after it, maybe in the <h1>
    if (
        branded is None
        and not glued
        and not lead_in
        and not specified
        and _VARIANT_SUFFIX.search(named) is None
        and (len(named.split()) < 3 or _shown_whole(page, title))
    ):
        return title  # nothing an <h1> could show otherwise: no need to look
    return heading_text(page, shows_the_name, brand) or title


def _shown_whole(page: Page, title: str) -> bool:
    """Whether an element's text is the title whole (as the page writes it, maybe escaped): then
    no <h1> shows it without the words before it. A cheap test, not a proof: a failed one only
    means the <h1> is looked at."""
    html = page.html
    if f">{title}<" in html:
        return True
    escaped = (escape(title, quote=False), escape(title))  # '&amp;', also '&#x27;' and '&quot;'
    return any(text != title and f">{text}<" in html for text in escaped)


_MARKS = re.compile(r"\s*[\u00ae\u2122\u00a9]")  # ®, ™, © after a name


def _after_a_prefix(shown: str, named: str) -> bool:
    """Whether a heading of two words or more is the structured name without the words before it
    (a brand or line: 'AFC Cable Systems 1/2 x 25 ft. Conduit', 'Tiffany Novo® Diamond Ring' with
    '1/2 x 25 ft. Conduit', 'Diamond Ring' shown), maybe also without what follows a separator
    ('iFixit Pro Tech® Toolkit: Computer, Phone Repair Kit' with 'Pro Tech Toolkit' shown)."""
    shown, named = _MARKS.sub("", shown), _MARKS.sub("", named)
    start = named.find(f" {shown}")
    if len(shown.split()) < 2 or start <= 0:
        return False
    end = start + 1 + len(shown)
    return end == len(named) or _VARIANT_SUFFIX.match(named, end) is not None or named.startswith(":", end)


def _unspaced(text: str) -> str:
    return "".join(text.split())


def _brand_as_spelled(brand: str, brands: list[str]) -> str:
    """An all-caps brand ('APTAMİL') in the mixed case another source spells it ('Aptamil')."""
    if not brand.isupper():
        return brand
    key = normalised(brand)
    return next(
        (other for other in brands if not other.isupper() and normalised(other) == key and key), brand
    )


_NAME_PARTS = re.compile(r"[\s-]+")
_COMPANY_WORDS = frozenset(
    {"company", "co", "corp", "corporation", "inc", "ltd", "limited", "llc", "gmbh", "ag"}
)


def _brand_in_title(company: str, title: object) -> str:
    """A company's name cut to the brand the title starts with: 'Casio Computer' (of 'Casio Computer
    Co., Ltd.') with 'Casio Exilim EX-S200' -> 'Casio'. Only for company names: a brand of several
    words ('Tom Dixon') is the brand whole."""
    words = company.split()
    if len(words) < 2 or not isinstance(title, str):
        return company
    folded = spaced(title)
    if folded.startswith(spaced(company)):
        return company
    if not folded.startswith(words[0].casefold() + " "):
        return company
    return words[0]


def _brand_as_titled(brand: str, title: object) -> str:
    """A brand of several words as the title's first word shortens it: 'GE' for 'General Electric
    Company', 'Fujifilm' for 'Fuji Photo Film' (see _short_form)."""
    if not isinstance(title, str) or not title.strip():
        return brand
    first = title.split(maxsplit=1)[0].strip(",:;.")
    return first if _short_form(first, brand) else brand


def _short_form(word: str, company: str) -> bool:
    """Whether the first word of a title is the company's short name: its initials ('GE' of
    'General Electric Company', 'HP' of 'Hewlett-Packard Company') or its words run together
    from the first ('Fujifilm' of 'Fuji Photo Film')."""
    if len(word) < 2:
        return False
    parts = [part for part in _NAME_PARTS.split(company) if part]
    if len(parts) < 2:
        return False
    named = [part for part in parts if part.casefold().strip(",.") not in _COMPANY_WORDS]
    initials = "".join(part[0] for part in named if part[0].isupper())
    if word.isupper() and word == initials:
        return True
    key, keys = normalised(word), [normalised(part) for part in parts]
    if not key.startswith(keys[0]) or key == keys[0]:
        return False
    rest = key[len(keys[0]) :]
    for part in keys[1:]:  # the rest: some of the other words, in order
        if part and rest.startswith(part):
            rest = rest[len(part) :]
    return not rest


def _id_as_sku(product_id: object) -> str | None:
    """A product ID (schema.org productID, OpenGraph product:retailer_item_id) as the SKU of a
    page that gives none: the shop's own code ('003.025.02'), not a GTIN or a platform's long
    number (10 digits or more: Shopify's product IDs), a prefixed identifier ('isbn:...') or a URL."""
    if not isinstance(product_id, str) or not product_id:
        return None
    if ":" in product_id or "/" in product_id or " " in product_id:
        return None
    if product_id.isdigit() and len(product_id) >= _LONG_NUMBER:
        return None
    return product_id


def _settled(merged: dict[str, object], page: Page) -> bool:
    """Whether no later source can improve a field: the price has its currency and is no zero,
    the title is no SKU, and the stock is not out on a page that speaks of backorders (the
    visible page may refine it)."""
    price = merged.get("price")
    return (
        (not isinstance(price, Price) or (price.currency is not None and price.minor != 0))
        and not _title_is_a_code(merged.get("title"), merged)
        and not (merged.get("availability") is Availability.OUT_OF_STOCK and mentions_backorder(page.html))
    )


def _is_the_title(brand: str, title: object) -> bool:
    return isinstance(title, str) and len(title.split()) >= _NAME_WORDS and spaced(brand) == spaced(title)


def _free(taken: object, found: object) -> bool:
    """Whether the price taken is zero (a placeholder the page's script fills in) and a later
    source's is not: that one beats it."""
    return isinstance(taken, Price) and taken.minor == 0 and isinstance(found, Price) and found.minor != 0


# Sources whose availability may refine an earlier one: the page's wording, its product meta tags
# (og:availability 'BackOrder' beside JSON-LD OutOfStock).
_REFINING_SOURCES = frozenset({"meta", "visible"})
# Shown stock wording more precise than structured data's plain in or out of stock: 'Only 2 left'
# beside InStock, 'Temporarily on backorder' beside OutOfStock (the shop takes orders).
_REFINED_STOCK = {
    Availability.IN_STOCK: frozenset({Availability.LIMITED, Availability.BACKORDER}),
    Availability.OUT_OF_STOCK: frozenset({Availability.BACKORDER}),
}


def _refines(taken: object, shown: object) -> bool:
    """Whether the availability the page shows refines the one taken from structured data."""
    return isinstance(taken, Availability) and shown in _REFINED_STOCK.get(taken, frozenset())


def _title_is_a_code(title: object, merged: dict[str, object]) -> bool:
    if not isinstance(title, str):
        return False
    folded = title.casefold()
    return any(
        isinstance(code, str) and code.casefold() == folded
        for code in (merged.get("sku"), merged.get("product_id"))
    )


_ELLIPSES = ("...", "…")  # a title cut short


def _uncut_title(page: Page, title: str, titles: list[tuple[str, str]]) -> tuple[str, str] | None:
    """(source, title) for a title cut short with an ellipsis ('... Seat Pad Pain...'): another
    source's title or the page's og:title / <title> that goes on where it was cut; else None."""
    if not title.endswith(_ELLIPSES):
        return None
    stem = spaced(title.rstrip(".…"))
    titled = [("meta", clean_title(text, page.site_names)) for text in page_titles(page.tree, page.meta_tags)]
    for name, other in [*titles, *titled]:
        if other and not other.endswith(_ELLIPSES) and spaced(other).startswith(stem):
            return name, other
    return None


def _priced_in(price: Price, value: object, currency: str, hints: dict[str, str]) -> Price:
    """`price` (found without a currency) in `currency`: its raw value read again, which gets the
    minor units of currencies with 0 or 3 decimals right; else its amount rescaled."""
    if value is not None:
        repriced = structured_price(value, currency, hints)
        if repriced is not None:
            return repriced
    try:
        return Price.from_amount(price.amount, currency)
    except (PriceError, ArithmeticError):
        return price


def _structured_source(page: Page, nodes: list[Node]) -> dict[str, object]:
    """Fields of the page's main schema.org product (JSON-LD, microdata or RDFa) and its breadcrumbs."""
    if not nodes:
        return {}
    index = id_index(nodes)
    product = main_product(nodes, index, page.base_url, page.url_keys)
    if product is None:
        return {}
    found = product_fields(
        product, page.base_url, nodes=nodes, index=index, hints=page.price_hints, page_url=page.url
    )
    breadcrumbs = of_type(nodes, "BreadcrumbList")
    if breadcrumbs:
        found["category_path"] = breadcrumb_names(breadcrumbs[0])
    return found


def _product_urls(page: Page, profile: SiteProfile | None) -> tuple[str, ...]:
    """Profile selector; else JSON-LD, microdata or RDFa ItemLists; else links that look like product URLs."""
    base = page.base_url
    if profile is not None and profile.product_links:
        urls = [
            absolute_url(node.attributes.get("href"), base) for node in page.tree.css(profile.product_links)
        ]
    else:
        lists = (
            of_type(page.jsonld, "ItemList")
            or of_type(page.microdata, "ItemList")
            or of_type(page.rdfa, "ItemList")
        )
        urls = [url for item_list in lists for url in item_list_urls(item_list, base)]
        if not urls:
            urls = [
                _matching_product_href(node.attributes.get("href"), base) for node in page.tree.css("a[href]")
            ]
    return tuple(dict.fromkeys(url for url in urls if url))


def _matching_product_href(href: str | None, base_url: str) -> str | None:
    url = absolute_url(href, base_url)
    return url if url and _PRODUCT_PATH.search(urlsplit(url).path) else None


def _next_page(page: Page, profile: SiteProfile | None) -> str | None:
    selector = (
        profile.next_page if profile is not None and profile.next_page else "link[rel~=next], a[rel~=next]"
    )
    for node in page.tree.css(selector):
        url = absolute_url(node.attributes.get("href"), page.base_url)
        if url:
            return url
    return None


@cache
def default_extractor() -> Extractor:
    """The process-wide extractor with the shipped profiles, loaded once."""
    return Extractor()


def extract_product(html: str, url: str) -> ProductData | None:
    """The product on a page (see the module docstring), or None. Raises ExtractionError for
    input that is not a page: non-str HTML, a URL that is not absolute http(s)."""
    return default_extractor().product(html, url)


def extract_links(html: str, url: str) -> Links:
    """Product links and the next-page link of a category page."""
    return default_extractor().links(html, url)
