"""Product reads on the gateway: GET /v1/products/{product_id} and GET /v1/products?domain=...

Served cache-first (producers/product_cache.py), Cassandra on a miss. A product answer carries
`scraped_at` and `age_seconds`. With `?max_age=S` a product older than S seconds is refreshed:
a ScrapeRequest for its URL (priority HIGH, freshness 0, so dedup lets it through) is published
and the stored copy is answered with `"stale": true` and the refresh's request id (503 when the
refresh cannot be published: no broker, or the request topic does not exist); with
`&wait=W` (at most MAX_WAIT seconds) the answer waits for a copy younger than S instead, checking
the store every WAIT_POLL seconds and at once when an invalidation names the product (an
unchanged product emits none, so the store is the source of truth), and falls back to the stale
copy when W runs out. One refresh per product per REFRESH_COOLDOWN seconds per gateway process:
readers polling a stale product do not flood the scrapers.

A cached copy older than `max_age` is re-read from Cassandra before refreshing: a scrape that
changed nothing updates scraped_at there without invalidating the cache.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from cassandra.cluster import Cluster

from producers.http_common import CLIENT, ApiError, seconds_param
from producers.product_cache import ProductCache
from producers.publisher import PublisherClosed, RequestPublisher, build_request
from scrapestream import metrics
from scrapestream.config import Settings
from scrapestream.kafka import BrokerUnavailable, DeliveryFailed
from scrapestream.stores.cassandra_sessions import make_cluster
from scrapestream.stores.errors import StoreUnavailable
from scrapestream.stores.products import ProductState, ProductStore, ProductSummary

MAX_WAIT = 30.0
WAIT_POLL = 0.5
REFRESH_COOLDOWN = 10.0
MAX_REFRESHES_REMEMBERED = 10_000
DEFAULT_LIST_LIMIT = 100
MAX_LIST_LIMIT = 1000


class RefreshFailed(Exception):
    """A refresh request could not be published (no broker, the request topic missing, shutdown)."""


class ProductReads:
    """Cache-first product reads over a lazily opened Cassandra session, and freshness refreshes."""

    def __init__(
        self,
        settings: Settings,
        cache: ProductCache,
        publisher: RequestPublisher,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.cache = cache
        self._settings = settings
        self._publisher = publisher
        self._clock = clock
        self._store: asyncio.Future[ProductStore] | None = None
        self._cluster: Cluster | None = None
        self._refreshed_at: dict[str, float] = {}

    # -- reads --------------------------------------------------------------------------------
    async def product(self, product_id: str) -> tuple[ProductState | None, bool]:
        """(stored state or None, whether the cache answered)."""
        return await self.cache.get(product_key(product_id), "product", lambda: self._read(product_id))

    async def listing(self, domain: str, limit: int) -> tuple[list[ProductSummary], bool]:
        """Up to `limit` products of a shop. The cached listing is reused for any limit up to its own."""
        key = f"domain:{domain}:list"
        (cached_limit, rows), hit = await self.cache.get(key, "listing", lambda: self._list(domain, limit))
        if cached_limit < limit and len(rows) == cached_limit:  # cached too short for this request
            self.cache.invalidate([key])
            (_, rows), hit = await self.cache.get(key, "listing", lambda: self._list(domain, limit))
        return rows[:limit], hit

    def age(self, state: ProductState) -> float:
        return max(0.0, self._clock() - state.scraped_at.timestamp())

    # -- freshness ----------------------------------------------------------------------------
    async def fresher(self, state: ProductState, max_age: float) -> ProductState:
        """The stored state when the cached one is older than `max_age` (it may be out of date)."""
        if self.age(state) <= max_age:
            return state
        stored = await self._read(state.product_id)
        if stored is None:
            return state
        self.cache.put(product_key(state.product_id), stored)
        return stored

    async def refresh(self, state: ProductState, requested_by: str) -> str | None:
        """Publish a refresh of the product's page; its request id, or None within the cooldown."""
        now = self._clock()
        if now - self._refreshed_at.get(state.product_id, -REFRESH_COOLDOWN) < REFRESH_COOLDOWN:
            return None
        if len(self._refreshed_at) >= MAX_REFRESHES_REMEMBERED:
            self._refreshed_at.clear()
        self._refreshed_at[state.product_id] = now
        record = build_request(state.url, priority="HIGH", freshness_seconds=0, requested_by=requested_by)
        try:
            if not self._publisher.topic_seen:
                await asyncio.to_thread(self._publisher.check_topic)
            receipt = await (await self._publisher.send_async(record))
        except (BrokerUnavailable, DeliveryFailed, PublisherClosed) as error:
            del self._refreshed_at[state.product_id]  # the next read may try again at once
            missing = error.missing_topic if isinstance(error, DeliveryFailed) else None
            raise RefreshFailed(str(missing or error)) from None
        metrics.PRODUCT_REFRESHES.inc()
        return receipt.request_id

    async def wait_until_fresh(self, product_id: str, max_age: float, wait: float) -> ProductState | None:
        """A stored state at most `max_age` old, within `wait` seconds; None when none came in time."""
        deadline = time.monotonic() + wait
        while (left := deadline - time.monotonic()) > 0:
            await self.cache.wait_for_invalidation(product_key(product_id), min(left, WAIT_POLL))
            state = await self._read(product_id)
            if state is not None and self.age(state) <= max_age:
                self.cache.put(product_key(product_id), state)
                return state
        return None

    # -- store ----------------------------------------------------------------------------------
    async def close(self) -> None:
        if self._cluster is not None:
            await asyncio.to_thread(self._cluster.shutdown)

    async def _read(self, product_id: str) -> ProductState | None:
        return await (await self._products()).get_product(product_id)

    async def _list(self, domain: str, limit: int) -> tuple[int, list[ProductSummary]]:
        return limit, await (await self._products()).products_by_domain(domain, limit)

    async def _products(self) -> ProductStore:
        """The store, connected on first use: the gateway also serves POSTs when Cassandra is away."""
        if self._store is None or (self._store.done() and self._store.exception() is not None):
            self._store = asyncio.ensure_future(self._connect())
        return await asyncio.shield(self._store)

    async def _connect(self) -> ProductStore:
        cluster = make_cluster(self._settings)
        try:
            session = await asyncio.to_thread(cluster.connect)
            store = await asyncio.to_thread(ProductStore, session, self._settings)
        except Exception as error:  # NoHostAvailable and friends: answered 503, retried on the next read
            await asyncio.to_thread(cluster.shutdown)
            raise StoreUnavailable("cassandra", f"{type(error).__name__}: {error}") from error
        self._cluster = cluster
        return store


def product_key(product_id: str) -> str:
    return f"product:{product_id}"


# -- handlers -------------------------------------------------------------------------------
READS = web.AppKey("product_reads", ProductReads)


async def get_product(request: web.Request) -> web.Response:
    reads = request.app[READS]
    product_id = request.match_info["product_id"]
    max_age = seconds_param(request, "max_age")
    wait = seconds_param(request, "wait", maximum=MAX_WAIT)
    if wait is not None and max_age is None:
        raise ApiError(400, "wait needs max_age: it waits for a copy younger than max_age", field="wait")
    state, hit = await _stored(reads.product(product_id))
    if state is None:
        raise ApiError(404, f"no product with id {product_id!r}", product_id=product_id)
    refresh_id = None
    if max_age is not None:
        state = await _stored(reads.fresher(state, max_age))
        if reads.age(state) > max_age:
            try:
                refresh_id = await reads.refresh(state, request[CLIENT])
            except RefreshFailed as error:
                raise ApiError(503, f"older than max_age and cannot be refreshed: {error}") from None
            if wait:
                state = await _stored(reads.wait_until_fresh(product_id, max_age, wait)) or state
    stale = max_age is not None and reads.age(state) > max_age
    body = {**product_json(state, reads.age(state)), "stale": stale, "refresh_request_id": refresh_id}
    return web.json_response(body, headers={"X-Cache": "hit" if hit else "miss"})


async def list_products(request: web.Request) -> web.Response:
    domain = request.query.get("domain", "").strip().lower()
    if not domain:
        raise ApiError(400, "give the shop: ?domain=<host>", field="domain")
    limit = _limit(request.query.get("limit"))
    rows, hit = await _stored(request.app[READS].listing(domain, limit))
    body = {"domain": domain, "count": len(rows), "products": [summary_json(row) for row in rows]}
    return web.json_response(body, headers={"X-Cache": "hit" if hit else "miss"})


async def _stored(read: Any) -> Any:
    try:
        return await read
    except StoreUnavailable as error:
        raise ApiError(503, f"the product store is unavailable: {error}") from None


def _limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIST_LIMIT
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_LIST_LIMIT:  # isdigit: "²" too
        raise ApiError(400, f"expected a whole number from 1 to {MAX_LIST_LIMIT}, got {raw!r}", field="limit")
    return int(raw)


def product_json(state: ProductState, age: float) -> dict[str, Any]:
    return {
        "product_id": state.product_id,
        "domain": state.domain,
        "url": state.url,
        "product": state.product,
        "version": state.version,
        "last_changes": state.last_update["changes"],
        "changed_at": _iso(state.last_update["updated_at"]),
        "scraped_at": _iso(state.scraped_at),
        "age_seconds": round(age, 3),
    }


def summary_json(row: ProductSummary) -> dict[str, Any]:
    return {
        "product_id": row.product_id,
        "title": row.title,
        "price": row.price,
        "availability": row.availability,
        "version": row.version,
        "changed_at": _iso(row.changed_at),
    }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
