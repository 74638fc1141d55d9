"""Scale-out on one machine: throughput of 1, 2 and 4 scraper processes and of 1 and 2 stream workers in
one consumer group, then rebalances while running, checked for lost and duplicated work.

Run: PYTHONPATH=. .venv/bin/python bench/scaleout_bench.py [--pages 3000] [--requests 20000]

Needs the local Kafka (`scrapestream infra up`). Loopback only: the demo shop is
`scrapestream demo-shop` in a process of its own; every worker is a real `scrapestream worker ...`
process; each run gets its own prefixed topics and consumer group (deleted afterwards).

scrapers  ScrapeTasks of 50 product pages on scrape.tasks.normal -> ScrapeResults. The demo shop
          has two static sites, i.e. two domains, and tasks are keyed by domain, which would cap
          parallelism at two partitions; so the tasks are spread over all partitions explicitly
          (production has many domains; here politeness is off: domain rate 0).
streams   ScrapeRequests for unique URLs over 6 domains (so batches fill to 50) -> the router (dedup,
          batch, route) -> ScrapeTasks. Every request id must come out in exactly one task.
Rate = requests between the 5th and 95th percentile of their output's broker timestamp divided by
that time span: the steady state, without start-up and the last partial batches (2 s timer).

Rebalance checks: scrapers start with 1 process, 2 more join at 25 % of the results, 1 more at 50 %,
one leaves (SIGTERM) at 75 %; the router starts with 1 process and a second joins at 25 %. Every
request id must have exactly one output: nothing lost, nothing duplicated.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka import ConsumerGroupState

from bench.scraper_bench import free_port, product_urls
from producers.publisher import RequestPublisher
from scrapestream.config import Settings, load_settings
from scrapestream.kafka import make_admin, make_producer
from scrapestream.topics import ConsumerGroups
from tests.integration.pipeline import Worker, prefix_of, private_topics
from tests.integration.request_topics import message_count
from tests.scraper_harness import CODEC, read_all, request, task

TASK_SIZE = 50
ROUTER_DOMAINS = 6
JOIN_TIMEOUT = 90.0
RUN_TIMEOUT = 120.0


@dataclass(frozen=True)
class Run:
    """What one run produced: per request id, how many outputs, and the broker time of each output."""

    label: str
    processes: int
    expected: set[str]
    outputs: Counter[str]
    stamps: list[int]  # broker timestamp (ms) of every output, per request

    @property
    def rate(self) -> float:
        stamps = sorted(self.stamps)
        low, high = stamps[len(stamps) // 20], stamps[len(stamps) * 19 // 20]
        return 0.9 * len(stamps) / max((high - low) / 1000, 1e-3)

    @property
    def lost(self) -> int:
        return len(self.expected - set(self.outputs))

    @property
    def duplicated(self) -> int:
        return sum(count - 1 for count in self.outputs.values() if count > 1)


# -- processes ------------------------------------------------------------------------------
@contextmanager
def demo_shop(products: int) -> Iterator[dict[str, str]]:
    """`scrapestream demo-shop` on free loopback ports; yields the base URL of each shop."""
    ports = {"microdata": free_port(), "jsonld": free_port(), "js": free_port()}
    command = [sys.executable, "-m", "scrapestream.cli", "demo-shop", "--products", str(products)]
    shop = subprocess.Popen(
        [*command, "--epoch-seconds", "0", "--ports", ",".join(map(str, ports.values()))],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for port in ports.values():
            deadline = time.monotonic() + 60
            while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
                assert shop.poll() is None and time.monotonic() < deadline, "the demo shop did not start"
                time.sleep(0.1)
        yield {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    finally:
        shop.terminate()
        shop.wait(10)


def wait_for_group(settings: Settings, group: str, members: int) -> None:
    """Until `group` is stable with `members` members that all own partitions."""
    admin = make_admin(settings)
    deadline = time.monotonic() + JOIN_TIMEOUT
    while time.monotonic() < deadline:
        description = admin.describe_consumer_groups([group])[group].result(10)
        owners = [m for m in description.members if m.assignment and m.assignment.topic_partitions]
        if description.state == ConsumerGroupState.STABLE and len(owners) == members:
            return
        time.sleep(0.5)
    raise TimeoutError(f"consumer group {group} did not settle with {members} members")


def wait_until(done: Callable[[], bool], at: float = 1.0) -> None:
    """Until `done()` (checked every `at` seconds) or RUN_TIMEOUT."""
    deadline = time.monotonic() + RUN_TIMEOUT
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError("the run did not finish in time")
        time.sleep(at)


# -- scrapers -------------------------------------------------------------------------------
def _result_ids(settings: Settings, topic: str) -> set[str]:
    """Request ids with a result so far (a run ends when every request has one, not at a count)."""
    return {str(found.record["request_id"]) for found in read_all(settings, topic, "ScrapeResult")}


def publish_tasks_spread(settings: Settings, topic: str, urls: list[str]) -> set[str]:
    """Tasks of TASK_SIZE requests, round-robin over the topic's partitions; returns the request ids."""
    producer = make_producer(settings)
    ids: set[str] = set()
    for number, start in enumerate(range(0, len(urls), TASK_SIZE)):
        one = task([request(url) for url in urls[start : start + TASK_SIZE]])
        ids.update(str(r["request_id"]) for r in one["requests"])
        value = CODEC.encode("ScrapeTask", one)
        producer.produce(topic, value, one["domain"], partition=number % settings.kafka_partitions)
    assert producer.flush(30) == 0
    return ids


def scraper_run(settings: Settings, log_dir: Path, urls: list[str], plan: list[tuple[float, int]]) -> Run:
    """Scrape `urls`; `plan` = (fraction of results done, processes to add (+) or stop (-)), first at 0."""
    with private_topics(settings) as names:
        prefix = prefix_of(names)
        env = {
            "SCRAPESTREAM_SSRF_ALLOWLIST": "127.0.0.1",
            "SCRAPESTREAM_SCRAPER_DOMAIN_RATE": "0",
            "SCRAPESTREAM_SCRAPER_DOMAIN_CONCURRENCY": "64",
        }
        workers = [
            Worker(settings, log_dir, "scraper", "--topic-prefix", prefix, env=env) for _ in range(plan[0][1])
        ]
        try:
            wait_for_group(settings, ConsumerGroups.for_settings(settings, prefix).scrapers, len(workers))
            expected = publish_tasks_spread(settings, names.tasks["NORMAL"], urls)
            for fraction, change in plan[1:]:
                wait_until(lambda f=fraction: message_count(settings, names.results) >= f * len(urls), 0.1)
                if change > 0:
                    workers += [
                        Worker(settings, log_dir, "scraper", "--topic-prefix", prefix, env=env)
                        for _ in range(change)
                    ]
                else:
                    workers.pop(0).stop()
            wait_until(lambda: expected <= _result_ids(settings, names.results))
        finally:
            for worker in workers:
                worker.stop()
        found = read_all(settings, names.results, "ScrapeResult")
    outputs = Counter(str(f.record["request_id"]) for f in found)
    peak = sum(change for _, change in plan if change > 0)
    return Run("scrapers", peak, expected, outputs, [f.timestamp for f in found])


# -- stream workers -------------------------------------------------------------------------
def router_run(settings: Settings, log_dir: Path, count: int, plan: list[tuple[float, int]]) -> Run:
    """Route `count` unique requests; `plan` as in scraper_run (fractions of requests routed)."""
    with private_topics(settings) as names:
        prefix = prefix_of(names)
        group = ConsumerGroups.for_settings(settings, prefix).router
        args = ("streams", "--topic-prefix", prefix)
        workers = [Worker(settings, log_dir, *args) for _ in range(plan[0][1])]
        tasks_topics = list(names.tasks.values())
        try:
            wait_for_group(settings, group, len(workers))
            run_id = uuid.uuid4().hex[:6]
            urls = [f"https://shop-{n % ROUTER_DOMAINS}.example/{run_id}/p/{n}" for n in range(count)]
            with RequestPublisher(settings, topic=names.requests) as publisher:
                expected = {d.result(30).request_id for d in publisher.publish_many(urls, priority="normal")}
            for fraction, change in plan[1:]:
                wait_until(lambda f=fraction: _routed(settings, tasks_topics) >= f * count / TASK_SIZE, 0.1)
                workers += [Worker(settings, log_dir, *args) for _ in range(change)]
            wait_until(lambda: expected <= _routed_ids(settings, tasks_topics), 2.0)
        finally:
            for worker in workers:
                worker.stop()
        found = [f for topic in tasks_topics for f in read_all(settings, topic, "ScrapeTask")]
    outputs: Counter[str] = Counter()
    stamps = []
    for one in found:
        outputs.update(str(r["request_id"]) for r in one.record["requests"])
        stamps += [one.timestamp] * len(one.record["requests"])
    return Run("streams", sum(change for _, change in plan), expected, outputs, stamps)


def _routed(settings: Settings, topics: list[str]) -> int:
    """Tasks written so far (each holds up to TASK_SIZE requests)."""
    return sum(message_count(settings, topic) for topic in topics)


def _routed_ids(settings: Settings, topics: list[str]) -> set[str]:
    """Request ids in the tasks written so far (duplicates do not count twice)."""
    return {
        str(r["request_id"])
        for topic in topics
        for f in read_all(settings, topic, "ScrapeTask")
        for r in f.record["requests"]
    }


# -- report ---------------------------------------------------------------------------------
def print_scaling(runs: list[Run]) -> None:
    base = runs[0].rate
    for run in runs:
        print(
            f"  {run.processes} process(es): {len(run.stamps):>6} outputs  {run.rate:>8.0f} requests/s  "
            f"x{run.rate / base:.2f} of 1 process  (ideal x{run.processes})  "
            f"lost {run.lost}, duplicated {run.duplicated}"
        )


def print_rebalance(run: Run, story: str) -> bool:
    ok = run.lost == 0 and run.duplicated == 0 and len(run.expected) == len(run.outputs)
    print(
        f"  {run.label}: {story}: {len(run.expected)} requests, {len(run.outputs)} with an output, "
        f"lost {run.lost}, duplicated {run.duplicated} -> {'OK' if ok else 'FAILED'}"
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=3000, help="product pages per scraper run")
    parser.add_argument("--requests", type=int, default=20000, help="requests per stream-worker run")
    args = parser.parse_args()
    settings = load_settings()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="scaleout-") as logs, demo_shop(args.pages) as shops:
        log_dir = Path(logs)
        urls = product_urls(shops, args.pages)
        scraper_run(settings, log_dir, urls[:200], [(0, 1)])  # warm the shop's page cache and the imports
        scrapers = [scraper_run(settings, log_dir, urls, [(0, n)]) for n in (1, 2, 4)]
        routers = [router_run(settings, log_dir, args.requests, [(0, n)]) for n in (1, 2)]
        scraper_moves = [(0, 1), (0.25, 2), (0.5, 1), (0.75, -1)]
        scraper_rebalance = scraper_run(settings, log_dir, urls, scraper_moves)
        router_rebalance = router_run(settings, log_dir, args.requests, [(0, 1), (0.25, 1)])
    print(f"{os.cpu_count()} cores; {settings.kafka_partitions} partitions per topic; ", end="")
    print(f"whole run {time.monotonic() - started:.0f} s")
    print(f"scraper workers, {args.pages} product pages each run:")
    print_scaling(scrapers)
    print(f"stream workers (dedup, batch, route), {args.requests} requests each run:")
    print_scaling(routers)
    print("rebalancing while running:")
    ok = print_rebalance(scraper_rebalance, "1 process, +2 at 25 %, +1 at 50 %, one SIGTERMed at 75 %")
    ok &= print_rebalance(router_rebalance, "1 process, +1 at 25 %")
    return 0 if ok else 1


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # clean up topics and processes
    sys.exit(main())
