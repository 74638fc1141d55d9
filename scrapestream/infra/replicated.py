"""The replicated local stack: 3 Kafka 4 brokers in KRaft and 3 Cassandra 5 nodes, all on loopback.

`scrapestream infra up --replicated` (or SCRAPESTREAM_INFRA_REPLICATED=1) starts it beside the
single-node stack, in a data directory of its own (`replicated_data_dir`):

- Kafka: every node is broker and controller (`process.roles=broker,controller`); the controller
  quorum is the three of them (`controller.quorum.voters`), each node's storage formatted once with
  one cluster id. Internal topics and new topics get replication 3 and `min.insync.replicas=2`.
  Brokers listen on `replicated_kafka_bootstrap`, their controllers on each broker port + 1.
- Cassandra: one node per `replicated_cassandra_hosts` address (127.0.0.1-3 by default; 127.0.1.1-3
  beside the single-node stack), all on `cassandra_port` / `cassandra_storage_port`, one token each,
  evenly spaced; the first node is the seed. Nodes start one after another, each waited for.

Clients use it through `replicated_settings` (or the environment `replicated_env` prints):
topics with replication 3 and min.insync.replicas 2, the keyspace with replication 3, reads and
writes at QUORUM. The fault helpers at the end (kill a node, find the active controller, wait for
full replication, roll the brokers) serve the replicated fault tests and operators alike.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sys
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from cassandra.cluster import Session

from scrapestream.config import Settings, host_port
from scrapestream.infra import service_process
from scrapestream.infra.cassandra_server import CassandraService
from scrapestream.infra.health_checks import Health, clickhouse_health, service_health
from scrapestream.infra.java import JavaService
from scrapestream.infra.kafka_server import KafkaService, new_cluster_id
from scrapestream.infra.service_process import InfraError, tail
from scrapestream.kafka import BrokerUnavailable, make_admin
from scrapestream.stores.cassandra_sessions import connect

TOKEN_SPACE = 2**64  # Murmur3Partitioner tokens run from -2**63 to 2**63 - 1


# -- settings -----------------------------------------------------------------------------------
def broker_addresses(settings: Settings) -> list[tuple[str, int]]:
    return [
        host_port(entry, "replicated_kafka_bootstrap")
        for entry in settings.replicated_kafka_bootstrap.split(",")
    ]


def replicated_settings(settings: Settings) -> Settings:
    """`settings` pointed at the replicated stack: its data directory, brokers and nodes, topics with
    replication = brokers and min.insync.replicas = brokers - 1, the keyspace with replication =
    nodes, reads and writes at QUORUM. Applying it twice changes nothing."""
    brokers = len(broker_addresses(settings))
    nodes = len(settings.replicated_cassandra_hosts)
    clickhouse_url = settings.clickhouse_url
    if (
        settings.clickhouse_embedded
        and settings.clickhouse_path == (settings.data_dir / "clickhouse").resolve()
    ):
        clickhouse_url = f"chdb://{(settings.replicated_data_dir / 'clickhouse').resolve()}"
    return dataclasses.replace(
        settings,
        infra_replicated=True,
        data_dir=settings.replicated_data_dir,
        kafka_bootstrap=settings.replicated_kafka_bootstrap,
        kafka_replication=brokers,
        kafka_min_insync_replicas=max(1, brokers - 1),
        cassandra_hosts=settings.replicated_cassandra_hosts,
        cassandra_replication=str(nodes),
        cassandra_consistency="QUORUM",
        clickhouse_url=clickhouse_url,
    )


def replicated_env(settings: Settings) -> dict[str, str]:
    """The SCRAPESTREAM_* variables that point every process at the replicated stack."""
    stack = replicated_settings(settings)
    return {
        "SCRAPESTREAM_DATA_DIR": str(stack.data_dir),
        "SCRAPESTREAM_KAFKA_BOOTSTRAP": stack.kafka_bootstrap,
        "SCRAPESTREAM_KAFKA_REPLICATION": str(stack.kafka_replication),
        "SCRAPESTREAM_KAFKA_MIN_INSYNC_REPLICAS": str(stack.kafka_min_insync_replicas),
        "SCRAPESTREAM_CASSANDRA_HOSTS": ",".join(stack.cassandra_hosts),
        "SCRAPESTREAM_CASSANDRA_REPLICATION": stack.cassandra_replication,
        "SCRAPESTREAM_CASSANDRA_CONSISTENCY": stack.cassandra_consistency,
        "SCRAPESTREAM_CLICKHOUSE_URL": stack.clickhouse_url,
    }


# -- the nodes ----------------------------------------------------------------------------------
@dataclass
class KafkaNode(KafkaService):
    """Broker and controller `index` (1-based, also its node.id) of the replicated stack."""

    index: int = 1

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"kafka-{self.index}"

    @property
    def component(self) -> str:
        return "kafka"

    @property
    def node_id(self) -> int:
        return self.index

    def listener(self) -> tuple[str, int]:
        return broker_addresses(self.settings)[self.index - 1]

    def controller(self) -> tuple[str, int]:
        host, port = self.listener()
        return host, port + 1

    def quorum_voters(self) -> str:
        return ",".join(f"{number}@{host}:{port + 1}" for number, (host, port) in _numbered(self.settings))

    @property
    def replication(self) -> tuple[int, int]:
        brokers = len(broker_addresses(self.settings))
        return brokers, max(1, brokers - 1)

    @property
    def heap(self) -> tuple[int, int]:
        return self.settings.replicated_kafka_heap_mb, self.settings.replicated_kafka_heap_mb

    def cluster_id(self) -> str:
        """One id for every node, kept beside their directories."""
        path = self.settings.data_dir.resolve() / "kafka-cluster-id"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(new_cluster_id())
        return path.read_text().strip()

    def quorum_state(self) -> dict[str, int]:
        """This node's view of the controller quorum ({"leaderId", "leaderEpoch", ...}); {} if unknown."""
        try:
            return json.loads((self.log_dirs / "__cluster_metadata-0" / "quorum-state").read_text())
        except (OSError, ValueError):
            return {}


@dataclass
class CassandraNode(CassandraService):
    """Node `index` (1-based) of the replicated stack, on the index-th of `replicated_cassandra_hosts`."""

    index: int = 1

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"cassandra-{self.index}"

    @property
    def component(self) -> str:
        return "cassandra"

    @property
    def address(self) -> str:
        return self.settings.replicated_cassandra_hosts[self.index - 1]

    @property
    def seeds(self) -> str:
        return f"{self.settings.replicated_cassandra_hosts[0]}:{self.settings.cassandra_storage_port}"

    @property
    def initial_token(self) -> int:
        nodes = len(self.settings.replicated_cassandra_hosts)
        return -(2**63) + (self.index - 1) * (TOKEN_SPACE // nodes)

    @property
    def cluster_name(self) -> str:
        return "scrapestream-replicated"

    @property
    def heap_mb(self) -> int:
        return self.settings.replicated_cassandra_heap_mb

    def extra_properties(self) -> list[str]:
        """Schema changes a node missed while it was down are pulled within seconds, not after
        Cassandra's default minute (migration delay and periodic pull, 60 s each): until then DDL
        such as a new keyspace times out waiting for schema agreement."""
        return ["-Dcassandra.migration_delay_ms=1000", "-Dcassandra.schema_pull_interval_ms=5000"]

    def probe(self) -> str:
        return f"{super().probe()} on {self.address}, {self.ring_view()[0]} peer(s)"

    def ring_view(self) -> tuple[int, str]:
        """(how many other nodes this node knows, its schema version)."""
        with self._session() as session:
            peers = len(list(session.execute("SELECT peer FROM system.peers_v2")))
            schema = session.execute("SELECT schema_version FROM system.local").one().schema_version
        return peers, str(schema)

    def pending_hints(self) -> int:
        """How many hint files this node holds for other nodes (writes they missed while down)."""
        with self._session() as session:
            return sum(row.files for row in session.execute("SELECT files FROM system_views.pending_hints"))

    def _session(self) -> AbstractContextManager[Session]:
        """A session with this node alone."""
        only_this_node = dataclasses.replace(self.settings, cassandra_hosts=(self.address,))
        return connect(only_this_node, connect_timeout=3.0, only_contact_points=True)


def _numbered(settings: Settings) -> list[tuple[int, tuple[str, int]]]:
    return list(enumerate(broker_addresses(settings), start=1))


def kafka_nodes(settings: Settings) -> list[KafkaNode]:
    stack = replicated_settings(settings)
    return [KafkaNode(stack, index) for index, _ in _numbered(stack)]


def cassandra_nodes(settings: Settings) -> list[CassandraNode]:
    stack = replicated_settings(settings)
    return [CassandraNode(stack, index) for index in range(1, len(stack.replicated_cassandra_hosts) + 1)]


def java_services(settings: Settings) -> list[JavaService]:
    return [*kafka_nodes(settings), *cassandra_nodes(settings)]


# -- infra up | down | status | logs ------------------------------------------------------------
def up(settings: Settings) -> list[Health]:
    """Start what is not running: the brokers at once (a controller quorum needs two of them), the
    Cassandra nodes one after another (a node joins through a running seed); wait until all answer
    and every broker is registered."""
    started: list[tuple[JavaService, object]] = []
    for node in kafka_nodes(settings):
        if not node.pids():
            started.append((node, node.start()))
            print(f"{node.name}: starting (log: {node.log_file})", file=sys.stderr)
    for node in cassandra_nodes(settings):
        if node.pids():
            continue
        print(f"{node.name}: starting (log: {node.log_file})", file=sys.stderr)
        _wait(node, node.start())
    for node, running in started:
        _wait(node, running)
    wait_for_brokers(settings)
    wait_for_ring(settings)
    return status(settings)


def _wait(node: JavaService, running) -> None:  # running: subprocess.Popen
    begin = time.monotonic()
    detail = node.wait_ready(running)
    print(f"{node.name}: ready in {time.monotonic() - begin:.0f}s: {detail}", file=sys.stderr)


def down(settings: Settings) -> list[tuple[str, list[int]]]:
    """Stop every node of ours (all at once: nothing needs to move first), leaving data in place."""
    nodes = java_services(settings)
    pids = {node.name: node.pids() for node in nodes}
    service_process.stop_pids([pid for node_pids in pids.values() for pid in node_pids])
    return list(pids.items())


def status(settings: Settings) -> list[Health]:
    stack = replicated_settings(settings)
    return [*(service_health(node) for node in java_services(settings)), clickhouse_health(stack)]


def log_tail(settings: Settings, component: str, lines: int) -> str:
    """The tail of one node's log (kafka-2), or of every node of a component (kafka, cassandra)."""
    nodes = {node.name: node for node in java_services(settings)}
    chosen = [node for name, node in nodes.items() if component in (name, node.component)]
    if not chosen:
        raise InfraError(f"no log for {component!r}: choose kafka, cassandra or one of {', '.join(nodes)}")
    if len(chosen) == 1:
        return tail(chosen[0].log_file, lines)
    return "\n".join(
        f"==> {node.name} ({node.log_file}) <==\n{tail(node.log_file, lines)}\n" for node in chosen
    )


# -- faults and their recovery ------------------------------------------------------------------
def kill(node: JavaService) -> list[int]:
    """SIGKILL the node's process (no shutdown of any kind) and wait until it is gone."""
    pids = node.pids()
    if not pids:
        raise InfraError(f"{node.name} is not running")
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while node.pids() and time.monotonic() < deadline:
        time.sleep(0.1)
    return pids


def active_controller(settings: Settings) -> KafkaNode:
    """The node leading the KRaft controller quorum: the leader of the newest epoch any running node
    has recorded (each node keeps its view in __cluster_metadata-0/quorum-state)."""
    leader = quorum_leader([node.quorum_state() for node in kafka_nodes(settings) if node.pids()])
    if leader is None:
        raise InfraError("no running Kafka node knows a controller leader")
    return kafka_nodes(settings)[leader - 1]


def quorum_leader(views: list[dict[str, int]]) -> int | None:
    """The node id leading the newest epoch among the nodes' quorum-state views, None if none knows."""
    known = [view for view in views if view.get("leaderId", -1) >= 0]
    return max(known, key=lambda view: view.get("leaderEpoch", -1))["leaderId"] if known else None


def wait_for_new_controller(settings: Settings, old: KafkaNode, timeout: float = 60.0) -> KafkaNode:
    """Wait until the running nodes elected a leader other than `old`; return it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            leader = active_controller(settings)
            if leader.index != old.index:
                return leader
        except InfraError:
            pass
        time.sleep(0.2)
    raise InfraError(f"no controller other than {old.name} was elected within {timeout:.0f}s")


# A node whose schema stays alone this long is stuck, not slow: it pulls missed changes every 5 s.
SCHEMA_STUCK_AFTER = 60.0


def wait_for_ring(settings: Settings, timeout: float = 240.0) -> None:
    """Wait until every Cassandra node knows all the others and all agree on the schema.

    A node answers CQL before gossip told it about every peer, and a restarted node takes a while
    to pull the schema changes it missed: DDL meanwhile (a keyspace created) times out waiting for
    schema agreement. A restarted node whose merge of a pulled change failed halfway (a keyspace
    dropped while hints for its tables arrived: see wait_for_hints) stays on a schema of its own
    for good; restarting it once more ends that.
    """
    nodes = {node.name: node for node in cassandra_nodes(settings)}
    deadline = time.monotonic() + timeout
    alone: tuple[str | None, float] = (None, time.monotonic())  # the straggler and since when
    restarted: set[str] = set()
    views: dict[str, tuple[int, str]] = {}
    while time.monotonic() < deadline:
        views = {name: _ring_view(node) for name, node in nodes.items()}
        if ring_agrees(views):
            return
        straggler = schema_straggler(views)
        if straggler != alone[0]:
            alone = (straggler, time.monotonic())
        elif straggler and straggler not in restarted and time.monotonic() - alone[1] >= SCHEMA_STUCK_AFTER:
            print(
                f"{straggler}: schema {views[straggler][1]} differs from the others' for "
                f"{SCHEMA_STUCK_AFTER:.0f}s; restarting it. Its last schema and gossip lines "
                f"({nodes[straggler].log_file}):\n{schema_log_lines(nodes[straggler].log_file)}",
                file=sys.stderr,
            )
            restart(nodes[straggler])
            restarted.add(straggler)
        time.sleep(1.0)
    logs = ", ".join(str(node.log_file) for node in nodes.values())
    raise InfraError(
        f"Cassandra nodes do not agree within {timeout:.0f}s: (peers, schema) {views}; see {logs}"
    )


def _ring_view(node: CassandraNode) -> tuple[int, str]:
    try:
        return node.ring_view()
    except Exception as error:  # not answering yet
        return (-1, str(error))


def schema_log_lines(log_file: Path, lines: int = 12) -> str:
    """The node's last log lines about schema pulls and pushes, gossip and its connections."""
    sources = ("MigrationCoordinator", "SchemaUpdateHandler", "Gossiper", "FailureDetector", "Connection")
    chosen = [line for line in tail(log_file, 400).splitlines() if any(word in line for word in sources)]
    return "\n".join(chosen[-lines:])


def ring_agrees(views: dict[str, tuple[int, str]]) -> bool:
    """Every node knows all the others and all report one schema version."""
    return all(peers == len(views) - 1 for peers, _ in views.values()) and (
        len({schema for _, schema in views.values()}) == 1
    )


def schema_straggler(views: dict[str, tuple[int, str]]) -> str | None:
    """The one node whose schema differs while all the others (at least two) agree, every node
    answering and knowing all its peers; None otherwise (still starting, or no majority)."""
    if len(views) < 3 or any(peers != len(views) - 1 for peers, _ in views.values()):
        return None
    schemas = [schema for _, schema in views.values()]
    alone = [name for name, (_, schema) in views.items() if schemas.count(schema) == 1]
    return alone[0] if len(alone) == 1 and len(set(schemas)) == 2 else None


def wait_for_hints(settings: Settings, timeout: float = 120.0) -> float:
    """Wait until every node delivered its hints (the writes a node missed while it was down);
    the seconds it took.

    Drop a keyspace only after that: a restarted node applying the drop while hints for its tables
    still arrive can fail the drop halfway ('Unknown CF' while recycling the commit log) and then
    stay on a schema of its own.
    """
    nodes = cassandra_nodes(settings)
    begin = time.monotonic()
    pending = {node.name: -1 for node in nodes}
    while time.monotonic() < begin + timeout:
        pending = {node.name: node.pending_hints() for node in nodes}
        if not any(pending.values()):
            return time.monotonic() - begin
        time.sleep(1.0)
    raise InfraError(f"hints not delivered within {timeout:.0f}s: hint files per node {pending}")


def wait_for_brokers(settings: Settings, timeout: float = 90.0) -> None:
    """Wait until every broker is registered (metadata lists them all)."""
    stack = replicated_settings(settings)
    wanted = len(broker_addresses(stack))
    deadline = time.monotonic() + timeout
    seen = 0
    while time.monotonic() < deadline:
        try:
            seen = len(make_admin(stack).list_topics(timeout=5).brokers)
            if seen >= wanted:
                return
        except Exception:  # no broker answers yet
            pass
        time.sleep(0.5)
    raise InfraError(f"only {seen} of {wanted} Kafka brokers registered within {timeout:.0f}s")


def under_replicated(settings: Settings) -> list[str]:
    """Partitions whose in-sync replicas are fewer than their replicas ("topic[partition] isr/replicas")."""
    try:
        topics = make_admin(replicated_settings(settings)).list_topics(timeout=10).topics
    except Exception as error:
        raise BrokerUnavailable(f"no broker answers: {error}") from None
    return [
        f"{name}[{number}] {len(partition.isrs)}/{len(partition.replicas)}"
        for name, topic in topics.items()
        for number, partition in topic.partitions.items()
        if len(partition.isrs) < len(partition.replicas)
    ]


def wait_fully_replicated(settings: Settings, timeout: float = 180.0) -> float:
    """Wait until no partition is under-replicated; returns the seconds it took."""
    begin = time.monotonic()
    lagging: list[str] = ["(not asked yet)"]
    while time.monotonic() - begin < timeout:
        try:
            lagging = under_replicated(settings)
        except BrokerUnavailable as error:
            lagging = [str(error)]
        if not lagging:
            return time.monotonic() - begin
        time.sleep(0.5)
    raise InfraError(f"still under-replicated after {timeout:.0f}s: {lagging[:5]}")


def restart(node: JavaService) -> None:
    """Stop the node cleanly (SIGTERM: a broker hands its leaderships over first), start it again and
    wait until it answers."""
    node.stop()
    node.wait_ready(node.start())


def rolling_restart(settings: Settings, pause: float = 0.0) -> list[float]:
    """Restart the brokers one after another, each only once every partition is fully replicated
    again (else a second broker down could leave a partition below min.insync.replicas). Returns
    the seconds each broker took to be back and caught up."""
    took = []
    wait_fully_replicated(settings)
    for node in kafka_nodes(settings):
        begin = time.monotonic()
        restart(node)
        wait_fully_replicated(settings)
        took.append(time.monotonic() - begin)
        time.sleep(pause)
    return took


def heal(settings: Settings) -> list[str]:
    """Start every node that is not running (Cassandra nodes one after another); the names started."""
    started = [node.name for node in java_services(settings) if not node.pids()]
    if started:
        up(settings)
        wait_fully_replicated(settings)
    return started


def memory_mib(settings: Settings) -> dict[str, float]:
    """Resident memory of each running node (from /proc), in MiB."""
    sizes = {}
    for node in java_services(settings):
        for pid in node.pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes[node.name] = int(line.split()[1]) / 1024
    return sizes
