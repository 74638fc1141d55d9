"""A short run of `scrapestream demo`: the whole pipeline as separate processes, accounted for."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import pytest

from scrapestream.config import Settings
from scrapestream.demo.main import delete_topics
from scrapestream.infra.service_process import free_port

pytestmark = pytest.mark.integration


def summary_rows(table: str) -> dict[str, str]:
    """The demo's summary (its only output on stdout): "name  value" rows between rules."""
    return {
        match.group(1): match.group(2) for match in re.finditer(r"^(\w.*?)\s{2,}(.+)$", table, re.MULTILINE)
    }


def test_a_short_demo_accounts_for_every_request_and_fills_every_sink(stack: Settings) -> None:
    env = {**os.environ, "SCRAPESTREAM_CLICKHOUSE_URL": stack.clickhouse_url}
    demo = subprocess.run(
        [sys.executable, "-m", "scrapestream.cli", "demo", "--products", "20", "--duration", "90"],
        capture_output=True, text=True, env=env, timeout=240,
    )  # fmt: skip
    assert demo.returncode == 0, demo.stdout + demo.stderr[-4000:]
    rows = summary_rows(demo.stdout)
    assert rows["zero-loss check"].startswith("PASSED"), rows
    results = dict(re.findall(r"(\w+) (\d+)", rows["results by status"]))
    total_results = sum(map(int, results.values()))
    assert int(results["OK"]) >= 120  # 20 products in each of 3 shops, scraped twice
    assert int(rows["rows in ClickHouse scrape_events (this run)"]) == total_results
    assert int(rows["messages in scrape.results"]) >= total_results
    assert int(rows["products in Cassandra (demo shops)"]) >= 60  # the keyspace outlives demo runs
    assert int(rows["product updates"]) > 0  # the second pass runs after the shop moved its prices
    assert int(rows["requests rejected (bad URLs)"]) == 5
    assert int(rows["duplicates dropped by the router"]) > 0
    lags = dict(re.findall(r"(\w+) (\d+)", rows["consumer lag at the end"]))
    assert lags["scrapers"] == "0", rows  # every finished task's offset was committed


def process_tree(pid: int) -> list[int]:
    """`pid`'s descendants (children, grandchildren: Chromium under the browser scraper...)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError, ValueError, IndexError):
            children.setdefault(int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]), []).append(
                int(entry.name)
            )
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_sigint_to_the_demo_alone_stops_it_and_every_process_it_started(stack: Settings) -> None:
    """SIGINT to the demo's pid, not its process group (as a supervisor sends it), once it handed
    over with --keep-running. The demo starts with SIGINT ignored, as a shell starts `cmd &`: Python
    then installs no handler of its own, and before the demo installed one a SIGINT did nothing."""
    env = {
        **os.environ,
        "SCRAPESTREAM_CLICKHOUSE_URL": stack.clickhouse_url,
        "SCRAPESTREAM_ANALYTICS_PORT": str(free_port()),
    }
    command = [sys.executable, "-c", IGNORING_SIGINT, "-m", "scrapestream.cli", "demo", "--keep-running",
               "--products", "5"]  # fmt: skip
    demo = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True
    )
    stderr: list[str] = []
    try:
        handed_over = threading.Event()
        threading.Thread(target=read_lines, args=(demo.stderr, stderr, handed_over), daemon=True).start()
        assert handed_over.wait(HAND_OVER_PATIENCE), "".join(stderr[-40:])
        tree = process_tree(demo.pid)
        # the shop, router, fan-out, 2 scrapers, the browser scraper (and Chromium's), the gateway
        assert len(tree) >= 8, tree
        signalled = time.monotonic()
        os.kill(demo.pid, signal.SIGINT)
        demo.wait(timeout=STOP_PATIENCE)
        while any(running(pid) for pid in tree) and time.monotonic() - signalled < STOP_PATIENCE:
            time.sleep(0.05)
        seconds = time.monotonic() - signalled
        assert not [pid for pid in tree if running(pid)], "".join(stderr[-20:])
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()
        prefix = re.search(r"topics    (demo\.\S+\.)\*", "".join(stderr))
        if prefix:  # --keep-running leaves its topics for a look afterwards
            delete_topics(stack, prefix.group(1))
    assert demo.returncode == 130, "".join(stderr[-20:])
    print(f"stopped {len(tree)} processes {seconds:.1f} s after SIGINT to the demo")  # goal: < 10 s
    text = "".join(stderr)
    for address in ("/console", "/v1/updates", "API key   ", "scrapestream publish --topic demo.", "sql "):
        assert address in text, text[-3000:]


# Runs the rest of its command line in this process (same pid) with SIGINT ignored, as `cmd &` does.
IGNORING_SIGINT = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
    "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"
)
HAND_OVER_PATIENCE = 300.0  # s: only a hang ends the test so
STOP_PATIENCE = 30.0  # s: the bound of correctness (every process gone); the goal is < 10 s


def read_lines(stream: IO[str], lines: list[str], handed_over: threading.Event) -> None:
    for line in stream:
        lines.append(line)
        if "pipeline keeps running" in line:
            handed_over.set()
