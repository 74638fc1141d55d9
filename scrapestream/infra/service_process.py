"""Start, find and stop the local stack's Java services as plain background processes.

Each process is tagged on its command line with `-Dscrapestream.service=<name>` and
`-Dscrapestream.home=<data dir>`, so `infra down` finds every process of ours (even one whose
pid file was lost) and never touches anyone else's.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path


class InfraError(RuntimeError):
    """A local service could not be prepared, started or reached; the message says why."""


def service_tags(name: str, data_dir: Path) -> list[str]:
    return [f"-Dscrapestream.service={name}", f"-Dscrapestream.home={data_dir.resolve()}"]


def find_pids(name: str, data_dir: Path) -> list[int]:
    """Pids of running processes carrying our tags for `name` under `data_dir`."""
    wanted = {tag.encode() for tag in service_tags(name, data_dir)}
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = set((entry / "cmdline").read_bytes().split(b"\0"))
        except OSError:  # the process ended while we looked
            continue
        if wanted <= args:
            pids.append(int(entry.name))
    return sorted(pids)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


LOWEST_FREE_PORT = 20000  # free_port picks from here up to the kernel's ephemeral range
_handed_out: set[int] = set()  # by free_port in this process, maybe not bound yet


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now, for servers started next.

    Picked below the kernel's ephemeral range: a port the OS picks (bind to port 0) comes from that
    range, where an outgoing connection (a Kafka client's, say) may take it as its local port
    before the server binds it (seen once in CI: the fan-out's query server got EADDRINUSE).
    """
    ceiling = first_ephemeral_port()
    if ceiling <= LOWEST_FREE_PORT:
        raise InfraError(f"ephemeral ports start at {ceiling}: set net.ipv4.ip_local_port_range above 20000")
    for _ in range(100):
        port = random.randrange(LOWEST_FREE_PORT, ceiling)
        if port not in _handed_out and _bindable(host, port):
            _handed_out.add(port)
            return port
    raise InfraError(f"no free port found on {host} between {LOWEST_FREE_PORT} and {ceiling}")


def first_ephemeral_port() -> int:
    """Where the kernel's local ports for outgoing connections begin (Linux's default if unknown)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    return 32768


def _bindable(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
        return True


def spawn(command: list[str], log_file: Path, cwd: Path) -> subprocess.Popen[bytes]:
    """Start `command` detached from our session, logging to `log_file` (the previous run's kept as .1)."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    cwd.mkdir(parents=True, exist_ok=True)
    if log_file.exists():
        log_file.replace(log_file.with_name(log_file.name + ".1"))
    with log_file.open("wb") as log:
        return subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=cwd,
            start_new_session=True,
        )


def wait_until_ready(
    name: str,
    process: subprocess.Popen[bytes],
    probe: Callable[[], str],
    timeout: float,
    log_file: Path,
) -> str:
    """Poll `probe` until it answers; fail early if the process dies, with the log's tail."""
    deadline = time.monotonic() + timeout
    last_error = "no answer yet"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise InfraError(
                f"{name} exited with code {process.returncode} while starting. Last log lines "
                f"({log_file}):\n{tail(log_file)}"
            )
        try:
            return probe()
        except Exception as error:  # any failure means "not ready yet"; remember it for the report
            last_error = str(error) or type(error).__name__
        time.sleep(1.0)
    raise InfraError(
        f"{name} did not become ready within {timeout:.0f}s ({last_error}). Last log lines "
        f"({log_file}):\n{tail(log_file)}"
    )


def stop_pids(pids: list[int], grace_seconds: float = 30.0) -> None:
    """SIGTERM, then SIGKILL whatever is still alive after the grace period."""
    for pid in pids:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in pids:
        if _alive(pid):
            _signal(pid, signal.SIGKILL)
    while any(_alive(pid) for pid in pids):
        time.sleep(0.1)


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _alive(pid: int) -> bool:
    try:
        # A zombie (killed but not yet reaped by its parent) is as good as gone.
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return False


def tail(path: Path, lines: int = 25) -> str:
    if not path.exists():
        return "(no log written)"
    with path.open("rb") as log:
        log.seek(0, os.SEEK_END)
        log.seek(max(0, log.tell() - 64 * 1024))
        text = log.read().decode("utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])
