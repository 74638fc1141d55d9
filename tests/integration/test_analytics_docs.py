"""Every query of docs/analytics.md, run on a known data set in the real engine, and the read-only rules.

The queries are parsed out of the document, so doc and test cannot drift. The document names the
default database `scrapestream`; here they run on a database of their own.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from consumers.sinks.clickhouse_sink import AnalyticsWriter
from scrapestream.config import Settings
from scrapestream.stores import analytics, analytics_schema
from scrapestream.stores.analytics import QueryRefused
from tests.integration.sink_helpers import result

pytestmark = pytest.mark.integration
DOC = Path(__file__).parents[2] / "docs" / "analytics.md"
QUERY = re.compile(r"^### (?P<title>.+?)\n.*?```sql\n(?P<sql>.*?)```", re.MULTILINE | re.DOTALL)

NOW = datetime.now(UTC).replace(microsecond=0)
T0 = NOW - timedelta(hours=2)
T1 = T0 + timedelta(seconds=60)
OLD = NOW - timedelta(days=3)


def documented_queries() -> dict[str, str]:
    return {match["title"]: match["sql"] for match in QUERY.finditer(DOC.read_text())}


def ok(domain: str, product: str, at: datetime, price: int, availability: str = "IN_STOCK") -> dict[str, Any]:
    fetch_ms = 100 if domain == "a.example" else 200
    return result(product, price=price, availability=availability, domain=domain, scraped_at=at,
                  fetch_ms=fetch_ms, bytes=10_000, http_status=200)  # fmt: skip


def failed(
    domain: str, status: str, at: datetime, http_status: int | None, fetch_ms: int, size: int
) -> dict[str, Any]:
    record = result(domain=domain, scraped_at=at, status=status, http_status=http_status,
                    fetch_ms=fetch_ms, bytes=size, error=status.lower())  # fmt: skip
    record["product"] = None
    return record


DATA_SET = [
    ok("a.example", "P1", OLD, 1000),
    ok("a.example", "P5", OLD, 700),
    ok("a.example", "P1", T0, 900),
    ok("a.example", "P2", T0, 500),
    failed("a.example", "NOT_FOUND", T0, 404, 50, 1000),
    ok("b.example", "P3", T0, 2000),
    ok("b.example", "P4", T0, 300),
    ok("a.example", "P1", T1, 800),
    ok("a.example", "P2", T1, 600),
    ok("b.example", "P3", T1, 1000, "OUT_OF_STOCK"),
    ok("b.example", "P4", T1, 300),
    failed("b.example", "ERROR", T1, 500, 400, 2000),
    failed("b.example", "TIMEOUT", T1, None, 1000, 0),
]


def text(moment: datetime, millis: bool = True) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") + (".000" if millis else "")


def minute(moment: datetime) -> str:
    return text(moment.replace(second=0), millis=False)


EXPECTED: dict[str, list[list[Any]]] = {
    "1. Price drops in the last 24 hours by domain": [["a.example", 2, 10.6], ["b.example", 1, 50.0]],
    "2. Biggest movers of the last 24 hours": [
        ["b.example:P3", "b.example", 2000, 1000, -50.0],
        ["a.example:P2", "a.example", 500, 600, 20.0],
        ["a.example:P1", "a.example", 900, 800, -11.1],
    ],
    "3. Out-of-stock rate per domain": [["a.example", 3, 0, 0.0], ["b.example", 2, 1, 0.5]],
    "4. Success rate and p95 fetch latency per domain, last 24 hours": [
        ["a.example", 5, 0.8, 100],
        ["b.example", 6, 0.667, 1000],
    ],
    "5. Domain health per minute": [
        ["a.example", minute(T0), 3, 2, 0.667],
        ["a.example", minute(T1), 2, 2, 1.0],
        ["b.example", minute(T0), 2, 2, 1.0],
        ["b.example", minute(T1), 4, 2, 0.5],
    ],
    "6. Throughput per minute": [[minute(T0), 5, 4, 41_000], [minute(T1), 6, 4, 42_000]],
    "7. Catalogue freshness per domain": [["a.example", 3, 1, 72], ["b.example", 2, 0, 2]],
    "8. Failures by domain and status, last 24 hours": [
        ["a.example", "NOT_FOUND", 1],
        ["b.example", "ERROR", 1],
        ["b.example", "TIMEOUT", 1],
    ],
    "9. Price history of one product": [
        [text(T0), 2000, "EUR", "IN_STOCK"],
        [text(T1), 1000, "EUR", "OUT_OF_STOCK"],
    ],
    "10. Average current price per domain and currency": [
        ["a.example", "EUR", 3, 7.0],
        ["b.example", "EUR", 2, 6.5],
    ],
    "11. Download volume and mean fetch time per domain, last 24 hours": [
        ["a.example", 5, 41_000, 90],
        ["b.example", 6, 42_000, 367],
    ],
    "12. Products that went out of stock in the last 24 hours": [["b.example:P3", "b.example", text(T1)]],
}


@pytest.fixture(scope="module")
def loaded(stack: Settings) -> Iterator[Settings]:
    """A database of its own holding DATA_SET, written through the real ClickHouse sink."""
    settings = dataclasses.replace(stack, clickhouse_database=f"test_docs_{uuid.uuid4().hex[:8]}")

    async def load() -> None:
        store = analytics.open_store(settings)
        try:
            await analytics_schema.apply(store)
            writer = AnalyticsWriter(store)
            await writer.commit(await writer.prepare(DATA_SET))
        finally:
            await store.close()

    asyncio.run(load())
    yield settings


def run_query(settings: Settings, sql: str) -> list[list[Any]]:
    async def ask() -> list[list[Any]]:
        store = analytics.open_store(settings)
        try:
            return (await store.query(sql)).rows
        finally:
            await store.close()

    return asyncio.run(ask())


def test_the_document_has_at_least_ten_queries_and_each_has_expected_results() -> None:
    queries = documented_queries()
    assert len(queries) >= 10
    assert set(queries) == set(EXPECTED)


@pytest.mark.parametrize("title", sorted(EXPECTED))
def test_documented_query_answers_the_known_data_set(loaded: Settings, title: str) -> None:
    sql = documented_queries()[title].replace("scrapestream.", f"{loaded.clickhouse_database}.")
    assert run_query(loaded, sql) == EXPECTED[title]


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("INSERT INTO {db}.product_prices (product_id) VALUES ('x')", "INSERT is refused"),
        ("DROP TABLE {db}.product_prices", "DROP is refused"),
        ("SELECT count() FROM {db}.product_prices SETTINGS readonly=0", "SETTINGS readonly"),
        ("SELECT 1; DROP TABLE {db}.product_prices", "multiple statements"),
        ("SELECT * FROM {db}.product_prices INTO OUTFILE '/tmp/out.csv'", "INTO OUTFILE"),
    ],
)
def test_writes_ddl_settings_and_several_statements_are_refused(
    loaded: Settings, sql: str, reason: str
) -> None:
    db = loaded.clickhouse_database
    with pytest.raises(QueryRefused, match=reason):
        run_query(loaded, sql.format(db=db))
    assert run_query(loaded, f"SELECT count() FROM {db}.product_prices FINAL") == [[10]]


def test_result_size_is_limited(loaded: Settings) -> None:
    limited = dataclasses.replace(loaded, analytics_max_result_rows=5)
    with pytest.raises(analytics.AnalyticsQueryError, match="Limit for result exceeded"):
        run_query(limited, "SELECT number FROM numbers(100)")
