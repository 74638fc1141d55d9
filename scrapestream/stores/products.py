"""The Cassandra product store: current product state, per-shop listings and price history.

Tables are created by `scrapestream.stores.cassandra_schema` (see there for what each serves).
Every write carries `USING TIMESTAMP` = the result's scraped_at in microseconds, so Cassandra
keeps the newest scrape cell by cell whatever order writes arrive in: a replayed or late older
result can never overwrite newer state, and writing the same state twice changes nothing.

Statements are prepared once and run asynchronously (the driver's execute_concurrent: execute_async
with a window of `cassandra_write_concurrency` in flight); an operation returns when every write is
acknowledged. When Cassandra cannot be reached or does not answer in time, `StoreUnavailable` is
raised (retryable).

Requests, not rows, cost the driver's CPU (~0.2 ms of Python each, mostly handling the response),
so rows travel together: writes in unlogged batches of rows whose partitions share a primary
replica (the coordinator the token-aware policy picks owns them all), reads as `IN` queries over
the same kind of groups. Batches stay under Cassandra's warning thresholds (see `_UnloggedBatch`).

`ProductState` is the current row of `products` in event terms: the Product record, where and
when it was scraped, and the ProductUpdate of its latest change.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from cassandra import ConsistencyLevel, OperationTimedOut, RequestExecutionException
from cassandra.cluster import NoHostAvailable, Session
from cassandra.concurrent import execute_concurrent
from cassandra.connection import ConnectionException
from cassandra.protocol import IsBootstrappingErrorMessage, OverloadedErrorMessage
from cassandra.query import BatchStatement, BatchType, BoundStatement

from scrapestream.config import Settings
from scrapestream.stores.cassandra_sessions import consistency_level
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
READ_CHUNK = 100  # product ids per IN read


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
        # Reads and writes at the same level (LOCAL_QUORUM: 1 of 1, 2 of 3), so a read sees every
        # acknowledged write even with one replica of three down.
        self._consistency = consistency_level(settings)
        ks = keyspace or settings.cassandra_keyspace
        self._keyspace = ks
        self._insert_product = self._prepare(_insert(f"{ks}.products", PRODUCT_COLUMNS))
        self._insert_summary = self._prepare(_insert(f"{ks}.products_by_domain", SUMMARY_COLUMNS))
        self._insert_history = self._prepare(_insert(f"{ks}.price_history", HISTORY_COLUMNS, " AND TTL :ttl"))
        self._select_product = self._prepare(f"SELECT * FROM {ks}.products WHERE product_id = ?")
        self._select_products = self._prepare(f"SELECT * FROM {ks}.products WHERE product_id IN ?")
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
        """The stored state of each product that has one: IN reads of up to READ_CHUNK ids sharing a
        replica, run concurrently (the driver cannot route an IN read, but its coordinator then asks
        one replica set, not many)."""
        by_replica: dict[Any, list[str]] = {}
        for product_id in dict.fromkeys(product_ids):
            by_replica.setdefault(self._primary_replica(product_id.encode()), []).append(product_id)
        reads = []
        for ids in by_replica.values():
            for start in range(0, len(ids), READ_CHUNK):
                reads.append((self._select_products, (ids[start : start + READ_CHUNK],)))
        found = await self._run_all(reads)
        return {row.product_id: _state_from_row(row) for rows in found for row in rows}

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
        writes = [self._insert_product.bind(_product_values(state)) for state in latest.values()]
        for state in states:
            if not state.changed_here:
                continue
            writes.append(self._insert_summary.bind(_summary_values(state)))
            if HISTORY_CHANGES.intersection(state.last_update["changes"]):
                writes.append(self._insert_history.bind({**_history_values(state), "ttl": self._history_ttl}))
        await self._run_all([(batch, None) for batch in self._batches(writes)])

    def _batches(self, writes: list[BoundStatement]) -> list[BatchStatement]:
        """Unlogged batches of writes to one table whose partitions share a primary replica.

        Unlogged, since each write is idempotent (USING TIMESTAMP) and a replay repeats any that failed.
        """
        groups: dict[tuple[Any, bytes], list[_UnloggedBatch]] = {}
        for write in writes:
            key = (self._primary_replica(write.routing_key), write.prepared_statement.query_id)
            batches = groups.setdefault(key, [_UnloggedBatch(self._consistency)])
            if not batches[-1].fits(write):
                batches.append(_UnloggedBatch(self._consistency))
            batches[-1].add(write)
        return [batch.statement for batches in groups.values() for batch in batches]

    def _primary_replica(self, routing_key: bytes) -> Any:
        """The first replica of a partition (the token-aware policy's coordinator), None if unknown."""
        replicas = self._session.cluster.metadata.get_replicas(self._keyspace, routing_key)
        return replicas[0] if replicas else None

    # -- execution ----------------------------------------------------------------------------
    def _prepare(self, cql: str, fetch_size: int | None = 5000):
        try:
            statement = self._session.prepare(cql)
        except UNAVAILABLE as error:
            raise StoreUnavailable("cassandra", f"cannot prepare statements: {error}") from error
        statement.consistency_level = self._consistency
        statement.is_idempotent = True  # reads, and writes USING TIMESTAMP
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
        """One read on the driver's I/O thread, every page of it; the rows reach the event loop once.

        No worker thread per read: the default pool's few threads each waiting a round trip capped
        cache misses at ~600 reads/s.
        """
        loop = asyncio.get_running_loop()
        done: asyncio.Future[list[Any]] = loop.create_future()
        rows: list[Any] = []
        response = self._session.execute_async(statement, values)

        def settle(outcome: list[Any] | BaseException) -> None:
            if not done.done():
                if isinstance(outcome, BaseException):
                    done.set_exception(outcome)
                else:
                    done.set_result(outcome)

        def on_page(page: list[Any]) -> None:
            rows.extend(page)
            if response.has_more_pages:
                response.start_fetching_next_page()
            else:
                loop.call_soon_threadsafe(settle, rows)

        response.add_callbacks(on_page, lambda error: loop.call_soon_threadsafe(settle, error))
        try:
            return await done
        except UNAVAILABLE as error:
            raise StoreUnavailable("cassandra", f"{type(error).__name__}: {error}") from error


class _UnloggedBatch:
    """Writes packed into one request under Cassandra's batch warnings (logged on the server, and
    by the driver for every request): more than `MAX_PARTITIONS` partitions
    (unlogged_batch_across_partitions_warn_threshold) or, across partitions, more than `MAX_BYTES`
    of mutations (batch_size_warn_threshold). One partition's rows (a shop's listing) may fill a
    batch up to `MAX_ROWS`.
    """

    MAX_PARTITIONS = 10
    MAX_BYTES = 5 * 1024
    MAX_ROWS = 200
    CELL_BYTES = 24  # a cell's timestamp, flags and name in a mutation, besides its value (measured ~20)

    def __init__(self, consistency: int = ConsistencyLevel.LOCAL_QUORUM) -> None:
        self.statement = BatchStatement(BatchType.UNLOGGED, consistency_level=consistency)
        self.statement.is_idempotent = True  # every write in it is USING TIMESTAMP
        self._partitions: set[bytes] = set()
        self._bytes = 0
        self._rows = 0

    def fits(self, write: BoundStatement) -> bool:
        if self._rows == 0:
            return True
        partitions = len(self._partitions | {write.routing_key})
        if self._rows >= self.MAX_ROWS or partitions > self.MAX_PARTITIONS:
            return False
        return partitions == 1 or self._bytes + self._mutation_bytes(write) <= self.MAX_BYTES

    def add(self, write: BoundStatement) -> None:
        self.statement.add(write)
        self._partitions.add(write.routing_key)
        self._bytes += self._mutation_bytes(write)
        self._rows += 1

    @classmethod
    def _mutation_bytes(cls, write: BoundStatement) -> int:
        """An upper estimate of the write's size as Cassandra counts it for batch_size_warn_threshold.

        Bound values are serialized bytes, or None for null (our statements bind every column, so
        there is no UNSET_VALUE); map and filter keep this off the profile.
        """
        return cls.CELL_BYTES * len(write.values) + sum(map(len, filter(None, write.values)))


def _insert(table: str, columns: Sequence[str], extra_using: str = "") -> str:
    names = ", ".join(columns)
    markers = ", ".join(f":{column}" for column in columns)
    return f"INSERT INTO {table} ({names}) VALUES ({markers}) USING TIMESTAMP :write_time{extra_using}"


def write_time(moment: datetime) -> int:
    """Cassandra write timestamp (microseconds since the epoch) of an aware datetime, exactly.

    Integer arithmetic on the timedelta's parts: a tenth of the cost of `// timedelta(microseconds=1)`,
    and this runs for every row written."""
    since = moment - EPOCH
    return (since.days * 86_400 + since.seconds) * 1_000_000 + since.microseconds


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
