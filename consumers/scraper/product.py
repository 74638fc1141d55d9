"""Extraction output (consumers.extract.ProductData) -> the Avro Product record.

product_id is "<domain>:<the shop's product id>", falling back to the sku and then to the URL
fingerprint, so ids from different shops never collide and every product has one.

Page values are made to fit their Avro types: numbers out of range (a rating of 1e300 for a
float, 10**12 reviews for an int) are dropped, lone surrogates in text are replaced. Otherwise
the result could not be encoded, and an unencodable result stopped the scraper worker (a poison
page, redone after every restart).
"""

from __future__ import annotations

import math
import re
from typing import Any

from consumers.extract import ProductData

FLOAT32_MAX = 3.4028234663852886e38
_SURROGATE = re.compile("[\ud800-\udfff]")


def avro_product(data: ProductData, domain: str, url_fingerprint: str) -> dict[str, Any]:
    own_id = data.product_id or data.sku or f"url-{url_fingerprint}"
    return {
        "product_id": _text(f"{domain}:{own_id}"),
        "sku": _text(data.sku),
        "title": _text(data.title or ""),
        "brand": _text(data.brand),
        "price": {"amount_minor": data.price.minor, "currency": data.price.currency} if data.price else None,
        "availability": str(data.availability) if data.availability else "UNKNOWN",
        "rating": data.rating if _fits_float32(data.rating) else None,
        "review_count": data.review_count if _fits_int32(data.review_count) else None,
        "image_url": _text(data.image_url),
        "category_path": [_text(name) for name in data.category_path],
        "attributes": {_text(name): _text(value) for name, value in data.attributes.items()},
    }


def _text(value: str | None) -> Any:
    """`value` with lone surrogates (which UTF-8, and so Avro, cannot hold) replaced by U+FFFD.
    A page gets them into Python text through JSON escapes ("\\ud800") or a UTF-7 charset."""
    return value if value is None or value.isascii() else _SURROGATE.sub("\ufffd", value)


def _fits_float32(number: float | None) -> bool:
    return number is not None and math.isfinite(number) and abs(number) <= FLOAT32_MAX


def _fits_int32(number: int | None) -> bool:
    return number is not None and -(2**31) <= number < 2**31
