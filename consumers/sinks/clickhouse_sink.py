"""The ClickHouse analytics sink: every scrape result -> scrape_events, priced products -> product_prices.

Tables and views are defined in `scrapestream.stores.analytics_schema`. Each batch carries an
insert deduplication token derived from its content (request id, scraped_at and status of every
result, in order), so a retried batch is stored once even if the first attempt did land; the
materialized views see it once too.

`priority` is written empty: ScrapeResult (v1) does not carry it. It is a column already so the
health views can be split by priority once the event does.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from consumers.sinks.changes import has_product
from scrapestream.stores.analytics import AnalyticsStore

EVENT_COLUMNS = (
    "scraped_at", "request_id", "task_id", "domain", "url", "status", "http_status", "fetch_ms", "render_ms",
    "bytes", "scraper_id", "priority", "product_id", "price_minor", "currency", "availability", "error",
)  # fmt: skip
PRICE_COLUMNS = ("product_id", "domain", "scraped_at", "price_minor", "currency", "availability")


@dataclass(frozen=True)
class AnalyticsBatch:
    events: list[list[Any]]
    prices: list[list[Any]]
    dedup_token: str


def dedup_token(results: list[dict[str, Any]]) -> str:
    """Same results in the same order -> same token; any other batch -> a different one."""
    lines = "".join(
        f"{result['request_id']}|{result['scraped_at'].isoformat()}|{result['status']}\n"
        for result in results
    )  # hashed at once: the same digest as line by line, for less per-result work
    return hashlib.sha256(lines.encode()).hexdigest()


def event_row(result: dict[str, Any]) -> list[Any]:
    product = result.get("product") or {}
    price = product.get("price") or {}
    values = {
        **{column: result[column] for column in ("scraped_at", "request_id", "domain", "url", "status")},
        **{column: result[column] for column in ("fetch_ms", "render_ms", "bytes", "scraper_id")},
        "task_id": result.get("task_id"),
        "http_status": result.get("http_status"),
        "priority": result.get("priority") or "",
        "product_id": product.get("product_id", ""),
        "price_minor": price.get("amount_minor"),
        "currency": price.get("currency") or "",  # "" when the page did not tell
        "availability": product.get("availability", ""),
        "error": result.get("error") or "",
    }
    return [values[column] for column in EVENT_COLUMNS]


def price_row(result: dict[str, Any]) -> list[Any]:
    product = result["product"]
    values = {
        "product_id": product["product_id"],
        "domain": result["domain"],
        "scraped_at": result["scraped_at"],
        "price_minor": product["price"]["amount_minor"],
        "currency": product["price"]["currency"] or "",
        "availability": product["availability"],
    }
    return [values[column] for column in PRICE_COLUMNS]


class AnalyticsWriter:
    name = "clickhouse"

    def __init__(self, store: AnalyticsStore) -> None:
        self.store = store

    async def prepare(self, results: list[dict[str, Any]]) -> AnalyticsBatch:
        priced = [result for result in results if has_product(result) and result["product"]["price"]]
        return AnalyticsBatch(
            [event_row(result) for result in results],
            [price_row(result) for result in priced],
            dedup_token(results),
        )

    async def commit(self, batch: AnalyticsBatch) -> list[None]:
        # Two inserts, one token: each table remembers tokens on its own, so a retry after the
        # first insert landed skips it and still stores the second.
        await self.store.insert("scrape_events", EVENT_COLUMNS, batch.events, batch.dedup_token)
        if batch.prices:
            await self.store.insert("product_prices", PRICE_COLUMNS, batch.prices, batch.dedup_token)
        return [None] * len(batch.events)
