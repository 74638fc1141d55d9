"""Accepted requests/s and POST latency of the HTTP gateway on real Kafka, next to the bare publisher.

Run: .venv/bin/python bench/gateway_bench.py [--seconds 10] [--batches 100,500,1000] [--clients 4]

Needs the local Kafka (`scrapestream infra up`). Everything goes to a private topic
(bench.<random>.scrape.requests, 6 partitions), deleted at the end; the real topics are untouched.

1. Ceiling: this process publishes through a bare RequestPublisher for --seconds each with the
   asyncio API (what the gateway uses: the ceiling) and with the sync API, then flushes; the rate
   counts only acknowledged requests.
2. Gateway: this process serves the gateway on an ephemeral loopback port; a second process
   (the load generator) runs --clients concurrent aiohttp clients that POST batches of each size
   for --seconds. A request counts when its batch got its 202 (the broker acknowledged all of
   it); latency is per POST.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import itertools
import multiprocessing
import statistics
import time
import uuid
from typing import Any

from aiohttp import ClientSession, web

from producers.gateway import create_app
from producers.publisher import RequestPublisher
from scrapestream.config import Settings, load_settings
from scrapestream.kafka import make_admin
from scrapestream.topics import SCRAPE_REQUESTS, catalog, create_topics

API_KEY = "bench-key"
HOSTS = 20  # distinct shop hosts in the URLs: the gateway's DNS cache sees each once


def bench_urls(tag: str) -> itertools.count:
    return (f"https://shop-{n % HOSTS}.example.com/p/{tag}-{n}?colour=red" for n in itertools.count())


# -- the ceiling ------------------------------------------------------------------------------
def sync_publisher_rate(settings: Settings, topic: str, seconds: float) -> float:
    urls = bench_urls("sync")
    publisher = RequestPublisher(settings, topic=topic)
    deliveries = []
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        deliveries.extend(publisher.publish(next(urls), priority="bulk") for _ in range(100))
    publisher.close()
    elapsed = time.perf_counter() - started
    return sum(1 for delivery in deliveries if delivery.exception() is None) / elapsed


async def async_publisher_rate(settings: Settings, topic: str, seconds: float) -> float:
    urls = bench_urls("async")
    publisher = RequestPublisher(settings, topic=topic)
    futures = []
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        futures.extend([await publisher.publish_async(next(urls), priority="bulk") for _ in range(100)])
        await asyncio.sleep(0)  # let acknowledgements settle, as a server's loop would
    outcomes = await asyncio.gather(*futures, return_exceptions=True)
    elapsed = time.perf_counter() - started
    await asyncio.to_thread(publisher.close)
    return sum(1 for outcome in outcomes if not isinstance(outcome, BaseException)) / elapsed


# -- the load generator (second process) ----------------------------------------------------
def load_generator(base_url: str, batch: int, clients: int, seconds: float, results: Any) -> None:
    results.put(asyncio.run(_drive(base_url, batch, clients, seconds)))


async def _drive(base_url: str, batch: int, clients: int, seconds: float) -> dict[str, Any]:
    urls = bench_urls(f"b{batch}-{uuid.uuid4().hex[:6]}")
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    accepted = 0
    deadline = time.perf_counter() + seconds

    async def client(session: ClientSession) -> None:
        nonlocal accepted
        while time.perf_counter() < deadline:
            body = {"requests": [{"url": next(urls), "priority": "bulk"} for _ in range(batch)]}
            started = time.perf_counter()
            async with session.post(f"{base_url}/v1/requests", json=body) as response:
                answer = await response.json()
            latencies.append(time.perf_counter() - started)
            statuses[response.status] = statuses.get(response.status, 0) + 1
            accepted += answer.get("count", 0)

    started = time.perf_counter()
    async with ClientSession(headers={"X-API-Key": API_KEY}) as session:
        await asyncio.gather(*(client(session) for _ in range(clients)))
    elapsed = time.perf_counter() - started
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [latencies[0]] * 99
    return {
        "rate": accepted / elapsed,
        "posts": len(latencies),
        "statuses": statuses,
        "p50": quantiles[49],
        "p95": quantiles[94],
        "p99": quantiles[98],
    }


# -- the gateway (this process) -------------------------------------------------------------
async def gateway_rows(settings: Settings, topic: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    runner = web.AppRunner(create_app(settings, topic=topic), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    spawn = multiprocessing.get_context("spawn")
    rows = []
    try:
        for batch in args.batches:
            results = spawn.Queue()
            generator = spawn.Process(
                target=load_generator, args=(base_url, batch, args.clients, args.seconds, results)
            )
            generator.start()
            # bounded: a load generator that died must not hang the benchmark
            rows.append({"batch": batch, **await asyncio.to_thread(results.get, timeout=args.seconds + 60)})
            await asyncio.to_thread(generator.join)
    finally:
        await runner.cleanup()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each timed run")
    parser.add_argument(
        "--batches",
        type=lambda text: [int(size) for size in text.split(",")],
        default=[100, 500, 1000],
        help="comma-separated batch sizes, one gateway run each",
    )
    parser.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients")
    args = parser.parse_args()

    settings = dataclasses.replace(
        load_settings(), gateway_api_keys=(API_KEY,), gateway_rate_per_second=10**6, gateway_burst=10**6
    )
    prefix = f"bench.{uuid.uuid4().hex[:8]}."
    topic = next(t for t in catalog(settings, prefix=prefix) if t.name == prefix + SCRAPE_REQUESTS)
    admin = make_admin(settings)
    create_topics(admin, [topic])
    try:
        ceiling = asyncio.run(async_publisher_rate(settings, topic.name, args.seconds))
        sync_rate = sync_publisher_rate(settings, topic.name, args.seconds)
        rows = asyncio.run(gateway_rows(settings, topic.name, args))
    finally:
        admin.delete_topics([topic.name], operation_timeout=30)[topic.name].result(30)

    print(
        f"{'contender':<34}{'requests/s':>12}{'vs bare':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}  statuses"
    )
    print(f"{'bare RequestPublisher, asyncio':<34}{ceiling:>12,.0f}{1.0:>9.2f}")
    print(f"{'bare RequestPublisher, sync':<34}{sync_rate:>12,.0f}{sync_rate / ceiling:>9.2f}")
    for row in rows:
        name = f"gateway, batches of {row['batch']}, {args.clients} clients"
        latencies = "".join(f"{row[q] * 1000:>9.1f}" for q in ("p50", "p95", "p99"))
        print(f"{name:<34}{row['rate']:>12,.0f}{row['rate'] / ceiling:>9.2f}{latencies}  {row['statuses']}")


if __name__ == "__main__":
    main()
