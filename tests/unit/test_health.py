"""The worker health server: liveness answers while readiness reports why the broker is not there."""

from __future__ import annotations

import asyncio
import dataclasses

import aiohttp

from scrapestream.config import Settings
from scrapestream.health import HealthServer, Readiness
from scrapestream.infra.service_process import free_port
from scrapestream.kafka import BrokerUnavailable


def _no_broker() -> None:
    raise BrokerUnavailable("no Kafka broker answers at 127.0.0.1:1")


async def _statuses(settings: Settings, readiness: Readiness) -> dict[str, tuple[int, dict]]:
    server = HealthServer(settings, readiness)
    await server.start()
    try:
        async with aiohttp.ClientSession() as session:
            answers = {}
            for route in ("/healthz", "/readyz"):
                async with session.get(f"http://127.0.0.1:{settings.health_port}{route}") as reply:
                    answers[route] = (reply.status, await reply.json())
            return answers
    finally:
        await server.stop()


def test_readiness_fails_with_the_reason_while_liveness_still_answers() -> None:
    settings = dataclasses.replace(Settings(), health_port=free_port())
    answers = asyncio.run(_statuses(settings, Readiness(_no_broker)))
    assert answers["/healthz"] == (200, {"status": "ok"})
    assert answers["/readyz"] == (
        503,
        {"status": "unavailable", "error": "no Kafka broker answers at 127.0.0.1:1"},
    )
