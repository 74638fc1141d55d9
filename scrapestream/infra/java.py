"""What Kafka and Cassandra have in common: jars from Maven Central, one tagged java process.

A service subclass says which pom resolves its classpath, which ports it needs, how to
prepare its directory, its JVM arguments and how to tell that it answers.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from string import Template

from scrapestream.config import Settings
from scrapestream.infra import service_process
from scrapestream.infra.service_process import InfraError

INFRA_DIR = Path(__file__).parent
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"


def render(template: Path, target: Path, **values: object) -> None:
    """Fill a shipped config template's $-placeholders and write it where the service reads it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(Template(template.read_text()).substitute(values))


def resolve_classpath(component: str, pom: Path, cache_dir: Path) -> Path:
    """The directory holding the component's runtime jars, fetched once per pom version."""
    digest = hashlib.sha256(pom.read_bytes()).hexdigest()[:12]
    lib = cache_dir / "jars" / f"{component}-{digest}"
    if (lib / ".complete").exists():
        return lib
    if shutil.which("mvn") is None:
        raise InfraError("mvn is not installed; run `make setup` (it installs Maven) and try again")
    print(f"{component}: resolving jars from Maven Central into {lib} (first run only)…", file=sys.stderr)
    staging = lib.with_name(lib.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    command = [
        "mvn",
        "-B",
        "-q",
        "-f",
        str(pom),
        f"{DEPENDENCY_PLUGIN}:copy-dependencies",
        "-DincludeScope=runtime",
        f"-DoutputDirectory={staging}",
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise InfraError(
            f"{component}: Maven could not resolve {pom}:\n{result.stdout[-3000:]}{result.stderr}"
        )
    (staging / ".complete").touch()
    shutil.rmtree(lib, ignore_errors=True)
    staging.rename(lib)
    return lib


@dataclass
class JavaService:
    """One local Java server. Subclasses fill in the service-specific parts."""

    settings: Settings
    name = "service"
    ready_timeout = 120.0

    # -- service-specific --------------------------------------------------------------
    def ports(self) -> dict[str, tuple[str, int]]:
        """Setting name -> (host, port) that must be free before we start."""
        raise NotImplementedError

    def prepare(self, lib: Path) -> None:
        """Write config files and initialise storage; safe to call again."""

    def jvm_args(self, lib: Path) -> list[str]:
        raise NotImplementedError

    def probe(self) -> str:
        """A short description when the service answers; raises when it does not."""
        raise NotImplementedError

    # -- shared ----------------------------------------------------------------------------
    @property
    def component(self) -> str:
        """The kind of server (its pom, config templates and jars); a node of a cluster has a name
        of its own (kafka-2) but the component's (kafka)."""
        return self.name

    @property
    def home(self) -> Path:
        return self.settings.data_dir.resolve() / self.name

    @property
    def log_file(self) -> Path:
        return self.settings.logs_dir.resolve() / f"{self.name}.log"

    @property
    def pom(self) -> Path:
        return INFRA_DIR / self.component / "pom.xml"

    def config_file(self, file_name: str) -> Path:
        return INFRA_DIR / self.component / file_name

    def pids(self) -> list[int]:
        return service_process.find_pids(self.name, self.settings.data_dir)

    def start(self) -> subprocess.Popen[bytes]:
        """Start the server (it must not be running) and return its process, not yet ready."""
        for setting, (host, port) in self.ports().items():
            if service_process.port_in_use(host, port):
                raise InfraError(
                    f"{self.name}: port {port} on {host} is already in use by another program; stop it "
                    f"or choose another port with SCRAPESTREAM_{setting.upper()}"
                )
        lib = resolve_classpath(self.component, self.pom, self.settings.cache_dir)
        self.prepare(lib)
        command = [
            "java",
            *service_process.service_tags(self.name, self.settings.data_dir),
            *self.jvm_args(lib),
        ]
        return service_process.spawn(command, self.log_file, cwd=self.home)

    def wait_ready(self, started: subprocess.Popen[bytes]) -> str:
        return service_process.wait_until_ready(
            self.name, started, self.probe, self.ready_timeout, self.log_file
        )

    def stop(self) -> list[int]:
        pids = self.pids()
        service_process.stop_pids(pids)
        return pids
