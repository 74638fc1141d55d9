"""Health endpoints of the workers: `/healthz`, `/readyz` and `/metrics` on settings.health_port.

Kubernetes probes them (helm/scrapestream); Prometheus scrapes `/metrics`. The handlers live here
and the gateway (producers/gateway.py) serves them too; stream, fan-out and scraper workers start
this server when `health_port` is set (0, the local default, serves nothing). Nothing here loads
the gateway, so a worker never imports the Cassandra driver or clickhouse-connect for its health.

- `/healthz` (liveness): answered by a handler on the worker's own event loop, so a loop that is
  stuck (a blocking call, a deadlock) stops answering and the pod is restarted.
- `/readyz` (readiness): a Kafka broker answers a metadata request (probed in a thread at most
  every READINESS_TTL seconds, so probes never hammer the cluster); 503 with the reason when not.
- `/metrics`: every metric of scrapestream/metrics.py this process updated.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from scrapestream.config import Settings
from scrapestream.kafka import BROKER_PROBE_TIMEOUT, BrokerUnavailable, broker_metadata

READINESS_TTL = 5.0


class Readiness:
    """The broker probe behind /readyz, run in a thread at most once per `ttl` seconds."""

    def __init__(
        self,
        probe: Callable[[], None],
        ttl: float = READINESS_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._probe = probe
        self._ttl = ttl
        self._clock = clock
        self._checked_at = -math.inf
        self._problem: str | None = None
        self._lock = asyncio.Lock()

    async def problem(self) -> str | None:
        """None when ready, else why not (from the latest probe)."""
        async with self._lock:
            if self._clock() - self._checked_at >= self._ttl:
                self._problem = await asyncio.to_thread(self._run_probe)
                self._checked_at = self._clock()
        return self._problem

    def _run_probe(self) -> str | None:
        try:
            self._probe()
        except BrokerUnavailable as error:
            return str(error)
        return None


READINESS = web.AppKey("readiness", Readiness)


# The three routes, served by the workers' health server and by the gateway alike.
async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    problem = await request.app[READINESS].problem()
    if problem:
        return web.json_response({"status": "unavailable", "error": problem}, status=503)
    return web.json_response({"status": "ready"})


async def metrics_page(request: web.Request) -> web.Response:
    return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})


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
