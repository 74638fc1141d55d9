"""Faults injected into the whole running pipeline; each test ends with the zero-loss accounting.

Every test runs the demo shop, stream, scraper and fan-out workers as separate processes on
private topics (tests/integration/fault_pipeline.py), publishes a steady workload, injects its
fault while results flow and then audits: every accepted request ended in a result or a dead
letter, and neither Cassandra nor ClickHouse (after FINAL) holds a row twice.

The broker and Cassandra tests stop the stack's own servers: they restart them (and wait until
they answer) before returning, whatever happened. docs/reliability.md (part 1) has the observed
figures and the command for each fault.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from scrapestream.config import Settings
from scrapestream.infra.cassandra_server import CassandraService
from scrapestream.infra.java import JavaService
from scrapestream.infra.kafka_server import KafkaService
from tests.integration.fault_pipeline import (
    FaultPipeline,
    SteadyWorkload,
    assert_zero_loss,
    audit,
    fault_pipeline,
)

pytestmark = pytest.mark.integration


@contextlib.contextmanager
def restarted_on_exit(service: JavaService) -> Iterator[JavaService]:
    """Whatever the test does to `service`, it is running and answering again afterwards."""
    try:
        yield service
    finally:
        if not service.pids():
            service.wait_ready(service.start())


def kill_hard(service: JavaService) -> None:
    pids = service.pids()
    assert pids, f"the local {service.name} is not running"
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while service.pids() and time.monotonic() < deadline:
        time.sleep(0.1)


def test_kafka_broker_killed_and_restarted_loses_nothing(stack: Settings, tmp_path: Path) -> None:
    with fault_pipeline(stack, tmp_path) as pipeline, restarted_on_exit(KafkaService(stack)) as kafka:
        with SteadyWorkload(pipeline, pipeline.product_urls()) as workload:
            pipeline.wait_for_results(60)
            kill_hard(kafka)
            time.sleep(5)  # the broker stays down while the publisher and every worker keep going
            kafka.wait_ready(kafka.start())
        assert_zero_loss(audit(pipeline, workload), pipeline)


def test_workers_killed_mid_batch_and_replaced_lose_nothing(stack: Settings, tmp_path: Path) -> None:
    with fault_pipeline(stack, tmp_path) as pipeline:
        with SteadyWorkload(pipeline, pipeline.product_urls()) as workload:
            for progress, (name, role) in enumerate(
                [("scraper-1", "scraper"), ("router", "streams"), ("fanout", "fanout")], start=1
            ):
                pipeline.wait_for_results(progress * 60)
                pipeline.group.kill(name)
                pipeline.start_worker(f"{name}-replacement", role)
        assert_zero_loss(audit(pipeline, workload), pipeline)


def test_cassandra_stopped_for_30_seconds_loses_nothing(stack: Settings, tmp_path: Path) -> None:
    with fault_pipeline(stack, tmp_path) as pipeline, restarted_on_exit(CassandraService(stack)) as db:
        with SteadyWorkload(pipeline, pipeline.product_urls(), per_second=8) as workload:
            pipeline.wait_for_results(40)
            db.stop()
            during = pipeline.results()
            time.sleep(30)
            scraped_meanwhile = pipeline.results() - during
            db.wait_ready(db.start())
        accounting = audit(pipeline, workload)
    assert scraped_meanwhile > 0, "scraping stopped while only Cassandra was down"
    assert_zero_loss(accounting, pipeline)


@contextlib.contextmanager
def unwritable(directory: Path) -> Iterator[None]:
    """Nothing can create files under `directory` until the block ends (a full or read-only disk).

    Root ignores permission bits, so as root the directories are made immutable instead.
    """
    targets = [directory, *(path for path in directory.rglob("*") if path.is_dir())]
    lock, unlock = (
        (["chattr", "+i"], ["chattr", "-i"]) if os.geteuid() == 0 else (["chmod", "a-w"], ["chmod", "u+w"])
    )
    locked: list[str] = []
    try:
        for target in targets:
            if subprocess.run([*lock, str(target)], capture_output=True).returncode == 0:
                locked.append(str(target))
            elif target.exists():  # else ClickHouse removed it meanwhile (a tmp_insert_* directory)
                raise RuntimeError(f"{' '.join(lock)} failed on {target}")
        yield
    finally:
        if locked:
            subprocess.run([*unlock, *locked], check=True)


def test_clickhouse_store_unwritable_for_a_while_loses_nothing(stack: Settings, tmp_path: Path) -> None:
    with fault_pipeline(stack, tmp_path) as pipeline:
        store = pipeline.settings.clickhouse_path / "store"
        with SteadyWorkload(pipeline, pipeline.product_urls()) as workload:
            pipeline.wait_for_results(60)
            with unwritable(store):
                time.sleep(15)
        accounting = audit(pipeline, workload)
    assert_zero_loss(accounting, pipeline)
    assert not accounting.dead_letters, (
        f"results were dead-lettered instead of retried: {accounting.summary()}"
    )


def outage(pipeline: FaultPipeline, shop: str, mode: str, seconds: float) -> None:
    url = f"{pipeline.shop_urls[shop]}/_admin/outage?mode={mode}&seconds={seconds}"
    with urllib.request.urlopen(urllib.request.Request(url, method="POST"), timeout=5) as answer:
        assert answer.status == 200


def test_one_shop_failing_opens_its_breaker_and_leaves_the_other_shop_alone(
    stack: Settings, tmp_path: Path
) -> None:
    fast_failures = {
        "SCRAPESTREAM_SCRAPER_TIMEOUT_SECONDS": "2",
        "SCRAPESTREAM_SCRAPER_BREAKER_COOLDOWN_SECONDS": "3",
    }
    with fault_pipeline(stack, tmp_path, env=fast_failures) as pipeline:
        with SteadyWorkload(pipeline, pipeline.product_urls(), per_second=10) as workload:
            # Timed by publishing, not by results: 12 s of the 30 s workload are left after the outage.
            pipeline.wait_until(lambda: workload.published() >= 60, "60 requests published")
            began = time.time()
            outage(pipeline, "jsonld", "error", 6)  # 503 for every page
            time.sleep(6)
            outage(pipeline, "jsonld", "timeout", 6)  # then every page hangs
            time.sleep(6)
            ended = time.time()
        accounting = audit(pipeline, workload)
        with pipeline.ledger.lock:
            results = list(pipeline.ledger.ledger.results.values())
    domains = pipeline.domains
    failing = [r for r in results if r["domain"] == domains["jsonld"]]
    healthy = [r for r in results if r["domain"] == domains["microdata"]]
    assert any("circuit open" in (r["error"] or "") for r in failing), (
        "the failing shop's breaker never opened"
    )
    assert all(r["status"] == "OK" for r in healthy), [r["error"] for r in healthy if r["status"] != "OK"][:5]
    during = [r for r in healthy if began <= r["scraped_at"].timestamp() < ended]
    published = [
        url
        for url in workload.published_between(began, ended)
        if url.startswith(pipeline.shop_urls["microdata"])
    ]
    assert len(during) >= len(published) // 2, (
        f"the healthy shop slowed down: {len(during)} results during the outage for {len(published)} requests"
    )
    # After the outage and a breaker cool-down, the failing shop's pages are scraped again.
    recovered = set(workload.published_between(ended + 5, float("inf")))
    late = [r for r in failing if r["url"] in recovered]
    assert late and all(r["status"] == "OK" for r in late), [(r["status"], r["error"]) for r in late][:5]
    assert_zero_loss(accounting, pipeline)


def test_consumer_group_rebalance_under_load_loses_nothing(stack: Settings, tmp_path: Path) -> None:
    with fault_pipeline(stack, tmp_path) as pipeline:
        with SteadyWorkload(pipeline, pipeline.product_urls()) as workload:
            pipeline.wait_for_results(40)
            pipeline.start_worker("scraper-2", "scraper")  # joins: partitions move to it
            pipeline.start_worker("router-2", "streams")
            pipeline.wait_for_results(120)
            pipeline.group.kill("scraper-1", signal.SIGTERM)  # leaves cleanly: its partitions move back
            pipeline.start_worker("scraper-3", "scraper")
            pipeline.wait_for_results(200)
            pipeline.group.kill("router", signal.SIGTERM)
        assert_zero_loss(audit(pipeline, workload), pipeline)
