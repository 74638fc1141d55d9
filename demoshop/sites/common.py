"""What every shop's pages share: the page context, money and stock wording, pagination."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from demoshop.catalog import Catalog, Category, ProductSnapshot

# Visible stock wording per language, keyed by schema.org availability name.
STOCK_TEXT = {
    "en": {
        "InStock": "In stock",
        "OutOfStock": "Sold out",
        "LimitedAvailability": "Only a few left",
        "PreOrder": "Pre-order",
        "BackOrder": "Available on back order",
    },
    "de": {
        "InStock": "Auf Lager",
        "OutOfStock": "Ausverkauft",
        "LimitedAvailability": "Nur noch wenige verfügbar",
        "PreOrder": "Vorbestellbar",
        "BackOrder": "Nachbestellt",
    },
}

# currency -> (prefix, suffix, thousands separator, decimal separator)
_MONEY_STYLE = {
    "USD": ("$", "", ",", "."),
    "EUR": ("", "\u00a0€", ".", ","),
    "GBP": ("£", "", ",", "."),
}


@dataclass(frozen=True, slots=True)
class PageContext:
    """Per-request facts a template needs besides the product or category."""

    catalog: Catalog
    epoch: int
    base_url: str  # scheme://host:port of the request, for absolute URLs


@dataclass(frozen=True, slots=True)
class CategoryPage:
    category: Category
    page: int
    page_count: int
    products: list[ProductSnapshot]
    product_hrefs: list[str]


def format_money(minor: int, currency: str) -> str:
    """'$1,234.99', '1.234,99 €' or '£1,234.99': how each shop prints a price."""
    prefix, suffix, thousands, decimal = _MONEY_STYLE[currency]
    units, cents = divmod(minor, 100)
    return f"{prefix}{units:,}".replace(",", thousands) + f"{decimal}{cents:02d}{suffix}"


def machine_price(minor: int) -> str:
    """The price as schema.org wants it in markup: '1234.99'."""
    units, cents = divmod(minor, 100)
    return f"{units}.{cents:02d}"


def product_count_pages(category: Category, page_size: int) -> int:
    return max(1, -(-len(category.product_numbers) // page_size))


def page_numbers(category: Category, page: int, page_size: int) -> list[int]:
    start = (page - 1) * page_size
    return category.product_numbers[start : start + page_size]


def escaped(text: str) -> str:
    return escape(text, quote=True)
