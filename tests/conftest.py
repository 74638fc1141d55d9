"""Shared fixtures. `stack` starts the real local Kafka, Cassandra and ClickHouse, or reuses a running one."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator

import pytest

from scrapestream.config import Settings, load_settings
from scrapestream.infra import stack as local_stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Settings for a healthy local stack.

    Servers already running are reused and left running; servers this fixture started are
    stopped at the end unless SCRAPESTREAM_KEEP_STACK=1. The embedded ClickHouse store gets a
    directory of its own per test session, so tests never fight a running pipeline for it.
    """
    settings = load_settings()
    if settings.clickhouse_embedded:
        scratch = tmp_path_factory.mktemp("clickhouse")
        settings = dataclasses.replace(settings, clickhouse_url=f"chdb://{scratch}")
    already_running = {service.name for service in local_stack.java_services(settings) if service.pids()}
    report = local_stack.up(settings)
    broken = [health for health in report if not health.healthy]
    assert not broken, f"local stack unhealthy: {broken}"
    yield settings
    if os.environ.get("SCRAPESTREAM_KEEP_STACK") != "1":
        for service in local_stack.java_services(settings):
            if service.name not in already_running:
                service.stop()
