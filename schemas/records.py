"""Builders of the event records: the one place a record of each event type is put together.

A record is the dict `Codec.encode` takes (UUID objects, aware datetimes at millisecond
precision). Callers validate their input first (the publisher checks what users send); a
builder only gives every field its value and its default. Enum symbols are read from the
`.avsc` files, so a symbol added to a schema reaches validation and routing without a second
list to update.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from schemas.loader import NAMESPACE, SCHEMA_DIR

Record = dict[str, Any]


def _enum_symbols(type_name: str, field: str | None = None) -> tuple[str, ...]:
    """The symbols of a named enum schema, or of the enum declared inline by a field of one."""
    schema = json.loads((SCHEMA_DIR / f"{NAMESPACE}.{type_name}.avsc").read_text())
    if field is not None:
        schema = next(entry["type"] for entry in schema["fields"] if entry["name"] == field)
    return tuple(schema["symbols"])


PRIORITIES = _enum_symbols("Priority")  # most urgent first: a priority's rank is its index
RENDER_MODES = _enum_symbols("ScrapeRequest", "render")
PAGE_KINDS = _enum_symbols("ScrapeRequest", "kind")


def utc_now_millis() -> datetime:
    """Now, truncated to the millisecond precision of timestamp-millis fields."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def scrape_request(
    url: str,
    canonical_url: str,
    domain: str,
    *,
    kind: str,
    priority: str,
    render: str,
    freshness_seconds: int,
    requested_by: str,
    correlation_id: str | None,
    tags: Mapping[str, str],
    created_at: datetime | None = None,
) -> Record:
    """A new ScrapeRequest (fresh uuid4 request id, attempt 0)."""
    return {
        "request_id": uuid.uuid4(),
        "url": url,
        "canonical_url": canonical_url,
        "domain": domain,
        "kind": kind,
        "priority": priority,
        "render": render,
        "freshness_seconds": freshness_seconds,
        "requested_by": requested_by,
        "attempt": 0,
        "created_at": created_at or utc_now_millis(),
        "correlation_id": correlation_id,
        "tags": dict(tags),
    }


def scrape_task(domain: str, priority: str, requests: list[Record]) -> Record:
    """Requests of one domain and priority, for one scraper to take."""
    return {
        "task_id": uuid.uuid4(),
        "domain": domain,
        "priority": priority,
        "requests": requests,
        "created_at": utc_now_millis(),
    }


def scrape_result(
    request: Mapping[str, Any],
    task_id: uuid.UUID | None,
    *,
    url: str,
    domain: str,
    status: str,
    scraper_id: str,
    http_status: int | None = None,
    product: Record | None = None,
    discovered_urls: list[str] | None = None,
    fetch_ms: int = 0,
    render_ms: int = 0,
    size: int = 0,
    error: str | None = None,
) -> Record:
    """What scraping `request` gave, stamped now."""
    return {
        "request_id": request["request_id"],
        "task_id": task_id,
        "url": url,
        "domain": domain or request.get("domain", ""),
        "status": status,
        "http_status": http_status,
        "product": product,
        "discovered_urls": discovered_urls or [],
        "fetch_ms": fetch_ms,
        "render_ms": render_ms,
        "bytes": size,
        "scraped_at": utc_now_millis(),
        "scraper_id": scraper_id,
        "error": error,
    }


def dead_letter(
    *,
    topic: str,
    partition: int,
    offset: int,
    key: bytes | None,
    payload: bytes | None,
    error_type: str,
    error_message: str,
    attempts: int = 1,
) -> Record:
    """What could not be processed (the message as it was), where it came from and why."""
    return {
        "source_topic": topic,
        "source_partition": partition,
        "source_offset": offset,
        "key": key,
        "payload": payload,
        "error_type": error_type,
        "error_message": error_message,
        "attempts": attempts,
        "failed_at": utc_now_millis(),
    }


def product_update(
    *,
    product_id: str,
    domain: str,
    changes: list[str],
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any],
    version: int,
    updated_at: datetime,
) -> Record:
    """A product's change (`changes`: kinds such as NEW, PRICE) from the `old` Product (None for a
    new product) to the `new` one."""
    return {
        "product_id": product_id,
        "domain": domain,
        "changes": changes,
        "old_price": old["price"] if old else None,
        "new_price": new["price"],
        "old_availability": old["availability"] if old else None,
        "new_availability": new["availability"],
        "version": version,
        "updated_at": updated_at,
    }


def cache_invalidation(keys: list[str], product_id: str, reason: str, emitted_at: datetime) -> Record:
    """The cache entries a product change makes stale."""
    return {"keys": keys, "product_id": product_id, "reason": reason, "emitted_at": emitted_at}
