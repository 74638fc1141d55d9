"""The Cassandra product store: current product state, per-shop listings and price history.

Tables are created by `scrapestream.stores.cassandra_schema` (see there for what each serves).
Every write carries `USING TIMESTAMP` = the result's scraped_at in microseconds, so Cassandra
keeps the newest scrape cell by cell whatever order writes arrive in: a replayed or late older
result can never overwrite newer state, and writing the same state twice changes nothing.

Statements are prepared once and run asynchronously (the driver's execute_concurrent: execute_async
with a window of `cassandra_write_concurrency` in flight); an operation returns when every write is
acknowledged. When Cassandra cannot be
reached or does not answer in time, `StoreUnavailable` is raised (retryable).

`ProductState` is the current row of `products` in event terms: the Product record, where and
when it was scraped, and the ProductUpdate of its latest change.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cassandra import ConsistencyLevel, OperationTimedOut, RequestExecutionException
from cassandra.cluster import NoHostAvailable, Session
from cassandra.concurrent import execute_concurrent
from cassandra.connection import ConnectionException
from cassandra.protocol import IsBootstrappingErrorMessage, OverloadedErrorMessage
from cassandra.query import BatchStatement, BatchType

from scrapestream.config import Settings
from scrapestream.stores.errors import StoreUnavailable

UNAVAILABLE = (
    NoHostAvailable,
    OperationTimedOut,
    RequestExecutionException,  # Unavailable, read/write timeouts and failures on the coordinator
    ConnectionException,
    OverloadedErrorMessage,
    IsBootstrappingErrorMessage,
)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Changes recorded in price_history (CONTENT alone does not touch price or stock).
HISTORY_CHANGES = {"NEW", "PRICE", "AVAILABILITY"}

PRODUCT_COLUMNS = (
    "product_id", "domain", "url", "sku", "title", "brand", "price_minor", "currency", "availability",
    "rating", "review_count", "image_url", "category_path", "attributes", "scraped_at",
    "version", "changed_at", "last_changes", "old_price_minor", "old_currency", "old_availability",
)  # fmt: skip
SUMMARY_COLUMNS = (
    "domain", "product_id", "title", "price_minor", "currency", "availability", "version", "changed_at",
)  # fmt: skip
HISTORY_COLUMNS = ("product_id", "day", "scraped_at", "price_minor", "currency", "availability")


@dataclass(frozen=True)
class ProductState:
    domain: str
    url: str
    product: dict[str, Any]  # Product record (schemas/scrapestream.v1.Product.avsc)
    scraped_at: datetime  # of the result this state comes from (aware UTC, millisecond precision)
    last_update: dict[str, Any]  # ProductUpdate record of the latest change

    @property
    def product_id(self) -> str:
        return self.product["product_id"]

    @property
    def version(self) -> int:
        return self.last_update["version"]

    @property
    def changed_here(self) -> bool:
        """Whether this scrape is the one that revealed the latest change."""
        return self.last_update["updated_at"] == self.scraped_at


@dataclass(frozen=True)
class ProductSummary:
    """A row of a shop's product listing."""

    domain: str
    product_id: str
    title: str
    price: dict[str, Any] | None  # Money record
    availability: str
    version: int
    changed_at: datetime


@dataclass(frozen=True)
class PricePoint:
    scraped_at: datetime
    price: dict[str, Any] | None
    availability: str


class ProductStore:
    def __init__(self, session: Session, settings: Settings, keyspace: str | None = None) -> None:
        self._session = session
        self._concurrency = settings.cassandra_write_concurrency
        self._history_ttl = settings.price_history_ttl_days * 86_400
        ks = keyspace or settings.cassandra_keyspace
        self._insert_product = self._prepare(_insert(f"{ks}.products", PRODUCT_COLUMNS))
        self._insert_summary = self._prepare(_insert(f"{ks}.products_by_domain", SUMMARY_COLUMNS))
        self._insert_history = self._prepare(_insert(f"{ks}.price_history", HISTORY_COLUMNS, " AND TTL :ttl"))
        self._select_product = self._prepare(f"SELECT * FROM {ks}.products WHERE product_id = ?")
        self._select_by_domain = self._prepare(
            f"SELECT * FROM {ks}.products_by_domain WHERE domain = ? LIMIT ?", fetch_size=None
        )
        self._select_history = self._prepare(
            f"SELECT * FROM {ks}.price_history WHERE product_id = ? AND day = ?", fetch_size=None
        )

    # -- reads --------------------------------------------------------------------------------
    async def get_product(self, product_id: str) -> ProductState | None:
        rows = await self._run(self._select_product, (product_id,))
        return _state_from_row(rows[0]) if rows else None

    async def current_states(self, product_ids: Iterable[str]) -> dict[str, ProductState]:
        """The stored state of each product that has one: one read per product, run concurrently."""
        ids = list(dict.fromkeys(product_ids))
        found = await self._run_all([(self._select_product, (product_id,)) for product_id in ids])
        return {
            product_id: _state_from_row(rows[0]) for product_id, rows in zip(ids, found, strict=True) if rows
        }

    async def products_by_domain(self, domain: str, limit: int = 100) -> list[ProductSummary]:
        """Up to `limit` products of a shop, ordered by product id."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        rows = await self._run(self._select_by_domain, (domain, limit))
        return [
            ProductSummary(
                row.domain,
                row.product_id,
                row.title,
                _money(row.price_minor, row.currency),
                row.availability,
                row.version,
                _utc(row.changed_at),
            )
            for row in rows
        ]

    async def price_history(self, product_id: str, day: date) -> list[PricePoint]:
        """Price and stock changes of one product on one UTC day, newest first."""
        rows = await self._run(self._select_history, (product_id, day))
        return [
            PricePoint(_utc(row.scraped_at), _money(row.price_minor, row.currency), row.availability)
            for row in rows
        ]

    # -- writes -------------------------------------------------------------------------------
    async def save(self, states: Sequence[ProductState]) -> None:
        """Write states in scrape order; returns when Cassandra acknowledged every write.

        Only the last state per product goes to `products` (older ones would lose to it anyway);
        each state that revealed a change also writes its listing row and, for price or stock
        changes, a price_history row.
        """
        latest = {state.product_id: state for state in states}
        writes = {
            product_id: [(self._insert_product, _product_values(state))]
            for product_id, state in latest.items()
        }
        for state in states:
            if not state.changed_here:
                continue
            writes[state.product_id].append((self._insert_summary, _summary_values(state)))
            if HISTORY_CHANGES.intersection(state.last_update["changes"]):
                history = {**_history_values(state), "ttl": self._history_ttl}
                writes[state.product_id].append((self._insert_history, history))
        await self._run_all([(_unlogged(product_writes), None) for product_writes in writes.values()])

    # -- execution ----------------------------------------------------------------------------
    def _prepare(self, cql: str, fetch_size: int | None = 5000):
        try:
            statement = self._session.prepare(cql)
        except UNAVAILABLE as error:
            raise StoreUnavailable("cassandra", f"cannot prepare statements: {error}") from error
        statement.consistency_level = ConsistencyLevel.LOCAL_QUORUM
        statement.fetch_size = fetch_size
        return statement

    async def _run_all(self, statements: Sequence[tuple[Any, Any]]) -> list[list[Any]]:
        """Run every (statement, values) with at most `concurrency` in flight; the rows of each, in order.

        The driver's execute_concurrent keeps the window full from its own I/O thread (execute_async
        under the hood); running it in a worker thread keeps the event loop free and avoids waking
        the loop once per statement, which cost ~40 % of the throughput.
        """
        if not statements:
            return []
        try:
            outcomes = await asyncio.to_thread(
                execute_concurrent, self._session, statements, self._concurrency, raise_on_first_error=True
            )
        except UNAVAILABLE as error:
            raise StoreUnavailable("cassandra", f"{type(error).__name__}: {error}") from error
        return [list(outcome.result_or_exc) for outcome in outcomes]

    async def _run(self, statement: Any, values: Any) -> list[Any]:
        (rows,) = await self._run_all([(statement, values)])
        return rows


def _unlogged(writes: list[tuple[Any, Any]]) -> BatchStatement:
    """One product's writes in one request: a third of the round trips, and of the driver's CPU.

    Unlogged, since each write is idempotent (USING TIMESTAMP) and a replay repeats any that failed.
    """
    batch = BatchStatement(BatchType.UNLOGGED, consistency_level=ConsistencyLevel.LOCAL_QUORUM)
    for statement, values in writes:
        batch.add(statement, values)
    return batch


def _insert(table: str, columns: Sequence[str], extra_using: str = "") -> str:
    names = ", ".join(columns)
    markers = ", ".join(f":{column}" for column in columns)
    return f"INSERT INTO {table} ({names}) VALUES ({markers}) USING TIMESTAMP :write_time{extra_using}"


def write_time(moment: datetime) -> int:
    """Cassandra write timestamp (microseconds since the epoch) of an aware datetime, exactly."""
    return (moment - EPOCH) // timedelta(microseconds=1)


def _product_values(state: ProductState) -> dict[str, Any]:
    product, update = state.product, state.last_update
    price, old_price = product["price"] or {}, update["old_price"] or {}
    return {
        **{key: product[key] for key in ("product_id", "sku", "title", "brand", "rating", "review_count")},
        "domain": state.domain,
        "url": state.url,
        "price_minor": price.get("amount_minor"),
        "currency": price.get("currency"),
        "availability": product["availability"],
        "image_url": product["image_url"],
        "category_path": list(product["category_path"]),
        "attributes": dict(product["attributes"]),
        "scraped_at": state.scraped_at,
        "version": update["version"],
        "changed_at": update["updated_at"],
        "last_changes": list(update["changes"]),
        "old_price_minor": old_price.get("amount_minor"),
        "old_currency": old_price.get("currency"),
        "old_availability": update["old_availability"],
        "write_time": write_time(state.scraped_at),
    }


def _summary_values(state: ProductState) -> dict[str, Any]:
    price = state.product["price"] or {}
    return {
        "domain": state.domain,
        "product_id": state.product_id,
        "title": state.product["title"],
        "price_minor": price.get("amount_minor"),
        "currency": price.get("currency"),
        "availability": state.product["availability"],
        "version": state.version,
        "changed_at": state.scraped_at,
        "write_time": write_time(state.scraped_at),
    }


def _history_values(state: ProductState) -> dict[str, Any]:
    price = state.product["price"] or {}
    return {
        "product_id": state.product_id,
        "day": state.scraped_at.date(),
        "scraped_at": state.scraped_at,
        "price_minor": price.get("amount_minor"),
        "currency": price.get("currency"),
        "availability": state.product["availability"],
        "write_time": write_time(state.scraped_at),
    }


def _state_from_row(row: Any) -> ProductState:
    price = _money(row.price_minor, row.currency)
    product = {
        "product_id": row.product_id,
        "sku": row.sku,
        "title": row.title,
        "brand": row.brand,
        "price": price,
        "availability": row.availability,
        "rating": row.rating,
        "review_count": row.review_count,
        "image_url": row.image_url,
        "category_path": list(row.category_path or ()),
        "attributes": dict(row.attributes or {}),
    }
    last_update = {
        "product_id": row.product_id,
        "domain": row.domain,
        "changes": list(row.last_changes or ()),
        "old_price": _money(row.old_price_minor, row.old_currency),
        "new_price": price,
        "old_availability": row.old_availability,
        "new_availability": row.availability,
        "version": row.version,
        "updated_at": _utc(row.changed_at),
    }
    return ProductState(row.domain, row.url, product, _utc(row.scraped_at), last_update)


def _money(amount_minor: int | None, currency: str | None) -> dict[str, Any] | None:
    return None if amount_minor is None else {"amount_minor": amount_minor, "currency": currency}


def _utc(moment: datetime) -> datetime:
    """The driver returns naive UTC datetimes; events use aware ones."""
    return moment.replace(tzinfo=UTC)
