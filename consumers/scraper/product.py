"""Extraction output (consumers.extract.ProductData) -> the Avro Product record.

product_id is "<domain>:<the shop's product id>", falling back to the sku and then to the URL
fingerprint, so ids from different shops never collide and every product has one.
"""

from __future__ import annotations

from typing import Any

from consumers.extract import ProductData


def avro_product(data: ProductData, domain: str, url_fingerprint: str) -> dict[str, Any]:
    own_id = data.product_id or data.sku or f"url-{url_fingerprint}"
    return {
        "product_id": f"{domain}:{own_id}",
        "sku": data.sku,
        "title": data.title or "",
        "brand": data.brand,
        "price": {"amount_minor": data.price.minor, "currency": data.price.currency} if data.price else None,
        "availability": str(data.availability) if data.availability else "UNKNOWN",
        "rating": data.rating,
        "review_count": data.review_count,
        "image_url": data.image_url,
        "category_path": list(data.category_path),
        "attributes": dict(data.attributes),
    }
