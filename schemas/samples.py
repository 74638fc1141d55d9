"""A realistic example record of every event, for tests, benchmarks and documentation.

Values are what `Codec.decode` returns (UUID objects, aware datetimes at millisecond precision),
so a round trip compares equal.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

SAMPLE_TIME = datetime(2026, 11, 28, 12, 30, 15, 123000, tzinfo=UTC)


def scrape_request(url: str = "https://shop.example/p/kettle-2000") -> dict[str, Any]:
    return {
        "request_id": uuid.UUID("6f1c2a52-3d4e-4c1b-9a55-0c1d2e3f4a5b"),
        "url": url,
        "canonical_url": url,
        "domain": "shop.example",
        "kind": "PRODUCT",
        "priority": "HIGH",
        "render": "AUTO",
        "freshness_seconds": 3600,
        "requested_by": "api:pricing-team",
        "attempt": 0,
        "created_at": SAMPLE_TIME,
        "correlation_id": "crawl-2026-11-28",
        "tags": {"campaign": "black-friday"},
    }


def scrape_task() -> dict[str, Any]:
    return {
        "task_id": uuid.UUID("0b7e9a10-8f7e-4a43-9d2a-5b6c7d8e9f00"),
        "domain": "shop.example",
        "priority": "HIGH",
        "requests": [scrape_request(f"https://shop.example/p/{n}") for n in range(3)],
        "created_at": SAMPLE_TIME,
    }


def product() -> dict[str, Any]:
    return {
        "product_id": "shop.example:KT-2000",
        "sku": "KT-2000",
        "title": "Electric Kettle 2000 W, 1.7 l, brushed steel",
        "brand": "Boilwell",
        "price": {"amount_minor": 3999, "currency": "EUR"},
        "availability": "IN_STOCK",
        "rating": 4.5,
        "review_count": 1287,
        "image_url": "https://shop.example/img/kt-2000.jpg",
        "category_path": ["Home", "Kitchen", "Kettles"],
        "attributes": {"colour": "steel", "capacity": "1.7 l", "power": "2000 W"},
    }


def scrape_result() -> dict[str, Any]:
    return {
        "request_id": uuid.UUID("6f1c2a52-3d4e-4c1b-9a55-0c1d2e3f4a5b"),
        "task_id": uuid.UUID("0b7e9a10-8f7e-4a43-9d2a-5b6c7d8e9f00"),
        "url": "https://shop.example/p/kettle-2000",
        "domain": "shop.example",
        "status": "OK",
        "http_status": 200,
        "product": product(),
        "discovered_urls": [],
        "fetch_ms": 182,
        "render_ms": 0,
        "bytes": 48213,
        "scraped_at": SAMPLE_TIME,
        "scraper_id": "scraper-1/4242",
        "error": None,
    }


def product_update() -> dict[str, Any]:
    return {
        "product_id": "shop.example:KT-2000",
        "domain": "shop.example",
        "changes": ["PRICE", "AVAILABILITY"],
        "old_price": {"amount_minor": 4499, "currency": "EUR"},
        "new_price": {"amount_minor": 3999, "currency": "EUR"},
        "old_availability": "OUT_OF_STOCK",
        "new_availability": "IN_STOCK",
        "version": 7,
        "updated_at": SAMPLE_TIME,
    }


def cache_invalidation() -> dict[str, Any]:
    return {
        "keys": ["product:shop.example:KT-2000", "category:shop.example:kettles"],
        "product_id": "shop.example:KT-2000",
        "reason": "price changed",
        "emitted_at": SAMPLE_TIME,
    }


def dead_letter() -> dict[str, Any]:
    return {
        "source_topic": "scrape.results",
        "source_partition": 3,
        "source_offset": 120045,
        "key": b"shop.example:KT-2000",
        "payload": b"\xc3\x01\x00\x01\x02",
        "error_type": "unknown fingerprint",
        "error_message": "unknown fingerprint: 0001020304050607",
        "attempts": 1,
        "failed_at": SAMPLE_TIME,
    }


SAMPLES = {
    "ScrapeRequest": scrape_request,
    "ScrapeTask": scrape_task,
    "ScrapeResult": scrape_result,
    "ProductUpdate": product_update,
    "CacheInvalidation": cache_invalidation,
    "DeadLetter": dead_letter,
}
