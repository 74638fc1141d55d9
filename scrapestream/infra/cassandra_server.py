"""Apache Cassandra 5 on loopback, with a small heap and fast-start settings: one node by default,
or a node of the replicated stack (`CassandraNode`, scrapestream.infra.replicated)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from scrapestream.infra.java import JavaService, render
from scrapestream.infra.service_process import port_in_use
from scrapestream.stores.cassandra_sessions import connect


class CassandraService(JavaService):
    name = "cassandra"
    ready_timeout = 180.0

    # -- what differs between the single node and a node of the replicated stack ------------------
    @property
    def address(self) -> str:
        return "127.0.0.1"

    @property
    def seeds(self) -> str:
        return f"127.0.0.1:{self.settings.cassandra_storage_port}"

    @property
    def initial_token(self) -> int:
        return 0

    @property
    def cluster_name(self) -> str:
        return "scrapestream-local"

    @property
    def heap_mb(self) -> int:
        return self.settings.cassandra_heap_mb

    def extra_properties(self) -> list[str]:
        """Further -D system properties (none for the single node)."""
        return []

    # -- the service ------------------------------------------------------------------------------
    def ports(self) -> dict[str, tuple[str, int]]:
        return {
            "cassandra_port": (self.address, self.settings.cassandra_port),
            "cassandra_storage_port": (self.address, self.settings.cassandra_storage_port),
        }

    @property
    def _yaml(self) -> Path:
        return self.home / "cassandra.yaml"

    def prepare(self, lib: Path) -> None:
        render(self.config_file("cassandra.yaml"), self._yaml, **self.yaml_values())

    def yaml_values(self) -> dict[str, object]:
        """The placeholders of cassandra.yaml for this node."""
        return {
            "cluster_name": self.cluster_name,
            "initial_token": self.initial_token,
            "seeds": self.seeds,
            "address": self.address,
            "data": self.home / "data",
            "storage_port": self.settings.cassandra_storage_port,
            "native_port": self.settings.cassandra_port,
        }

    def jvm_args(self, lib: Path) -> list[str]:
        heap = f"{self.heap_mb}m"
        module_flags = [
            line.strip()
            for line in self.config_file("jvm17.options").read_text().splitlines()
            if line.strip() and not line.startswith("#")
        ]
        jamm = next(lib.glob("jamm-*.jar"))
        return [
            f"-Xms{heap}",
            f"-Xmx{heap}",
            "-Xss512k",
            "-XX:+ExitOnOutOfMemoryError",
            *module_flags,
            f"-javaagent:{jamm}",
            f"-Dcassandra.config=file://{self._yaml}",
            f"-Dcassandra.storagedir={self.home / 'data'}",
            f"-Dcassandra.logdir={self.settings.logs_dir.resolve()}",
            f"-Dlogback.configurationFile={self.config_file('logback.xml')}",
            "-Dcassandra-foreground=yes",
            "-Dcassandra.skip_wait_for_gossip_to_settle=0",
            "-Dcassandra.ring_delay_ms=100",
            "-Dcassandra.join_ring=true",
            *self.extra_properties(),
            "-cp",
            f"{lib}/*",
            "org.apache.cassandra.service.CassandraDaemon",
        ]

    def probe(self) -> str:
        if not port_in_use(self.address, self.settings.cassandra_port):
            raise ConnectionRefusedError(
                f"nothing listens on {self.address}:{self.settings.cassandra_port} yet"
            )
        only_this_node = dataclasses.replace(self.settings, cassandra_hosts=(self.address,))
        with connect(only_this_node, connect_timeout=3.0, only_contact_points=True) as session:
            version = session.execute("SELECT release_version FROM system.local").one().release_version
        return f"Cassandra {version}"
