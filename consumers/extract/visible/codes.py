"""The SKU and the brand as a shopper sees them: elements marked so, labelled values ("SKU: ...",
"Art.-Nr.", "Brand: ..."), a spec table's brand row, a link into the shop's brand pages.

A site profile's sku_from_url (profiles.toml) gives the SKU from the page's URL.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from selectolax.lexbor import LexborHTMLParser, LexborNode

from consumers.extract.page import Page
from consumers.extract.titles import normalised
from consumers.extract.values import (
    BRAND_LABEL_WORDS,
    BRAND_WORDS_PATTERN,
    NO_BRAND,
    clean_text,
    without_brand_label,
)
from consumers.extract.visible.nearness import class_tokens, lineage, nearest, walk_up
from consumers.extract.visible.shared import (
    CART_LINK_STEPS,
    LABEL_WINDOW,
    MAX_CANDIDATES,
    UNSEEN_TAGS,
    css_string,
    label_pattern,
    label_windows,
    labelled_value,
    limited,
    navigational,
    short_text,
    shown_from,
)

if TYPE_CHECKING:
    from consumers.extract.profiles import SiteProfile

_MIN_STYLE_CODE = 5  # characters of a style number ('YLS0030'); shorter is a size or a count
_MAX_VALUE_CHARS = 80  # brand or SKU
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
_NUMBER_SIGN = re.compile(r"#\s?([A-Za-z0-9][A-Za-z0-9._/-]{0,63})")  # '#00076723': an item number
_SKU_CSS = ", ".join(
    ["[itemprop=sku]", "[class*=sku i]", "[id*=sku i]"]
    + [
        f"[class*={word} i]"
        for word in ("itemno", "item-no", "item-number", "itemnumber", "item-id", "product-code")
    ]
)
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
_SHOP_NAME_CHARS = 40  # characters before a '#' looked at for the shop's name ('PCNation #')

# Between a label and its value: spaces, line breaks, a colon, and the direction marks some shops
# put around it ('ASIN \u200f : \u200e B08...').
_LABEL_SEPARATOR = r"[\s\u200e\u200f]*[:#\uff1a]?[\s\u200e\u200f]*"
_SKU_LABEL = label_pattern(
    r"SKU(?:[\s\u200e\u200f]*\([\u200e\u200f]*(?:config|simple)[\u200e\u200f]*\))?"
    r"|(?<!mfg )(?<!mfr )(?<!oem )(?<!manufacturer )Part\s?(?:#|No\.?|number)"
    # The maker's article number ('Herst.Art.Nr.', 'Hersteller-Artikelnummer') is an MPN, not the shop's.
    r"|(?<!herst\.)(?<!herst\. )(?<!hersteller-)(?<!hersteller )"
    r"(?:Art(?:ikel)?\.?\s?-?\s?Nr\.?|Artikelnummer)"
    r"|Artikelcode"
    r"|Best(?:ell)?\.?\s?-?\s?Nr\.?|Bestellnummer|(?:Item|Product|Article)\s?(?:#|No\.?|number|code|ID)"
    r"|Productcode|Ürün\s?(?:kodu|no)|Stok\s?kodu|Code\s?article|Référence\s?interne|Réf(?:érence)?\.?"
    r"|Waren-?(?:nummer|Nr\.?)"
    r"|Ref\.?\s?(?:#|No\.)|Ref(?:erencia|erência)?\.|Referencia|Referência"
    r"|Código(?:\s?(?:d[oe]l?\s?)?(?:produto|producto|artículo|artigo))?"
    r"|Cod(?:ice)?\.?\s?(?:articolo|prodotto)|Kod\s?(?:produktu|towaru)|Nr\s?katalogowy|Numer\s?katalogowy"
    r"|Артикул|Код\s?(?:товара|товару)|商品番号|品番|货号|商品编号|商品編號"
    r"|Catalog\s?(?:#|No\.?|number)|Style\s?(?:#|No\.?|number|code)"
    r"|Stock\s?(?:code|no\.?|number)|Produktnummer|Produkt-?Nr\.?|Varenummer|Varenr\.?|Varunummer"
    r"|Artikkel-?(?:nummer|nr\.?)|Tuotenumero|Tuotekoodi|Kód\s?(?:produktu|zboží|tovaru)|Cikkszám|Termékkód"
    r"|Κωδικός(?:\s?προϊόντος)?|상품\s?(?:번호|코드)|품번|Mã\s?(?:sản phẩm|hàng)|Kode\s?produk"
    r"|رمز المنتج|رقم المنتج|รหัสสินค้า|מק[\"״]ט",  # noqa: RUF001
    _LABEL_SEPARATOR + r"([A-Za-z0-9][A-Za-z0-9._/-]{0,63})",
)
# 'Code:' or 'Item:' alone, with its colon: not a promo, voucher, postal or colour code. The weakest
# label: its value must hold a digit ('Free shipping on $75. Code: SHIPMAGIC' is a promotion).
_BARE_CODE_LABEL = label_pattern(
    r"(?<!promo )(?<!zip )(?<!postal )(?<!post )(?<!discount )(?<!voucher )(?<!coupon )(?<!gift )"
    r"(?<!country )(?<!area )(?<!security )(?<!access )(?<!tracking )(?<!color )(?<!colour )(?<!offer )"
    r"(?:Code|Код|Item)(?=[\s\u200e\u200f]*[:#\uff1a])",
    _LABEL_SEPARATOR + r"([A-Za-z0-9][A-Za-z0-9._/-]{0,63})",
)
# 'Style' alone ('Style: BA5208-010', 'Style YLS0030'): a fashion shop's item number when its value
# is a code with a digit, not a word ('Style: Casual') or a count.
_STYLE_LABEL = label_pattern(r"Style", _LABEL_SEPARATOR + r"([A-Za-z0-9][A-Za-z0-9._/-]{0,63})")
# 'Item' and a code of four characters or more with a digit, without a colon ('Item 3928',
# 'Item E-2-474-3D'): the weakest label, after every other ('Item 1 of 5' is no code).
_ITEM_LABEL = label_pattern(r"Item", r"[ \t]+([A-Za-z0-9][A-Za-z0-9._/-]{3,63})(?![^\s.,;])")
# The value after a '#' label: 'PCNation #: 3C402P'.
_NUMBER_AFTER_MARK = re.compile(r"[ \t]*:?\s*([A-Za-z0-9][A-Za-z0-9._/-]{0,63})")
# A marketplace's own item number beats the other labels: there 'Artikelnummer' is the maker's.
_ASIN_LABEL = label_pattern(r"ASIN", _LABEL_SEPARATOR + r"(B0[A-Z0-9]{8}|[0-9]{9}[0-9X])")
# Books: a labelled ISBN or EAN tells a product page (it is no SKU: a GTIN, not the shop's number).
CODE_LABEL = label_pattern(r"ISBN(?:-?1[03])?|EAN(?:-?13)?", r"\s*:?\s*([0-9][0-9-]{7,20}[0-9Xx])")
_BRAND_LABEL = label_pattern(
    BRAND_WORDS_PATTERN,
    r"[ \t\u00a0\u200e\u200f]*(?:\n[\s\u200e\u200f]*)?[:\uff1a][\s\u200e\u200f]*([^\n]{1,80})",
)
# A spec table's brand (or maker) row: the label alone in its cell (th, td or dt), the value in the
# next cell.
_BRAND_ROW_LABELS = frozenset(normalised(word) for word in BRAND_LABEL_WORDS)
_CELL_TAGS = frozenset({"td", "dd", "th"})
_MAX_ROW_CELLS = 1000  # cells read for a 'Brand' label: a spec table can sit far below the heading
_BOLD_TAGS = frozenset({"b", "strong"})
# Links into a shop's brand pages: '/brands/<name>', '/marken/<name>', '/manufacturer/<name>' (the
# words once, a plural ending allowed).
_BRAND_WORDS = ("brand", "marke", "marque", "marca", "merk", "hersteller", "manufacturer")
_BRAND_LINK_CSS = ", ".join(f"a[href*={word} i]" for word in _BRAND_WORDS)
_BRAND_PATH = re.compile(rf"/(?:{'|'.join(_BRAND_WORDS)})(?:s|n|en)?/[^/?#]+", re.IGNORECASE)
_MAX_BRAND_WORDS = 4
_MIN_LETTER_CODE = 4  # letters of a SKU without digits ('PHLR')
# Words of a class naming a variant's (SKU's) price or instalments, not its number.
_NOT_SKU_WORDS = frozenset({"price", "installment", "instalment"})
_EAN_DIGITS = 13  # a barcode, not the shop's number, when its check digit fits
# A quantity and its unit ('60W', '2.5mm', '512GB', '1kHz'): a spec value, not an item number.
_MEASUREMENT = re.compile(
    r"\d+(?:[.,]\d+)?(?:[kMG]?(?:W|V|Hz)|m?A|mAh|Wh|dB|[mck]?m|k?g|m?l|[KMGT]B|in|inch)", re.IGNORECASE
)
_NO_CODE = frozenset({"NONE", "NULL", "TBD", "TBA", "SIZE", "COLOR", "COLOUR", "FREE", "SALE", "NEW"})
_SIBLINGS_LOOKED_AT = 2  # on each side, to tell one of a list
_CHROME_TOKENS = frozenset({"header", "footer"})  # class words of site chrome besides menus (navigational)
_NOT_BRAND_WORDS = frozenset(
    {"all", "more", "see", "shop", "view", "visit", "brands", "alle", "mehr", "marken", "voir", "tous"}
    | {"todos", "ver", "marcas", "marques", "tutti"}
)
# Bylines of books and social buttons caught by a .byline or .brand element: no brand.
_NOT_A_BRAND = re.compile(
    r"\((?:author|autor|auteur|autore|editor|illustrator|translator|narrator|photographer|contributor"
    r"|foreword|introduction|herausgeber|übersetzer|fotograf)\)"
    r"|\b(?:facebook|twitter|pinterest|instagram|whatsapp)\b",
    re.IGNORECASE,
)
_TRAILING_NUMBER = re.compile(r"\s+[0-9]{5,}$")  # 'NEC Display 60005830': the maker's article number after it
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)+")
_DESCRIPTION = re.compile(r"\s+\([^()]*\)$")  # what a brand's label adds after it in parentheses
_NOT_IN_NAMES = re.compile(r'[{}<>"\[\]\\]')  # markup, JSON or a template caught by a label, not a name


# -- SKU and brand ---------------------------------------------------------------------------------
def product_sku(
    tree: LexborHTMLParser,
    chain: dict[int, int],
    page_text: str,
    after: int,
) -> str | None:
    """itemprop=sku / .sku elements, else a labelled value: an ASIN first, then a SKU label in the
    page's language. Never an ISBN or EAN: a GTIN is no shop's own item number (as `gtin*` in
    schema.org is no `sku`)."""
    for node in nearest(tree.css(_SKU_CSS), chain):
        if class_tokens(node) & _NOT_SKU_WORDS:
            continue  # VTEX's 'skuBestPrice', 'skuBestInstallmentNumber': the variant's price
        content = node.attributes.get("content")
        text = clean_text(content) or short_text(node, _MAX_VALUE_CHARS)
        value = (_labelled_sku(text, 0) or _plausible_sku(sku_without_label(text))) if text else None
        if value:
            return value
    return _text_sku(page_text, after)


def url_sku(url: str, profile: SiteProfile | None) -> str | None:
    """The SKU the site profile's sku_from_url finds in the page's URL (the last resort: a URL may
    name the product's parent while the page labels the variant's number)."""
    pattern = profile.sku_from_url if profile is not None else None
    match = pattern.search(url) if pattern is not None else None
    return match.group(1) if match and match.group(1) else None


def _text_sku(page_text: str, after: int) -> str | None:
    """The SKU the page's text labels after `after`: an ASIN first, then a SKU label."""
    return labelled_value(_ASIN_LABEL, page_text, after, _plausible_sku) or _labelled_sku(page_text, after)


def shop_number(page_text: str, after: int, site_names: set[str]) -> str | None:
    """The item number the shop labels with its own name ('PCNation #: 3C402P', 'Walmart # 5855').
    Found from each '#' (a regex for the name before it would scan the whole window slowly)."""
    for start, end in label_windows(after):
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
        value = labelled_value(label, text, after, plausible)
        if value:
            return value
    return None


def sku_without_label(sku: str) -> str:
    """A SKU value holding its label ('SKU: KT-9', 'Art.-Nr. 12345', 'Item # 12345', a number
    sign alone: '#00076723'): the code."""
    if " " not in sku and ":" not in sku and "#" not in sku:
        return sku  # the usual case: a bare code
    match = _SKU_LABEL.fullmatch(sku) or _BARE_CODE_LABEL.fullmatch(sku) or _NUMBER_SIGN.fullmatch(sku)
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
    text = page.visible_text
    for match in _SKU_LABEL.finditer(text, 0, 2 * LABEL_WINDOW):
        value = _plausible_sku(clean_text(match.group(1)) or "")
        if value is not None and value.startswith(sku) and value != sku:
            return value
    return None


def labelled_sku_instead(page: Page, sku: str, maker_number: str | None = None) -> str | None:
    """The SKU the page labels ('Item#: 40528810') when it never shows the structured one as an
    element's text (a microdata meta sku '5301079': a number for machines), else None. A label
    showing the structured `maker_number` (MPN) names the maker's number, not the shop's."""
    html = page.html
    if f"{sku}<" in html or re.search(rf"{re.escape(sku)}\s*<", html):
        return None  # shown: the shop's own number as the shopper sees it ('5011122876\n  </dd>')
    text = page.visible_text
    labelled = _text_sku(text, 0)
    if labelled is None or labelled.casefold() in (sku.casefold(), (maker_number or "").casefold()):
        return None
    return labelled


def labelled_twice(page_text: str) -> bool:
    """Whether SKU labels with values occur more than once in the page text (tiles each show one)."""
    found = 0
    for label, plausible in ((_ASIN_LABEL, _plausible_sku), *_SKU_LABELS):
        for match in label.finditer(page_text, 0, 2 * LABEL_WINDOW):
            found += plausible(match.group(1)) is not None
            if found > 1:
                return True
    return False


def _sku_with_digit(value: str) -> str | None:
    return value if any(ch.isdigit() for ch in value) and _plausible_sku(value) else None


def _plausible_sku(value: str) -> str | None:
    """The value if it can be a SKU: one word holding a digit, or a code in capitals ('GLOWROLL',
    'PHLR'; not 'N/A', 'none', 'TBD', 'SKU:'); never an EAN-13 a 'Código:' labels (a barcode), nor
    a measurement ('ref. 60W' in a spec sheet)."""
    if len(value) > _MAX_VALUE_CHARS or " " in value or _is_ean13(value) or _MEASUREMENT.fullmatch(value):
        return None
    if any(ch.isdigit() for ch in value):
        return value
    capitals = len(value) >= _MIN_LETTER_CODE and value.isascii() and value.isupper() and value.isalpha()
    return value if capitals and value not in _NO_CODE else None


def _is_ean13(value: str) -> bool:
    """Thirteen digits whose last is the EAN-13 check digit of the others."""
    if len(value) != _EAN_DIGITS or not value.isascii() or not value.isdigit():
        return False
    weighted = sum(int(digit) * (3 if place % 2 else 1) for place, digit in enumerate(value[:-1]))
    return (10 - weighted % 10) % 10 == int(value[-1])


def _style_code(value: str) -> str | None:
    return value if len(value) >= _MIN_STYLE_CODE and _sku_with_digit(value) else None


_SKU_LABELS = (
    (_SKU_LABEL, _plausible_sku),
    (_BARE_CODE_LABEL, _sku_with_digit),
    (_STYLE_LABEL, _style_code),
    (_ITEM_LABEL, _sku_with_digit),
)


def brand(tree: LexborHTMLParser, chain: dict[int, int], page_text: str, after: int) -> str | None:
    """itemprop=brand, else a .brand/.vendor element (its text, or the alt text of the brand's
    logo it shows; not the shop's logo: nor a link to the shop's home page), else 'Brand: X',
    else a spec table's 'Brand' or 'Manufacturer' row ('Brand Name' in one cell, 'Canon' in the
    next), else a link into the shop's brand pages next to the heading."""
    for node in nearest(tree.css(_BRAND_CSS), chain):
        if node.attributes.get("itemprop") != "brand" and not _brand_element(node):
            continue
        if _links_home(node) or _one_of_a_list(node):
            continue
        inner = node.css_first("[itemprop=name]")
        text = clean_text(node.attributes.get("content")) or short_text(inner or node, 2 * _MAX_VALUE_CHARS)
        value = _clean_brand(text)
        if not value and (logo := node.css_first("img[alt]")) is not None:
            value = _clean_brand(_unslugged(clean_text(logo.attributes.get("alt"))))  # <img alt=Sony>
        if value:
            return value
    return (
        labelled_value(_BRAND_LABEL, page_text, after, _clean_brand)
        or _brand_row(tree, chain)
        or _brand_link(tree, chain)
    )


def _unslugged(text: str | None) -> str | None:
    """A logo's alt text written as a URL slug ('michael-kors', a file's name) in words: 'Michael Kors'."""
    if text and _SLUG.fullmatch(text):
        return " ".join(part.capitalize() for part in text.split("-"))
    return text


def _brand_row(tree: LexborHTMLParser, chain: dict[int, int]) -> str | None:
    """A spec table's 'Brand' row, nearest the heading first: the value of the cell after the
    label; a bold label's line ('<b>Hersteller</b> NEC<br>'): the text right after it; a
    key-value list's label element (class *label*): the element after it. Cells first; the
    labels among each kind's first _MAX_ROW_CELLS are looked at."""
    for kinds in ("th, td, dt", "b, strong, [class*=label i]"):
        labels = [node for node in tree.css(kinds)[:_MAX_ROW_CELLS] if _brand_row_label(node)]
        for node in nearest(labels, chain):
            value = _clean_brand(_row_value(node))
            if value:
                return value
    return None


def _brand_row_label(node: LexborNode) -> bool:
    label = node.text(deep=True, separator=" ")
    return "#" not in label and normalised(label) in _BRAND_ROW_LABELS  # 'Manufacturer #': an MPN


def _row_value(label: LexborNode) -> str | None:
    """The value a label element introduces: the next cell's text after a cell; the text right
    after a bold label, up to the next element; else the next element's text (a key-value list's
    '<div class=label>Marke</div><div class=value>Acer</div>')."""
    if label.tag in _BOLD_TAGS:
        after = shown_from(label.next)
        text = clean_text(after.text().lstrip(" :")) if after is not None and after.tag == "-text" else None
        return text if text and len(text) <= _MAX_VALUE_CHARS else None
    cell = label.next
    if label.tag in _CELL_TAGS or label.tag == "dt":  # the next cell (a dt's dd)
        while cell is not None and cell.tag not in _CELL_TAGS:
            cell = cell.next
    else:  # the next element
        while cell is not None and cell.tag in ("-text", "-comment"):
            cell = cell.next
    return short_text(cell, 2 * _MAX_VALUE_CHARS) if cell is not None else None


def _brand_link(tree: LexborHTMLParser, chain: dict[int, int]) -> str | None:
    """A link into the shop's brand pages ('/brands/tom-dixon', '/marke/sony') sharing a block
    with the heading, at most CART_LINK_STEPS steps up from it: its text, when that is a name
    ('by <a href="/brands/acme">Acme</a>'), not 'See all Acme items' or 'All brands'."""
    for node in limited(tree.css(_BRAND_LINK_CSS)):
        if not _BRAND_PATH.search(node.attributes.get("href") or ""):
            continue
        text = short_text(node, _MAX_VALUE_CHARS)
        words = (text or "").casefold().split()
        if not words or len(words) > _MAX_BRAND_WORDS or not _NOT_BRAND_WORDS.isdisjoint(words):
            continue
        walk = walk_up(node, chain)
        if walk.passed and not walk.hidden and walk.distance <= CART_LINK_STEPS:
            return _clean_brand(text)
    return None


def linked_title_start(tree: LexborHTMLParser, title: str | None) -> str | None:
    """The title's first word (or two) when the page also shows it alone as a link or an image's
    alt text outside its menus ('LEGO' in 'LEGO Super Heroes The Batcave' with a 'LEGO' link by
    the product): a brand the shop names without a label."""
    words = (title or "").split()
    starts = [" ".join(words[:count]) for count in (1, 2) if len(words) > count]
    starts = [start for start in starts if start[0].isupper()]
    for start in starts:
        quoted = css_string(start)
        for node in limited(tree.css(f"a:lexbor-contains({quoted} i), img[alt={quoted} i]")):
            text = clean_text(node.attributes.get("alt") if node.tag == "img" else node.text(deep=True))
            if text and text.casefold() == start.casefold() and not _in_site_chrome(node):
                return start
    return None


def _in_site_chrome(node: LexborNode) -> bool:
    """Whether an element sits in the site's header, navigation, menus or footer."""
    return any(
        current.tag in UNSEEN_TAGS or _chrome(class_tokens(current)) for current in lineage(node.parent)
    )


def _chrome(tokens: frozenset[str]) -> bool:
    return bool(tokens & _CHROME_TOKENS) or navigational(tokens)


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
    return any(_BRAND_CLASS.match(name) for name in names) and not class_tokens(node) & _NOT_BRAND_TOKENS


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
    if not text or text.rstrip().endswith((":", "\uff1a")):
        return None  # the next label ('Condition:' after an empty 'Brand:')
    value = _TRAILING_NUMBER.sub("", without_brand_label(text.strip())).strip(" :-\u2013|")
    if not value or len(value) > _MAX_VALUE_CHARS or value.casefold() in NO_BRAND:
        return None
    if _NOT_A_BRAND.search(value) or ":" in value:  # a block of labelled values ('EAN: 08879...')
        return None
    if value.casefold().startswith("www."):
        return None  # the maker's website ('Zum Hersteller: www.msi.com/')
    value = _DESCRIPTION.sub("", value) or value  # 'Tesla (Οικιακά Κλιματιστικά)': the brand
    if sum(word in _NOT_BRAND_WORDS for word in value.casefold().split()) >= 2:
        return None  # 'View all brand products', 'See all brands'
    return value if any(ch.isalpha() for ch in value) and not _NOT_IN_NAMES.search(value) else None
