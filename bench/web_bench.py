"""Polite scraping of a web of many domains: the pipeline (1 and 2 scraper workers) vs Scrapy vs the ceiling.

Run: .venv/bin/python bench/web_bench.py [--domains 2000] [--products 10] [--rate 0.1] [--concurrency 1]
     [--latency-ms 300] [--tarpit-share 0.02] [--flaky-share 0.03] [--seed 1] [--workers 1,2]
     [--no-scrapy] [--timeout S]

Needs the local stack (`scrapestream infra up`); everything runs on loopback and stops by itself.
The world is `python -m webworld` in a process of its own: --domains domains on addresses of their
own, each allowing --rate requests per second and --concurrency at a time (or a longer robots.txt
Crawl-delay), answering in about --latency-ms (slow domains, strict ones, robots.txt variants: the
world's defaults), some of them tarpits (5-8 s an answer) or flaky (503 with Retry-After). It
counts every request that breaks a limit, by kind; POST /reset between contenders forgets the
previous one's requests. Every product URL of the world (robots.txt-disallowed ones included) goes to:
  pipeline  the real pipeline (bench/e2e_bench.py's set-up: router, fan-out, N scraper workers in
            one consumer group, topics with a unique prefix, deleted afterwards), every request
            published at once, politeness set to the world's limits (domain rate and concurrency),
            everything else at its defaults; a result is complete when it arrives on the results topic;
  scrapy    bench/scrapy_web_baseline.py, a Scrapy spider with the same politeness settings and
            our extractor, in a process of its own;
  ceiling   webworld.politeness_ceiling(profiles, config): the fastest any polite scraper can
            fetch the allowed product pages of the non-tarpit domains, the 503s that flaky domains
            answer before a page included (the world draws them per path and request number).

Definitions (all times on time.monotonic(): the world stamps arrivals with it too, and
CLOCK_MONOTONIC is the same in every process of the machine):
  products OK   results with a product, from non-tarpit domains;
  products/s    products OK / (completion of the last of them - the world's first arrival of that
                contender); share of the ceiling = products/s / the ceiling's products/s;
  correct       products OK whose title, price and currency are what the world's page shows;
  missing       requests with neither a result nor a dead letter (Scrapy: URLs with no outcome);
  wall time     first request (publishing starts / the spider opens) to the last result;
  peak RSS      the highest resident set (VmHWM) of each scraper worker process / of Scrapy's.
Prints a markdown table (one column per contender) and writes docs/web_bench.png: cumulative
products OK over seconds since each contender's first arrival at the world, with the ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import matplotlib.pyplot as plt  # headless here: matplotlib falls back to its Agg backend

# Run as a script, this file's folder is on sys.path: the other benches are importable.
from e2e_bench import peak_mib, publish

from scrapestream.config import Settings, load_settings
from scrapestream.demo.ledger import LedgerFollower
from scrapestream.demo.main import DemoEnvironment, delete_topics, wait_until_up
from scrapestream.demo.report import show_status
from scrapestream.infra.service_process import free_port
from scrapestream.supervisor import ProcessGroup, prepare, start_pipeline
from scrapestream.topics import TopicNames
from webworld import (
    VIOLATION_KINDS,
    Ceiling,
    DomainProfile,
    WorldConfig,
    WorldProcess,
    politeness_ceiling,
)
from webworld.catalog import CURRENCIES, make_product

ROOT = Path(__file__).resolve().parent.parent
PLOT = ROOT / "docs" / "web_bench.png"
STATUS_SECONDS = 5.0
JOIN_SECONDS = 5.0  # for the Faust workers to finish joining their groups (as in e2e_bench)


class Reading(NamedTuple):
    """A product page as read by a contender, or as the world says it is."""

    title: str | None
    price_minor: int | None
    currency: str | None


@dataclass
class Run:
    """What one contender did."""

    readings: dict[str, Reading]  # URL -> what was read, for every OK product
    completed: dict[str, float]  # URL -> when its OK result was complete
    statuses: Counter[str]
    dead_letters: int | None  # None: the contender has no dead letters (Scrapy)
    missing: int
    per_worker: list[int]  # results by scraper process (Scrapy: its one process)
    peak_mib: list[float]
    first_request: float
    last_result: float
    world: dict[str, Any]  # the world's /stats at the end


def world_config(args: argparse.Namespace) -> WorldConfig:
    """The bench's world: its flags, the world's defaults for everything else."""
    return WorldConfig(
        seed=args.seed,
        domains=args.domains,
        products_per_domain=args.products,
        rate=args.rate,
        concurrency=args.concurrency,
        median_latency_ms=args.latency_ms,
        tarpit_share=args.tarpit_share,
        flaky_share=args.flaky_share,
    )


def world_truth(world: WorldProcess) -> dict[str, Reading]:
    """URL -> what its product page shows, for the product pages of non-tarpit domains."""
    return {
        profile.base_url + path: expected_reading(world.config.seed, profile, number)
        for profile in world.profiles
        if not profile.tarpit
        for number, path in enumerate(profile.products)
    }


def expected_reading(seed: int, profile: DomainProfile, number: int) -> Reading:
    expected = make_product(seed, profile.index, number, profile.currency).expected
    return Reading(expected.title, to_minor(expected.price, expected.currency), expected.currency)


def to_minor(price: Decimal, currency: str) -> int:
    return int(price.scaleb(CURRENCIES[currency][1]))


def world_line(stats: dict[str, Any]) -> str:
    violations = " ".join(f"{kind}={count}" for kind, count in stats["violations"].items())
    return (
        f"world: {stats['requests']} requests, {stats['pages']} pages, "
        f"429s {stats['sent_429']}, 503s {stats['sent_503']}, violations {violations}"
    )


def watch(
    label: str,
    world: WorldProcess,
    deadline: float,
    finished: Callable[[], bool],
    progress: Callable[[], str],
) -> None:
    """Wait until `finished()` or the deadline, with a status line every STATUS_SECONDS."""
    started = next_line = time.monotonic()
    while not finished() and time.monotonic() < deadline:
        if time.monotonic() >= next_line:
            elapsed = time.monotonic() - started
            show_status(f"[{label} {elapsed:5.0f} s] {progress()} | {world_line(world.stats().to_json())}")
            next_line += STATUS_SECONDS
        time.sleep(0.5)


# -- the pipeline ----------------------------------------------------------------------------
class TimedFollower(LedgerFollower):
    """The demo's ledger, plus when each request's first result and each dead letter arrived here."""

    def __init__(self, settings: Settings, names: TopicNames) -> None:
        super().__init__(settings, names)
        self.received: dict[str, float] = {}  # request id -> time.monotonic() at its first result
        self.last = 0.0  # the last result or dead letter

    def _on_result(self, value: bytes) -> None:
        self.last = time.monotonic()
        count = len(self.ledger.results)
        super()._on_result(value)
        if len(self.ledger.results) > count:  # the ledger keeps a request's first result only: this one
            self.received[next(reversed(self.ledger.results))] = self.last

    def _on_dead_letter(self, value: bytes) -> None:
        self.last = time.monotonic()
        super()._on_dead_letter(value)


def run_pipeline(
    settings: Settings, world: WorldProcess, args: argparse.Namespace, workers: int, label: str
) -> Run:
    demo = DemoEnvironment(
        f"bench.web.{uuid.uuid4().hex[:6]}.", {}, f"http://127.0.0.1:{free_port()}", secrets.token_urlsafe(16)
    )
    env = demo.process_env(settings) | {
        "SCRAPESTREAM_SSRF_ALLOWLIST": world.network,
        # The demo turns politeness off for its own shop; here it is the world's limits.
        "SCRAPESTREAM_SCRAPER_DOMAIN_RATE": str(args.rate),
        "SCRAPESTREAM_SCRAPER_DOMAIN_CONCURRENCY": str(args.concurrency),
    }
    urls = world.product_urls()
    with contextlib.redirect_stdout(sys.stderr):  # the migrations' messages: stdout is for the table
        prepare(settings, demo.prefix)
    try:
        with ProcessGroup(settings.logs_dir / demo.prefix.rstrip("."), env) as group:
            print(f"==> {label}: logs in {group.logs_dir}", file=sys.stderr, flush=True)
            start_pipeline(group, demo.prefix, workers)
            asyncio.run(wait_until_up(demo, group))
            time.sleep(JOIN_SECONDS)
            follower = TimedFollower(settings, demo.names)
            follower.start()
            world.reset()
            first_request = time.monotonic()
            publish(settings, demo.names.requests, urls, 0)
            ledger = follower.ledger

            def finished() -> bool:
                group.check()  # a process that died ends the bench, naming its log
                with follower.lock:
                    return len(ledger.results) + sum(ledger.dead_letters.values()) >= len(urls)

            def progress() -> str:
                with follower.lock:
                    statuses, dead = ledger.statuses(), sum(ledger.dead_letters.values())
                results = sum(statuses.values())
                return f"results {results}/{len(urls)} (OK {statuses['OK']}), dead letters {dead}"

            watch(label, world, first_request + args.timeout, finished, progress)
            scrapers = [pid for name, pid in group.pids().items() if name.startswith("scraper-")]
            peaks = [peak_mib(pid) for pid in scrapers]
            follower.stop()
    finally:
        delete_topics(settings, demo.prefix)
    return pipeline_run(follower, len(urls), scrapers, peaks, first_request, world.stats().to_json())


def pipeline_run(
    follower: TimedFollower,
    published: int,
    scrapers: list[int],
    peaks: list[float],
    first_request: float,
    stats: dict[str, Any],
) -> Run:
    results = follower.ledger.results
    # A result names the worker that scraped it as host/pid (consumers.scraper.engine).
    by_scraper = Counter(result["scraper_id"] for result in results.values())
    ok = {rid: result for rid, result in results.items() if result["status"] == "OK" and result["product"]}
    dead_letters = sum(follower.ledger.dead_letters.values())
    return Run(
        readings={result["url"]: product_reading(result["product"]) for result in ok.values()},
        completed={result["url"]: follower.received[rid] for rid, result in ok.items()},
        statuses=follower.ledger.statuses(),
        dead_letters=dead_letters,
        missing=published - len(results) - dead_letters,
        per_worker=[by_scraper[f"{socket.gethostname()}/{pid}"] for pid in scrapers],
        peak_mib=peaks,
        first_request=first_request,
        last_result=follower.last,
        world=stats,
    )


def product_reading(product: dict[str, Any]) -> Reading:
    price = product["price"]
    if price is None:
        return Reading(product["title"], None, None)
    return Reading(product["title"], price["amount_minor"], price["currency"])


# -- Scrapy ----------------------------------------------------------------------------------
def run_scrapy(settings: Settings, world: WorldProcess, args: argparse.Namespace, logs_dir: Path) -> Run:
    """bench/scrapy_web_baseline.py over the world's URLs; at the timeout it is asked to stop (SIGINT)."""
    urls = world.product_urls()
    with tempfile.TemporaryDirectory() as scratch:
        listing, output = Path(scratch) / "urls.txt", Path(scratch) / "scrapy.json"
        listing.write_text("\n".join(urls))
        command = [
            *(sys.executable, str(ROOT / "bench" / "scrapy_web_baseline.py"), str(listing)),
            *("--rate", str(args.rate), "--concurrency", str(args.concurrency)),
            *("--user-agent", settings.scraper_user_agent),
        ]
        print(f"==> Scrapy: log in {logs_dir / 'scrapy.log'}", file=sys.stderr, flush=True)
        world.reset()
        with output.open("w") as out, (logs_dir / "scrapy.log").open("w") as log:
            spider = subprocess.Popen(command, stdout=out, stderr=log, cwd=ROOT)
        deadline = time.monotonic() + args.timeout
        watch("Scrapy", world, deadline, lambda: spider.poll() is not None, lambda: "spider running")
        if spider.poll() is None:
            spider.send_signal(signal.SIGINT)  # Scrapy's graceful stop: it still prints what it has
        if spider.wait(120) != 0:
            raise RuntimeError(f"the Scrapy spider failed; see {logs_dir / 'scrapy.log'}")
        figures = json.loads(output.read_text().strip().splitlines()[-1])
    items = figures["items"]  # [url, title, price_minor, currency, completed at]
    outcomes = Counter[str](figures["outcomes"])
    return Run(
        readings={url: Reading(*fields) for url, *fields, _ in items},
        completed={url: at for url, *_, at in items},
        statuses=outcomes,
        dead_letters=None,
        missing=len(urls) - outcomes.total(),
        per_worker=[outcomes.total()],
        peak_mib=[figures["peak_mib"]],
        first_request=figures["opened"],
        last_result=figures["last"],
        world=world.stats().to_json(),
    )


# -- report ----------------------------------------------------------------------------------
def products_per_second(run: Run, truth: dict[str, Reading]) -> float:
    times = [at for url, at in run.completed.items() if url in truth]
    first = run.world["first_arrival"]
    return len(times) / (max(times) - first) if times and first is not None else float("nan")


def column(run: Run, truth: dict[str, Reading], ceiling: Ceiling) -> dict[str, str]:
    """The table's cells of one contender, by row name."""
    ok = [url for url in run.readings if url in truth]
    rate = products_per_second(run, truth)
    stats = run.world
    return {
        "products OK (non-tarpit domains)": str(len(ok)),
        "of them correct (title, price, currency)": str(sum(run.readings[url] == truth[url] for url in ok)),
        "products/s": f"{rate:.1f}",
        "share of the ceiling": f"{rate / ceiling.products_per_second:.0%}",
        "wall time, first request to last result (s)": f"{run.last_result - run.first_request:.0f}",
        **{f"violations: {kind}": str(stats["violations"][kind]) for kind in VIOLATION_KINDS},
        "requests the world saw / 429s / 503s sent": f"{stats['requests']} / {stats['sent_429']} / "
        f"{stats['sent_503']}",
        "results by status": ", ".join(f"{status} {count}" for status, count in run.statuses.most_common()),
        "dead letters": "-" if run.dead_letters is None else str(run.dead_letters),
        "missing": str(run.missing),
        "results per scraper process": " / ".join(map(str, run.per_worker)),
        "peak RSS of the scraper process(es), MiB": " / ".join(f"{mib:.0f}" for mib in run.peak_mib),
    }


def ceiling_column(ceiling: Ceiling) -> dict[str, str]:
    return {
        "products OK (non-tarpit domains)": str(ceiling.pages),
        "products/s": f"{ceiling.products_per_second:.1f}",
        "share of the ceiling": "100%",
        "wall time, first request to last result (s)": f"{ceiling.seconds:.0f}",
    }


def violators(run: Run, shown: int = 3) -> str:
    """How many domains saw a violation, and the `shown` that saw the most (to look into)."""
    rows = [row for row in run.world["domains"] if any(row["violations"].values())]
    rows.sort(key=lambda row: sum(row["violations"].values()), reverse=True)
    worst = "; ".join(f"{row['domain']} ({violation_text(row['violations'])})" for row in rows[:shown])
    return f"{len(rows)} domains" + (f", most: {worst}" if rows else "")


def violation_text(violations: dict[str, int]) -> str:
    return ", ".join(f"{kind} {count}" for kind, count in violations.items() if count)


def report(
    args: argparse.Namespace,
    world: WorldProcess,
    truth: dict[str, Reading],
    ceiling: Ceiling,
    runs: dict[str, Run],
) -> str:
    columns = {label: column(run, truth, ceiling) for label, run in runs.items()}
    columns["politeness ceiling"] = ceiling_column(ceiling)
    rows = next(iter(columns.values())).keys()  # the first contender's (or the ceiling's) rows
    table = [["", *columns], ["---", *("---:" for _ in columns)]]
    table += [[row, *(cells.get(row, "-") for cells in columns.values())] for row in rows]
    lines = ["| " + " | ".join(cells) + " |" for cells in table]
    tarpits = sum(profile.tarpit for profile in world.profiles)
    violated = [f"- {label}: {violators(run)}" for label, run in runs.items()]
    return (
        f"Command: `.venv/bin/python bench/web_bench.py {' '.join(sys.argv[1:])}`\n\n"
        f"World (seed {args.seed}): {args.domains} domains x {args.products} products, {args.rate:g} "
        f"requests/s and {args.concurrency} at a time per domain, median latency {args.latency_ms:g} ms, "
        f"{tarpits} tarpit domains (left out of products OK and the ceiling); {ceiling.pages} product pages "
        f"robots.txt allows on the others, politely in no less than {ceiling.seconds:.0f} s.\n\n"
        + "\n".join(lines)
        + "\n\nDomains where a limit was broken:\n"
        + "\n".join(violated)
    )


def plot(runs: dict[str, Run], truth: dict[str, Reading], ceiling: Ceiling) -> None:
    plt.figure(figsize=(8, 4.5))
    for label, run in runs.items():
        first = run.world["first_arrival"] or 0.0
        seconds = sorted(at - first for url, at in run.completed.items() if url in truth)
        plt.plot(seconds, range(1, len(seconds) + 1), label=label)
    plt.plot(
        [0, ceiling.seconds],
        [0, ceiling.pages],
        "k--",
        label=f"politeness ceiling ({ceiling.products_per_second:.1f}/s)",
    )
    plt.xlabel("seconds since the contender's first request arrived at the world")
    plt.ylabel("products OK (non-tarpit domains)")
    plt.title("Polite scraping of a web world: products completed over time")
    plt.legend()
    plt.tight_layout()
    plt.savefig(PLOT, dpi=110)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--domains", type=int, default=2000)
    parser.add_argument("--products", type=int, default=10, help="products per domain")
    parser.add_argument("--rate", type=float, default=0.1, help="requests per second each domain allows")
    parser.add_argument("--concurrency", type=int, default=1, help="requests at a time each domain allows")
    parser.add_argument("--latency-ms", type=float, default=300, help="median latency of a domain")
    parser.add_argument("--tarpit-share", type=float, default=0.02)
    parser.add_argument("--flaky-share", type=float, default=0.03)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", default="1,2", help="pipeline rows: scraper workers of each")
    parser.add_argument("--no-scrapy", action="store_true")
    parser.add_argument("--timeout", type=float, help="seconds per contender (default: 3 x ceiling + 120)")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    settings = load_settings()
    logs_dir = settings.logs_dir / "web_bench"
    config = world_config(args)
    world = WorldProcess(config, logs_dir)
    try:
        ceiling = politeness_ceiling(world.profiles, config)
        args.timeout = args.timeout or 3 * ceiling.seconds + 120
        print(f"==> ceiling {ceiling}, timeout {args.timeout:.0f} s per contender", file=sys.stderr)
        runs = {}
        for workers in map(int, args.workers.split(",")):
            label = f"pipeline, {workers} scraper worker{'s' if workers > 1 else ''}"
            runs[label] = run_pipeline(settings, world, args, workers, label)
        if not args.no_scrapy:
            runs["Scrapy"] = run_scrapy(settings, world, args, logs_dir)
    finally:
        world.stop()
    truth = world_truth(world)
    plot(runs, truth, ceiling)
    print(report(args, world, truth, ceiling, runs))
    print(f"\nPlot: {PLOT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
