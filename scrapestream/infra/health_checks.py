"""Whether each part of a stack answers: a Java server (the local stack's or a replicated node's)
and ClickHouse, as `scrapestream infra status` reports them."""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass

from scrapestream.config import Settings
from scrapestream.infra.java import JavaService
from scrapestream.stores import clickhouse


@dataclass(frozen=True)
class Health:
    component: str
    healthy: bool
    detail: str
    pids: tuple[int, ...] = ()


def service_health(service: JavaService) -> Health:
    """Whether one Java server runs and answers its probe (the replicated stack's nodes too)."""
    pids = tuple(service.pids())
    if not pids:
        return Health(service.name, False, "not running")
    try:
        return Health(service.name, True, service.probe(), pids)
    except Exception as error:  # report any failure to answer as unhealthy, with its reason
        return Health(service.name, False, f"running but not answering: {error}", pids)


def clickhouse_health(settings: Settings) -> Health:
    try:
        return Health("clickhouse", True, clickhouse.describe(settings))
    except Exception as error:  # report any failure to answer as unhealthy, with its reason
        if settings.clickhouse_embedded:
            # One process owns the embedded store (the fan-out) and answers queries for the others.
            owner = _embedded_owner(settings)
            if owner is not None:
                pid, command = owner
                detail = f"embedded store open in pid {pid} ({command}); it answers queries on "
                return Health("clickhouse", True, f"{detail}127.0.0.1:{settings.analytics_port}", (pid,))
        return Health("clickhouse", False, f"not answering at {settings.clickhouse_url}: {error}")


def _embedded_owner(settings: Settings) -> tuple[int, str] | None:
    """(pid, command) of the process that owns the embedded store and serves its queries, if any."""
    try:
        url = f"http://127.0.0.1:{settings.analytics_port}/owner"
        with urllib.request.urlopen(url, timeout=2) as answer:
            owner = json.loads(answer.read())
        return int(owner["pid"]), str(owner["command"])
    except (OSError, ValueError, KeyError, TypeError):  # no owner serving: the store is just down
        return None
