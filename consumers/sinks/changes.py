"""Change detection: what a scrape result changes about a product. Pure logic, no I/O.

For an OK ScrapeResult with a product and the product's stored state (or None), `next_state`
decides the state to store and the ProductUpdate to publish:

- no stored state: NEW, version 1;
- result older than the stored state (scraped_at earlier): nothing to store, no update;
- result newer: PRICE (amount or currency, including a price appearing or vanishing),
  AVAILABILITY, CONTENT (sku, title, brand, image, categories, attributes) as they differ; an
  update with version + 1 when any did, else the new state keeps the previous version;
- result exactly as old as the stored state (a replay): the same state again, and when that very
  scrape revealed the stored last change, the same update again (same version). So a crash after
  the Cassandra write but before the Kafka produce still publishes the update when replayed;
  consumers drop repeated versions.

Rating and review count are stored but are not CONTENT: they drift with every review and would
turn most scrapes into updates.

`detect_batch` applies a batch in order on top of the states read for it (one read per product),
so several results for one product in one batch chain correctly.

Cache keys (CacheInvalidation.keys) of a change:
- `product:<product_id>`: the product's current state;
- `domain:<domain>:list`: the shop's product listing (it shows title, price and stock);
- `product:<product_id>:price_history`: only for NEW, PRICE or AVAILABILITY.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from schemas import records
from scrapestream.stores.products import HISTORY_CHANGES, ProductState

CONTENT_FIELDS = ("sku", "title", "brand", "image_url", "category_path", "attributes")
CHANGE_ORDER = ("NEW", "PRICE", "AVAILABILITY", "CONTENT")


class Change(NamedTuple):
    update: dict[str, Any]  # ProductUpdate record, for product.updates and product.state
    invalidation: dict[str, Any]  # CacheInvalidation record, for cache.invalidation


@dataclass(frozen=True)
class BatchChanges:
    writes: list[ProductState]  # states to store, in scrape order
    changes: list[Change | None]  # one entry per result of the batch, None when nothing changed


def has_product(result: Mapping[str, Any]) -> bool:
    return result["status"] == "OK" and result.get("product") is not None


def next_state(
    stored: ProductState | None, result: Mapping[str, Any]
) -> tuple[ProductState | None, dict[str, Any] | None]:
    """(state to store or None, ProductUpdate or None) for an OK result with a product."""
    if not has_product(result):
        raise ValueError(f"result {result['request_id']} has no product (status {result['status']})")
    scraped_at = result["scraped_at"]
    if stored is not None and scraped_at < stored.scraped_at:
        return None, None
    if stored is not None and scraped_at == stored.scraped_at:
        return stored, (stored.last_update if stored.changed_here else None)
    kinds = changed_kinds(stored.product if stored else None, result["product"])
    if not kinds:
        return _state(result, stored.last_update), None
    update = _update(stored, result, kinds)
    return _state(result, update), update


def changed_kinds(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[str]:
    """What differs between two Product records, in CHANGE_ORDER; ["NEW"] when there is no old one."""
    if old is None:
        return ["NEW"]
    kinds = []
    if old["price"] != new["price"]:
        kinds.append("PRICE")
    if old["availability"] != new["availability"]:
        kinds.append("AVAILABILITY")
    if any(_normalised(old[field]) != _normalised(new[field]) for field in CONTENT_FIELDS):
        kinds.append("CONTENT")
    return kinds


def invalidation(update: Mapping[str, Any], emitted_at: datetime) -> dict[str, Any]:
    """The cache entries that `update` makes stale (key scheme in the module docstring)."""
    product_id, changes = update["product_id"], update["changes"]
    keys = [f"product:{product_id}", f"domain:{update['domain']}:list"]
    if HISTORY_CHANGES.intersection(changes):
        keys.append(f"product:{product_id}:price_history")
    reason = "new product" if "NEW" in changes else ", ".join(kind.lower() for kind in changes) + " changed"
    return records.cache_invalidation(keys, product_id, reason, emitted_at)


def detect_batch(
    stored: Mapping[str, ProductState], results: Sequence[Mapping[str, Any]], emitted_at: datetime
) -> BatchChanges:
    """Apply `results` in order on top of `stored` (product_id -> state read before the batch)."""
    current = dict(stored)
    writes: list[ProductState] = []
    changes: list[Change | None] = []
    for result in results:
        if not has_product(result):
            changes.append(None)
            continue
        product_id = result["product"]["product_id"]
        state, update = next_state(current.get(product_id), result)
        if state is not None:
            current[product_id] = state
            writes.append(state)
        changes.append(Change(update, invalidation(update, emitted_at)) if update else None)
    return BatchChanges(writes, changes)


def _update(stored: ProductState | None, result: Mapping[str, Any], kinds: list[str]) -> dict[str, Any]:
    product = result["product"]
    return records.product_update(
        product_id=product["product_id"],
        domain=result["domain"],
        changes=kinds,
        old=stored.product if stored else None,
        new=product,
        version=stored.version + 1 if stored else 1,
        updated_at=result["scraped_at"],
    )


def _state(result: Mapping[str, Any], last_update: dict[str, Any]) -> ProductState:
    return ProductState(
        result["domain"], result["url"], dict(result["product"]), result["scraped_at"], last_update
    )


def _normalised(value: Any) -> Any:
    """Empty and missing compare equal (Cassandra stores an empty list or map as null)."""
    return value or None
