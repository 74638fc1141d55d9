"""Write rate of each store alone vs through our sinks and the whole fan-out stage, for N scrape results.

Run: .venv/bin/python bench/sinks_bench.py [--results 20000] [--products 5000] [--chunk 1000]

Needs the local stack (`scrapestream infra up`). Uses a scratch Cassandra keyspace and private
Kafka topics (both dropped at the end) and a temporary embedded ClickHouse directory.

Every row prints results/s (wall clock) and the CPU seconds this process spent per 1,000 results
(all threads: the Cassandra driver's, librdkafka's and the embedded ClickHouse engine's), and
beside it the CPU seconds the Kafka and Cassandra JVMs spent meanwhile. On shared cores the wall
clock is noisy; CPU per result is the steadier measure. The fan-out stage's two CPU figures
together bound its rate on this machine: N cores carry at most N / (CPU per result) results/s.

- Cassandra raw: one prepared INSERT into products per result through the driver's
  execute_concurrent_with_args (concurrency = cassandra_write_concurrency), no reads; rows built
  before timing.
- ClickHouse raw: clickhouse-connect inserts of the scrape_events rows (built before timing) in
  batches of sink_batch_rows, no tokens, after one warm-up insert.
- Kafka raw: one bare confluent-kafka produce per result (the encoded result) to a topic, then flush.
- Through the sinks: the same results handed to each Sink in chunks of --chunk, including batching,
  change detection (one read per product not yet written, products/listing/history writes) and
  dedup tokens (scrape_events + product_prices).
- Fan-out stage: a second pass (same products an hour later, ~20 % price changes) of encoded results
  through `FanoutStage.handle` in chunks of --chunk, awaited one after another as the Faust agent
  does: decode, both sinks, then product.updates, product.state and cache.invalidation delivered,
  then acks. The goal is 5,000 results/s.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import random
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from cassandra.concurrent import execute_concurrent_with_args

from consumers.sinks.base import Sink, SinkPolicy
from consumers.sinks.cassandra_sink import ProductWriter
from consumers.sinks.changes import next_state
from consumers.sinks.clickhouse_sink import EVENT_COLUMNS, AnalyticsWriter, event_row
from consumers.sinks.result_stores import open_fanout
from schemas.codec import Codec
from schemas.samples import SAMPLE_TIME, scrape_result
from scrapestream.config import Settings, load_settings
from scrapestream.demo.main import delete_topics
from scrapestream.infra.service_process import cpu_seconds
from scrapestream.infra.stack import java_pids
from scrapestream.kafka import make_admin, make_producer
from scrapestream.stores import analytics, analytics_schema, cassandra_schema, cassandra_sessions
from scrapestream.stores.products import PRODUCT_COLUMNS, ProductStore, _product_values
from scrapestream.topics import TopicNames, catalog, create_topics
from streams.delivery import kafka_delivery
from streams.fanout import FanoutStage


@dataclasses.dataclass(frozen=True)
class Cost:
    seconds: float  # wall clock
    cpu: float  # process CPU time, all threads
    jvm_cpu: float  # CPU time of the Kafka and Cassandra servers meanwhile


def servers_cpu() -> float:
    return sum(cpu_seconds(pid) for pid in java_pids(load_settings()).values())


@contextmanager
def metered(costs: dict[str, Cost], name: str) -> Iterator[None]:
    wall, cpu, servers = time.perf_counter(), time.process_time(), servers_cpu()
    yield
    costs[name] = Cost(time.perf_counter() - wall, time.process_time() - cpu, servers_cpu() - servers)


@dataclasses.dataclass(frozen=True)
class Message:
    topic: str
    partition: int
    offset: int


@dataclasses.dataclass(frozen=True)
class Event:
    """A consumed ScrapeResult as FanoutStage sees it (the part of a Faust event it uses)."""

    key: bytes | None
    value: bytes
    message: Message


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


def product_rows(results: list[dict[str, Any]]) -> list[list[Any]]:
    """The products row of each result as if it were new, for the raw insert (built before timing)."""
    rows = []
    for result in results:
        values = _product_values(next_state(None, result)[0])
        rows.append([*(values[column] for column in PRODUCT_COLUMNS), values["write_time"]])
    return rows


def cassandra_raw(session: Any, settings: Settings, rows: list[list[Any]]) -> None:
    columns = ", ".join(PRODUCT_COLUMNS)
    markers = ", ".join("?" for _ in PRODUCT_COLUMNS)
    insert = session.prepare(
        f"INSERT INTO {settings.cassandra_keyspace}.products ({columns}) VALUES ({markers}) USING TIMESTAMP ?"
    )
    execute_concurrent_with_args(session, insert, rows, concurrency=settings.cassandra_write_concurrency)


async def clickhouse_raw(store: analytics.DirectAnalyticsStore, settings: Settings, rows: list) -> None:
    client = store._client  # the bare clickhouse-connect client: no tokens, no sink
    table = f"{settings.clickhouse_database}.scrape_events"
    for start in range(0, len(rows), settings.sink_batch_rows):
        await asyncio.to_thread(
            client.insert, table, rows[start : start + settings.sink_batch_rows], column_names=EVENT_COLUMNS
        )


def kafka_raw(settings: Settings, topic: str, values: list[bytes]) -> None:
    producer = make_producer(settings)
    for value in values:
        while True:
            try:
                producer.produce(topic, value, b"shop.example")
                break
            except BufferError:
                producer.poll(0.01)
    assert producer.flush(60) == 0, "raw Kafka messages not delivered"


async def through(write: Callable[[Any], Awaitable[Any]], results: list[Any], chunk: int) -> None:
    """Hand `results` over in chunks without waiting between them; return when all are stored."""
    receipts = [await write(results[start : start + chunk]) for start in range(0, len(results), chunk)]
    for receipt in receipts:
        await receipt


async def stage_run(stage: FanoutStage, events: list[Event], chunk: int) -> None:
    """Events in chunks, each handled before the next, as the Faust agent takes them."""
    for start in range(0, len(events), chunk):
        await stage.handle(events[start : start + chunk])


async def run(args: argparse.Namespace, scratch: str, costs: dict[str, Cost]) -> SinkPolicy:
    base = load_settings()
    keyspace = f"bench_sinks_{uuid.uuid4().hex[:8]}"
    prefix = f"bench.{uuid.uuid4().hex[:8]}."
    settings = dataclasses.replace(base, cassandra_keyspace=keyspace, clickhouse_url=f"chdb://{scratch}")
    names = TopicNames.prefixed(prefix)
    results = make_results(args.results, args.products)
    second_pass = make_results(args.results, args.products)  # same products, later scrapes
    for record in second_pass:
        record["scraped_at"] += timedelta(hours=1)
    codec = Codec.for_settings(settings)
    events = [
        Event(record["product"]["product_id"].encode(), codec.encode("ScrapeResult", record),
              Message(names.results, 0, offset))
        for offset, record in enumerate(second_pass)
    ]  # fmt: skip
    policy = SinkPolicy.from_settings(settings)
    create_topics(make_admin(settings), catalog(settings, prefix=prefix))
    with cassandra_sessions.connect(settings) as session:
        cassandra_schema.migrate(session, settings)
        try:
            store = analytics.open_store(settings)
            await analytics_schema.apply(store)
            rows = product_rows(results)
            with metered(costs, "cassandra raw"):
                cassandra_raw(session, settings, rows)
            rows = [event_row(result) for result in results]
            await clickhouse_raw(store, settings, rows[:1])  # the engine's first insert sets itself up
            with metered(costs, "clickhouse raw"):
                await clickhouse_raw(store, settings, rows)
            with metered(costs, "kafka raw"):
                kafka_raw(settings, names.results, [event.value for event in events])
            session.execute(f"TRUNCATE {keyspace}.products")
            await store.command(f"TRUNCATE TABLE {settings.clickhouse_database}.scrape_events")

            products = Sink(ProductWriter(ProductStore(session, settings)), policy)
            with metered(costs, "cassandra sink"):
                await through(products.write, results, args.chunk)
            await products.close()
            events_sink = Sink(AnalyticsWriter(store), policy)
            with metered(costs, "clickhouse sink"):
                await through(events_sink.write, results, args.chunk)
            await events_sink.close()

            fanout = await open_fanout(settings, session, store)
            acked: list[Event] = []
            with kafka_delivery(settings, names.dlq) as delivery:
                stage = FanoutStage(delivery, names, fanout, ack=acked.append)
                with metered(costs, "fan-out stage"):
                    await stage_run(stage, events, args.chunk)
            assert len(acked) == len(events), f"{len(acked)} of {len(events)} results acked"
            await fanout.close()
            await store.close()
        finally:
            session.execute(f"DROP KEYSPACE IF EXISTS {keyspace}")
            delete_topics(settings, prefix)
    return policy


def report(costs: dict[str, Cost], count: int) -> None:
    def rate(name: str) -> str:
        return f"{count / costs[name].seconds:>11,.0f}"

    def cpu(name: str) -> str:
        return f"{1000 * costs[name].cpu / count:>8.3f}{1000 * costs[name].jvm_cpu / count:>8.3f}"

    print(f"{'':<12}{'raw/s':>11}{'CPU/1k':>8}{'JVM/1k':>8}{'sink/s':>11}{'CPU/1k':>8}{'JVM/1k':>8}")
    for store in ("cassandra", "clickhouse"):
        raw, sink = f"{store} raw", f"{store} sink"
        print(f"{store:<12}{rate(raw)}{cpu(raw)}{rate(sink)}{cpu(sink)}")
    print(f"{'kafka':<12}{rate('kafka raw')}{cpu('kafka raw')}")
    print(f"{'fan-out stage: both stores + 3 topics':<43}{rate('fan-out stage')}{cpu('fan-out stage')}")
    stage = costs["fan-out stage"]
    per_result, cores = (stage.cpu + stage.jvm_cpu) / count, os.cpu_count() or 1
    print(
        f"fan-out stage CPU, this process + JVMs: {1000 * per_result:.3f} s per 1,000 results, "
        f"so {cores} cores carry at most {cores / per_result:,.0f} results/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=int, default=20000, help="results to write")
    parser.add_argument("--products", type=int, default=5000, help="distinct products among them")
    parser.add_argument("--chunk", type=int, default=1000, help="results handed over at a time (agent batch)")
    args = parser.parse_args()
    costs: dict[str, Cost] = {}
    with tempfile.TemporaryDirectory(prefix="sinks-bench-") as scratch:
        policy = asyncio.run(run(args, scratch, costs))
    print(f"{args.results:,} results over {args.products:,} products, chunks of {args.chunk}, "
          f"sink batches of {policy.batch_rows}; results/s and CPU s per 1,000 results:")  # fmt: skip
    report(costs, args.results)


if __name__ == "__main__":
    main()
