"""Faust applications for ScrapeStream's stream workers, configured from the settings.

Values travel as raw bytes: the project codec decodes them inside the agents, so a bad message
becomes a dead letter instead of crashing the stream in a serializer. What corrects Faust itself
is in faust_workarounds.
"""

from __future__ import annotations

import faust

from scrapestream.config import Settings
from scrapestream.health import HealthServer
from streams.faust_workarounds import install_consumer, quiet_worker


def make_app(settings: Settings, group: str) -> faust.App:
    """One Faust app per worker kind, joining consumer group `group` (topics.ConsumerGroups)."""
    (settings.data_dir / "faust").mkdir(parents=True, exist_ok=True)  # Faust creates only the last level
    app = faust.App(
        group,  # a Faust app id is its consumer group id
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
    install_consumer(app)
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
    quiet_worker(app, loglevel).execute_from_commandline()
