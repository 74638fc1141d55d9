"""Faust applications for ScrapeStream's stream workers, configured from the settings.

Values travel as raw bytes: the project codec decodes them inside the agents, so a bad message
becomes a dead letter instead of crashing the stream in a serializer.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

import faust
from aiokafka.errors import IllegalStateError
from faust.transport.consumer import RecordMap
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP, Message

from scrapestream.config import Settings
from scrapestream.health import HealthServer


def in_current_flow(app: faust.App, message: Message) -> bool:
    """Whether `message` was fetched in the consumer's current generation and events flow now.

    Otherwise a rebalance or a shutdown is under way or came in between: the message's partition is
    read again from its committed offset (by this worker or the next owner).
    """
    return app.flow_control.is_active() and message.generation_id == app.consumer_generation_id


class GenerationSafeConsumer(faust_aiokafka.Consumer):
    """Faust's Kafka consumer, safe across rebalances: it counts only acks made while events flow
    in the current generation, and it reads again what Faust would drop or deliver out of position
    around a rebalance.

    Faust (0.15) acks the events its streams skip while a rebalance or a shutdown is under way
    (flow suspended, or fetched in an earlier generation), events no agent ever saw, and it
    commits acked offsets on the way out and, during a revoke, with no committed offset to check
    against. A skipped event next to the committed offset then moves the commit past requests the
    router never routed: lost (seen in the rebalance fault test: one request in 300, no task).
    Acks of a suspended flow are dropped, ours included: those events are read again from the
    committed offset by the partition's next owner, which finds the delivered ones in the dedup
    table (the hand-over flushed it), so nothing is lost and at worst something is redone.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._seeks = 0  # seeks begun or ended so far
        # One seek at a time, so that a fetch can tell whether one overlapped it and a rewind
        # cannot undo a seek that is half done.
        self._seek_lock = asyncio.Lock()

    def ack(self, message: Message) -> bool:
        if not in_current_flow(self.app, message):
            message.acked = True  # done with here; it is read again from the committed offset
            return False
        return super().ack(message)

    async def _wait_next_records(self, timeout: float) -> tuple[RecordMap | None, set[TP] | None]:
        seeks = self._seeks
        records, active_partitions = await super()._wait_next_records(timeout)
        if records and (self._seeks != seeks or self._seek_lock.locked() or not self.flow_active):
            # The flow stopped while they were fetched (Faust would drop them), or a seek overlapped
            # the fetch: some may come from before it, and Faust, seeing the offsets it reads jump,
            # would count the skipped ones as done. Read them again from where they belong.
            await self._unread(records)
            return {}, active_partitions
        return records, active_partitions

    async def seek_wait(self, partitions: Mapping[TP, int]) -> None:
        async with self._seeking():
            await super().seek_wait(partitions)

    async def perform_seek(self) -> None:
        # Seeks partition by partition, one committed-offset request each, and sets Faust's read
        # offsets only at the end: records fetched meanwhile would look like a jump over a gap.
        async with self._seeking():
            await super().perform_seek()

    @contextlib.asynccontextmanager
    async def _seeking(self) -> AsyncIterator[None]:
        async with self._seek_lock:
            self._seeks += 1
            try:
                yield
            finally:
                self._seeks += 1

    async def _unread(self, records: RecordMap) -> None:
        """Move each partition back to its first record in `records`, unless it was moved since.

        Faust drops records that arrive while the flow is stopped and rewinds only partitions with
        a committed offset, so a changelog partition stays past records nobody applied. A fetch
        begun before a rebalance can return such records after table recovery has positioned the
        changelog: the recovery then waits for records it will never get (seen in the rebalance
        fault test: a router stuck in recovery for good, its request partitions never read).
        Records fetched across a seek it would deliver out of position: commits then crawl one
        offset at a time (the skipped offsets acked twice), or pass records never processed.
        """
        async with self._seeking():  # after any seek under way, and none starts in between
            rewinds, assigned = {}, self.assignment()
            with contextlib.suppress(IllegalStateError):  # revoked meanwhile: not ours to read
                for tp, fetched in records.items():
                    if fetched and tp in assigned and await self.position(tp) > fetched[-1].offset:
                        rewinds[tp] = fetched[0].offset
                if rewinds:
                    # In the consumer's own thread: Faust's plain seek runs on this one and can race
                    # a fetch there that moves the position on past the seek.
                    await super().seek_wait(rewinds)

    async def on_partitions_assigned(self, assigned: set[TP], generation_id: int = 0) -> None:
        # Whatever was recorded since the revoke belongs to the old generation.
        self._acked.clear()
        self._acked_index.clear()
        self._gap.clear()
        await super().on_partitions_assigned(assigned, generation_id)


def make_app(settings: Settings, role: str, *, prefix: str = "") -> faust.App:
    """One Faust app per worker role; its consumer group is `scrapestream-<role>`."""
    (settings.data_dir / "faust").mkdir(parents=True, exist_ok=True)  # Faust creates only the last level
    app = faust.App(
        f"{prefix}scrapestream-{role}",
        broker=[f"kafka://{server}" for server in settings.kafka_bootstrap.split(",")],
        store="memory://",  # tables rebuild from their changelog topics at start-up
        datadir=str(settings.data_dir.resolve() / "faust" / "{conf.name}-data"),  # not the working dir
        topic_partitions=settings.kafka_partitions,
        topic_replication_factor=settings.kafka_replication,
        key_serializer="raw",
        value_serializer="raw",
        producer_acks=-1,
        producer_compression_type="lz4",
        producer_linger=0.02,  # the dedup changelog: fuller produce requests, as in scrapestream.kafka
        consumer_auto_offset_reset="earliest",
        web_enabled=False,  # Prometheus metrics are served by prometheus_client instead
        stream_buffer_maxsize=16384,
        # A crashed (SIGKILLed) worker's partitions move to the others once its session expires:
        # 10 s as for the scrapers, instead of Faust's 60 s during which they sat unconsumed.
        broker_session_timeout=10.0,
        # Events still batched at shutdown are not acked; they are redelivered, never lost.
        stream_wait_empty=False,
    )
    app.transport.Consumer = GenerationSafeConsumer
    serve_health(app, settings)
    return app


def serve_health(app: faust.App, settings: Settings) -> None:
    """Serve /healthz, /readyz and /metrics (scrapestream/health.py) when settings.health_port is set.

    Faust starts app tasks once recovery is over (tables rebuilt from their changelogs), so the
    endpoints answer only when the worker is really working; Kubernetes gives recovery time with
    a startup probe.
    """
    if not settings.health_port:
        return
    server = HealthServer(settings)
    app.task(server.start)

    @app.on_before_shutdown.connect
    async def stop_health(app: faust.App, **_: object) -> None:
        await server.stop()


def run_worker(app: faust.App, loglevel: str = "warn") -> None:
    """Run the app's agents until SIGINT/SIGTERM; Faust commits acked offsets on the way out."""
    worker = faust.Worker(app, loglevel=loglevel)
    # Faust's terminal spinner turns the root logger to DEBUG so that it spins on every record:
    # then each debug call of aiokafka and Faust builds a LogRecord (5 % of the router's CPU).
    worker.spinner = None
    worker.execute_from_commandline()
