"""Run the pipeline's processes side by side: `scrapestream run`, and the demo on top of it.

Every process is a `scrapestream ...` subcommand of its own (as on Kubernetes, one per pod),
logging to `<data dir>/logs/<name>.log`. `supervise()` restarts a process that exited, as a
Kubernetes Deployment would, after a backoff that doubles with each crash (RESTART_BACKOFF), and
gives up only on a crash loop: more than MAX_CRASHES crashes within CRASH_WINDOW seconds. The
consumer groups hand a dead worker's partitions to the others meanwhile, so nothing stops.
Leaving the group (Ctrl-C included) stops every process: SIGTERM, then SIGKILL after a grace.

`stop_on_signals()` makes SIGINT and SIGTERM to this process, alone, stop it and its processes:
both raise KeyboardInterrupt in the main thread, even when SIGINT was ignored on entry (a shell
starts a background job `cmd &` with SIGINT ignored, and so may a supervisor; Python then installs
no handler of its own and a SIGINT to the pid did nothing). Given a deadline, a watchdog SIGKILLs
the processes and ends this one should the orderly stop not be over by then.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scrapestream import topics
from scrapestream.config import Settings
from scrapestream.infra.service_process import InfraError, tail
from scrapestream.kafka import make_admin
from scrapestream.stores import migrate

RESTART_BACKOFF = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)  # seconds before the 1st, 2nd... restart in a row
MAX_CRASHES = 5
CRASH_WINDOW = 120.0  # seconds; a process that ran this long without crashing starts afresh
STOP_GRACE = 20.0  # seconds between SIGTERM and SIGKILL when the group stops

_live_groups: weakref.WeakSet[ProcessGroup] = weakref.WeakSet()  # for the stop watchdog


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
        stop_grace: float = STOP_GRACE,
    ):
        self.logs_dir = logs_dir
        self._env = {**os.environ, **(env or {})}
        self._members: dict[str, _Member] = {}
        self._report = report
        self._backoff = backoff
        self._max_crashes = max_crashes
        self._stop_grace = stop_grace
        self._terminated_at: float | None = None  # when terminate() sent SIGTERM
        _live_groups.add(self)

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

    def restart_stalled(self, prefix: str, reason: str) -> None:
        """SIGKILL every process whose name starts with `prefix`; `supervise()` restarts them."""
        for name in [name for name in self._members if name.startswith(prefix)]:
            self._report(f"!! {name} makes no progress ({reason}): restarting it")
            self.crash(name)

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

    def terminate(self) -> None:
        """SIGTERM every process, without waiting: they stop meanwhile (`stop` waits for them)."""
        if self._terminated_at is None:
            self._terminated_at = time.monotonic()
            for member in self._members.values():
                if member.process.poll() is None:
                    _send(member.process, signal.SIGTERM)

    def stop(self) -> None:
        """SIGTERM every process, SIGKILL those still running after the grace (named in a report)."""
        self.terminate()
        running = {name: m.process for name, m in self._members.items() if m.process.poll() is None}
        deadline = (self._terminated_at or time.monotonic()) + self._stop_grace
        while any(process.poll() is None for process in running.values()) and time.monotonic() < deadline:
            time.sleep(0.1)
        stuck = [name for name, process in running.items() if process.poll() is None]
        if stuck:
            grace = f"{self._stop_grace:.0f} s"
            self._report(f"!! still running {grace} after SIGTERM, killed: {', '.join(stuck)}")
        self.kill_all()

    def kill_now(self) -> None:
        """SIGKILL every process still running, without waiting (safe in a signal handler)."""
        for member in self._members.values():
            if member.process.returncode is None:
                _send(member.process, signal.SIGKILL)

    def kill_all(self) -> None:
        """SIGKILL every process still running and reap them all (the last resort of a stop)."""
        for member in self._members.values():
            if member.process.poll() is None:
                _send(member.process, signal.SIGKILL)
        for member in self._members.values():
            member.process.wait()

    def __enter__(self) -> ProcessGroup:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


STALL_SECONDS = 60.0
# The names start_pipeline gives its processes (in logs, restarts, faults and stall restarts).
ROUTER, FANOUT, BROWSER_SCRAPER, GATEWAY = "router", "fanout", "browser-scraper", "gateway"
SCRAPER_PREFIX = "scraper-"  # scraper-1, scraper-2, ...
# Worker kinds (as lag.lag_by_kind names them) -> how the names of their processes start.
GROUP_PROCESSES = {
    "router": ROUTER,
    "fanout": FANOUT,
    "scrapers": SCRAPER_PREFIX,
    "browser-scrapers": BROWSER_SCRAPER,
}


class StallWatch:
    """Restarts the processes of a consumer group whose lag stays above zero and unchanged for
    `patience` seconds while the broker answers. Such a worker answers every probe yet does
    nothing: a Faust consumer whose group join was cut by a broker outage never tries again."""

    def __init__(self, group: ProcessGroup, patience: float = STALL_SECONDS) -> None:
        self._group = group
        self._patience = patience
        self._since: dict[str, tuple[int, float]] = {}  # consumer group -> (lag, unchanged since)

    def reset(self) -> None:
        """Forget what was seen: nothing moves while the broker is away, and that is no stall."""
        self._since.clear()

    def observe(self, lags: dict[str, int], now: float) -> None:
        for name, lag in lags.items():
            seen = self._since.get(name)
            if lag == 0 or seen is None or seen[0] != lag:
                self._since[name] = (lag, now)
            elif now - seen[1] >= self._patience:
                self._since[name] = (lag, now)
                self._group.restart_stalled(
                    GROUP_PROCESSES.get(name, name), f"lag {lag} unchanged for {now - seen[1]:.0f} s"
                )


def prepare(settings: Settings, prefix: str = "") -> None:
    """Create missing topics and apply pending store migrations (both idempotent)."""
    topics.create_topics(make_admin(settings), topics.catalog(settings, prefix=prefix))
    if migrate.run_command(settings) != 0:
        raise InfraError("store migrations failed; see the messages above")


def start_pipeline(group: ProcessGroup, prefix: str = "", scrapers: int = 1) -> None:
    """Router, fan-out, static scrapers, one browser scraper (Chromium) and the gateway."""
    prefixed = ("--topic-prefix", prefix)
    group.start(ROUTER, "worker", "streams", *prefixed)
    group.start(FANOUT, "worker", "fanout", *prefixed)
    for number in range(1, scrapers + 1):
        group.start(f"{SCRAPER_PREFIX}{number}", "worker", "scraper", *prefixed)
    group.start(BROWSER_SCRAPER, "worker", "scraper", "--browser", *prefixed)
    group.start(GATEWAY, "gateway", *prefixed)


def run(settings: Settings) -> int:
    """`scrapestream run`: the pipeline on the configured clusters until Ctrl-C."""
    from scrapestream.demo.handoff import pipeline_handoff

    prepare(settings)
    with ProcessGroup(settings.logs_dir) as group:
        start_pipeline(group)
        print(f"pipeline running (logs in {settings.logs_dir})", file=sys.stderr)
        print(pipeline_handoff(settings, os.getpid()), file=sys.stderr, flush=True)
        try:
            while True:
                group.supervise()
                time.sleep(1)
        except KeyboardInterrupt:
            print(
                f"stopping… (SIGTERM, SIGKILL after {STOP_GRACE:.0f} s; Ctrl-C again kills at once)",
                file=sys.stderr,
                flush=True,
            )
    return 0


def _send(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signum)


_stopping = threading.Event()  # set by the first SIGINT/SIGTERM


def stop_on_signals(deadline: float | None = None) -> None:
    """Make SIGINT and SIGTERM to this process raise KeyboardInterrupt, once: a later one does not
    break off the stop the first asked for, it SIGKILLs the processes of every group at once. With
    `deadline`, should this process still be running that many seconds after the first signal, a
    watchdog SIGKILLs them and ends it (exit code 130)."""

    def interrupt(signum: int, frame: object) -> None:
        if _stopping.is_set():
            for group in list(_live_groups):
                group.kill_now()
            return
        _stopping.set()
        if deadline is not None:
            threading.Thread(target=_watchdog, args=(deadline,), name="stop-watchdog", daemon=True).start()
        raise KeyboardInterrupt

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, interrupt)


stop_on_sigterm = stop_on_signals  # the former name


def _watchdog(deadline: float) -> None:
    time.sleep(deadline)
    print(
        f"!! not stopped {deadline:.0f} s after the signal: killing everything", file=sys.stderr, flush=True
    )
    for group in list(_live_groups):
        group.kill_all()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, RuntimeError):
            stream.flush()
    os._exit(130)
