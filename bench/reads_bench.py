"""Product reads through the gateway: cache hits against the miss path (Cassandra), at a fixed rate.

    PYTHONPATH=. .venv/bin/python bench/reads_bench.py [--rate 1000] [--seconds 10] [--products 1000]

Needs the local stack (`scrapestream infra up`). Writes --products products into a scratch
keyspace (dropped afterwards), serves two gateways in this process (cache on; cache off, so every
read goes to Cassandra) and drives each from a second process with an open-loop load: request i is
sent at start + i/rate whatever the earlier ones are doing, and its latency is measured from that
scheduled time (so a stalled server cannot hide queueing). Goal: cache-hit p95 < 10 ms at 1,000/s.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import multiprocessing
import random
import statistics
import time
import uuid
from datetime import UTC, datetime

from aiohttp import ClientSession, TCPConnector

from consumers.sinks.changes import next_state
from producers.gateway import create_app
from schemas.samples import scrape_result
from scrapestream.config import Settings, load_settings
from scrapestream.kafka import make_admin
from scrapestream.stores import cassandra_schema, cassandra_sessions
from scrapestream.stores.products import ProductStore
from scrapestream.topics import catalog, create_topics
from tests.integration.gateway_helpers import serving

KEY = "bench-" + uuid.uuid4().hex


def product_ids(count: int) -> list[str]:
    return [f"bench.example:P{n}" for n in range(count)]


async def store_products(settings: Settings, session, count: int) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    states = []
    for product_id in product_ids(count):
        result = scrape_result()
        result.update(request_id=uuid.uuid4(), domain="bench.example", scraped_at=now)
        result["product"]["product_id"] = product_id
        states.append(next_state(None, result)[0])
    await ProductStore(session, settings).save(states)


def drive(base_url: str, ids: list[str], rate: int, seconds: float, out: multiprocessing.Queue) -> None:
    """Client process: open-loop GETs; puts (latencies in ms, errors, achieved rate) on `out`."""
    out.put(asyncio.run(_drive(base_url, ids, rate, seconds)))


async def _drive(base_url: str, ids: list[str], rate: int, seconds: float) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = 0
    async with ClientSession(connector=TCPConnector(limit=200), headers={"X-API-Key": KEY}) as session:

        async def one(product_id: str, scheduled: float) -> None:
            nonlocal errors
            async with session.get(f"{base_url}/v1/products/{product_id}") as response:
                await response.read()
                if response.status != 200:
                    errors += 1
            latencies.append((time.perf_counter() - scheduled) * 1000)

        # Warm the connections and, when it is on, the cache with every product, so the cache-hit
        # run measures hits only (a cold product read mid-run would queue behind the miss path).
        for start in range(0, len(ids), 50):
            chunk = ids[start : start + 50]
            await asyncio.gather(*(one(product_id, time.perf_counter()) for product_id in chunk))
        latencies.clear()
        total = int(rate * seconds)
        start = time.perf_counter()
        tasks = []
        for n in range(total):
            scheduled = start + n / rate
            await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
            tasks.append(asyncio.create_task(one(random.choice(ids), scheduled)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
    return latencies, errors, total / elapsed


def measure(base_url: str, ids: list[str], rate: int, seconds: float) -> tuple[list[float], int, float]:
    out: multiprocessing.Queue = multiprocessing.Queue()
    client = multiprocessing.Process(target=drive, args=(base_url, ids, rate, seconds, out))
    client.start()
    outcome = out.get()
    client.join()
    return outcome


def percentile(values: list[float], fraction: float) -> float:
    return statistics.quantiles(values, n=1000, method="inclusive")[int(fraction * 1000) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--products", type=int, default=1000)
    args = parser.parse_args()
    keyspace = f"bench_reads_{uuid.uuid4().hex[:8]}"
    settings = dataclasses.replace(load_settings(), cassandra_keyspace=keyspace, gateway_api_keys=(KEY,))
    prefix = f"bench.{uuid.uuid4().hex[:8]}."
    admin = make_admin(settings)
    topics = catalog(settings, prefix=prefix)
    create_topics(admin, topics)
    with cassandra_sessions.connect(settings) as session:
        cassandra_schema.migrate(session, settings)
        try:
            asyncio.run(store_products(settings, session, args.products))
            ids = product_ids(args.products)
            with serving(create_app(settings, prefix=prefix), access_log=None) as cached:
                rows = [("cache hit", *measure(cached, ids, args.rate, args.seconds))]
            uncached_settings = dataclasses.replace(settings, gateway_cache_size=0)
            with serving(create_app(uncached_settings, prefix=prefix), access_log=None) as uncached:
                rows.append(("miss (Cassandra)", *measure(uncached, ids, args.rate, args.seconds)))
        finally:
            session.execute(f"DROP KEYSPACE IF EXISTS {keyspace}")
            admin.delete_topics([topic.name for topic in topics], operation_timeout=30)
    print(f"{args.rate} requests/s for {args.seconds:g} s, {args.products} products")
    print("latency measured from each request's scheduled send time")
    print(f"{'path':<18} {'achieved/s':>10} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for name, latencies, errors, achieved in rows:
        p50, p95, p99 = (percentile(latencies, f) for f in (0.5, 0.95, 0.99))
        print(f"{name:<18} {achieved:>10,.0f} {errors:>6} {p50:>8.2f} {p95:>8.2f} {p99:>8.2f}")


if __name__ == "__main__":
    main()
