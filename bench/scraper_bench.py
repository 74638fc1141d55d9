"""Scraper throughput: the real worker (task topic -> result topic) vs a bare loop vs Scrapy, plus Chromium.

Run: PYTHONPATH=. .venv/bin/python bench/scraper_bench.py [--pages 8000] [--concurrency 64]
     [--browser-pages 60] [--workers 2]

Needs the local Kafka (`scrapestream infra up`). Everything is on loopback: the demo shop runs in a
process of its own, the worker is `scrapestream worker scraper` in another, on topics with a
unique prefix (deleted afterwards). The same product pages (half from the microdata shop, half
from the JSON-LD shop) go through:
  worker  ScrapeTasks of 50 requests on scrape.tasks.normal -> ScrapeResults on scrape.results
          (robots.txt, politeness with no rate limit, SSRF checks, Avro, acks, commits: all on);
          rate = results / (last - first result's broker timestamp);
  N workers  (--workers N) the same through N worker processes in one consumer group sharing the
          concurrency, tasks dealt round-robin over the partitions;
  bare    aiohttp + the same extractor (selectolax lexbor) in one loop at the same concurrency:
          the ceiling for a Python fetch-and-extract;
  scrapy  Scrapy 2.19 spiders (bench/scrapy_baseline.py), same URLs, same concurrency, twice:
          with Scrapy's own selectors (parsel CSS, json.loads of the JSON-LD), as a Scrapy user
          writes it, its items checked against our extractor on a sample of pages; and calling
          our extractor, which leaves Scrapy's framework overhead as the only difference.
Then Chromium (unless --browser-pages 0): JS shop product pages through the engine's browser
pool. Peak memory is the highest resident set of the worker process (VmHWM), and for Chromium of
the whole process tree.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from consumers.extract import extract_product
from demoshop.config import DemoShopConfig
from demoshop.server import serve
from scrapestream.config import load_settings
from scrapestream.infra.service_process import free_port
from scrapestream.kafka import make_admin, make_consumer
from tests.scraper_harness import (
    create_test_topics,
    js_profiles,
    publish_tasks,
    request,
    scraper_settings,
    task,
)

ROOT = Path(__file__).resolve().parent.parent
TASK_SIZE = 50
# Scrapy contender label -> `bench/scrapy_baseline.py --extractor` mode.
SCRAPY_MODES = {"Scrapy spider (Scrapy selectors)": "scrapy", "Scrapy spider (our extractor)": "ours"}


def start_shop(products: int) -> tuple[multiprocessing.Process, dict[str, str]]:
    ports = {"microdata": free_port(), "jsonld": free_port(), "js": free_port()}
    config = DemoShopConfig(products=products, ports=ports, epoch_seconds=0)
    process = multiprocessing.Process(target=serve, args=(config,), daemon=True)
    process.start()
    for port in ports.values():
        deadline = time.monotonic() + 60
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            assert time.monotonic() < deadline, "demo shop did not start"
            time.sleep(0.1)
    return process, {shop: f"http://127.0.0.1:{port}" for shop, port in ports.items()}


def product_urls(shops: dict[str, str], count: int) -> list[str]:
    paths = {"microdata": "/product/{}/x", "jsonld": "/artikel/x-{}.html"}
    return [
        shops[shop] + paths[shop].format(number)
        for number in range(1, count // 2 + 1)
        for shop in ("microdata", "jsonld")
    ]


# -- contenders ------------------------------------------------------------------------------
def run_worker(urls: list[str], concurrency: int, workers: int = 1) -> tuple[int, float, float]:
    """(results, seconds, peak RSS MiB of the first) of `workers` `scrapestream worker scraper`
    processes in one consumer group, sharing `concurrency` between them."""
    base = load_settings()
    prefix = f"bench.{uuid.uuid4().hex[:8]}."
    settings = scraper_settings(base)
    topics = create_test_topics(settings, prefix)
    tasks = [task([request(url) for url in urls[i : i + TASK_SIZE]]) for i in range(0, len(urls), TASK_SIZE)]
    publish_tasks(settings, topics.tasks["NORMAL"], tasks, spread=workers > 1)
    share = str(concurrency // workers)
    env = {
        **os.environ,
        "SCRAPESTREAM_SSRF_ALLOWLIST": "127.0.0.1",
        "SCRAPESTREAM_SCRAPER_DOMAIN_RATE": "0",
        "SCRAPESTREAM_SCRAPER_DOMAIN_CONCURRENCY": share,
    }
    command = [sys.executable, "-m", "scrapestream.cli", "worker", "scraper", "--topic-prefix", prefix]
    group = [
        subprocess.Popen([*command, "--concurrency", share], env=env, stderr=subprocess.DEVNULL)
        for _ in range(workers)
    ]
    try:
        stamps = result_timestamps(settings, topics.results, len(urls))
        peak_mib = peak_rss_kib(group[0].pid) / 1024
    finally:
        for worker in group:
            worker.send_signal(signal.SIGTERM)
        for worker in group:
            worker.wait(60)
        delete_topics(settings, prefix)
    return len(stamps), (max(stamps) - min(stamps)) / 1000, peak_mib


def result_timestamps(settings, topic: str, count: int, timeout: float = 300) -> list[int]:  # type: ignore[no-untyped-def]
    consumer = make_consumer(settings, f"bench-reader-{uuid.uuid4().hex}")
    consumer.subscribe([topic])
    stamps: list[int] = []
    deadline = time.monotonic() + timeout
    while len(stamps) < count and time.monotonic() < deadline:
        stamps += [m.timestamp()[1] for m in consumer.consume(1000, 0.5) if m.error() is None]
    consumer.close()
    return stamps


def delete_topics(settings, prefix: str) -> None:  # type: ignore[no-untyped-def]
    admin = make_admin(settings)
    ours = [name for name in admin.list_topics(timeout=10).topics if name.startswith(prefix)]
    for future in admin.delete_topics(ours, operation_timeout=30).values() if ours else ():
        future.result(30)


async def bare_loop(urls: list[str], concurrency: int) -> tuple[int, float]:
    slots = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=0)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(url: str) -> bool:
            async with slots, session.get(url) as reply:
                html = await reply.text()
            return extract_product(html, url) is not None

        started = time.perf_counter()
        found = await asyncio.gather(*map(one, urls))
        return sum(found), time.perf_counter() - started


@dataclass(frozen=True)
class ScrapyRun:
    pages: int
    seconds: float
    sampled: int  # pages whose item was compared with our extractor's (0 when it ran our extractor)
    agreeing: int


def run_scrapy(urls: list[str], concurrency: int, extractor: str) -> ScrapyRun:
    """One bench/scrapy_baseline.py run; raises when it fails, e.g. its items disagree with ours."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as listing:
        listing.write("\n".join(urls))
        listing.flush()
        script = str(ROOT / "bench" / "scrapy_baseline.py")
        output = subprocess.run(
            [sys.executable, script, listing.name, str(concurrency), "--extractor", extractor],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    if output.returncode != 0:
        raise RuntimeError(f"scrapy baseline --extractor {extractor} failed:\n{output.stderr[-3000:]}")
    return ScrapyRun(**json.loads(output.stdout.strip().splitlines()[-1]))


def run_scrapy_modes(urls: list[str], concurrency: int) -> dict[str, ScrapyRun]:
    return {label: run_scrapy(urls, concurrency, mode) for label, mode in SCRAPY_MODES.items()}


def agreement_line(runs: dict[str, ScrapyRun]) -> str:
    checked = next(run for run in runs.values() if run.sampled)  # the Scrapy-selector run
    return (
        f"Scrapy-selector items vs our extractor on {checked.sampled} sampled pages: "
        f"{checked.agreeing} agree ({checked.agreeing / checked.sampled:.1%})"
    )


async def browser_run(js_base: str, count: int, pool_size: int) -> tuple[int, float, float]:
    """(products, seconds, peak MiB of this process and its Chromium children) through the browser pool."""
    from consumers.scraper.engine import scrape_engine

    settings = scraper_settings(load_settings(), browser_pool_size=pool_size)
    requests = [
        request(f"{js_base}/app/product/{number}", render="BROWSER") for number in range(1, count + 1)
    ]
    async with scrape_engine(settings, browser=True, extractor=js_profiles(js_base)) as engine:
        await engine.scrape(request(f"{js_base}/app/product/{count + 1}", render="BROWSER"))  # warm-up
        peak = [0.0]
        sampler = asyncio.create_task(sample_tree_rss(os.getpid(), peak))
        started = time.perf_counter()
        outcomes = await asyncio.gather(*(engine.scrape(one) for one in requests))
        elapsed = time.perf_counter() - started
        sampler.cancel()
    failed = [o.result for o in outcomes if o.result["status"] != "OK" or not o.result["product"]["price"]]
    for result in failed:
        print(f"browser: {result['url']}: {result['status']} {result['error']}", file=sys.stderr)
    return len(outcomes) - len(failed), elapsed, peak[0]


# -- memory --------------------------------------------------------------------------------
def peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def tree_rss_mib(root: int) -> float:
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        tree.update(children)
        frontier += children
    pages = 0
    for pid in tree:
        try:
            pages += int(Path(f"/proc/{pid}/statm").read_text().split()[1])
        except OSError:
            continue
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


async def sample_tree_rss(root: int, peak: list[float]) -> None:
    while True:
        peak[0] = max(peak[0], tree_rss_mib(root))
        await asyncio.sleep(0.25)


# -- report ----------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=8000, help="static product pages per contender")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--browser-pages", type=int, default=60, help="JS shop pages; 0 skips Chromium")
    parser.add_argument("--browser-pool", type=int, default=4)
    parser.add_argument(
        "--workers", type=int, default=1, help="also run this many workers in one group (tasks spread)"
    )
    args = parser.parse_args()

    shop, shops = start_shop(products=max(args.pages, args.browser_pages + 1))
    try:
        urls = product_urls(shops, args.pages)
        asyncio.run(bare_loop(urls[:200], args.concurrency))  # warm the shop's caches for everyone
        rows = {"worker (Kafka in -> Kafka out)": run_worker(urls, args.concurrency)[:2]}
        if args.workers > 1:
            rows[f"{args.workers} workers, one group"] = run_worker(urls, args.concurrency, args.workers)[:2]
        rows["bare aiohttp + lexbor loop"] = asyncio.run(bare_loop(urls, args.concurrency))
        scrapy_runs = run_scrapy_modes(urls, args.concurrency)
        rows |= {label: (run.pages, run.seconds) for label, run in scrapy_runs.items()}
        worker_peak = run_worker(urls[:1000], args.concurrency)[2]
        browser = None
        if args.browser_pages:
            browser = asyncio.run(browser_run(shops["js"], args.browser_pages, args.browser_pool))
    finally:
        shop.terminate()
        shop.join(10)

    rates = {name: pages / seconds for name, (pages, seconds) in rows.items()}
    worker_rate = rates["worker (Kafka in -> Kafka out)"]
    print(f"static product pages: {args.pages}, concurrency {args.concurrency}, {os.cpu_count()} cores")
    print(f"{'contender':<36}{'pages':>7}{'seconds':>9}{'pages/s':>9}{'worker/x':>10}")
    for name, (pages, seconds) in rows.items():
        print(f"{name:<36}{pages:>7}{seconds:>9.2f}{rates[name]:>9.0f}{worker_rate / rates[name]:>10.2f}")
    print(agreement_line(scrapy_runs))
    print(f"worker peak RSS: {worker_peak:.0f} MiB")
    if browser is None:
        return
    pages, seconds, peak = browser
    print(
        f"browser (Chromium pool of {args.browser_pool}): {pages} JS product pages in {seconds:.2f} s = "
        f"{pages / seconds:.1f} pages/s, peak RSS (bench process + Chromium) {peak:.0f} MiB"
    )


if __name__ == "__main__":
    main()
