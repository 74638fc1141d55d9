"""The Cassandra product sink: scrape results -> product state, listings, price history, and the
changes they reveal.

`prepare` reads the stored state of every product in the batch (one read each) and runs change
detection over the batch in order; `commit` writes the resulting states. Batches run one at a
time (see base.py), so the next batch reads what this one wrote. The outcome per result is a
`Change` (ProductUpdate + CacheInvalidation) or None.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from consumers.sinks.changes import BatchChanges, Change, detect_batch, has_product
from scrapestream.stores.products import ProductStore


class ProductWriter:
    name = "cassandra"

    def __init__(self, store: ProductStore) -> None:
        self.store = store

    async def prepare(self, results: list[dict[str, Any]]) -> BatchChanges:
        ids = [result["product"]["product_id"] for result in results if has_product(result)]
        stored = await self.store.current_states(ids)
        return detect_batch(stored, results, emitted_at=datetime.now(UTC))

    async def commit(self, batch: BatchChanges) -> list[Change | None]:
        await self.store.save(batch.writes)
        return batch.changes
