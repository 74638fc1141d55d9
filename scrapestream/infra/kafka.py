"""Apache Kafka 4 as one KRaft node (broker and controller in one process) on loopback."""

from __future__ import annotations

import base64
import subprocess
import uuid
from pathlib import Path

from scrapestream.config import host_port
from scrapestream.infra.java import JavaService, render
from scrapestream.infra.process import InfraError
from scrapestream.kafka import broker_metadata


class KafkaService(JavaService):
    name = "kafka"
    ready_timeout = 90.0

    def ports(self) -> dict[str, tuple[str, int]]:
        host, port = self._listener()
        return {
            "kafka_bootstrap": (host, port),
            "kafka_controller_port": ("127.0.0.1", self.settings.kafka_controller_port),
        }

    def _listener(self) -> tuple[str, int]:
        return host_port(self.settings.kafka_bootstrap.split(",")[0], "kafka_bootstrap")

    @property
    def _properties(self) -> Path:
        return self.home / "server.properties"

    def prepare(self, lib: Path) -> None:
        host, port = self._listener()
        log_dirs = self.home / "data"
        render(
            self.config_file("server.properties"),
            self._properties,
            host=host,
            port=port,
            controller_port=self.settings.kafka_controller_port,
            log_dirs=log_dirs,
            partitions=self.settings.kafka_partitions,
        )
        if not (log_dirs / "meta.properties").exists():
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
            _new_cluster_id(),
            "-c",
            str(self._properties),
            "--ignore-formatted",
        ]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise InfraError(f"kafka: formatting storage failed:\n{result.stdout}{result.stderr}")

    def jvm_args(self, lib: Path) -> list[str]:
        heap = f"{self.settings.kafka_heap_mb}m"
        return [
            "-Xms256m",
            f"-Xmx{heap}",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            f"-Dlog4j2.configurationFile={self.config_file('log4j2.properties')}",
            "-cp",
            f"{lib}/*",
            "kafka.Kafka",
            str(self._properties),
        ]

    def probe(self) -> str:
        return broker_metadata(self.settings, timeout=3.0)


def _new_cluster_id() -> str:
    """16 random bytes, base64url without padding, never starting with '-' (Kafka's own rule)."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id
