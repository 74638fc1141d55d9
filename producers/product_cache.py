"""The gateway's product cache: an in-process LRU with a TTL, emptied key by key by CacheInvalidations.

Keys follow the fan-out's scheme (consumers/sinks/changes.py): `product:<id>` holds a product's
ProductState, `domain:<domain>:list` a shop's listing. Entries leave by
- invalidation: `InvalidationListener` consumes cache.invalidation and drops the keys it names.
  Each gateway process has a consumer group of its own (so every instance sees every
  invalidation, where a shared group would split them) and starts at the latest offset: what
  happened before the process started is not in its cache anyway;
- TTL: bounds how long an entry can outlive a missed invalidation (a broker outage, the moments
  before the listener's partitions are assigned);
- size: the least recently used entry goes first.

Loads are single-flight: concurrent misses of one key share one store read. An invalidation that
arrives while a key is being loaded marks the load as stale, so its (possibly older) value is
returned to the callers waiting for it but not cached.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from confluent_kafka import Message

from schemas.codec import Codec, CodecError
from scrapestream import metrics
from scrapestream.config import Settings
from scrapestream.kafka import make_consumer

POLL_TIMEOUT = 0.5
POLL_BATCH = 500
ERROR_PAUSE = 1.0
_MISSING = object()
_log = logging.getLogger(__name__)

Clock = Callable[[], float]


class TtlLru:
    """At most `size` entries, each for at most `ttl` seconds; size 0 stores nothing."""

    def __init__(self, size: int, ttl: float, clock: Clock = time.monotonic) -> None:
        self.size = size
        self.ttl = ttl
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, Any]] = OrderedDict()

    def get(self, key: str) -> Any:
        """The value, or `_MISSING` when absent or expired."""
        entry = self._entries.get(key)
        if entry is None:
            return _MISSING
        if entry[0] <= self._clock():
            del self._entries[key]
            return _MISSING
        self._entries.move_to_end(key)
        return entry[1]

    def put(self, key: str, value: Any) -> None:
        if self.size == 0:
            return
        self._entries[key] = (self._clock() + self.ttl, value)
        self._entries.move_to_end(key)
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def drop(self, key: str) -> bool:
        return self._entries.pop(key, None) is not None

    def __len__(self) -> int:
        return len(self._entries)


class ProductCache:
    """Cache-first loading over a TtlLru, with single-flight loads and waits for invalidations."""

    def __init__(self, size: int, ttl: float, clock: Clock = time.monotonic) -> None:
        self._lru = TtlLru(size, ttl, clock)
        self._loading: dict[str, asyncio.Future[Any]] = {}
        self._invalidated_while_loading: set[str] = set()
        self._waiters: dict[str, set[asyncio.Event]] = {}

    async def get(self, key: str, kind: str, load: Callable[[], Awaitable[Any]]) -> tuple[Any, bool]:
        """(value, True) from the cache, else (await load(), False); `kind` labels the hit/miss metric."""
        value = self._lru.get(key)
        if value is not _MISSING:
            metrics.PRODUCT_CACHE_HITS.labels(kind).inc()
            return value, True
        metrics.PRODUCT_CACHE_MISSES.labels(kind).inc()
        loading = self._loading.get(key)
        if loading is None:
            loading = self._loading[key] = asyncio.ensure_future(self._load(key, load))
        return await asyncio.shield(loading), False  # one caller going away must not cancel the others'

    def put(self, key: str, value: Any) -> None:
        """Store a value read outside `get` (e.g. a fresher copy found while waiting)."""
        self._lru.put(key, value)

    def invalidate(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._lru.drop(key)
            if key in self._loading:
                self._invalidated_while_loading.add(key)
            for waiter in self._waiters.pop(key, ()):
                waiter.set()
            metrics.PRODUCT_CACHE_INVALIDATIONS.inc()

    async def wait_for_invalidation(self, key: str, timeout: float) -> bool:
        """Whether `key` was invalidated within `timeout` seconds."""
        event = asyncio.Event()
        self._waiters.setdefault(key, set()).add(event)
        try:
            await asyncio.wait_for(event.wait(), timeout)
            return True
        except TimeoutError:
            return False
        finally:
            waiters = self._waiters.get(key)
            if waiters is not None:
                waiters.discard(event)
                if not waiters:
                    del self._waiters[key]

    def __len__(self) -> int:
        return len(self._lru)

    async def _load(self, key: str, load: Callable[[], Awaitable[Any]]) -> Any:
        try:
            value = await load()
            if key not in self._invalidated_while_loading:
                self._lru.put(key, value)
            return value
        finally:
            del self._loading[key]
            self._invalidated_while_loading.discard(key)


class InvalidationListener:
    """Consumes cache.invalidation in a group of this process's own and drops the named keys.

    `run` polls on a worker thread until `stop`; stopping waits for the poll in flight (at most
    POLL_TIMEOUT) because the Kafka client must not be closed under a running call.
    """

    def __init__(self, settings: Settings, topic: str, cache: ProductCache) -> None:
        self.group_id = f"scrapestream-gateway-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._topic = topic
        self._cache = cache
        self._codec = Codec.for_settings(settings)
        self._consumer = make_consumer(settings, self.group_id, **{"auto.offset.reset": "latest"})
        self._stopping = asyncio.Event()
        self.assigned = threading.Event()  # set once partitions are assigned: invalidations now arrive

    async def run(self) -> None:
        self._consumer.subscribe([self._topic], on_assign=lambda _consumer, _partitions: self.assigned.set())
        try:
            while not self._stopping.is_set():
                messages = await asyncio.to_thread(self._consumer.consume, POLL_BATCH, POLL_TIMEOUT)
                if not all([self._apply(message) for message in messages]):
                    await asyncio.sleep(ERROR_PAUSE)  # an error returns at once: do not spin on it
        finally:
            await asyncio.to_thread(self._consumer.close)

    def stop(self) -> None:
        self._stopping.set()

    def _apply(self, message: Message) -> bool:
        """Drop the keys a message names; False when it is a Kafka error (topic missing, broker away)."""
        if message.error() is not None:
            _log.warning("reading %s: %s", self._topic, message.error())
            return False
        try:
            invalidation = self._codec.decode("CacheInvalidation", message.value())
        except CodecError as error:
            _log.warning("skipping an invalidation: %s", error)
            return True
        self._cache.invalidate(invalidation["keys"])
        return True
