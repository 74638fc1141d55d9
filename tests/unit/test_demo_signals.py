"""SIGINT or SIGTERM to the pid of `scrapestream run`/`demo` alone stops it and its supervisor.

No assertion bounds how long anything takes; PATIENCE only ends a hang.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

PATIENCE = 60.0


def run_program(tmp_path, *args: str) -> subprocess.Popen[str]:
    script = tmp_path / "stand_in.py"
    script.write_text(STAND_IN)
    return subprocess.Popen(
        [sys.executable, str(script), *args, str(tmp_path / "logs")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


# A stand-in for `scrapestream demo`: a ProcessGroup holding a child that ignores SIGTERM (only the
# stop's SIGKILL after the grace ends it), stopped by a signal. A long grace makes a stop that hangs.
STAND_IN = """
import os, signal, subprocess, sys, time
from pathlib import Path
from scrapestream import supervisor

ignored, deadline, grace, logs = sys.argv[1] == "1", float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
if ignored:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a shell starts `cmd &`
supervisor.stop_on_signals(deadline=deadline or None)
try:
    report = lambda line: print(line, flush=True)
    with supervisor.ProcessGroup(Path(logs), stop_grace=grace, report=report) as group:
        sleeper = subprocess.Popen(
            [sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
             "print('sleeping', flush=True); time.sleep(600)"], stdout=subprocess.PIPE, text=True)
        sleeper.stdout.readline()  # its SIGTERM is ignored from here on
        group._members["sleeper"] = supervisor._Member(("sleeper",), sleeper)
        print("child", sleeper.pid, flush=True)
        while True:
            time.sleep(0.1)
except KeyboardInterrupt:
    print("stopped", flush=True)
    sys.exit(130)
"""


def child_of(program: subprocess.Popen[str]) -> int:
    for line in program.stdout:  # type: ignore[union-attr]
        if line.startswith("child "):
            return int(line.split()[1])
    raise AssertionError("the stand-in never started its child")


def gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("ignored_on_entry", [True, False])
def test_a_signal_to_the_pid_stops_it_and_kills_a_child_that_ignores_sigterm(
    tmp_path, signum: int, ignored_on_entry: bool
) -> None:
    program = run_program(tmp_path, "1" if ignored_on_entry else "0", "0", "0.5")
    child = child_of(program)
    program.send_signal(signum)
    output = program.communicate(timeout=PATIENCE)[0]
    assert program.returncode == 130, output
    assert "still running 0 s after SIGTERM, killed: sleeper" in output
    assert "stopped" in output
    deadline = time.monotonic() + PATIENCE
    while not gone(child):
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_a_stop_that_hangs_is_ended_by_the_watchdog_at_the_deadline(tmp_path) -> None:
    program = run_program(tmp_path, "1", "1.0", "600")  # a grace of 600 s: the stop hangs
    child = child_of(program)
    program.send_signal(signal.SIGINT)
    output = program.communicate(timeout=PATIENCE)[0]
    assert program.returncode == 130, output
    assert "not stopped 1 s after the signal: killing everything" in output
    assert "stopped\n" not in output  # the watchdog ended it, not the orderly stop
    assert gone(child)


def test_a_second_signal_kills_the_processes_at_once_instead_of_waiting_out_the_grace(tmp_path) -> None:
    program = run_program(tmp_path, "0", "0", "600")  # no deadline, a grace of 600 s
    child = child_of(program)
    program.send_signal(signal.SIGINT)
    time.sleep(1.0)
    assert program.poll() is None  # waiting out the grace
    program.send_signal(signal.SIGINT)
    output = program.communicate(timeout=PATIENCE)[0]
    assert program.returncode == 130, output
    assert "stopped" in output
    assert gone(child)
