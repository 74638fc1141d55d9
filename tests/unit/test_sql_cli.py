"""`scrapestream sql` as a user runs it, on an embedded store of its own with no fan-out worker running:
the command opens the store itself, runs in the analytics database, and refuses writes.

Needs no running service: the embedded engine (chdb) is a library. Each command is a process of
its own, as an embedded data directory can be open in one process at a time.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from scrapestream.infra.service_process import free_port

CREATE_SCHEMA = """
import asyncio, dataclasses
from scrapestream.config import load_settings
from scrapestream.stores import analytics, analytics_schema

async def main():
    store = analytics.open_store(load_settings())
    await analytics_schema.apply(store)
    await store.close()

asyncio.run(main())
"""


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment of a scrapestream process on a migrated embedded store that nobody owns."""
    home = tmp_path_factory.mktemp("sql-cli")
    env = {
        **os.environ,
        "SCRAPESTREAM_DATA_DIR": str(home / "data"),
        "SCRAPESTREAM_CLICKHOUSE_URL": f"chdb://{home / 'clickhouse'}",
        "SCRAPESTREAM_ANALYTICS_PORT": str(free_port()),  # nobody answers there
    }
    subprocess.run([sys.executable, "-c", CREATE_SCHEMA], env=env, check=True, timeout=120)
    return env


def sql(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scrapestream.cli", "sql", *args],
        env=env, input=stdin, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_a_query_without_the_database_name_runs_on_the_store_itself(environment: dict[str, str]) -> None:
    answer = sql(environment, "SELECT count() AS n FROM scrape_events FINAL", "--format", "csv")
    assert (answer.returncode, answer.stdout, answer.stderr) == (0, "n\n0\n", "")
    tables = sql(environment, "SHOW TABLES", "--format", "csv").stdout.splitlines()
    assert {"scrape_events", "product_prices", "price_changes"} <= set(tables)
    described = sql(environment, "DESCRIBE product_prices", "--format", "csv")
    assert "price_minor,Int64" in described.stdout
    assert "Output: product_id, domain" in sql(environment, "EXPLAIN SELECT * FROM product_prices").stdout


def test_writes_are_refused_with_exit_code_2(environment: dict[str, str]) -> None:
    for statement in ("DROP TABLE scrape_events", "SHOW TABLES; DROP TABLE scrape_events"):
        answer = sql(environment, statement)
        assert answer.returncode == 2 and "refused" in answer.stderr
    assert sql(environment, "EXISTS TABLE scrape_events", "--format", "csv").returncode == 2
    assert sql(environment, "SELECT count() FROM scrape_events").returncode == 0  # still there


def test_the_prompt_runs_statements_until_quit_and_keeps_history(environment: dict[str, str]) -> None:
    session = "SELECT\n  count() AS n\nFROM product_prices;\nSELECT FROM WHERE;\n"
    session += "\\format csv\nSELECT 2 AS two;\n\\q\n"
    answer = sql(environment, stdin=session)
    assert answer.returncode == 0, answer.stderr
    assert "(1 row)" in answer.stdout and "two\n2\n" in answer.stdout  # the error did not end it
    assert answer.stderr.startswith("error: ") and answer.stderr.count("\n") == 1  # one error line
    assert "Syntax error" in answer.stderr
    history = Path(environment["SCRAPESTREAM_DATA_DIR"]) / "sql_history"
    assert history.read_text().splitlines()[-3:] == [
        "SELECT count() AS n FROM product_prices;",
        "SELECT FROM WHERE;",
        "SELECT 2 AS two;",
    ]
