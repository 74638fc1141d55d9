"""Run the pipeline's processes side by side: `scrapestream run`, and the demo on top of it.

Every process is a `scrapestream ...` subcommand of its own (as on Kubernetes, one per pod),
logging to `<data dir>/logs/<name>.log`. `supervise()` restarts a process that exited, as a
Kubernetes Deployment would, after a backoff that doubles with each crash (RESTART_BACKOFF), and
gives up only on a crash loop: more than MAX_CRASHES crashes within CRASH_WINDOW seconds. The
consumer groups hand a dead worker's partitions to the others meanwhile, so nothing stops.
Leaving the group (Ctrl-C included) stops every process: SIGTERM, then SIGKILL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scrapestream import topics
from scrapestream.config import Settings
from scrapestream.infra.process import InfraError, stop_pids, tail
from scrapestream.kafka import make_admin
from scrapestream.stores import migrate

RESTART_BACKOFF = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)  # seconds before the 1st, 2nd... restart in a row
MAX_CRASHES = 5
CRASH_WINDOW = 120.0  # seconds; a process that ran this long without crashing starts afresh


@dataclass
class _Member:
    command: tuple[str, ...]
    process: subprocess.Popen[bytes]
    crashes: list[float] = field(default_factory=list)  # monotonic times of recent crashes
    restarts: int = 0
    restart_at: float | None = None  # set while a crashed process waits out its backoff


class ProcessGroup:
    def __init__(
        self,
        logs_dir: Path,
        env: dict[str, str] | None = None,
        report: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True),
        backoff: Sequence[float] = RESTART_BACKOFF,
        max_crashes: int = MAX_CRASHES,
    ):
        self.logs_dir = logs_dir
        self._env = {**os.environ, **(env or {})}
        self._members: dict[str, _Member] = {}
        self._report = report
        self._backoff = backoff
        self._max_crashes = max_crashes

    def start(self, name: str, *command: str) -> None:
        """Start `scrapestream <command...>` as process `name`."""
        self._members[name] = _Member(command, self._spawn(name, command, "wb"))

    def _spawn(self, name: str, command: tuple[str, ...], mode: str) -> subprocess.Popen[bytes]:
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        with self.log(name).open(mode) as log:  # a restart appends: the crash stays readable
            return subprocess.Popen(
                [sys.executable, "-m", "scrapestream.cli", *command],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=self._env,
            )  # fmt: skip

    def log(self, name: str) -> Path:
        return self.logs_dir / f"{name}.log"

    def pids(self) -> dict[str, int]:
        return {name: member.process.pid for name, member in self._members.items()}

    @property
    def restarts(self) -> dict[str, int]:
        """Restarts so far, by process name (those restarted at least once)."""
        return {name: member.restarts for name, member in self._members.items() if member.restarts}

    def check(self) -> None:
        """Raise InfraError naming the first process that exited, with the tail of its log."""
        for name, member in self._members.items():
            if member.process.poll() is not None:
                raise InfraError(self._exit_text(name, member))

    def supervise(self) -> None:
        """Restart each process that exited once its backoff is over; raise InfraError, with the
        reason, for a process in a crash loop. Call it every second or so."""
        now = time.monotonic()
        for name, member in self._members.items():
            if member.restart_at is not None:
                if now >= member.restart_at:
                    self._restart(name, member)
            elif member.process.poll() is not None:
                self._crashed(name, member, now)

    def _crashed(self, name: str, member: _Member, now: float) -> None:
        member.crashes = [at for at in member.crashes if now - at < CRASH_WINDOW] + [now]
        if len(member.crashes) > self._max_crashes:
            raise InfraError(
                f"{name} crashed {len(member.crashes)} times within {CRASH_WINDOW:.0f} s: a crash loop, "
                f"not restarting it again. {self._exit_text(name, member)}"
            )
        delay = self._backoff[min(len(member.crashes), len(self._backoff)) - 1]
        member.restart_at = now + delay
        self._report(
            f"!! {name} exited with code {member.process.returncode}; restarting it in {delay:.0f} s "
            f"(crash {len(member.crashes)}, at most {self._max_crashes} in {CRASH_WINDOW:.0f} s)"
        )

    def _restart(self, name: str, member: _Member) -> None:
        member.process = self._spawn(name, member.command, "ab")
        member.restarts += 1
        member.restart_at = None
        self._report(f"!! {name} restarted (pid {member.process.pid}, restart {member.restarts})")

    def _exit_text(self, name: str, member: _Member) -> str:
        log = self.log(name)
        return f"{name} exited with code {member.process.returncode}; last lines of {log}:\n{tail(log)}"

    def crash(self, name: str) -> None:
        """SIGKILL process `name` and leave it to `supervise()`, as a crash would."""
        self._members[name].process.send_signal(signal.SIGKILL)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Send `sig` to process `name` (SIGKILL: a crash; SIGTERM: a clean leave), wait for it to end
        and drop it from the group, so neither `check` nor `supervise` sees it. A replacement may
        take any name."""
        process = self._members.pop(name).process
        process.send_signal(sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def stop(self) -> None:
        processes = [member.process for member in self._members.values()]
        stop_pids([process.pid for process in processes if process.poll() is None], grace_seconds=20)
        for process in processes:
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
                group.supervise()
                time.sleep(1)
        except KeyboardInterrupt:
            print("stopping…", file=sys.stderr)
    return 0


def stop_on_sigterm() -> None:
    """Make SIGTERM behave like Ctrl-C, so `run` and `demo` stop their processes either way."""
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
