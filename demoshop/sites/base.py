"""A shop's face: its URL shapes and page templates. The server's handlers are shared."""

from __future__ import annotations

from abc import ABC, abstractmethod
from bisect import bisect_left
from functools import cached_property
from typing import ClassVar
from urllib.parse import parse_qsl, urlsplit

from demoshop.catalog import Catalog, Category, Product, ProductSnapshot, shop_name
from demoshop.sites.common import CategoryPage, PageContext, escaped

_ROUTE_PARTS = {"{number}": r"{number:\d+}", "{slug}": "{slug:[a-z0-9-]+}", "{page}": r"{page:\d+}"}


def route(url_template: str) -> str:
    """The aiohttp route of a URL template: '/p/{number}?x={page}' -> '/p/{number:\\d+}'."""
    path = url_template.split("?", 1)[0]
    for part, pattern in _ROUTE_PARTS.items():
        path = path.replace(part, pattern)
    return path


class Site(ABC):
    """One of the three demo shops. Subclasses set the URL shapes and write the templates.

    URL templates use {number}, {slug} and {page}; the category page number sits in the path
    or in a query parameter, and `first_category_url` may give page 1 a shorter URL.
    """

    key: ClassVar[str]
    product_url: ClassVar[str]
    legacy_url: ClassVar[str]  # answers `legacy_status` with the product's canonical URL
    category_url: ClassVar[str]
    first_category_url: ClassVar[str | None] = None
    legacy_status: ClassVar[int] = 301

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.name = shop_name(self.key)

    @property
    def page_query(self) -> str | None:
        """The query parameter carrying the category page number, if it is not in the path."""
        query = urlsplit(self.category_url).query
        return next((name for name, value in parse_qsl(query) if value == "{page}"), None)

    def product_path(self, product: Product) -> str:
        return self.product_url.format(number=product.number, slug=product.slug)

    def legacy_path(self, number: int) -> str:
        return self.legacy_url.format(number=number)

    def category_path(self, category: Category, page: int = 1) -> str:
        template = self.first_category_url if page == 1 and self.first_category_url else self.category_url
        return template.format(slug=category.slug, page=page)

    @abstractmethod
    def render_product(self, snapshot: ProductSnapshot, context: PageContext) -> str: ...

    @abstractmethod
    def render_category(self, listing: CategoryPage, context: PageContext) -> str: ...

    @abstractmethod
    def render_home(self, context: PageContext) -> str: ...

    @cached_property
    def menu(self) -> str:
        """The category menu every page carries (rendered once)."""
        items = "".join(
            f'<li><a href="{self.category_path(category)}">{escaped(category.path[-1])}</a></li>'
            for category in self.catalog.categories
        )
        return f'<ul class="menu">{items}</ul>'

    def related(self, snapshot: ProductSnapshot, count: int = 4) -> list[Product]:
        """A few neighbours from the same category, for the 'related products' block."""
        numbers = self.catalog.get(snapshot.number).category.product_numbers
        at = bisect_left(numbers, snapshot.number)  # numbers are ascending
        picks = [numbers[(at + step) % len(numbers)] for step in range(1, count + 1)]
        return [self.catalog.get(number) for number in dict.fromkeys(picks) if number != snapshot.number]

    def related_links(self, snapshot: ProductSnapshot) -> str:
        return "".join(
            f'<li><a href="{self.product_path(product)}">{escaped(product.title)}</a></li>'
            for product in self.related(snapshot)
        )

    def pager(self, listing: CategoryPage, previous_label: str, next_label: str) -> tuple[str, str]:
        """(<link rel=prev/next> for the head, visible pager) of a category page."""
        head, visible = [], []
        if listing.page > 1:
            previous = self.category_path(listing.category, listing.page - 1)
            head.append(f'<link rel="prev" href="{previous}">')
            visible.append(f'<a class="prev" rel="prev" href="{previous}">{previous_label}</a>')
        visible.append(f"<span>{listing.page} / {listing.page_count}</span>")
        if listing.page < listing.page_count:
            following = self.category_path(listing.category, listing.page + 1)
            head.append(f'<link rel="next" href="{following}">')
            visible.append(f'<a class="next" rel="next" href="{following}">{next_label}</a>')
        return "".join(head), f'<nav class="pager">{"".join(visible)}</nav>'
