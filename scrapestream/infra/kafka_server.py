"""Apache Kafka 4 in KRaft combined mode (broker and controller in one process) on loopback: one
node by default, or a node of the replicated stack (`KafkaNode`, scrapestream.infra.replicated)."""

from __future__ import annotations

import base64
import dataclasses
import subprocess
import uuid
from pathlib import Path

from scrapestream.config import host_port
from scrapestream.infra.java import JavaService, render
from scrapestream.infra.service_process import InfraError
from scrapestream.kafka import broker_metadata


class KafkaService(JavaService):
    name = "kafka"
    ready_timeout = 90.0

    # -- what differs between the single node and a node of the replicated stack ------------------
    @property
    def node_id(self) -> int:
        return 1

    def listener(self) -> tuple[str, int]:
        """(host, port) of this node's client (PLAINTEXT) listener."""
        return host_port(self.settings.kafka_bootstrap.split(",")[0], "kafka_bootstrap")

    def controller(self) -> tuple[str, int]:
        """(host, port) of this node's controller listener."""
        return "127.0.0.1", self.settings.kafka_controller_port

    def quorum_voters(self) -> str:
        host, port = self.controller()
        return f"{self.node_id}@{host}:{port}"

    @property
    def replication(self) -> tuple[int, int]:
        """(replication factor, min.insync.replicas) of internal topics and new topics' defaults."""
        return 1, 1

    @property
    def heap(self) -> tuple[int, int]:
        """(initial, maximum) heap in MiB."""
        return 256, self.settings.kafka_heap_mb

    def cluster_id(self) -> str:
        """The id `kafka-storage format` writes; every node of one cluster needs the same."""
        return new_cluster_id()

    # -- the service ------------------------------------------------------------------------------
    def ports(self) -> dict[str, tuple[str, int]]:
        return {"kafka_bootstrap": self.listener(), "kafka_controller_port": self.controller()}

    @property
    def _properties(self) -> Path:
        return self.home / "server.properties"

    @property
    def log_dirs(self) -> Path:
        return self.home / "data"

    def properties_values(self) -> dict[str, object]:
        """The placeholders of server.properties for this node."""
        host, port = self.listener()
        controller_host, controller_port = self.controller()
        replication, min_isr = self.replication
        return {
            "node_id": self.node_id,
            "quorum_voters": self.quorum_voters(),
            "host": host,
            "port": port,
            "controller_host": controller_host,
            "controller_port": controller_port,
            "log_dirs": self.log_dirs,
            "partitions": self.settings.kafka_partitions,
            "replication": replication,
            "min_isr": min_isr,
        }

    def prepare(self, lib: Path) -> None:
        render(self.config_file("server.properties"), self._properties, **self.properties_values())
        if not (self.log_dirs / "meta.properties").exists():
            self._format_storage(lib)

    def _format_storage(self, lib: Path) -> None:
        """KRaft needs its log directory formatted with a cluster id once, before the first start."""
        command = [
            "java",
            "-cp",
            f"{lib}/*",
            "kafka.tools.StorageTool",
            "format",
            "-t",
            self.cluster_id(),
            "-c",
            str(self._properties),
            "--ignore-formatted",
        ]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise InfraError(f"{self.name}: formatting storage failed:\n{result.stdout}{result.stderr}")

    def jvm_args(self, lib: Path) -> list[str]:
        initial, maximum = self.heap
        return [
            f"-Xms{initial}m",
            f"-Xmx{maximum}m",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            f"-Dlog4j2.configurationFile={self.config_file('log4j2.properties')}",
            "-cp",
            f"{lib}/*",
            "kafka.Kafka",
            str(self._properties),
        ]

    def probe(self) -> str:
        host, port = self.listener()
        this_node = dataclasses.replace(self.settings, kafka_bootstrap=f"{host}:{port}")
        return broker_metadata(this_node, timeout=3.0)


def new_cluster_id() -> str:
    """16 random bytes, base64url without padding, never starting with '-' (Kafka's own rule)."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id
