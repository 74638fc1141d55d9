"""Cassandra sessions for every ScrapeStream process, made in one place."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile, Session
from cassandra.policies import DCAwareRoundRobinPolicy, ExponentialReconnectionPolicy, TokenAwarePolicy

from scrapestream.config import Settings


def make_cluster(settings: Settings, connect_timeout: float = 10.0, request_timeout: float = 10.0) -> Cluster:
    profile = ExecutionProfile(
        load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy()), request_timeout=request_timeout
    )
    return Cluster(
        contact_points=list(settings.cassandra_hosts),
        port=settings.cassandra_port,
        connect_timeout=connect_timeout,
        protocol_version=5,  # Cassandra 4 and 5 speak v5; naming it avoids a downgrade dance on connect
        execution_profiles={EXEC_PROFILE_DEFAULT: profile},
        # Try a lost node again within seconds, not minutes: the sinks are waiting to resume.
        reconnection_policy=ExponentialReconnectionPolicy(base_delay=0.5, max_delay=10.0),
    )


@contextmanager
def connect(settings: Settings, keyspace: str | None = None, **timeouts: float) -> Iterator[Session]:
    """A session that is closed with its cluster object when the block ends."""
    cluster = make_cluster(settings, **timeouts)
    try:
        yield cluster.connect(keyspace)
    finally:
        cluster.shutdown()
