"""Product titles as the page presents the product: without the shop's name or a store's format tags.

Every source's title goes through `clean_title` (product._merge), because shops put their name
in JSON-LD and OpenGraph names as often as in <title>:

- the shop's name after (or before) a separator is dropped: 'Kettle - A101', 'Kettle | Macroonline',
  'Acme: Kettle' -> 'Kettle', when it is the shop as og:site_name / application-name or its
  domain names it (`site_names`: 'A101', 'a101.com.tr' -> 'a101'), also with a country or shop
  words after it ('Kettle | Acme Outlet UK', 'Kettle - Acme Online Shop');
- a title that is the shop's name alone ('Migros'), or a page type ('Item Detail', 'Product
  details'), names no product: None, and the next source's title is taken;
- HTML tags a structured name carries go ('<b>Steel</b> Kettle' -> 'Steel Kettle');
- a store's format and label tags at the end: 'Hardcover \u2013 7 Apr 2016', 'Kindle Edition',
  '[Energy Class B]', '[Energieklasse A]'.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from urllib.parse import urlsplit

_SEPARATOR = r"\s+[|\-\u2013\u2014\u00b7:]\s+|:\s+"
_SEPARATORS = re.compile(_SEPARATOR)
# Also before the shop's name at the end: 'Kettle at Acme Outlet', 'Kettle im Acme Online Shop'.
_LAST_SEPARATORS = re.compile(rf"{_SEPARATOR}|\s+(?:at|bei|im|auf|chez|sur|en|su|na)\s+", re.IGNORECASE)
_NOT_ALNUM = re.compile(r"[\W_]+")
_TAG = re.compile(r"</?[A-Za-z][^<>]{0,200}>")
WORD_BREAK = re.compile(r"<wbr\s*/?>", re.IGNORECASE)  # a line-break chance inside a word
# What follows a shop's name in a title's shop part (normalised: 'Online Shop' is 'onlineshop').
_SHOP_WORDS = re.compile(
    r"(?:uk|us|usa|eu|de|at|ch|fr|es|it|nl|be|ie|au|ca|com|official|online|webshop|eshop|shop|store"
    r"|stores|shopping|site|website|onlinestore|versand)+"
)
_SHOP_WORD = re.compile(r"shop|store|versand")
_MAX_SHOP_SUFFIX = 16
_MIN_SITE_NAME = 4  # a shorter name ('hm') starts too many words
_SECOND_LEVEL = frozenset({"co", "com", "net", "org", "gov", "ac", "or", "ne"})
_MAX_TAG_CHARS = 400  # longer than any format or label tag with what it may carry along
# Print formats, said after the name with the edition's date ('Hardcover \u2013 7 Apr 2016'); an e-book
# edition also on its own ('Kindle Edition').
_PRINT_FORMATS = (
    r"Hardcover|Paperback|Mass Market Paperback|Board book|Spiral-bound|Library Binding|Audio CD"
    r"|Taschenbuch|Gebundene Ausgabe|Broschiert|Broché|Relié|Poche|Tapa blanda|Tapa dura"
    r"|Copertina flessibile|Copertina rigida|Kindle Edition|Kindle Ausgabe|Format Kindle"
    r"|Edición Kindle|Versione Kindle|Audible Audiobook|Hörbuch-Download|Livre audio"
    r"|Capa comum|Capa dura|Livro de bolso|eBook Kindle"
)
_FORMAT_DATED = re.compile(
    rf"\s+(?:{_PRINT_FORMATS})\s+[\u2013\u2014-]\s+[^\u2013\u2014|]{{1,40}}$", re.IGNORECASE
)
# A format in parentheses at the end, or before a byline ('Title (Paperback) By (author) ...').
_FORMAT_PARENTHESISED = re.compile(  # '(Paperback)', Amazon's '[Hardcover]' of 2010
    rf"\s*(?:\(|\[)(?:{_PRINT_FORMATS}|Hardback|Softcover|Softback|Book|eBook|DVD|Blu-ray|CD|Vinyl)(?:\)|\])"
    r"(?:\s+(?:by|von|de|par)\b.*)?$",
    re.IGNORECASE,
)
_EBOOK = re.compile(
    r"\s+(?:Kindle Edition|Kindle Ausgabe|Format Kindle|Edición Kindle|Versione Kindle|eBook Kindle)$",
    re.IGNORECASE,
)
# EU energy label tags: '[Energy Class B]', '[Energieklasse A]', '[Classe énergétique D]'.
_ENERGY_LABEL = re.compile(
    r"\s*\[(?:Energy\s+(?:Class|Efficiency\s+Class)|Energieklasse|Energieeffizienzklasse"
    r"|Classe\s+(?:énergétique|energetica|d'efficacité énergétique)"
    r"|Clase\s+(?:energética|de eficiencia energética))"
    r"[^\]]{0,20}\]$",
    re.IGNORECASE,
)
# The shop's item number shown inside the heading: 'Desk, Espresso Item # 101095', 'Kettle SKU: KT-9'.
_ITEM_NUMBER = re.compile(
    r"\s+(?:Item|SKU|Art\.?-?Nr\.?|Artikelnummer)\s*[#:]\s*[\w./-]{1,30}$", re.IGNORECASE
)
# A barcode (GTIN-8/12/13/14) after a colon: 'Diners Collage Puzzle: 724819255917'.
_BARCODE = re.compile(r"\s*:\s*(?:\d{8}|\d{12,14})$")
# The page's type after the name: 'LEGO Seaside House 7346 product details page' (an <h1>'s words
# for screen readers), 'Acme Kettle - Product Information'.
_PAGE_TYPE_TAIL = re.compile(
    r"\s+(?:[-|:\u2013]\s+)?(?:product|item)\s+(?:details?|information|info)(?:\s+page)?$", re.IGNORECASE
)
# Each tag pattern with the characters one of which its tag holds.
_FORMAT_TAGS = (
    (("etail", "ETAIL", "nfo", "NFO"), _PAGE_TYPE_TAIL),
    (("#", ":"), _ITEM_NUMBER),
    ((":",), _BARCODE),
    (("]",), _ENERGY_LABEL),
    (("-", "\u2013", "\u2014"), _FORMAT_DATED),
    ((")", "]"), _FORMAT_PARENTHESISED),
    (("indle", "INDLE", "eBook"), _EBOOK),
)
# Headings that name the page's type, not the product.
_PAGE_TYPES = frozenset(
    {
        "itemdetail",
        "itemdetails",
        "productdetail",
        "productdetails",
        "productinformation",
        "productinfo",
        "productpage",
        "details",
        "product",
        "produktdetails",
        "artikeldetails",
        "detailsduproduit",
        "detallesdelproducto",
        "dettagliprodotto",
        "productdetailpagina",
    }
)


def site_names(tags: Mapping[str, str], url: str, host: str | None = None) -> set[str]:
    """The shop's name as og:site_name/application-name give it and as its domain spells it,
    each normalised: 'Acme Outlet', 'acme-outlet.com', 'www.acme-outlet.com' -> 'acmeoutlet'.
    `host`: the URL's host when the caller has it already."""
    site_name, application_name = tags.get("og:site_name") or "", tags.get("application-name") or ""
    return set(_site_names(site_name, application_name, url_host(url) if host is None else host))


def url_host(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


@lru_cache(maxsize=4096)  # a crawl reads many pages of one site
def _site_names(site_name: str, application_name: str, host: str) -> frozenset[str]:
    names = {normalised(site_name), normalised(application_name)}
    labels = [label for label in host.split(".") if label]
    if len(labels) >= 2:
        at = len(labels) - 2
        if labels[at] in _SECOND_LEVEL and at > 0:
            at -= 1
        names |= {normalised(labels[at]), normalised("".join(labels[at:]))}
    return frozenset(names - {""})


def normalised(text: str) -> str:
    """Letters and digits only, case-folded: 'Acme-Outlet.com' -> 'acmeoutletcom'."""
    return _NOT_ALNUM.sub("", text.casefold())


def spaced(text: str) -> str:
    """Case-folded, its whitespace one space: 'Kryptonite  KryptoLok' -> 'kryptonite kryptolok'."""
    return " ".join(text.casefold().split())


def without_site_name(title: str, names: set[str]) -> str:
    """'Kettle | Acme Outlet', 'Kettle at Acme Outlet' -> 'Kettle' when 'Acme Outlet' is the shop
    (also as prefix: 'Acme Outlet | Kettle')."""
    ends = list(_LAST_SEPARATORS.finditer(title))
    last = ends[-1] if ends else None
    if last is not None and is_site_name(normalised(title[last.end() :]), names):
        return title[: last.start()].strip() or title
    first = _SEPARATORS.search(title)
    if first is not None and is_site_name(normalised(title[: first.start()]), names):
        return title[first.end() :].strip() or title
    return title


def is_site_name(key: str, names: set[str]) -> bool:
    """Whether a title's part is the shop's name, maybe with a country or 'Online Shop' after it
    ('Acme Outlet UK', 'Acme Outlet Online Shop', 'Acme Official Store'), also written with the
    accents its domain cannot hold ('Chá Sexy Shop' on chasexy.com.br)."""
    return _names_site(key, names) or (not key.isascii() and _names_site(_without_accents(key), names))


def _names_site(key: str, names: set[str]) -> bool:
    if key in names:
        return True
    return any(
        key.startswith(name) and _shop_words_after(key, len(name))
        for name in names
        if len(name) >= _MIN_SITE_NAME
    )


def _without_accents(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def shop_name_before_shop_words(name: str, names: set[str]) -> str | None:
    """The words a name starts with that are the shop's name, when only shop words or a country
    follow them ('Sony Store Thailand' on sony.co.th -> 'Sony'); else None."""
    key = normalised(name)
    if key in names or not is_site_name(key, names):
        return None  # the usual brand: not the shop's name (the words are split only when it is)
    words = name.split()
    for count in range(1, len(words)):
        head = normalised(" ".join(words[:count]))
        if head in names and len(head) >= _MIN_SITE_NAME and _shop_words_after(key, len(head)):
            return " ".join(words[:count])
    return None


def _shop_words_after(key: str, start: int) -> bool:
    """Whether the rest of a title's shop part is shop words ('onlineshop', 'uk'), or a few more
    letters with one ('itonlineshop' of 'Syswork IT Online Shop', 'storeroro' of 'Microsoft Store
    ro-RO')."""
    if _SHOP_WORDS.fullmatch(key, start) is not None:
        return True
    rest = key[start:]
    return len(rest) <= _MAX_SHOP_SUFFIX and _SHOP_WORD.search(rest) is not None


def without_format_tags(title: str) -> str:
    """'Name Hardcover \u2013 7 Apr 2016', 'Name (Paperback)', 'Name (Paperback) By (author) X',
    'Name Kindle Edition', 'Name [Energy Class B]', 'Name Item # 101095', 'Name: 724819255917',
    'Name product details page' -> 'Name'."""
    for marks, pattern in _FORMAT_TAGS:
        if not any(mark in title for mark in marks):
            continue  # cheap: most titles hold none of the characters a tag needs
        if pattern.search(title, max(len(title) - _MAX_TAG_CHARS, 0)) is None:
            continue  # the tags are short and at the end: look at the end only
        stripped = pattern.sub("", title)
        if stripped != title and stripped.strip():
            title = stripped.strip()
    return title


def clean_title(title: str, names: set[str]) -> str | None:
    """The title without HTML tags, the shop's name and format tags; None when it names no
    product (the shop's name alone, a page type such as 'Item Detail', a URL: the href of a
    link marked as the name)."""
    if title.startswith(("http://", "https://", "/")) and " " not in title.strip():
        return None
    if "<" in title:  # markup inside a structured name: '<b>Steel</b> Kettle', 'höhenverstellb<wbr/>ar'
        title = " ".join(_TAG.sub(" ", WORD_BREAK.sub("", title)).split()) or title
    cleaned = without_format_tags(without_site_name(title, names))
    key = normalised(cleaned)
    if not key or key in names or key in _PAGE_TYPES:
        return None
    return cleaned
