"""The Cassandra product sink: scrape results -> product state, listings, price history, and the
changes they reveal.

`prepare` reads the stored state of every product in the batch (a few IN reads) and runs change
detection over the batch in order; `commit` writes the resulting states. Batches run one at a
time (see base.py), so the next batch reads what this one wrote. The outcome per result is a
`Change` (ProductUpdate + CacheInvalidation) or None.

Results are keyed by product id, so one fan-out worker owns each product while its partition is
assigned: the states it wrote are remembered (bounded, least recently used dropped first) and
not read back: requests to Cassandra cost most of the fan-out's CPU in the driver. `forget` must
be called when partitions move to another worker, since that worker may then write them.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

from consumers.sinks.changes import BatchChanges, Change, detect_batch, has_product
from scrapestream.stores.products import ProductState, ProductStore


class ProductWriter:
    name = "cassandra"

    def __init__(self, store: ProductStore, remember: int = 200_000) -> None:
        self.store = store
        self._written: OrderedDict[str, ProductState] = OrderedDict()
        self._remember = remember

    async def prepare(self, results: list[dict[str, Any]]) -> BatchChanges:
        ids = dict.fromkeys(result["product"]["product_id"] for result in results if has_product(result))
        known = {product_id: self._written[product_id] for product_id in ids if product_id in self._written}
        stored = known | await self.store.current_states(
            product_id for product_id in ids if product_id not in known
        )
        return detect_batch(stored, results, emitted_at=datetime.now(UTC))

    async def commit(self, batch: BatchChanges) -> list[Change | None]:
        await self.store.save(batch.writes)
        for state in batch.writes:
            self._written[state.product_id] = state
            self._written.move_to_end(state.product_id)
        while len(self._written) > self._remember:
            self._written.popitem(last=False)
        return batch.changes

    def forget(self) -> None:
        """Read every state from Cassandra again (call when partitions are reassigned)."""
        self._written.clear()
