"""Cassandra sessions for every ScrapeStream process, made in one place.

Replication-aware: statements run at `cassandra_consistency` when it is set (QUORUM on the
replicated stack; unset, the product store reads and writes at LOCAL_QUORUM, one replica on a
single node and 2 of 3 with replication 3), the token-aware policy balances requests over
every node the driver discovers from the contact points, and `QuorumRetryPolicy` tries another
coordinator when one is lost or times out, never at a lower consistency.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from cassandra import ConsistencyLevel, WriteType
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile, Session
from cassandra.policies import (
    DCAwareRoundRobinPolicy,
    ExponentialReconnectionPolicy,
    RetryPolicy,
    TokenAwarePolicy,
    WhiteListRoundRobinPolicy,
)

from scrapestream.config import Settings


class QuorumRetryPolicy(RetryPolicy):
    """Retries on the next coordinator, at the same consistency, a few times.

    The driver's default policy rethrows a write timeout (and retries an unavailable error once):
    right after a replica died, a coordinator that has not noticed yet waits for it and times out,
    or one that noticed late still counts it. Another coordinator usually has the quorum. Writes
    here are idempotent (`USING TIMESTAMP`, see stores/products.py), so sending one again is safe;
    lightweight transactions and counter writes are not retried. Never downgrades: a write
    acknowledged below QUORUM could be lost with one more node.
    """

    RETRIES = 3

    def on_read_timeout(
        self, query, consistency, required_responses, received_responses, data_retrieved, retry_num
    ):
        return self._next_host(consistency, retry_num)

    def on_write_timeout(
        self, query, consistency, write_type, required_responses, received_responses, retry_num
    ):
        if write_type in (WriteType.CAS, WriteType.COUNTER):
            return self.RETHROW, None
        return self._next_host(consistency, retry_num)

    def on_unavailable(self, query, consistency, required_replicas, alive_replicas, retry_num):
        return self._next_host(consistency, retry_num)

    def on_request_error(self, query, consistency, error, retry_num):
        return self._next_host(consistency, retry_num)

    def _next_host(self, consistency, retry_num):
        if retry_num < self.RETRIES:
            return self.RETRY_NEXT_HOST, consistency
        return self.RETHROW, None


def consistency_level(settings: Settings) -> int:
    """Consistency of product-store reads and writes: `cassandra_consistency`, else LOCAL_QUORUM."""
    return getattr(ConsistencyLevel, settings.cassandra_consistency.upper() or "LOCAL_QUORUM")


def default_consistency_level(settings: Settings) -> int:
    """Consistency of every other statement: `cassandra_consistency`, else the driver's LOCAL_ONE."""
    return getattr(ConsistencyLevel, settings.cassandra_consistency.upper() or "LOCAL_ONE")


def make_cluster(
    settings: Settings,
    connect_timeout: float = 10.0,
    request_timeout: float = 10.0,
    only_contact_points: bool = False,
) -> Cluster:
    """A driver cluster object for the configured nodes. `only_contact_points` sends every request
    to the contact points alone (a readiness probe of one node)."""
    balancing = (
        WhiteListRoundRobinPolicy(list(settings.cassandra_hosts))
        if only_contact_points
        else TokenAwarePolicy(DCAwareRoundRobinPolicy())
    )
    profile = ExecutionProfile(
        load_balancing_policy=balancing,
        retry_policy=QuorumRetryPolicy(),
        consistency_level=default_consistency_level(settings),
        request_timeout=request_timeout,
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
def connect(
    settings: Settings, keyspace: str | None = None, only_contact_points: bool = False, **timeouts: float
) -> Iterator[Session]:
    """A session that is closed with its cluster object when the block ends."""
    cluster = make_cluster(settings, only_contact_points=only_contact_points, **timeouts)
    try:
        yield cluster.connect(keyspace)
    finally:
        cluster.shutdown()
