"""Soak: stream workers join and leave the router group under a steady request flow, cycle after cycle.

Each cycle, on private topics: a router starts, requests flow (unique URLs, so each one is new to the
dedup table and writes its changelog), a second and a third router join `--join-gap` seconds apart
(the second rebalance lands while the first one's table recovery runs), the first router leaves.
Then the cycle checks that the router group caught up (every partition committed to its end) and
that every accepted request went out in a task. A stall in table recovery leaves partitions
unread, so the first check fails; a lost request fails the second.

    python -m tests.soak.router_rebalance --cycles 30 --busy

`--busy` runs a spinning process meanwhile, as on a loaded 2-core CI machine: rebalances then
overlap more often. The logs of every failed cycle are kept and printed. Needs the local stack
(`scrapestream infra up`).
"""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from producers.publisher import RequestPublisher
from schemas.codec import Codec
from scrapestream import lag
from scrapestream.config import Settings, load_settings
from scrapestream.supervisor import ProcessGroup
from scrapestream.topics import ConsumerGroups, TopicNames
from tests.integration.pipeline import prefix_of, private_topics
from tests.integration.request_topics import message_count, read_messages

URL_BASE = "http://127.0.0.1:9/p/"  # nothing is scraped here: the routers only dedup, batch and route
CATCH_UP_SECONDS = 60.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cycles", type=int, default=10)
    parser.add_argument("--join-gap", type=float, default=3.0, help="seconds between the two joins")
    parser.add_argument("--rate", type=float, default=30.0, help="requests per second")
    parser.add_argument("--busy", action="store_true", help="run a spinning process meanwhile")
    args = parser.parse_args()
    settings = load_settings()
    logs = settings.data_dir / "soak" / "router-rebalance"
    failures = []
    with busy_process(args.busy):
        for cycle in range(1, args.cycles + 1):
            cycle_logs = logs / f"cycle-{cycle}"
            shutil.rmtree(cycle_logs, ignore_errors=True)
            problems = run_cycle(settings, args, cycle_logs)
            print(f"cycle {cycle}/{args.cycles}: {'; '.join(problems) or 'ok'}", flush=True)
            if problems:
                failures.append(cycle)
            else:
                shutil.rmtree(cycle_logs)  # only failed cycles' worker logs are worth keeping
    print(
        f"{args.cycles} cycles, {len(failures)} failed"
        + (f": {failures}, logs in {logs}" if failures else "")
    )
    return 1 if failures else 0


def run_cycle(settings: Settings, args: argparse.Namespace, logs: Path) -> list[str]:
    with private_topics(settings) as names, ProcessGroup(logs) as group:
        prefix = prefix_of(names)

        def start_router(name: str) -> None:
            group.start(name, "worker", "streams", "--topic-prefix", prefix, "--loglevel", "info")

        start_router("router")
        with SteadyRequests(settings, names.requests, args.rate) as requests:
            time.sleep(10)
            start_router("router-2")
            time.sleep(args.join_gap)
            start_router("router-3")
            time.sleep(12)
            group.kill("router", signal.SIGTERM)
            time.sleep(10)
        problems = []
        if not caught_up(settings, prefix):
            problems.append(f"router group not caught up after {CATCH_UP_SECONDS:.0f}s")
        if unrouted := requests.accepted - routed_request_ids(settings, names):
            problems.append(f"{len(unrouted)} of {len(requests.accepted)} requests in no task")
        return problems


class SteadyRequests:
    """Publishes unique URLs at `rate` per second from a thread until the block ends."""

    def __init__(self, settings: Settings, topic: str, rate: float) -> None:
        self._publisher = RequestPublisher(settings, topic=topic)
        self._interval = 1 / rate
        self._stop = threading.Event()
        self._deliveries: list = []
        self._thread = threading.Thread(target=self._publish, daemon=True)
        self.accepted: set[str] = set()

    def __enter__(self) -> SteadyRequests:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self._publisher.flush(30)
        self._publisher.close()
        self.accepted = {delivery.result(30).request_id for delivery in self._deliveries}

    def _publish(self) -> None:
        number = 0
        while not self._stop.wait(self._interval):
            url = f"{URL_BASE}{number}"
            self._deliveries.append(self._publisher.publish(url, render="STATIC"))
            number += 1


def caught_up(settings: Settings, prefix: str) -> bool:
    group = ConsumerGroups.for_settings(settings, prefix).router
    topics = {group: lag.pipeline_groups(settings, prefix)[group]}
    deadline = time.monotonic() + CATCH_UP_SECONDS
    while time.monotonic() < deadline:
        if sum(partition.lag for partition in lag.measure(settings, topics)) == 0:
            return True
        time.sleep(2)
    return False


def routed_request_ids(settings: Settings, names: TopicNames) -> set[str]:
    codec = Codec.for_settings(settings)
    routed = set()
    for topic in names.tasks.values():
        for message in read_messages(settings, topic, message_count(settings, topic), timeout=60):
            routed.update(
                str(request["request_id"])
                for request in codec.decode("ScrapeTask", message.value())["requests"]
            )
    return routed


@contextmanager
def busy_process(enabled: bool) -> Iterator[None]:
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if enabled else None
    try:
        yield
    finally:
        if spinner is not None:
            spinner.kill()
            spinner.wait()


if __name__ == "__main__":
    sys.exit(main())
