"""Meta tags, the last generic fallbacks: OpenGraph/product tags (og:title, product:price:amount...)
and loose itemprop tags (<meta itemprop="price" content=".."> outside any itemscope).

Only pages that declare themselves products yield fields: for OpenGraph og:type product or a
product price tag, for loose itemprops a price. Every page has an og:title, and a category
page must not become a product.

A sale price wins over the regular one (product:sale_price:amount before product:price:amount).
A price whose currency tag is missing keeps no currency; the merge (product.py) fills it in.
"""

from __future__ import annotations

from collections.abc import Mapping

from selectolax.lexbor import LexborHTMLParser

from consumers.extract.availability import normalise_availability
from consumers.extract.values import absolute_url, clean_text, currency_code, structured_price

_PRODUCT_TYPES = frozenset({"product", "og:product", "product.item", "product.group"})
_PRICE_KEYS = ("product:sale_price:amount", "product:price:amount", "og:price:amount")
_TWITTER_PAIRS = 4  # twitter:label1/data1 ... label4/data4
_CURRENCY_KEYS = ("product:sale_price:currency", "product:price:currency", "og:price:currency")


def meta_tags(tree: LexborHTMLParser) -> dict[str, str]:
    """property/name/http-equiv -> content of the page's meta tags (first occurrence wins)."""
    tags: dict[str, str] = {}
    for node in tree.tags("meta"):
        attributes = node.attributes
        key = attributes.get("property") or attributes.get("name") or attributes.get("http-equiv")
        if key and attributes.get("content") is not None:
            tags.setdefault(key.strip().lower(), attributes["content"] or "")
    return tags


def meta_fields(
    tree: LexborHTMLParser,
    base_url: str,
    hints: Mapping[str, str] | None = None,
    tags: Mapping[str, str] | None = None,
) -> dict[str, object]:
    """OpenGraph/product tag fields; `tags` is meta_tags(tree) when the caller has it already."""
    tags = meta_tags(tree) if tags is None else tags
    amount_key = next((key for key in _PRICE_KEYS if tags.get(key)), None)
    # The amount's own currency tag first, then any other.
    currency_keys = (
        (amount_key.replace(":amount", ":currency"), *_CURRENCY_KEYS) if amount_key else _CURRENCY_KEYS
    )
    currency = next((code for key in currency_keys if (code := currency_code(tags.get(key), hints))), None)
    if tags.get("og:type", "").strip().lower() not in _PRODUCT_TYPES and amount_key is None:
        return {"_currency": currency}  # no product here, but a currency for another source's price
    found: dict[str, object] = {
        "title": clean_text(tags.get("og:title")),
        "image_url": absolute_url(tags.get("og:image") or tags.get("og:image:url"), base_url),
        "brand": clean_text(
            tags.get("product:brand") or tags.get("og:brand") or _twitter_data(tags, "brand")
        ),
        "product_id": clean_text(tags.get("product:retailer_item_id")),
        "availability": normalise_availability(
            tags.get("product:availability") or tags.get("og:availability")
        ),
        "_currency": currency,
    }
    if amount_key is not None:
        found["price"] = price = structured_price(tags[amount_key], currency, hints)
        if price is not None and price.currency is None:
            found["_price_value"] = tags[amount_key]
    return found


def _twitter_data(tags: Mapping[str, str], label: str) -> str | None:
    """The value of a Twitter card's labelled pair ('twitter:label2' Brand, 'twitter:data2' Griffin)."""
    for number in range(1, _TWITTER_PAIRS + 1):
        if (tags.get(f"twitter:label{number}") or "").strip().casefold() == label:
            return tags.get(f"twitter:data{number}")
    return None


def itemprop_fields(
    properties: Mapping[str, str], hints: Mapping[str, str] | None = None
) -> dict[str, object]:
    """Fields of loose <meta>/<link> itemprop tags (microdata.loose_itemprops), when they give
    a price. No title or image: a loose `name` or `image` is as often the site's as the product's."""
    amount = properties.get("price") or properties.get("lowPrice")
    currency = currency_code(properties.get("priceCurrency"), hints)
    if not amount:
        return {"_currency": currency}  # no product here, but a currency for another source's price
    price = structured_price(amount, currency, hints)
    return {
        "price": price,
        "_price_value": amount if price is not None and price.currency is None else None,
        "_currency": currency,
        "availability": normalise_availability(properties.get("availability")),
        "sku": clean_text(properties.get("sku")),
        "brand": clean_text(properties.get("brand")),
        "product_id": clean_text(properties.get("productID")),
    }
