"""Product and link extraction: a site profile first, then the generic readers, merged field by field.

Sources in priority order: the site's profile, JSON-LD, microdata, OpenGraph/product meta tags.
For every field the first source that has a value wins, so a profile can fix one field and
leave the rest to structured data. A page where no source finds a title or a price holds no
product and gives None.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache, cached_property
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser

from consumers.extract.jsonld import read_jsonld
from consumers.extract.meta import meta_fields
from consumers.extract.microdata import read_microdata
from consumers.extract.model import PRODUCT_FIELDS, ExtractionError, Links, ProductData
from consumers.extract.nesting import MAX_NESTING, nests_too_deep
from consumers.extract.profiles import Profiles, SiteProfile, profile_fields
from consumers.extract.schemaorg import Node, breadcrumb_names, item_list_urls, of_type, product_fields
from consumers.extract.values import absolute_url, clean_category_path

# Last-resort product links on listing pages without structured lists or a profile.
_PRODUCT_PATH = re.compile(r"/(?:products?|p|item|items|artikel|dp)/[^/?#]+", re.IGNORECASE)

Source = Callable[["Page"], dict[str, object]]


class Page:
    """A parsed page and its base URL; JSON-LD and microdata are read at most once, when asked for."""

    def __init__(self, html: str, url: str) -> None:
        if not isinstance(html, str):
            raise ExtractionError(f"page text must be str, got {type(html).__name__} (decode it first)")
        _check_url(url)
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

    @cached_property
    def jsonld(self) -> list[Node]:
        return read_jsonld(self.tree)

    @cached_property
    def microdata(self) -> list[Node]:
        return read_microdata(self.html, self.tree)


def _check_url(url: object) -> None:
    try:
        parts = urlsplit(url) if isinstance(url, str) else None
    except ValueError:  # e.g. a malformed IPv6 host
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise ExtractionError(f"page URL must be an absolute http(s) URL, got {url!r}")


class Extractor:
    """Extraction with a given set of site profiles (the shipped profiles.toml by default)."""

    def __init__(self, profiles: Profiles | None = None) -> None:
        self.profiles = profiles if profiles is not None else Profiles.load()

    def product(self, html: str, url: str) -> ProductData | None:
        """The product a page describes, or None when it describes none."""
        page = Page(html, url)
        profile = self.profiles.for_url(url)
        sources: list[tuple[str, Source]] = [
            ("jsonld", lambda page: _structured_source(page.jsonld, page.base_url)),
            ("microdata", lambda page: _structured_source(page.microdata, page.base_url)),
            ("meta", lambda page: meta_fields(page.tree, page.base_url)),
        ]
        if profile is not None:
            sources.insert(0, ("profile", lambda page: profile_fields(profile, page.tree, page.base_url)))
        return _merge(page, sources)

    def links(self, html: str, url: str) -> Links:
        """Product links and the next-page link of a listing page, absolute, deduplicated."""
        page = Page(html, url)
        profile = self.profiles.for_url(url)
        return Links(product_urls=_product_urls(page, profile), next_page=_next_page(page, profile))


def _merge(page: Page, sources: list[tuple[str, Source]]) -> ProductData | None:
    merged: dict[str, object] = {}
    used: list[str] = []
    for name, source in sources:
        found = {key: value for key, value in source(page).items() if value not in (None, "", [], {}, ())}
        if not found.keys() - merged.keys():
            continue
        used.append(name)
        merged = found | merged  # earlier sources win
        if merged.keys() >= set(PRODUCT_FIELDS):
            break
    if merged.get("title") is None and merged.get("price") is None:
        return None
    merged["category_path"] = clean_category_path(list(merged.get("category_path", [])), merged.get("title"))
    return ProductData(**merged, sources=tuple(used))


def _structured_source(nodes: list[Node], base_url: str) -> dict[str, object]:
    """Fields of the first schema.org Product (JSON-LD or microdata) and the page's breadcrumbs."""
    products = of_type(nodes, "Product")
    if not products:
        return {}
    found = product_fields(products[0], base_url)
    breadcrumbs = of_type(nodes, "BreadcrumbList")
    if breadcrumbs:
        found["category_path"] = breadcrumb_names(breadcrumbs[0])
    return found


def _product_urls(page: Page, profile: SiteProfile | None) -> tuple[str, ...]:
    """Profile selector; else JSON-LD or microdata ItemLists; else links that look like product URLs."""
    base = page.base_url
    if profile is not None and profile.product_links:
        urls = [
            absolute_url(node.attributes.get("href"), base) for node in page.tree.css(profile.product_links)
        ]
    else:
        lists = of_type(page.jsonld, "ItemList") or of_type(page.microdata, "ItemList")
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
