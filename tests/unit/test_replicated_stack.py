"""The replicated local stack's pure parts: settings, per-node configuration, client settings."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from cassandra import ConsistencyLevel, WriteType
from cassandra.policies import RetryPolicy, TokenAwarePolicy, WhiteListRoundRobinPolicy

from scrapestream.cli import build_parser
from scrapestream.config import ConfigError, Settings, load_settings
from scrapestream.infra import replicated
from scrapestream.infra.cassandra_server import CassandraService
from scrapestream.infra.java import render
from scrapestream.infra.kafka_server import KafkaService
from scrapestream.infra.replicated import (
    CassandraNode,
    KafkaNode,
    cassandra_nodes,
    java_services,
    kafka_nodes,
    quorum_leader,
    replicated_env,
    replicated_settings,
    ring_agrees,
    schema_straggler,
    wait_for_ring,
)
from scrapestream.infra.service_process import InfraError
from scrapestream.stores.cassandra_sessions import QuorumRetryPolicy, consistency_level, make_cluster
from scrapestream.topics import catalog


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(
        {
            "SCRAPESTREAM_DATA_DIR": str(tmp_path / "single"),
            "SCRAPESTREAM_REPLICATED_DATA_DIR": str(tmp_path / "replicated"),
            "SCRAPESTREAM_REPLICATED_CASSANDRA_HOSTS": "127.0.1.1,127.0.1.2,127.0.1.3",
        }
    )


def properties(node: KafkaService, target: Path) -> dict[str, str]:
    render(node.config_file("server.properties"), target, **node.properties_values())
    lines = [line for line in target.read_text().splitlines() if line and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


def cassandra_yaml(node: CassandraService, target: Path) -> str:
    render(node.config_file("cassandra.yaml"), target, **node.yaml_values())
    return target.read_text()


# -- settings -----------------------------------------------------------------------------------
def test_the_single_node_stack_stays_the_default(settings: Settings) -> None:
    assert not settings.infra_replicated
    assert settings.kafka_replication == settings.kafka_min_insync_replicas == 1
    assert settings.cassandra_consistency == ""  # the store at LOCAL_QUORUM, the rest at LOCAL_ONE
    assert consistency_level(settings) == ConsistencyLevel.LOCAL_QUORUM
    assert make_cluster(settings).profile_manager.default.consistency_level == ConsistencyLevel.LOCAL_ONE
    assert Settings().replicated_cassandra_hosts == ("127.0.0.1", "127.0.0.2", "127.0.0.3")


def test_replicated_settings_point_clients_at_three_brokers_and_three_nodes(settings: Settings) -> None:
    stack = replicated_settings(settings)
    assert stack.infra_replicated
    assert stack.data_dir == settings.replicated_data_dir
    assert stack.kafka_bootstrap == "127.0.0.1:9192,127.0.0.1:9292,127.0.0.1:9392"
    assert (stack.kafka_replication, stack.kafka_min_insync_replicas) == (3, 2)
    assert stack.cassandra_hosts == ("127.0.1.1", "127.0.1.2", "127.0.1.3")
    assert (stack.cassandra_replication, stack.cassandra_consistency) == ("3", "QUORUM")
    assert stack.clickhouse_path == (settings.replicated_data_dir / "clickhouse").resolve()
    assert replicated_settings(stack) == stack


def test_the_printed_environment_loads_the_same_settings(settings: Settings) -> None:
    stack = replicated_settings(settings)
    loaded = load_settings(replicated_env(settings))
    for name in (
        "kafka_bootstrap",
        "kafka_replication",
        "kafka_min_insync_replicas",
        "cassandra_hosts",
        "cassandra_replication",
        "cassandra_consistency",
        "clickhouse_url",
    ):
        assert getattr(loaded, name) == getattr(stack, name), name
    assert loaded.data_dir.resolve() == stack.data_dir.resolve()


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"SCRAPESTREAM_KAFKA_MIN_INSYNC_REPLICAS": "2"}, "SCRAPESTREAM_KAFKA_MIN_INSYNC_REPLICAS"),
        ({"SCRAPESTREAM_CASSANDRA_CONSISTENCY": "ANY"}, "SCRAPESTREAM_CASSANDRA_CONSISTENCY"),
        ({"SCRAPESTREAM_REPLICATED_CASSANDRA_HOSTS": "127.0.0.1,127.0.0.1"}, "REPLICATED_CASSANDRA_HOSTS"),
        (
            {"SCRAPESTREAM_REPLICATED_KAFKA_BOOTSTRAP": "127.0.0.1:9192,127.0.0.1:9193"},
            "REPLICATED_KAFKA_BOOTSTRAP",
        ),
        ({"SCRAPESTREAM_REPLICATED_KAFKA_BOOTSTRAP": "127.0.0.1:65535"}, "REPLICATED_KAFKA_BOOTSTRAP"),
        ({"SCRAPESTREAM_REPLICATED_CASSANDRA_HEAP_MB": "0"}, "REPLICATED_CASSANDRA_HEAP_MB"),
    ],
)
def test_bad_replicated_settings_name_the_setting(environ: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load_settings(environ)


def test_consistency_is_case_insensitive_and_min_insync_fits_replication() -> None:
    settings = load_settings(
        {
            "SCRAPESTREAM_CASSANDRA_CONSISTENCY": "quorum",
            "SCRAPESTREAM_KAFKA_REPLICATION": "3",
            "SCRAPESTREAM_KAFKA_MIN_INSYNC_REPLICAS": "2",
        }
    )
    assert make_cluster(settings).profile_manager.default.consistency_level == ConsistencyLevel.QUORUM
    assert consistency_level(settings) == ConsistencyLevel.QUORUM


# -- Kafka nodes --------------------------------------------------------------------------------
def test_every_broker_is_a_controller_of_one_quorum_with_its_own_ports(
    settings: Settings, tmp_path: Path
) -> None:
    nodes = kafka_nodes(settings)
    rendered = [properties(node, tmp_path / f"{node.name}.properties") for node in nodes]
    voters = "1@127.0.0.1:9193,2@127.0.0.1:9293,3@127.0.0.1:9393"
    for number, (node, props) in enumerate(zip(nodes, rendered, strict=True), start=1):
        port = 9092 + 100 * number
        assert node.name == f"kafka-{number}" and node.component == "kafka"
        assert props["node.id"] == str(number)
        assert props["process.roles"] == "broker,controller"
        assert props["controller.quorum.voters"] == voters
        assert props["listeners"] == f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{port + 1}"
        assert props["advertised.listeners"] == f"PLAINTEXT://127.0.0.1:{port}"
        assert props["log.dirs"] == str(settings.replicated_data_dir.resolve() / node.name / "data")
        for key in ("offsets.topic.replication.factor", "default.replication.factor"):
            assert props[key] == "3"
        for key in ("min.insync.replicas", "transaction.state.log.min.isr"):
            assert props[key] == "2"
        # The broker-driven group protocol's timings apply to every node.
        assert props["group.consumer.session.timeout.ms"] == "10000"
        assert props["group.consumer.heartbeat.interval.ms"] == "1000"
        assert node.ports() == {
            "kafka_bootstrap": ("127.0.0.1", port),
            "kafka_controller_port": ("127.0.0.1", port + 1),
        }


def test_brokers_share_one_cluster_id_and_use_the_jars_of_kafka(settings: Settings) -> None:
    nodes = kafka_nodes(settings)
    assert len({node.cluster_id() for node in nodes}) == 1
    assert {node.pom for node in nodes} == {KafkaService(settings).pom}
    assert nodes[0].heap == (384, 384)


def test_the_single_broker_keeps_its_one_replica_configuration(settings: Settings, tmp_path: Path) -> None:
    props = properties(KafkaService(settings), tmp_path / "server.properties")
    assert props["node.id"] == "1"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:9093"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093"
    assert props["offsets.topic.replication.factor"] == props["min.insync.replicas"] == "1"


def test_the_active_controller_is_the_leader_of_the_newest_epoch(settings: Settings) -> None:
    nodes = kafka_nodes(settings)
    states = {
        1: '{"leaderId":2,"leaderEpoch":4,"votedId":-1}',
        2: '{"leaderId":3,"leaderEpoch":5,"votedId":-1}',
        3: "not json yet",
    }
    for node in nodes:
        path = node.log_dirs / "__cluster_metadata-0" / "quorum-state"
        path.parent.mkdir(parents=True)
        path.write_text(states[node.index])
    views = [node.quorum_state() for node in nodes]
    assert [view.get("leaderId") for view in views] == [2, 3, None]
    assert quorum_leader(views) == 3
    assert quorum_leader([{"leaderId": -1, "leaderEpoch": 6}, {}]) is None


# -- Cassandra nodes ----------------------------------------------------------------------------
def test_the_ring_agrees_when_every_node_knows_all_peers_and_one_schema() -> None:
    assert ring_agrees({"a": (2, "v1"), "b": (2, "v1"), "c": (2, "v1")})
    assert not ring_agrees({"a": (2, "v1"), "b": (1, "v1"), "c": (2, "v1")})  # gossip not done
    assert not ring_agrees({"a": (2, "v1"), "b": (2, "v2"), "c": (2, "v1")})


def test_the_straggler_is_the_one_node_alone_on_its_schema() -> None:
    assert schema_straggler({"a": (2, "v1"), "b": (2, "v2"), "c": (2, "v1")}) == "b"
    assert schema_straggler({"a": (2, "v1"), "b": (2, "v2"), "c": (2, "v3")}) is None  # no majority
    assert schema_straggler({"a": (2, "v1"), "b": (-1, "refused"), "c": (2, "v1")}) is None  # starting
    assert schema_straggler({"a": (1, "v1"), "b": (1, "v2")}) is None  # two nodes: no majority
    assert schema_straggler({"a": (2, "v1"), "b": (2, "v1"), "c": (2, "v1")}) is None


class ScriptedNode:
    """A Cassandra node whose schema version changes only when it is restarted."""

    def __init__(self, name: str, schemas: list[str]) -> None:
        self.name, self.log_file, self._schemas = name, Path(f"{name}.log"), schemas

    def ring_view(self) -> tuple[int, str]:
        return 2, self._schemas[0]

    def restarted(self) -> None:
        self._schemas.pop(0)


def scripted_ring(monkeypatch: pytest.MonkeyPatch, straggler_schemas: list[str]) -> ScriptedNode:
    """Three nodes, the second on `straggler_schemas` one restart after another; returns it."""
    straggler = ScriptedNode("cassandra-2", straggler_schemas)
    nodes = [ScriptedNode("cassandra-1", ["v1"]), straggler, ScriptedNode("cassandra-3", ["v1"])]
    monkeypatch.setattr(replicated, "cassandra_nodes", lambda settings: nodes)
    monkeypatch.setattr(replicated, "restart", lambda node: node.restarted())
    monkeypatch.setattr(replicated.time, "sleep", lambda seconds: None)
    monkeypatch.setattr(replicated, "SCHEMA_STUCK_AFTER", 0.0)
    return straggler


def test_a_node_stuck_on_its_own_schema_is_restarted(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    straggler = scripted_ring(monkeypatch, ["stuck", "v1"])
    wait_for_ring(settings, timeout=5.0)
    assert straggler.ring_view() == (2, "v1")
    assert "cassandra-2: schema stuck differs from the others'" in capsys.readouterr().err


def test_a_node_still_stuck_after_its_restart_fails_naming_the_logs(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    straggler = scripted_ring(monkeypatch, ["stuck", "stuck again", "v1"])
    with pytest.raises(InfraError, match=r"do not agree within 0s.*'stuck again'.*cassandra-2\.log"):
        wait_for_ring(settings, timeout=0.05)
    assert straggler.ring_view() == (2, "stuck again")  # restarted once only


def test_cassandra_nodes_get_own_addresses_one_seed_and_evenly_spaced_tokens(
    settings: Settings, tmp_path: Path
) -> None:
    nodes = cassandra_nodes(settings)
    tokens = [node.initial_token for node in nodes]
    assert tokens == [-(2**63), -(2**63) + 2**64 // 3, -(2**63) + 2 * (2**64 // 3)]
    assert all(-(2**63) <= token < 2**63 for token in tokens)
    for node in nodes:
        text = cassandra_yaml(node, tmp_path / f"{node.name}.yaml")
        assert f"listen_address: {node.address}\n" in text
        assert f"rpc_address: {node.address}\n" in text
        assert 'seeds: "127.0.1.1:7000"' in text
        assert f"initial_token: {node.initial_token}\n" in text
        assert "cluster_name: scrapestream-replicated\n" in text
        assert "num_tokens: 1\n" in text
        assert f"{settings.replicated_data_dir.resolve() / node.name / 'data'}/data" in text
        assert node.ports() == {
            "cassandra_port": (node.address, 9042),
            "cassandra_storage_port": (node.address, 7000),
        }
        jvm_args = node.jvm_args(_fake_lib(tmp_path))
        assert f"-Xmx{settings.replicated_cassandra_heap_mb}m" in jvm_args
        assert "-Dcassandra.migration_delay_ms=1000" in jvm_args  # a restarted node catches up fast
    assert [node.address for node in nodes] == ["127.0.1.1", "127.0.1.2", "127.0.1.3"]
    assert len({node.home for node in nodes}) == 3


def test_the_single_cassandra_node_is_unchanged(settings: Settings, tmp_path: Path) -> None:
    text = cassandra_yaml(CassandraService(settings), tmp_path / "cassandra.yaml")
    for line in (
        "cluster_name: scrapestream-local",
        "initial_token: 0",
        'seeds: "127.0.0.1:7000"',
        "listen_address: 127.0.0.1",
    ):
        assert line + "\n" in text


def _fake_lib(tmp_path: Path) -> Path:
    lib = tmp_path / "lib"
    lib.mkdir(exist_ok=True)
    (lib / "jamm-0.4.0.jar").touch()
    return lib


def test_nodes_are_tagged_by_name_under_the_replicated_directory(settings: Settings) -> None:
    services = java_services(settings)
    assert [service.name for service in services] == [
        "kafka-1",
        "kafka-2",
        "kafka-3",
        "cassandra-1",
        "cassandra-2",
        "cassandra-3",
    ]
    assert all(service.settings.data_dir == settings.replicated_data_dir for service in services)
    assert isinstance(services[0], KafkaNode) and isinstance(services[3], CassandraNode)


# -- clients ------------------------------------------------------------------------------------
def test_topics_carry_min_insync_replicas_only_when_replicated(settings: Settings) -> None:
    assert all("min.insync.replicas" not in topic.config for topic in catalog(settings))
    for topic in catalog(replicated_settings(settings)):
        assert topic.replication == 3
        assert topic.config["min.insync.replicas"] == "2"


def test_the_driver_balances_over_all_nodes_at_quorum_and_retries_elsewhere(settings: Settings) -> None:
    profile = make_cluster(replicated_settings(settings)).profile_manager.default
    assert profile.consistency_level == ConsistencyLevel.QUORUM
    assert isinstance(profile.load_balancing_policy, TokenAwarePolicy)
    assert isinstance(profile.retry_policy, QuorumRetryPolicy)
    probe = make_cluster(settings, only_contact_points=True).profile_manager.default
    assert isinstance(probe.load_balancing_policy, WhiteListRoundRobinPolicy)


def test_the_retry_policy_tries_another_coordinator_at_the_same_consistency() -> None:
    policy, quorum = QuorumRetryPolicy(), ConsistencyLevel.QUORUM
    next_host = (RetryPolicy.RETRY_NEXT_HOST, quorum)
    assert policy.on_write_timeout(None, quorum, WriteType.UNLOGGED_BATCH, 2, 1, 0) == next_host
    assert policy.on_write_timeout(None, quorum, WriteType.SIMPLE, 2, 1, 2) == next_host
    assert policy.on_read_timeout(None, quorum, 2, 1, False, 0) == next_host
    assert policy.on_unavailable(None, quorum, 2, 1, 1) == next_host
    assert policy.on_request_error(None, quorum, ConnectionError(), 0) == next_host
    # Never below the asked consistency, never forever, never a lightweight transaction or counter.
    assert policy.on_write_timeout(None, quorum, WriteType.SIMPLE, 2, 1, 3) == (RetryPolicy.RETHROW, None)
    assert policy.on_write_timeout(None, quorum, WriteType.CAS, 2, 1, 0) == (RetryPolicy.RETHROW, None)
    assert policy.on_write_timeout(None, quorum, WriteType.COUNTER, 2, 1, 0) == (RetryPolicy.RETHROW, None)


@pytest.mark.parametrize("command", ["up", "down", "status"])
def test_every_infra_command_takes_replicated(command: str) -> None:
    assert build_parser().parse_args(["infra", command, "--replicated"]).replicated
    assert not build_parser().parse_args(["infra", command]).replicated


def test_infra_logs_takes_a_node_name() -> None:
    args = build_parser().parse_args(["infra", "logs", "kafka-2", "--replicated", "-n", "5"])
    assert (args.component, args.replicated, args.lines) == ("kafka-2", True, 5)


def test_a_replicated_stack_elsewhere_is_its_own(settings: Settings, tmp_path: Path) -> None:
    moved = dataclasses.replace(settings, replicated_data_dir=tmp_path / "elsewhere")
    assert kafka_nodes(moved)[0].home == (tmp_path / "elsewhere").resolve() / "kafka-1"
