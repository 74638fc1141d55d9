"""Apache Cassandra 5 as one node on loopback, with a small heap and fast-start settings."""

from __future__ import annotations

from pathlib import Path

from scrapestream.infra.java import JavaService, render
from scrapestream.infra.process import port_in_use
from scrapestream.stores.cassandra import connect


class CassandraService(JavaService):
    name = "cassandra"
    ready_timeout = 180.0

    def ports(self) -> dict[str, tuple[str, int]]:
        return {
            "cassandra_port": ("127.0.0.1", self.settings.cassandra_port),
            "cassandra_storage_port": ("127.0.0.1", self.settings.cassandra_storage_port),
        }

    @property
    def _yaml(self) -> Path:
        return self.home / "cassandra.yaml"

    def prepare(self, lib: Path) -> None:
        render(
            self.config_file("cassandra.yaml"),
            self._yaml,
            data=self.home / "data",
            storage_port=self.settings.cassandra_storage_port,
            native_port=self.settings.cassandra_port,
        )

    def jvm_args(self, lib: Path) -> list[str]:
        heap = f"{self.settings.cassandra_heap_mb}m"
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
            "-cp",
            f"{lib}/*",
            "org.apache.cassandra.service.CassandraDaemon",
        ]

    def probe(self) -> str:
        if not port_in_use("127.0.0.1", self.settings.cassandra_port):
            raise ConnectionRefusedError(f"nothing listens on 127.0.0.1:{self.settings.cassandra_port} yet")
        with connect(self.settings, connect_timeout=3.0) as session:
            version = session.execute("SELECT release_version FROM system.local").one().release_version
        return f"Cassandra {version}"
