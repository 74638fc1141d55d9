"""Extraction stage: HTML text -> product data and links to follow (pure functions, no I/O).

    extract_product(html, url) -> ProductData | None
    extract_links(html, url) -> Links
    parse_price(text, default_currency=None) -> Price   (PriceError when there is no usable price)

Sources, in priority order: a site profile, JSON-LD, microdata, RDFa, meta tags (OpenGraph, loose
itemprops), the visible page; the first with a value wins each field, price and currency travel
together (product.py, docs/extraction.md). Site profiles live in profiles.toml;
`Extractor(Profiles.parse(...))` uses others.
"""

from consumers.extract.availability import Availability, normalise_availability
from consumers.extract.model import ExtractionError, Links, ProductData
from consumers.extract.price import Price, PriceError, parse_price, parse_price_or_none
from consumers.extract.product import Extractor, extract_links, extract_product
from consumers.extract.profiles import ProfileError, Profiles, SiteProfile

__all__ = [
    "Availability",
    "ExtractionError",
    "Extractor",
    "Links",
    "Price",
    "PriceError",
    "ProductData",
    "ProfileError",
    "Profiles",
    "SiteProfile",
    "extract_links",
    "extract_product",
    "normalise_availability",
    "parse_price",
    "parse_price_or_none",
]
