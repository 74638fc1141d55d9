"""Run the pipeline's processes side by side: `scrapestream run`, and the demo on top of it.

Every process is a `scrapestream ...` subcommand of its own (as on Kubernetes, one per pod),
logging to `<data dir>/logs/<name>.log`. If one dies the group says which and shows its log's
tail; leaving the group (Ctrl-C included) stops every process: SIGTERM, then SIGKILL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from scrapestream import topics
from scrapestream.config import Settings
from scrapestream.infra.process import InfraError, stop_pids, tail
from scrapestream.kafka import make_admin
from scrapestream.stores import migrate


class ProcessGroup:
    def __init__(self, logs_dir: Path, env: dict[str, str] | None = None):
        self.logs_dir = logs_dir
        self._env = {**os.environ, **(env or {})}
        self._processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *command: str) -> None:
        """Start `scrapestream <command...>` as process `name`."""
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        with (self.logs_dir / f"{name}.log").open("wb") as log:
            self._processes[name] = subprocess.Popen(
                [sys.executable, "-m", "scrapestream.cli", *command],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=self._env,
            )  # fmt: skip

    def pids(self) -> dict[str, int]:
        return {name: process.pid for name, process in self._processes.items()}

    def check(self) -> None:
        """Raise InfraError naming the first process that exited, with the tail of its log."""
        for name, process in self._processes.items():
            if process.poll() is not None:
                log = self.logs_dir / f"{name}.log"
                raise InfraError(
                    f"{name} exited with code {process.returncode}; last lines of {log}:\n{tail(log)}"
                )

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Send `sig` to process `name` (SIGKILL: a crash; SIGTERM: a clean leave), wait for it to end
        and drop it from the group, so `check` does not report it. A replacement may take any name."""
        process = self._processes.pop(name)
        process.send_signal(sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def stop(self) -> None:
        running = [process.pid for process in self._processes.values() if process.poll() is None]
        stop_pids(running, grace_seconds=20)
        for process in self._processes.values():
            process.wait()

    def __enter__(self) -> ProcessGroup:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def prepare(settings: Settings, prefix: str = "") -> None:
    """Create missing topics and apply pending store migrations (both idempotent)."""
    topics.create_topics(make_admin(settings), topics.catalog(settings, prefix=prefix))
    if migrate.run_command(settings) != 0:
        raise InfraError("store migrations failed; see the messages above")


def start_pipeline(group: ProcessGroup, prefix: str = "", scrapers: int = 1) -> None:
    """Router, fan-out, static scrapers, one browser scraper (Chromium) and the gateway."""
    prefixed = ("--topic-prefix", prefix)
    group.start("router", "worker", "streams", *prefixed)
    group.start("fanout", "worker", "fanout", *prefixed)
    for number in range(1, scrapers + 1):
        group.start(f"scraper-{number}", "worker", "scraper", *prefixed)
    group.start("browser-scraper", "worker", "scraper", "--browser", *prefixed)
    group.start("gateway", "gateway", *prefixed)


def run(settings: Settings) -> int:
    """`scrapestream run`: the pipeline on the configured clusters until Ctrl-C."""
    prepare(settings)
    with ProcessGroup(settings.logs_dir) as group:
        start_pipeline(group)
        print(f"pipeline running (logs in {settings.logs_dir}); Ctrl-C stops it", file=sys.stderr)
        try:
            while True:
                group.check()
                time.sleep(1)
        except KeyboardInterrupt:
            print("stopping…", file=sys.stderr)
    return 0


def stop_on_sigterm() -> None:
    """Make SIGTERM behave like Ctrl-C, so `run` and `demo` stop their processes either way."""
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
