"""The ClickHouse analytics store (real engine: embedded chdb here), its sink, views and transports,
and the whole store side of the fan-out writing both stores twice."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import os
import statistics
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest

from consumers.sinks.clickhouse_sink import EVENT_COLUMNS, event_row
from consumers.sinks.result_stores import open_fanout
from scrapestream.config import Settings
from scrapestream.infra.service_process import free_port
from scrapestream.stores import analytics, analytics_schema
from scrapestream.stores.analytics import AnalyticsQueryError, AnalyticsServer, DirectAnalyticsStore
from scrapestream.stores.products import ProductStore
from tests.integration.sink_helpers import result, scratch_keyspace

pytestmark = pytest.mark.integration


@pytest.fixture
def analytics_settings(stack: Settings) -> Iterator[Settings]:
    """Settings naming a fresh analytics database in the test session's store, with the schema applied."""
    settings = dataclasses.replace(stack, clickhouse_database=f"test_{uuid.uuid4().hex[:8]}")

    async def create() -> None:
        store = analytics.open_store(settings)
        await analytics_schema.apply(store)
        await store.close()

    asyncio.run(create())
    yield settings


def query(settings: Settings, sql: str) -> list[list]:
    async def run() -> list[list]:
        store = analytics.open_store(settings)
        try:
            return (await store.query(sql)).rows
        finally:
            await store.close()

    return asyncio.run(run())


def insert_events(settings: Settings, batches: list[tuple[list[dict], str]]) -> None:
    async def run() -> None:
        store = analytics.open_store(settings)
        for results, token in batches:
            await store.insert("scrape_events", EVENT_COLUMNS, [event_row(r) for r in results], token)
        await store.close()

    asyncio.run(run())


def test_a_batch_inserted_twice_with_its_token_is_counted_once_in_table_and_view(
    analytics_settings: Settings,
) -> None:
    db = analytics_settings.clickhouse_database
    batch = [result(product=f"P{n}", second=n) for n in range(50)]
    insert_events(analytics_settings, [(batch, "batch-1"), (batch, "batch-1")])
    assert query(analytics_settings, f"SELECT count() FROM {db}.scrape_events") == [[50]]
    assert query(analytics_settings, f"SELECT sum(results) FROM {db}.throughput_per_minute") == [[50]]

    insert_events(analytics_settings, [(batch, "batch-1-cut-differently")])
    assert query(analytics_settings, f"SELECT count() FROM {db}.scrape_events") == [[100]]
    assert query(analytics_settings, f"SELECT count() FROM {db}.scrape_events FINAL") == [[50]]


def test_views_give_the_right_numbers_on_a_known_data_set(analytics_settings: Settings) -> None:
    db = analytics_settings.clickhouse_database
    results = []
    for n in range(90):  # two shops, two minutes, every fifth result a timeout without HTTP answer
        timeout = n % 5 == 0
        results.append(
            result(
                product=f"P{n % 3}",
                second=n * 1.3,
                price=1000 + 100 * (n // 30),  # each product's price steps up twice
                domain=("a.example", "b.example")[n % 2],
                fetch_ms=10 * (n + 1),
                bytes=1000 + n,
                status="TIMEOUT" if timeout else "OK",
                http_status=None if timeout else 200,
            )
        )
    insert_events(analytics_settings, [(results, "known")])
    asyncio.run(_store_prices(analytics_settings, results))

    def minute(r):
        return r["scraped_at"].replace(second=0, microsecond=0)

    expected_health = []
    for key in sorted({(r["domain"], minute(r)) for r in results}):
        group = [r for r in results if (r["domain"], minute(r)) == key]
        answered = [r["fetch_ms"] for r in group if r["http_status"] is not None]
        ok = sum(r["status"] == "OK" for r in group)
        p50, p95 = statistics.median(answered), statistics.quantiles(answered, n=20, method="inclusive")[18]
        expected_health.append([key[0], len(group), ok, ok / len(group), p50, p95])
    health = query(
        analytics_settings,
        f"SELECT domain, results, ok, success_rate, fetch_ms_p50, fetch_ms_p95 "
        f"FROM {db}.domain_health_per_minute ORDER BY domain, minute",
    )
    assert [row[:4] for row in health] == [row[:4] for row in expected_health]
    assert [row[4:] for row in health] == [pytest.approx(row[4:]) for row in expected_health]

    expected_throughput = [
        [sum(minute(r) == m for r in results), sum(r["bytes"] for r in results if minute(r) == m)]
        for m in sorted({minute(r) for r in results})
    ]
    throughput = query(
        analytics_settings, f"SELECT results, bytes FROM {db}.throughput_per_minute ORDER BY minute"
    )
    assert throughput == expected_throughput

    expected_changes = []
    for product_id in sorted({r["product"]["product_id"] for r in results}):
        prices = [
            r["product"]["price"]["amount_minor"] for r in results if r["product"]["product_id"] == product_id
        ]
        expected_changes += [[product_id, old, new] for old, new in itertools.pairwise(prices) if old != new]
    changes = query(
        analytics_settings,
        f"SELECT product_id, old_price_minor, new_price_minor FROM {db}.price_changes "
        "ORDER BY product_id, changed_at",
    )
    assert len(expected_changes) >= 6 and changes == expected_changes


async def _store_prices(settings: Settings, results: list[dict]) -> None:
    from consumers.sinks.clickhouse_sink import PRICE_COLUMNS, price_row

    store = analytics.open_store(settings)
    await store.insert("product_prices", PRICE_COLUMNS, [price_row(r) for r in results], "prices")
    await store.close()


def test_fanout_twice_leaves_identical_cassandra_state_and_clickhouse_counts(
    stack: Settings, analytics_settings: Settings
) -> None:
    db = analytics_settings.clickhouse_database
    results = [result(product=f"P{n % 40}", second=n, price=1000 + n) for n in range(200)]
    failed = result(second=500, status="BLOCKED", http_status=403, product=None)

    async def scenario(settings: Settings, session):
        store = analytics.open_store(settings)
        fanout = await open_fanout(settings, session, store)
        first = await fanout.apply([*results, failed])
        cassandra_state = await _cassandra_state(ProductStore(session, settings))
        counts = await _final_counts(store, db)
        second = await fanout.apply([*results, failed])
        await fanout.close()
        again = await _cassandra_state(ProductStore(session, settings)), await _final_counts(store, db)
        await store.close()
        return first, (cassandra_state, counts), second, again

    with scratch_keyspace(stack) as (settings, session):
        settings = dataclasses.replace(settings, clickhouse_database=db)
        first, state, second, again = asyncio.run(scenario(settings, session))

    assert len(first.updates) == 200 and len(first.invalidations) == 200  # 40 NEW + 160 PRICE
    assert again == state
    assert state[1] == (201, 200, 201)
    # The replay re-emits only the latest change per product (same versions); consumers drop repeats.
    assert {(u["product_id"], u["version"]) for u in second.updates} == {
        (f"shop.example:P{n}", 5) for n in range(40)
    }


async def _cassandra_state(store: ProductStore):
    products = [await store.get_product(f"shop.example:P{n}") for n in range(40)]
    return products, await store.products_by_domain("shop.example", limit=100)


async def _final_counts(store: DirectAnalyticsStore, db: str) -> tuple[int, ...]:
    events = (await store.query(f"SELECT count() FROM {db}.scrape_events FINAL")).rows[0][0]
    prices = (await store.query(f"SELECT count() FROM {db}.product_prices FINAL")).rows[0][0]
    stats = (await store.query(f"SELECT sum(results) FROM {db}.throughput_per_minute")).rows[0][0]
    return events, prices, stats


def test_the_owner_answers_read_only_queries_from_another_process_and_infra_status_names_it(
    analytics_settings: Settings,
) -> None:
    db = analytics_settings.clickhouse_database
    insert_events(analytics_settings, [([result(second=n) for n in range(7)], "seven")])
    port = free_port()
    settings = dataclasses.replace(analytics_settings, analytics_port=port)

    async def serve_while_client_runs() -> str:
        store = analytics.open_store(settings)
        server = AnalyticsServer(store, settings.analytics_port)
        await server.start()
        try:
            client = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.integration.analytics_client",
                settings.clickhouse_url,
                str(port),
                db,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            stdout, stderr = await asyncio.wait_for(client.communicate(), timeout=60)
            assert client.returncode == 0, stderr.decode()
            return stdout.decode()
        finally:
            await server.stop()
            await store.close()

    output = json.loads(asyncio.run(serve_while_client_runs()))
    assert output["reader"] == "HttpAnalyticsReader"
    assert output["answer"] == {"columns": ["domain", "n"], "types": ["LowCardinality(String)", "UInt64"],
                                "rows": [["shop.example", 7]]}  # fmt: skip
    assert output["refused"].startswith("only read queries (SELECT, WITH ... SELECT) are answered")
    healthy, detail, pids = output["health"]
    assert healthy and pids == [os.getpid()], output["health"]  # this test process owns the store
    assert detail.startswith(f"embedded store open in pid {os.getpid()} (") and detail.endswith(f":{port}")
    assert query(analytics_settings, f"SELECT count() FROM {db}.scrape_events") == [[7]]


def test_direct_store_refuses_writes_through_query(analytics_settings: Settings) -> None:
    with pytest.raises(AnalyticsQueryError, match="only read queries"):
        query(
            analytics_settings, f"INSERT INTO {analytics_settings.clickhouse_database}.scrape_events SELECT 1"
        )
    with pytest.raises(AnalyticsQueryError, match=r"READONLY|readonly"):
        query(
            analytics_settings,
            "SELECT * FROM url('http://127.0.0.1:1/x', CSV, 'a String') SETTINGS readonly = 0",
        )
