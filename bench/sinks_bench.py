"""Write rate of each store alone vs through our sinks, for N scrape results.

Run: .venv/bin/python bench/sinks_bench.py [--results 20000] [--products 5000] [--chunk 500]

Needs the local stack (`scrapestream infra up`). Uses a scratch Cassandra keyspace (dropped at
the end) and a temporary embedded ClickHouse directory.

- Cassandra raw: one prepared INSERT into products per result through the driver's
  execute_concurrent_with_args (concurrency = cassandra_write_concurrency), no reads.
- ClickHouse raw: clickhouse-connect inserts of the scrape_events rows in batches of
  sink_batch_rows, no tokens.
- Through the sinks: the same results handed to each Sink in chunks of --chunk (as a Faust
  agent would take them), including batching, change detection (one read per product per batch,
  products/listing/history writes) and dedup tokens (scrape_events + product_prices); then the
  whole fan-out (both sinks in parallel). The goal is 5,000 results/s into both stores.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import random
import tempfile
import time
import uuid
from datetime import timedelta
from typing import Any

from cassandra.concurrent import execute_concurrent_with_args

from consumers.sinks.base import Sink, SinkPolicy
from consumers.sinks.cassandra import ProductWriter
from consumers.sinks.clickhouse import EVENT_COLUMNS, AnalyticsWriter, event_row
from consumers.sinks.fanout import open_fanout
from schemas.samples import SAMPLE_TIME, scrape_result
from scrapestream.config import Settings, load_settings
from scrapestream.stores import analytics, analytics_schema, cassandra, cassandra_schema
from scrapestream.stores.products import PRODUCT_COLUMNS, ProductStore, _product_values


def make_results(count: int, products: int) -> list[dict[str, Any]]:
    """Results in time order; each product's price moves now and then (about 1 scrape in 5)."""
    rng = random.Random(42)
    prices = [1000 + 10 * rng.randrange(100) for _ in range(products)]
    results = []
    for n in range(count):
        product = n % products
        if rng.random() < 0.2:
            prices[product] += rng.choice((-10, 10))
        record = scrape_result()
        record["request_id"] = uuid.uuid4()
        record["scraped_at"] = SAMPLE_TIME + timedelta(milliseconds=n)
        record["fetch_ms"] = rng.randrange(50, 900)
        record["product"].update(
            product_id=f"shop.example:P{product}", sku=f"P{product}",
            price={"amount_minor": prices[product], "currency": "EUR"},
        )  # fmt: skip
        results.append(record)
    return results


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:>10,.0f}"


def cassandra_raw(session: Any, settings: Settings, results: list[dict[str, Any]]) -> float:
    from consumers.sinks.changes import next_state

    columns = ", ".join(PRODUCT_COLUMNS)
    markers = ", ".join("?" for _ in PRODUCT_COLUMNS)
    insert = session.prepare(
        f"INSERT INTO {settings.cassandra_keyspace}.products ({columns}) VALUES ({markers}) USING TIMESTAMP ?"
    )
    rows = []
    for result in results:
        values = _product_values(next_state(None, result)[0])
        rows.append([*(values[column] for column in PRODUCT_COLUMNS), values["write_time"]])
    started = time.perf_counter()
    execute_concurrent_with_args(session, insert, rows, concurrency=settings.cassandra_write_concurrency)
    return time.perf_counter() - started


async def clickhouse_raw(store: analytics.DirectAnalyticsStore, settings: Settings, results: list) -> float:
    rows = [event_row(result) for result in results]
    client = store._client  # the bare clickhouse-connect client: no tokens, no sink
    table = f"{settings.clickhouse_database}.scrape_events"
    started = time.perf_counter()
    for start in range(0, len(rows), settings.sink_batch_rows):
        await asyncio.to_thread(
            client.insert, table, rows[start : start + settings.sink_batch_rows], column_names=EVENT_COLUMNS
        )
    return time.perf_counter() - started


async def through(write: Any, results: list[dict[str, Any]], chunk: int) -> float:
    """Hand `results` over in chunks without waiting between them; stop when all are stored."""
    started = time.perf_counter()
    receipts = [await write(results[start : start + chunk]) for start in range(0, len(results), chunk)]
    for receipt in receipts:
        await receipt
    return time.perf_counter() - started


async def run(args: argparse.Namespace, scratch: str) -> None:
    base = load_settings()
    keyspace = f"bench_sinks_{uuid.uuid4().hex[:8]}"
    settings = dataclasses.replace(base, cassandra_keyspace=keyspace, clickhouse_url=f"chdb://{scratch}")
    results = make_results(args.results, args.products)
    policy = SinkPolicy.from_settings(settings)
    with cassandra.connect(settings) as session:
        cassandra_schema.migrate(session, settings)
        try:
            store = analytics.open_store(settings)
            await analytics_schema.apply(store)
            raw_cassandra = cassandra_raw(session, settings, results)
            raw_clickhouse = await clickhouse_raw(store, settings, results)
            session.execute(f"TRUNCATE {keyspace}.products")
            await store.command(f"TRUNCATE TABLE {settings.clickhouse_database}.scrape_events")

            products = Sink(ProductWriter(ProductStore(session, settings)), policy)
            sink_cassandra = await through(products.write, results, args.chunk)
            await products.close()
            events = Sink(AnalyticsWriter(store), policy)
            sink_clickhouse = await through(events.write, results, args.chunk)
            await events.close()

            second_pass = make_results(args.results, args.products)  # same products, later scrapes
            for record in second_pass:
                record["scraped_at"] += timedelta(hours=1)
            fanout = await open_fanout(settings, session, store)
            both = await through(fanout.submit, second_pass, args.chunk)
            await fanout.close()
            await store.close()
        finally:
            session.execute(f"DROP KEYSPACE IF EXISTS {keyspace}")

    n = args.results
    print(f"{n:,} results over {args.products:,} products, chunks of {args.chunk}, "
          f"batches of {policy.batch_rows}; rows/s:")  # fmt: skip
    print(f"{'store':<12}{'raw':>12}{'through sink':>14}{'sink/raw':>10}")
    for name, raw, sink in (
        ("cassandra", raw_cassandra, sink_cassandra),
        ("clickhouse", raw_clickhouse, sink_clickhouse),
    ):
        print(f"{name:<12}{rate(n, raw)}  {rate(n, sink)}  {raw / sink:>8.2f}")
    print(f"{'fan-out (both stores in parallel)':<36}{rate(n, both)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=int, default=20000, help="results to write")
    parser.add_argument("--products", type=int, default=5000, help="distinct products among them")
    parser.add_argument("--chunk", type=int, default=500, help="results handed to a sink per write")
    with tempfile.TemporaryDirectory(prefix="sinks-bench-") as scratch:
        asyncio.run(run(parser.parse_args(), scratch))


if __name__ == "__main__":
    main()
