"""The page being read: its parsed tree, base URL and host, and each reader's result, read once.

Every source (product.py) and the visible fallback (visible/) take a `Page`; a reader runs the
first time a source asks for it. The price parser's page hints are built here, in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser

from consumers.extract.jsonld import read_jsonld
from consumers.extract.meta import meta_tags
from consumers.extract.microdata import read_microdata_and_loose
from consumers.extract.model import ExtractionError
from consumers.extract.nesting import MAX_NESTING, nests_too_deep
from consumers.extract.rdfa import read_rdfa
from consumers.extract.schemaorg import Node
from consumers.extract.titles import site_names
from consumers.extract.values import absolute_url, url_key

# Elements whose text is never shown: a script's JSON is no label.
NOT_TEXT_TAGS = frozenset({"script", "style", "template", "noscript"})

T = TypeVar("T")


class read_once(Generic[T]):  # a decorator: lower case, as functools.cached_property
    """functools.cached_property without the lock Python 3.11 takes on each first read (3.12
    dropped it): 5 µs less a demo page, measured swapping the two. A Page is read by one thread."""

    def __init__(self, compute: Callable[[Any], T]) -> None:
        self.compute = compute
        self.name = compute.__name__
        self.__doc__ = compute.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, page: Any, owner: type | None = None) -> T:
        if page is None:  # looked up on the class (help(), documentation tools)
            return self  # type: ignore[return-value]
        value = page.__dict__[self.name] = self.compute(page)  # later reads find it there first
        return value


class Page:
    """A parsed page and its base URL; each reader runs at most once, when asked for."""

    def __init__(self, html: str, url: str) -> None:
        if not isinstance(html, str):
            raise ExtractionError(f"page text must be str, got {type(html).__name__} (decode it first)")
        self.host = _check_url(url)
        if nests_too_deep(html):
            raise ExtractionError(f"{url}: elements nest more than {MAX_NESTING} levels deep")
        try:
            self.tree = LexborHTMLParser(html)
        except Exception as error:  # the parser's own failure types are not documented
            raise ExtractionError(f"{url}: HTML parser failed: {error}") from error
        self.html = html
        self.url = url
        base_hrefs = [node.attributes.get("href") for node in self.tree.tags("base")]
        self.base_url = next((absolute_url(href, url) for href in base_hrefs if href), None) or url

    @read_once
    def jsonld(self) -> list[Node]:
        return read_jsonld(self.tree)

    @read_once
    def _microdata_and_loose(self) -> tuple[list[Node], dict[str, str]]:
        return read_microdata_and_loose(self.html, self.tree)

    @read_once
    def microdata(self) -> list[Node]:
        return self._microdata_and_loose[0]

    @read_once
    def loose_itemprops(self) -> dict[str, str]:
        """<meta itemprop>/<link itemprop> values outside any item."""
        return self._microdata_and_loose[1]

    @read_once
    def rdfa(self) -> list[Node]:
        return read_rdfa(self.html, self.tree)

    @read_once
    def meta_tags(self) -> dict[str, str]:
        return meta_tags(self.tree)

    @read_once
    def site_names(self) -> set[str]:
        """The shop's names (titles.site_names), from the meta tags and the host. (Reading the
        meta tags costs less than two searches of the HTML for site-name tags: 7 against 10 µs
        on a demo page, and the searches grow with the page, the tags do not.)"""
        return site_names(self.meta_tags, self.url, self.host)

    @read_once
    def visible_text(self) -> str:
        """The body's visible text, one text node a line: a copy of the tree without scripts,
        styles and templates (their JSON is no label, and it is most of a modern page's text: 434
        of 444 KB on one, where the label search took 40 ms on the whole and 0.5 ms on the rest)."""
        copy = self.tree.clone()
        copy.strip_tags(list(NOT_TEXT_TAGS))
        body = copy.body
        return body.text(deep=True, separator="\n", strip=True, skip_empty=True) if body is not None else ""

    @read_once
    def price_hints(self) -> dict[str, str]:
        return _price_hints(self)

    def url_keys(self) -> set[str]:
        """url_keys of the page's URL and its canonical URL."""
        urls = [self.url]
        for node in self.tree.tags("link"):
            attributes = node.attributes
            if "canonical" in (attributes.get("rel") or "").lower().split():
                urls.append(absolute_url(attributes.get("href"), self.base_url) or "")
        return {key for key in map(url_key, urls) if key}


def _price_hints(page: Page) -> dict[str, str]:
    """THE place that builds the price parser's page hints (the locale= and tld= keywords of
    price_from_value and parse_price): 'locale' from <html lang>, else og:locale, else a
    content-language meta tag ('de-DE', 'en_GB'); 'tld' the last two labels of the page's host
    ('shop.de', 'com.au'); with no declared language, the script of the page's <title> (Chinese
    or Japanese). A hint the page does not give is left out."""
    hints: dict[str, str] = {}
    root = page.tree.root
    locale = root.attributes.get("lang") if root is not None and root.tag == "html" else None
    if not (locale and locale.strip()):
        locale = page.meta_tags.get("og:locale") or page.meta_tags.get("content-language")
    if not (locale and locale.strip()):
        locale = _script_language(page)
    if locale and locale.strip():
        hints["locale"] = locale.split(",")[0].strip()
    labels = page.host.rstrip(".").split(".")
    if len(labels) > 1 and not labels[-1].isdigit():  # a name, not an IP address
        hints["tld"] = ".".join(labels[-2:])
    return hints


def _script_language(page: Page) -> str | None:
    """A page that names no language, by the script of its <title>: Chinese characters without
    kana are 'zh' (so '¥' is yuan), with kana 'ja' (yen). Other scripts tell no one language."""
    title = page.tree.css_first("title")
    text = title.text() if title is not None else ""
    if any("\u3040" <= ch <= "\u30ff" for ch in text):
        return "ja"
    if any("\u4e00" <= ch <= "\u9fff" for ch in text):
        return "zh"
    return None


def _check_url(url: object) -> str:
    """The URL's host name; ExtractionError when it is not an absolute http(s) URL."""
    try:
        parts = urlsplit(url) if isinstance(url, str) else None
        host = parts.hostname if parts is not None else None
    except ValueError:  # e.g. a malformed IPv6 host
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise ExtractionError(f"page URL must be an absolute http(s) URL, got {url!r}")
    return host or ""
