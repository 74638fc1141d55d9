"""What extraction returns: product data, links to follow, and the error for unparseable input."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields

from consumers.extract.availability import Availability
from consumers.extract.price import Price


class ExtractionError(ValueError):
    """The page or URL cannot be parsed at all (not 'no product here', which is None)."""


@dataclass(frozen=True, slots=True)
class ProductData:
    """One product as a page describes it. Any field may be missing except that a product has a
    title or a price; a price's currency is None when the page does not tell it. `sources` lists
    where the fields came from ('profile', 'jsonld', 'microdata', 'rdfa', 'meta', 'itemprop',
    'visible'), in the order they were consulted (docs/extraction.md: the merge rule)."""

    product_id: str | None = None
    sku: str | None = None
    title: str | None = None
    brand: str | None = None
    price: Price | None = None
    availability: Availability | None = None
    rating: float | None = None
    review_count: int | None = None
    image_url: str | None = None
    category_path: tuple[str, ...] = ()
    attributes: Mapping[str, str] = field(default_factory=dict)
    sources: tuple[str, ...] = ()


# Field names a source or a site profile may fill.
PRODUCT_FIELDS = tuple(item.name for item in fields(ProductData) if item.name != "sources")


@dataclass(frozen=True, slots=True)
class Links:
    """Absolute http(s) URLs found on a listing page, in page order, without duplicates."""

    product_urls: tuple[str, ...] = ()
    next_page: str | None = None
