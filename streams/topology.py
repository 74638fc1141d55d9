"""The stream topology, readable at a glance.

    scrape.requests ─► route_requests: decode─validate─dedup (table)─batch ─► scrape.tasks.{high,normal,bulk}
                                       └─ undecodable or invalid ─► scrape.dlq

Each stage's logic lives in its own module (router, dedup, batching); this file only wires
them to Kafka topics, a changelog-backed table and timers.
"""

from __future__ import annotations

from typing import Any

import faust

from schemas.codec import Codec
from scrapestream.config import Settings
from scrapestream.topics import TopicNames
from streams.app import make_app
from streams.batching import Batcher
from streams.dedup import FreshnessFilter
from streams.router import RequestRouter, now_ms

INPUT_BATCH = 1000  # events taken from the stream at a time
INPUT_WAIT = 0.1  # seconds to wait for a fuller input batch


def request_router_app(settings: Settings, prefix: str = "") -> faust.App:
    app = make_app(settings, "router", prefix=prefix)
    names = TopicNames.prefixed(prefix)
    requests = app.topic(names.requests)
    outputs = {name: app.topic(name) for name in (*names.tasks.values(), names.dlq)}
    # Keyed like scrape.requests (URL fingerprint) and written with the same partitioner, so each
    # worker holds the dedup memory of exactly the partitions it consumes.
    last_queued = app.Table("dedup-last-queued", partitions=settings.kafka_partitions, use_partitioner=True)

    async def send(topic: str, key: bytes | None, value: bytes) -> None:
        delivered = await outputs[topic].send(key=key, value=value)
        await delivered

    router = RequestRouter(
        Codec.for_settings(settings),
        names,
        FreshnessFilter(last_queued),
        Batcher(settings.batch_max_requests, settings.batch_max_seconds),
        send=send,
        ack=lambda event: event.ack(),
    )

    @app.agent(requests)
    async def route_requests(stream: faust.StreamT[Any]) -> None:
        async for events in stream.noack_take(INPUT_BATCH, within=INPUT_WAIT):
            await router.route(events)

    @app.timer(interval=0.25)
    async def flush_waiting_batches() -> None:
        await router.flush_due()

    @app.timer(interval=60.0)
    async def forget_expired_urls() -> None:
        FreshnessFilter(last_queued).forget_older_than(now_ms() - settings.dedup_max_window_seconds * 1000)

    @app.on_partitions_revoked.connect
    async def flush_before_rebalance(app: faust.App, revoked: set[Any], **_: Any) -> None:
        await router.flush_all()

    return app
