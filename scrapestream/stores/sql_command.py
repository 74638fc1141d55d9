"""`scrapestream sql "SELECT ..."`: one read-only query against the analytics database.

It goes through `open_reader`, so it works while the pipeline runs: with embedded ClickHouse the
query is answered by the fan-out worker that owns the store, with a server URL directly.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import sys

from scrapestream.config import Settings
from scrapestream.stores.analytics import AnalyticsQueryError, QueryResult, open_reader
from scrapestream.stores.errors import StoreUnavailable

FORMATS = ("table", "csv", "json")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", help="one SELECT (or WITH ... SELECT) statement")
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default table)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        result = asyncio.run(_query(settings, args.query))
    except AnalyticsQueryError as error:
        print(f"scrapestream sql: {error}", file=sys.stderr)
        return 2
    except StoreUnavailable as error:
        hint = " (is `scrapestream worker fanout` running?)" if settings.clickhouse_embedded else ""
        print(f"scrapestream sql: {error}{hint}", file=sys.stderr)
        return 1
    print(render(result, args.format), end="")
    return 0


async def _query(settings: Settings, sql: str) -> QueryResult:
    reader = open_reader(settings)
    try:
        return await reader.query(sql)
    finally:
        await reader.close()


def render(result: QueryResult, fmt: str) -> str:
    """The result as an aligned text table, CSV with a header row, or JSON lines (one object per row)."""
    if fmt == "json":
        return "".join(json.dumps(row) + "\n" for row in result.dicts())
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows(result.rows)
        return out.getvalue()
    return _table(result)


def _table(result: QueryResult) -> str:
    cells = [result.columns, *([_cell(value) for value in row] for row in result.rows)]
    widths = [max(len(row[column]) for row in cells) for column in range(len(result.columns))]
    lines = [
        "  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip()
        for row in cells
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    lines.append(f"({len(result.rows)} row{'s' if len(result.rows) != 1 else ''})")
    return "\n".join(lines) + "\n"


def _cell(value: object) -> str:
    return "NULL" if value is None else str(value)
