"""The store side of the results fan-out, as the Faust agent calls it.

    fanout = await open_fanout(settings, session, analytics_store)
    outcome = await fanout.apply(results)      # ScrapeResult records, in partition order
    # -> produce outcome.updates to product.updates and product.state (key product_id),
    #    outcome.invalidations to cache.invalidation, then commit the offsets.
    await fanout.close()

`apply` returns once both sinks stored the results (Cassandra and ClickHouse run in parallel,
each batching and retrying on its own). `submit` accepts results and returns an awaitable outcome
without waiting for the stores, so an agent can keep the next batch coming while one is written;
it blocks only when a sink's buffer is full (backpressure). Either way, results of one product
must arrive in order: change detection chains them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Any

from cassandra.cluster import Session

from consumers.sinks.base import Sink, SinkPolicy
from consumers.sinks.cassandra_sink import ProductWriter
from consumers.sinks.changes import Change
from consumers.sinks.clickhouse_sink import AnalyticsWriter
from scrapestream.config import Settings
from scrapestream.stores import analytics_schema
from scrapestream.stores.analytics import DirectAnalyticsStore
from scrapestream.stores.products import ProductStore


@dataclass(frozen=True)
class FanoutOutcome:
    updates: list[dict[str, Any]]  # ProductUpdate records, in result order
    invalidations: list[dict[str, Any]]  # CacheInvalidation records, one per update


class ResultFanout:
    def __init__(self, products: Sink[dict[str, Any], Change | None], analytics: Sink[dict[str, Any], None]):
        self.products = products
        self.analytics = analytics

    async def submit(self, results: Sequence[dict[str, Any]]) -> Awaitable[FanoutOutcome]:
        """Hand `results` to both sinks; await the returned awaitable for the outcome."""
        changes = await self.products.write(results)
        stored = await self.analytics.write(results)
        return self._outcome(changes, stored)

    async def apply(self, results: Sequence[dict[str, Any]]) -> FanoutOutcome:
        """Store `results` in both stores; the updates and invalidations they caused.

        The caller waits for them, so the sinks write now rather than wait up to flush_seconds for
        a fuller batch (with agent batches smaller than sink batches, that wait bounded the rate).
        """
        outcome = await self.submit(results)
        await asyncio.gather(self.products.flush(), self.analytics.flush())
        return await outcome

    async def close(self) -> None:
        await self.products.close()
        await self.analytics.close()

    @staticmethod
    async def _outcome(
        changes: Awaitable[list[Change | None]], stored: Awaitable[list[None]]
    ) -> FanoutOutcome:
        found = [change for change in await changes if change is not None]
        await stored
        return FanoutOutcome([change.update for change in found], [change.invalidation for change in found])


async def open_fanout(
    settings: Settings, session: Session, analytics_store: DirectAnalyticsStore, keyspace: str | None = None
) -> ResultFanout:
    """Sinks over an open Cassandra session (keyspace migrated by `scrapestream db migrate`) and the
    writable analytics store, whose tables are created here if missing (the owner applies them)."""
    await analytics_schema.apply(analytics_store)
    policy = SinkPolicy.from_settings(settings)
    products = Sink(ProductWriter(ProductStore(session, settings, keyspace)), policy)
    return ResultFanout(products, Sink(AnalyticsWriter(analytics_store), policy))
