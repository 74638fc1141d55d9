"""The stream topology, readable at a glance.

    scrape.requests ─► route_requests: decode─validate─dedup (table)─batch ─► scrape.tasks.{high,normal,bulk}
    scrape.results  ─► fan_out: Cassandra + ClickHouse ─► product.updates, product.state, cache.invalidation
    (anything undecodable or invalid)                   ─► scrape.dlq

Each stage's logic lives in its own module (router, dedup, batching, fanout), the commit path in
checkpoint and every Faust workaround in faust_workarounds; this file only wires them to Kafka
topics, a changelog-backed table, timers and the stores.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import faust

from consumers.sinks.result_stores import ResultFanout, open_fanout
from scrapestream.config import Settings
from scrapestream.stores import analytics
from scrapestream.stores.cassandra_sessions import make_cluster
from scrapestream.topics import DEDUP_TABLE, ConsumerGroups, TopicNames
from streams.app import make_app
from streams.batching import Batcher
from streams.checkpoint import Checkpoint
from streams.dedup import FreshnessFilter
from streams.delivery import kafka_delivery
from streams.fanout import FanoutStage
from streams.router import RequestRouter, now_ms

INPUT_BATCH = 1000  # events taken from a stream at a time
INPUT_WAIT = 0.1  # seconds to wait for a fuller input batch
# The fan-out's fixed cost per batch (Cassandra and ClickHouse round trips, one announcement batch)
# dominates at moderate rates: at 300 results/s, 0.3 s instead of 0.1 cut its CPU per result by a
# fifth (docs/benchmarks.md) with no change in end-to-end p95. At full speed batches fill first.
FANOUT_INPUT_WAIT = 0.3
SHUTDOWN_HAND_OVER_SECONDS = 15.0


def request_router_app(settings: Settings, prefix: str = "") -> faust.App:
    app = make_app(settings, ConsumerGroups.for_settings(settings, prefix).router)
    names = TopicNames.prefixed(prefix)
    # Keyed by the very bytes that key scrape.requests (the URL fingerprint; raw, not JSON-quoted) and
    # written with the same murmur2 partitioner, so each changelog partition holds the dedup memory
    # of exactly the request partition with its number, and a worker recovers what it consumes.
    partitions = settings.kafka_partitions
    last_queued = app.Table(
        DEDUP_TABLE, partitions=partitions, use_partitioner=True, key_type=bytes, value_type=int
    )
    freshness = FreshnessFilter(last_queued)
    checkpoint = Checkpoint(app)  # what is made durable before an offset is committed, in order
    # Tasks and dead letters go through a confluent-kafka producer (streams.delivery), not Faust's
    # aiokafka one: per message it costs a fraction of the CPU. The dedup changelog stays Faust's.
    outputs = contextlib.ExitStack()
    router = RequestRouter(
        outputs.enter_context(kafka_delivery(settings, names.dlq)),
        names,
        freshness,
        Batcher(settings.batch_max_requests, settings.batch_max_seconds),
        ack=checkpoint.ack,
    )

    @app.agent(app.topic(names.requests))
    async def route_requests(stream: faust.StreamT[Any]) -> None:
        async for events in stream.noack_take(INPUT_BATCH, within=INPUT_WAIT):
            await router.route(checkpoint.track(events))

    @app.timer(interval=0.25)
    async def flush_waiting_batches() -> None:
        await router.flush_due()

    @app.timer(interval=60.0)
    async def forget_expired_urls() -> None:
        freshness.forget_older_than(now_ms() - settings.dedup_max_window_seconds * 1000)

    @app.on_partitions_revoked.connect
    async def hand_over_revoked(app: faust.App, revoked: set[Any], **_: Any) -> None:
        await checkpoint.hand_over(router.flush_all, revoked=True)

    @app.on_before_shutdown.connect
    async def hand_over_on_shutdown(app: faust.App, **_: Any) -> None:
        # Bounded, so a dead broker cannot hang a stop; what is left undelivered was never acked.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                checkpoint.hand_over(router.flush_all, revoked=False), SHUTDOWN_HAND_OVER_SECONDS
            )
        outputs.close()

    return app


def fanout_app(settings: Settings, prefix: str = "") -> faust.App:
    app = make_app(settings, ConsumerGroups.for_settings(settings, prefix).fanout)
    names = TopicNames.prefixed(prefix)
    stores = StoreConnections(settings, names)

    @app.task
    async def open_stores() -> None:
        await stores.open()

    @app.agent(app.topic(names.results))
    async def fan_out(stream: faust.StreamT[Any]) -> None:
        fanout = await stores.fanout()
        stage = FanoutStage(stores.delivery, names, fanout, ack=lambda event: event.ack())
        async for events in stream.noack_take(INPUT_BATCH, within=FANOUT_INPUT_WAIT):
            await stage.handle(events)

    @app.on_partitions_revoked.connect
    async def forget_written_states(app: faust.App, revoked: set[Any], **_: Any) -> None:
        # Another worker may now write those products: read their state from Cassandra again.
        # (Not waiting for the stores: Faust opens them only after this first rebalance.)
        if fanout := stores.opened():
            fanout.products.writer.forget()

    @app.on_before_shutdown.connect
    async def close_stores(app: faust.App, **_: Any) -> None:
        await stores.close()

    return app


class StoreConnections:
    """The fan-out worker's store clients and announcement producer, opened once when the worker starts.

    With embedded ClickHouse this process owns the data directory, so it also serves the
    read-only query endpoint that the CLI and the gateway use. Announcements and dead letters go
    through a confluent-kafka producer of their own (streams.delivery.kafka_delivery), not Faust's;
    it connects on its first message.
    """

    def __init__(self, settings: Settings, names: TopicNames):
        self._settings = settings
        self._ready: asyncio.Future[ResultFanout] | None = None
        self._producer = contextlib.ExitStack()
        self.delivery = self._producer.enter_context(kafka_delivery(settings, names.dlq))
        self._closers: list[Any] = []

    async def open(self) -> None:
        cluster = make_cluster(self._settings)
        session = await asyncio.to_thread(cluster.connect)
        store = analytics.open_store(self._settings)
        self._closers = [cluster.shutdown, store.close, self._producer.close]
        if self._settings.clickhouse_embedded:
            server = analytics.AnalyticsServer(store, self._settings.analytics_port)
            await server.start()
            self._closers.insert(0, server.stop)
        fanout = await open_fanout(self._settings, session, store)
        self._closers.insert(0, fanout.close)
        self._opened().set_result(fanout)

    async def fanout(self) -> ResultFanout:
        """The fan-out, once `open` has finished (agents may start before it does)."""
        return await self._opened()

    def opened(self) -> ResultFanout | None:
        """The fan-out if `open` has finished, else None."""
        ready = self._ready
        return ready.result() if ready is not None and ready.done() else None

    def _opened(self) -> asyncio.Future[ResultFanout]:
        if self._ready is None:
            self._ready = asyncio.get_running_loop().create_future()
        return self._ready

    async def close(self) -> None:
        for close in self._closers:
            outcome = close()
            if asyncio.iscoroutine(outcome):
                await outcome
