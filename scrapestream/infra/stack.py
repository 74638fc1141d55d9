"""`scrapestream infra up | down | status | logs`: the local stack as one unit.

Kafka and Cassandra are java processes we start; ClickHouse is the embedded chdb engine (or
a server given by URL), so it has no process of its own and only needs to answer a query.
With `infra_replicated` (`--replicated`) up, down, status and logs act on the replicated stack
instead (scrapestream/infra/replicated.py: 3 brokers, 3 Cassandra nodes).
"""

from __future__ import annotations

import sys
import time

from scrapestream.config import Settings
from scrapestream.infra.cassandra_server import CassandraService
from scrapestream.infra.health_checks import Health, clickhouse_health, service_health
from scrapestream.infra.java import JavaService
from scrapestream.infra.kafka_server import KafkaService
from scrapestream.infra.service_process import InfraError, tail

COMPONENTS = ("kafka", "cassandra", "clickhouse")


def java_services(settings: Settings) -> list[JavaService]:
    return [KafkaService(settings), CassandraService(settings)]


def java_pids(settings: Settings) -> dict[str, int]:
    """The running Java servers of the local stack: component name -> pid."""
    return {service.name: pids[0] for service in java_services(settings) if (pids := service.pids())}


def up(settings: Settings) -> list[Health]:
    """Start what is not running (both Java servers at once), then wait until each answers."""
    if settings.infra_replicated:
        from scrapestream.infra import replicated

        return replicated.up(settings)
    started = {}
    for service in java_services(settings):
        if service.pids():
            continue
        started[service.name] = (service, service.start())
        print(f"{service.name}: starting (log: {service.log_file})", file=sys.stderr)
    for service, running in started.values():
        begin = time.monotonic()
        detail = service.wait_ready(running)
        print(f"{service.name}: ready in {time.monotonic() - begin:.0f}s: {detail}", file=sys.stderr)
    return status(settings)


def down(settings: Settings) -> list[tuple[str, list[int]]]:
    """Stop every process of ours, leaving data in place."""
    if settings.infra_replicated:
        from scrapestream.infra import replicated

        return replicated.down(settings)
    return [(service.name, service.stop()) for service in java_services(settings)]


def status(settings: Settings) -> list[Health]:
    if settings.infra_replicated:
        from scrapestream.infra import replicated

        return replicated.status(settings)
    return [*(service_health(service) for service in java_services(settings)), clickhouse_health(settings)]


def require_healthy(settings: Settings) -> None:
    """Raise with every unhealthy component named, for commands that need the whole stack."""
    broken = [health for health in status(settings) if not health.healthy]
    if broken:
        reasons = "; ".join(f"{health.component}: {health.detail}" for health in broken)
        raise InfraError(f"the stack is not healthy ({reasons}); run `scrapestream infra up`")


def log_tail(settings: Settings, component: str, lines: int) -> str:
    if settings.infra_replicated:
        from scrapestream.infra import replicated

        return replicated.log_tail(settings, component, lines)
    services = {service.name: service for service in java_services(settings)}
    if component not in services:
        raise InfraError(f"no log for {component!r}: choose one of {', '.join(services)}")
    return tail(services[component].log_file, lines)
