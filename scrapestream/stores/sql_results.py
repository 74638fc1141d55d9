"""How `scrapestream sql` prints a query result: an aligned table, CSV or JSON lines."""

from __future__ import annotations

import csv
import io
import json
from itertools import zip_longest

from scrapestream.stores.analytics import QueryResult

FORMATS = ("table", "csv", "json")


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
    """Aligned columns; a cell with line breaks (SHOW CREATE TABLE) takes several lines of its row."""
    cells = [result.columns, *([_cell(value) for value in row] for row in result.rows)]
    widths = [
        max(len(line) for row in cells for line in row[column].split("\n"))
        for column in range(len(result.columns))
    ]
    lines = [
        "  ".join(value.ljust(width) for value, width in zip(parts, widths, strict=True)).rstrip()
        for row in cells
        for parts in zip_longest(*(cell.split("\n") for cell in row), fillvalue="")
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    lines.append(f"({len(result.rows)} row{'s' if len(result.rows) != 1 else ''})")
    return "\n".join(lines) + "\n"


def _cell(value: object) -> str:
    return "NULL" if value is None else str(value)
