"""Faust applications for ScrapeStream's stream workers, configured from the settings.

Values travel as raw bytes: the project codec decodes them inside the agents, so a bad message
becomes a dead letter instead of crashing the stream in a serializer.
"""

from __future__ import annotations

import faust

from scrapestream.config import Settings


def make_app(settings: Settings, role: str, *, prefix: str = "") -> faust.App:
    """One Faust app per worker role; its consumer group is `scrapestream-<role>`."""
    return faust.App(
        f"{prefix}scrapestream-{role}",
        broker=[f"kafka://{server}" for server in settings.kafka_bootstrap.split(",")],
        store="memory://",  # tables rebuild from their changelog topics at start-up
        topic_partitions=settings.kafka_partitions,
        topic_replication_factor=settings.kafka_replication,
        key_serializer="raw",
        value_serializer="raw",
        producer_acks=-1,
        producer_compression_type="lz4",
        consumer_auto_offset_reset="earliest",
        web_enabled=False,  # Prometheus metrics are served by prometheus_client instead
        stream_buffer_maxsize=16384,
        # Events still batched at shutdown are not acked; they are redelivered, never lost.
        stream_wait_empty=False,
    )


def run_worker(app: faust.App, loglevel: str = "warn") -> None:
    """Run the app's agents until SIGINT/SIGTERM; Faust commits acked offsets on the way out."""
    faust.Worker(app, loglevel=loglevel).execute_from_commandline()
