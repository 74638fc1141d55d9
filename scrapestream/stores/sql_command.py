"""`scrapestream sql ["SELECT ..."]`: read-only queries against the analytics database.

With a query it runs that one query and prints the result; without one it opens an interactive
prompt (scrapestream/stores/sql_prompt.py). Queries run in the analytics database, so tables
need no `scrapestream.` in front.

Where a query goes (`cli_reader`): with a ClickHouse server URL, to the server. With the embedded
engine, to the fan-out worker that owns the store (it answers on 127.0.0.1:analytics_port); when
nobody answers there (no fan-out worker running), the command opens the store itself for that one
query and closes it again, so a fan-out worker started meanwhile can claim it. Either way only
read-only statements are run (`check_read_only`, and readonly=1 in the engine).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from scrapestream.config import Settings
from scrapestream.stores.analytics import (
    AnalyticsQueryError,
    AnalyticsReader,
    OwnerAbsent,
    QueryResult,
    check_read_only,
    open_reader,
    open_store,
)
from scrapestream.stores.errors import StoreUnavailable
from scrapestream.stores.sql_results import FORMATS, render


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "query",
        nargs="?",
        help="one read-only statement: SELECT, WITH ... SELECT, SHOW TABLES, DESCRIBE <table>, EXPLAIN ... "
        "(without it: an interactive prompt; \\q or Ctrl-D leaves it)",
    )
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default table)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.query is None:
        from scrapestream.stores.sql_prompt import run_prompt

        return run_prompt(cli_reader(settings), settings, args.format)
    try:
        result = asyncio.run(_query(settings, args.query))
    except AnalyticsQueryError as error:
        print(f"scrapestream sql: {error}", file=sys.stderr)
        return 2
    except StoreUnavailable as error:
        print(f"scrapestream sql: {error}", file=sys.stderr)
        return 1
    print(render(result, args.format), end="")
    return 0


async def _query(settings: Settings, sql: str) -> QueryResult:
    reader = cli_reader(settings)
    try:
        return await reader.query(sql)
    finally:
        await reader.close()


def cli_reader(settings: Settings) -> AnalyticsReader:
    """The reader of `scrapestream sql`: `open_reader`, except that with the embedded engine and no
    owner answering, each query opens the store itself (see the module docstring)."""
    reader = open_reader(settings)
    return OwnerOrLocalReader(reader, settings) if settings.clickhouse_embedded else reader


class OwnerOrLocalReader:
    """Asks the owner of the embedded store; when nobody answers on its port, opens the store for
    the one query (a data directory can be open in one process only, so it is closed right after)."""

    def __init__(self, owner: AnalyticsReader, settings: Settings) -> None:
        self._owner = owner
        self._settings = settings

    async def query(self, sql: str, parameters: dict[str, Any] | None = None) -> QueryResult:
        check_read_only(sql)
        try:
            return await self._owner.query(sql, parameters)
        except OwnerAbsent:
            pass
        try:
            store = open_store(self._settings)
        except Exception as error:  # chdb: "Cannot lock file": a fan-out worker is starting
            raise StoreUnavailable(
                "clickhouse",
                f"no fan-out worker answers on 127.0.0.1:{self._settings.analytics_port} and "
                f"{self._settings.clickhouse_path} cannot be opened here: {error}",
            ) from error
        try:
            return await store.query(sql, parameters)
        finally:
            await store.close()

    async def close(self) -> None:
        await self._owner.close()
