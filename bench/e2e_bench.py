"""End to end: product URLs through the whole pipeline, against a bare loop and Scrapy in the same run.

Run: .venv/bin/python bench/e2e_bench.py [--products 2000] [--concurrency 64] [--scrapers 1] [--rate 0]

Needs the local stack (`scrapestream infra up`); everything runs on loopback and stops by itself.
The pipeline is the real one, each part its own process on topics with a unique prefix (deleted
afterwards): publish (RequestPublisher) → router (dedup, batch, route) → scraper → fan-out
(Cassandra + ClickHouse + update topics). Products/s counts OK results from the first request's
creation to the last result stored in ClickHouse; latency is request created → row stored.
With --rate R the requests are published open-loop at R per second (request i at start + i/R),
so latency is the pipeline's at that rate; without it they are published at once (a backlog, whose
latency is mostly queueing).
Then the same URLs at the same concurrency through the bare aiohttp + lexbor loop (the ceiling)
and two Scrapy spiders (bench/scrapy_baseline.py): one with Scrapy's own selectors, its items
checked against our extractor on a sample of pages, and one calling our extractor. Writes the
table into docs/benchmarks.md and a throughput plot next to it.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import secrets
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import matplotlib.pyplot as plt  # headless here: matplotlib falls back to its Agg backend

from producers.publisher import RequestPublisher
from scrapestream.config import Settings, load_settings
from scrapestream.demo.ledger import LedgerFollower
from scrapestream.demo.main import DemoEnvironment, delete_topics, stored_times, wait_until_up
from scrapestream.demo.report import percentiles, show_status, status_line
from scrapestream.infra.service_process import cpu_seconds, free_port
from scrapestream.infra.stack import java_pids
from scrapestream.supervisor import ProcessGroup, prepare, start_pipeline

# The bench scripts sit beside this file and reuse the project's test harness.
sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parent.parent)]
from scraper_bench import (  # noqa: E402
    ScrapyRun,
    agreement_line,
    bare_loop,
    product_urls,
    run_scrapy_modes,
    start_shop,
)

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
PLOT = ROOT / "docs" / "e2e_throughput.png"
MARKERS = ("<!-- e2e:start -->", "<!-- e2e:end -->")


@dataclasses.dataclass
class PipelineRun:
    products: int
    seconds: float
    latencies: list[float]  # request created -> stored in ClickHouse
    to_scraped: list[float]  # request created -> its result's scraped_at
    per_second: Counter[int]
    cpu_seconds: dict[str, float]
    peak_mib: dict[str, float]


def peak_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_pipeline(
    settings: Settings,
    shops: dict[str, str],
    urls: list[str],
    args: argparse.Namespace,
    neighbours: dict[str, int],
) -> PipelineRun:
    """The pipeline's run; CPU is also counted for `neighbours` (name -> pid), the other processes
    on the same cores that the pipeline makes work (the brokers, the demo shop)."""
    demo = DemoEnvironment(
        f"bench.e2e.{uuid.uuid4().hex[:6]}.",
        shops,
        f"http://127.0.0.1:{free_port()}",
        secrets.token_urlsafe(16),
    )
    env = demo.process_env(settings)
    env |= {
        "SCRAPESTREAM_SCRAPER_CONCURRENCY": str(args.concurrency),
        "SCRAPESTREAM_SSRF_ALLOWLIST": "127.0.0.1",
    }
    prepare(settings, demo.prefix)
    try:
        with ProcessGroup(settings.logs_dir / demo.prefix.rstrip("."), env) as group:
            start_pipeline(group, demo.prefix, args.scrapers)
            asyncio.run(wait_until_up(demo, group))
            time.sleep(5)  # let the Faust workers finish joining their groups
            follower = LedgerFollower(settings, demo.names)
            follower.start()
            watched = group.pids() | neighbours
            idle_cpu = {name: cpu_seconds(pid) for name, pid in watched.items()}  # start-up
            started = time.monotonic()
            publish(settings, demo.names.requests, urls, args.rate)
            while time.monotonic() - started < args.timeout:
                group.check()
                with follower.lock:
                    show_status(status_line(follower.ledger, time.monotonic() - started, {}))
                    if len(follower.ledger.results) >= len(urls):
                        break
                time.sleep(1)
            stored = wait_until_stored(settings, demo.domains, len(urls), started + args.timeout)
            cpu = {name: cpu_seconds(pid) - idle_cpu[name] for name, pid in watched.items()}
            peaks = {name: peak_mib(pid) for name, pid in watched.items()}
            follower.stop()
    finally:
        delete_topics(settings, demo.prefix)
    ledger = follower.ledger
    created = {rid: seen.created_at for rid, seen in ledger.requests.items()}
    latencies = [(at - created[rid]).total_seconds() for rid, at in stored.items() if rid in created]
    to_scraped = [
        (result["scraped_at"] - created[rid]).total_seconds()
        for rid, result in ledger.results.items()
        if rid in created and rid in stored
    ]
    first = min(created.values())
    per_second = Counter(int((at - first).total_seconds()) for at in stored.values())
    ok = sum(1 for result in ledger.results.values() if result["product"])
    seconds = (max(stored.values()) - first).total_seconds() if stored else float("nan")
    return PipelineRun(ok, seconds, latencies, to_scraped, per_second, cpu, peaks)


def neighbours(settings: Settings, shop_pid: int | None) -> dict[str, int]:
    """The Kafka and Cassandra JVMs of the local stack and the demo shop process."""
    return java_pids(settings) | ({"shop": shop_pid} if shop_pid else {})


def publish(settings: Settings, topic: str, urls: list[str], rate: float) -> None:
    """Every URL as a request: at once, or with `rate` open-loop at that many per second."""
    with RequestPublisher(settings, topic=topic) as publisher:
        if not rate:
            deliveries = publisher.publish_many(urls, freshness_seconds=0)
        else:
            start, deliveries = time.monotonic(), []
            for number, url in enumerate(urls):
                time.sleep(max(0.0, start + number / rate - time.monotonic()))
                deliveries.append(publisher.publish(url, freshness_seconds=0))
        for delivery in deliveries:
            delivery.result(60)


def wait_until_stored(settings: Settings, domains: list[str], count: int, deadline: float) -> dict:
    """Request id -> stored_at of the rows in ClickHouse, once `count` are there (asked of the fan-out)."""
    stored = asyncio.run(stored_times(settings, domains))
    while len(stored) < count and time.monotonic() < deadline:
        time.sleep(0.5)
        stored = asyncio.run(stored_times(settings, domains))
    return stored


def plot(run: PipelineRun) -> None:
    seconds = range(max(run.per_second) + 1)
    plt.figure(figsize=(8, 3.5))
    plt.bar(list(seconds), [run.per_second[s] for s in seconds], width=1.0, align="edge")
    plt.xlabel("seconds since the first request")
    plt.ylabel("results stored per second")
    plt.title("ScrapeStream end to end: throughput over time")
    plt.tight_layout()
    plt.savefig(PLOT, dpi=110)


def report(
    args: argparse.Namespace, run: PipelineRun, bare: tuple[int, float], scrapy: dict[str, ScrapyRun]
) -> str:
    rate = run.products / run.seconds
    bare_rate = bare[0] / bare[1]
    scrapy_rates = {label: spider.pages / spider.seconds for label, spider in scrapy.items()}
    scrapy_rows = "\n".join(
        f"| {label} | {spider.pages} | {spider.seconds:.1f} | {scrapy_rates[label]:.0f} "
        f"| {scrapy_rates[label] / rate:.2f} |"
        for label, spider in scrapy.items()
    )
    versus_scrapy = "; ".join(f"vs {label}: {rate / each:.1f} times" for label, each in scrapy_rates.items())
    p50, p95, p99 = percentiles(run.latencies)
    s50, s95, s99 = percentiles(run.to_scraped)
    kinds: dict[str, list[str]] = {}
    for name in run.cpu_seconds:
        kinds.setdefault(name.split("-")[0], []).append(name)
    cpu = {kind: sum(run.cpu_seconds[name] for name in names) for kind, names in kinds.items()}
    memory = {kind: max(run.peak_mib[name] for name in names) for kind, names in kinds.items()}
    total_ms = 1000 * sum(cpu.values()) / max(run.products, 1)
    process_rows = "\n".join(
        f"| {kind} | {cpu[kind]:.1f} | {1000 * cpu[kind] / max(run.products, 1):.2f} | {memory[kind]:.0f} |"
        for kind in kinds
    )
    return f"""{MARKERS[0]}
## End to end (publish → router → scraper → Cassandra + ClickHouse + update topics)

Command: `.venv/bin/python bench/e2e_bench.py --products {args.products} --concurrency {args.concurrency} \\
--scrapers {args.scrapers} --rate {args.rate:g}` (static product pages of the demo shop, same URLs and
concurrency for all; {offered(args.rate)}).

| contender | products | seconds | products/s | vs pipeline |
|---|---:|---:|---:|---:|
| ScrapeStream pipeline, end to end | {run.products} | {run.seconds:.1f} | {rate:.0f} | 1.00 |
| bare aiohttp + lexbor loop | {bare[0]} | {bare[1]:.1f} | {bare_rate:.0f} | {bare_rate / rate:.2f} |
{scrapy_rows}

Pipeline share of the bare loop: {rate / bare_rate:.0%}; pipeline {versus_scrapy}.
{agreement_line(scrapy)}.
Request created → stored in ClickHouse: p50 {p50:.2f} s, p95 {p95:.2f} s, p99 {p99:.2f} s (of which
created → scraped, i.e. routing, queueing and fetching: p50 {s50:.2f} s, p95 {s95:.2f} s, p99 {s99:.2f} s).

| process (CPU from the first request on, start-up left out) | CPU s | CPU ms per product | peak RSS MiB |
|---|---:|---:|---:|
{process_rows}

All of them together: {total_ms:.2f} ms of CPU per product, so {os.cpu_count()} cores carry at most \
{1000 * (os.cpu_count() or 1) / total_ms:,.0f} products/s at this cost.

![throughput over time](e2e_throughput.png)
{MARKERS[1]}"""


def offered(rate: float) -> str:
    if rate:
        return f"requests published open-loop at {rate:g}/s, so latency is the pipeline's at that rate"
    return "all requests published at once, so latency is mostly time spent queued in the backlog"


def write_docs(section: str) -> None:
    text = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    if MARKERS[0] in text:
        before, rest = text.split(MARKERS[0], 1)
        text = before + section + rest.split(MARKERS[1], 1)[1]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    DOCS.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--scrapers", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--rate", type=float, default=0, help="requests/s published open-loop (0: at once)")
    args = parser.parse_args()
    settings = load_settings()
    shop, shops = start_shop(products=max(args.products // 2, 10))
    try:
        urls = product_urls(shops, args.products)
        run = run_pipeline(settings, shops, urls, args, neighbours(settings, shop.pid))
        print(f"\npipeline: {run.products} products in {run.seconds:.1f} s", file=sys.stderr)
        bare = asyncio.run(bare_loop(urls, args.concurrency))
        scrapy = run_scrapy_modes(urls, args.concurrency)
    finally:
        shop.terminate()
    plot(run)
    section = report(args, run, bare, scrapy)
    print(section)
    write_docs(section)


if __name__ == "__main__":
    main()
