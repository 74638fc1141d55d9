"""Health endpoints of the workers: `/healthz`, `/readyz` and `/metrics` on settings.health_port.

Kubernetes probes them (helm/scrapestream); Prometheus scrapes `/metrics`. The gateway serves the
same three routes itself (producers/gateway.py); stream, fan-out and scraper workers start this
server when `health_port` is set (0, the local default, serves nothing).

- `/healthz` (liveness): answered by a handler on the worker's own event loop, so a loop that is
  stuck (a blocking call, a deadlock) stops answering and the pod is restarted.
- `/readyz` (readiness): a Kafka broker answers a metadata request (probed in a thread at most
  every READINESS_TTL seconds, so probes never hammer the cluster); 503 with the reason when not.
- `/metrics`: every metric of scrapestream/metrics.py this process updated.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

# The gateway's handlers answer the same three routes; the workers reuse them as they are.
from producers.gateway import READINESS, Readiness, healthz, metrics_page, readyz
from scrapestream.config import Settings
from scrapestream.kafka import broker_metadata

BROKER_PROBE_TIMEOUT = 2.0


def health_app(readiness: Readiness) -> web.Application:
    app = web.Application()
    app[READINESS] = readiness
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_page)
    return app


def broker_readiness(settings: Settings) -> Readiness:
    """Ready while a broker of settings.kafka_bootstrap answers."""
    return Readiness(lambda: broker_metadata(settings, timeout=BROKER_PROBE_TIMEOUT))


class HealthServer:
    """The health endpoints on settings.health_host:health_port, on the caller's event loop."""

    def __init__(self, settings: Settings, readiness: Readiness | None = None) -> None:
        self._settings = settings
        self._runner = web.AppRunner(health_app(readiness or broker_readiness(settings)), access_log=None)

    async def start(self) -> None:
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._settings.health_host, self._settings.health_port)
        await site.start()

    async def stop(self) -> None:
        await self._runner.cleanup()


@asynccontextmanager
async def serving_health(settings: Settings) -> AsyncIterator[None]:
    """Serve the health endpoints for the duration of the block when health_port is set."""
    if not settings.health_port:
        yield
        return
    server = HealthServer(settings)
    await server.start()
    try:
        yield
    finally:
        await server.stop()
