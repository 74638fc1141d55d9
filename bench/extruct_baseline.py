"""The baseline issue #18 compares with: a few lines of extruct + price-parser, no tuning.

What a developer would write in an afternoon: extruct reads JSON-LD, microdata and RDFa (schema.org
uniformed) and OpenGraph; the first node typed Product (or a subtype below) in that order is the
product; its first offer gives price (parsed by price-parser), currency and availability; OpenGraph
fills a missing title and price. No visible-markup fallback, no offer rule, no cleaning.
bench/extraction_score.py --baseline scores it beside extract_product on the same pages.
"""

from __future__ import annotations

from collections.abc import Iterator

import extruct
from price_parser import Price

from bench.corpus import FIELDS

SYNTAXES = ("json-ld", "microdata", "rdfa")
PRODUCT_TYPES = {"Product", "ProductModel", "IndividualProduct", "SomeProducts", "Book", "Vehicle", "Car"}
AVAILABILITY = {
    "instock": "IN_STOCK",
    "outofstock": "OUT_OF_STOCK",
    "soldout": "OUT_OF_STOCK",
    "limitedavailability": "LIMITED",
    "preorder": "PREORDER",
    "backorder": "BACKORDER",
    "discontinued": "DISCONTINUED",
}


def baseline_fields(html: str, url: str) -> dict[str, object]:
    """The scored fields as the baseline finds them (None where it finds nothing)."""
    try:  # errors="ignore" drops a syntax that fails; the page's HTML itself may still fail
        data = extruct.extract(
            html, base_url=url, syntaxes=[*SYNTAXES, "opengraph"], uniform=True, errors="ignore"
        )
    except Exception:
        data = {}
    found: dict[str, object] = dict.fromkeys(FIELDS)
    product = next(
        (node for syntax in SYNTAXES for node in _nodes(data.get(syntax)) if _is_product(node)), None
    )
    if product is not None:
        offer = _first(product.get("offers"))
        offer = offer if isinstance(offer, dict) else {}
        brand = _first(product.get("brand"))
        found |= {
            "title": _first(product.get("name")),
            "price": _amount(_first(offer.get("price")) or _first(offer.get("lowPrice"))),
            "currency": _first(offer.get("priceCurrency")),
            "availability": AVAILABILITY.get(
                str(_first(offer.get("availability"))).rsplit("/", 1)[-1].lower()
            ),
            "sku": _first(product.get("sku")),
            "brand": _first(brand.get("name")) if isinstance(brand, dict) else brand,
        }
    opengraph = {key: value for node in data.get("opengraph") or [] for key, value in node.items()}
    if not found["title"]:
        found["title"] = opengraph.get("og:title")
    if found["price"] is None and opengraph.get("product:price:amount"):
        found["price"] = _amount(opengraph["product:price:amount"])
        found["currency"] = opengraph.get("product:price:currency")
    return {key: value if key == "price" or value is None else str(value) for key, value in found.items()}


def _nodes(document: object) -> Iterator[dict]:
    """Every dict in a JSON-like document, depth first (products nest in @graph, offers, ...)."""
    if isinstance(document, dict):
        yield document
        document = list(document.values())
    if isinstance(document, list):
        for item in document:
            yield from _nodes(item)


def _is_product(node: dict) -> bool:
    kinds = node.get("@type") or []
    return any(
        str(kind).rsplit("/", 1)[-1] in PRODUCT_TYPES
        for kind in (kinds if isinstance(kinds, list) else [kinds])
    )


def _first(value: object) -> object:
    return _first(value[0] if value else None) if isinstance(value, list) else value


def _amount(raw: object) -> object:
    return None if raw is None else Price.fromstring(str(raw)).amount
