"""OpenGraph and product meta tags (og:title, product:price:amount...), the last generic fallback.

Only pages that declare themselves products (og:type product, or a product price tag) yield
fields: every page has an og:title, and a category page must not become a product.
"""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from consumers.extract.availability import normalise_availability
from consumers.extract.price import PriceError, price_from_value
from consumers.extract.values import absolute_url, clean_text

_PRODUCT_TYPES = frozenset({"product", "og:product", "product.item", "product.group"})
_PRICE_KEYS = ("product:price:amount", "og:price:amount", "product:sale_price:amount")


def meta_tags(tree: LexborHTMLParser) -> dict[str, str]:
    """property/name -> content of the page's meta tags (first occurrence wins)."""
    tags: dict[str, str] = {}
    for node in tree.tags("meta"):
        attributes = node.attributes
        key = attributes.get("property") or attributes.get("name")
        if key and attributes.get("content") is not None:
            tags.setdefault(key.strip().lower(), attributes["content"] or "")
    return tags


def meta_fields(tree: LexborHTMLParser, base_url: str) -> dict[str, object]:
    tags = meta_tags(tree)
    amount_key = next((key for key in _PRICE_KEYS if tags.get(key)), None)
    if tags.get("og:type", "").strip().lower() not in _PRODUCT_TYPES and amount_key is None:
        return {}
    found: dict[str, object] = {
        "title": clean_text(tags.get("og:title")),
        "image_url": absolute_url(tags.get("og:image") or tags.get("og:image:url"), base_url),
        "brand": clean_text(tags.get("product:brand") or tags.get("og:brand")),
        "product_id": clean_text(tags.get("product:retailer_item_id")),
        "availability": normalise_availability(
            tags.get("product:availability") or tags.get("og:availability")
        ),
    }
    if amount_key is not None:
        currency_key = amount_key.replace(":amount", ":currency")
        try:
            found["price"] = price_from_value(tags[amount_key], clean_text(tags.get(currency_key)))
        except PriceError:
            found["price"] = None
    return found
