"""Fixtures shared by the integration tests (the `stack` fixture is in tests/conftest.py)."""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Iterator

import pytest

from scrapestream.config import Settings, load_settings
from scrapestream.kafka import make_admin


@pytest.fixture
def prefix(stack: Settings) -> Iterator[str]:
    """A topic name prefix of its own per test, so tests never touch the real topics or each other.

    The test's topics are deleted afterwards (the catalog's admin operations never delete).
    """
    prefix = f"test.{uuid.uuid4().hex[:8]}."
    yield prefix
    admin = make_admin(stack)
    ours = [name for name in admin.list_topics(timeout=10).topics if name.startswith(prefix)]
    for future in admin.delete_topics(ours, operation_timeout=30).values() if ours else ():
        future.result(30)


@pytest.fixture(scope="session")
def replicated_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Settings pointed at a healthy replicated stack: 3 Kafka brokers (topics with replication 3,
    min.insync.replicas 2) and 3 Cassandra nodes (keyspaces with replication 3, QUORUM), see
    scrapestream/infra/replicated.py.

    A replicated stack already running in `replicated_data_dir` is reused and left running;
    otherwise one is started in a scratch directory and stopped at the end (unless
    SCRAPESTREAM_KEEP_STACK=1). Node addresses and ports come from the settings
    (SCRAPESTREAM_REPLICATED_KAFKA_BOOTSTRAP, SCRAPESTREAM_REPLICATED_CASSANDRA_HOSTS).
    """
    from scrapestream.infra import replicated

    settings = load_settings()
    reuse = any(node.pids() for node in replicated.java_services(settings))
    if not reuse:
        settings = dataclasses.replace(
            settings, replicated_data_dir=tmp_path_factory.mktemp("replicated-stack")
        )
    stack = replicated.replicated_settings(settings)
    stack = dataclasses.replace(
        stack, clickhouse_url=f"chdb://{tmp_path_factory.mktemp('replicated-clickhouse')}"
    )
    broken = [health for health in replicated.up(stack) if not health.healthy]
    assert not broken, f"replicated stack unhealthy: {broken}"
    replicated.wait_fully_replicated(stack)
    yield stack
    if not reuse and os.environ.get("SCRAPESTREAM_KEEP_STACK") != "1":
        replicated.down(stack)
