"""A short run of `scrapestream demo`: the whole pipeline as separate processes, accounted for."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from scrapestream.config import Settings

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
