"""The scraper worker on the real local Kafka, against the in-process demo shop, on topics of its own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from consumers.scraper.consumer import ScraperTopics
from demoshop.catalog import Catalog
from demoshop.config import FaultConfig
from scrapestream.config import Settings
from scrapestream.kafka import make_producer
from tests.scraper_harness import (
    WorkerThread,
    committed,
    create_test_topics,
    js_profiles,
    publish_tasks,
    read_all,
    request,
    scraper_settings,
    task,
)
from tests.unit.shop_runner import RunningShop

pytestmark = pytest.mark.integration
CATALOG = Catalog(seed=42, size=2_000)


@pytest.fixture(scope="module")
def shop() -> Iterator[RunningShop]:
    with RunningShop(CATALOG, faults=FaultConfig(latency_rate=1.0, latency_ms=40)) as running:
        yield running


def product_tasks(
    shop: RunningShop, count: int, per_task: int, priority: str = "NORMAL", first: int = 1
) -> list:
    numbers = iter(range(first, first + count * per_task))
    return [
        task(
            [
                request(shop.url("microdata", f"/product/{next(numbers)}/x"), priority=priority)
                for _ in range(per_task)
            ],
            priority,
        )
        for _ in range(count)
    ]


def request_ids(tasks: list[dict[str, Any]]) -> list[uuid.UUID]:
    return [one["request_id"] for t in tasks for one in t["requests"]]


def test_one_result_per_request_and_commits_follow_results(
    stack: Settings, prefix: str, shop: RunningShop
) -> None:
    settings = scraper_settings(stack, scraper_group_id=prefix + "scrapers")
    topics = create_test_topics(settings, prefix)
    tasks = product_tasks(shop, count=30, per_task=10)
    category = CATALOG.categories[3]
    crawl = task([request(shop.url("microdata", f"/c/{category.slug}"), kind="CATEGORY")])
    publish_tasks(settings, topics.tasks["NORMAL"], [*tasks, crawl])
    stored = read_all(settings, topics.tasks["NORMAL"], "ScrapeTask", len(tasks) + 1)
    task_of_offset = {
        (f.partition, f.offset): [r["request_id"] for r in f.record["requests"]] for f in stored
    }
    checks = 0
    with WorkerThread(settings, topics):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            points = committed(settings, settings.scraper_group_id, topics)
            results = {
                record["request_id"]
                for record in (found.record for found in read_all(settings, topics.results, "ScrapeResult"))
            }
            for (_, partition), offset in points.items():
                for earlier in range(max(offset, 0)):  # every task before a commit point has all its results
                    assert set(task_of_offset[(partition, earlier)]) <= results
                    checks += 1
            if sum(max(offset, 0) for offset in points.values()) == len(stored):
                break  # all committed while running (on a loaded machine perhaps only after the last result)
    assert checks >= len(stored)
    results = read_all(settings, topics.results, "ScrapeResult", 301)
    by_request = {}
    for found in results:
        by_request.setdefault(found.record["request_id"], []).append((found.key, found.record))
    assert set(by_request) == set(request_ids([*tasks, crawl]))
    assert all(len(found) == 1 for found in by_request.values())  # a clean run has no duplicates
    key, record = by_request[crawl["requests"][0]["request_id"]][0]
    assert record["status"] == "OK" and len(record["discovered_urls"]) == 25
    discovered = read_all(settings, topics.requests, "ScrapeRequest", 25)
    assert sorted(found.record["canonical_url"] for found in discovered) == sorted(record["discovered_urls"])
    for key, record in (found[0] for found in by_request.values() if found[0][1]["product"]):
        assert key == record["product"]["product_id"].encode()
    final = committed(settings, settings.scraper_group_id, topics)
    assert sum(max(o, 0) for o in final.values()) == len(tasks) + 1  # everything committed after a clean stop


def test_poison_task_goes_to_the_dlq_while_good_ones_flow(
    stack: Settings, prefix: str, shop: RunningShop
) -> None:
    settings = scraper_settings(stack, scraper_group_id=prefix + "scrapers")
    topics = create_test_topics(settings, prefix)
    good = product_tasks(shop, count=4, per_task=5)
    producer = make_producer(settings)
    producer.produce(topics.tasks["NORMAL"], b"\xc3\x01not an avro task", b"127.0.0.1")
    producer.flush(10)
    publish_tasks(settings, topics.tasks["NORMAL"], good)
    with WorkerThread(settings, topics):
        results = read_all(settings, topics.results, "ScrapeResult", 20)
        letters = read_all(settings, topics.dlq, "DeadLetter", 1)
    assert {found.record["request_id"] for found in results} == set(request_ids(good))
    ((key, letter, *_),) = letters
    assert key == b"127.0.0.1" and letter["payload"] == b"\xc3\x01not an avro task"
    assert letter["error_type"] == "unknown fingerprint" and letter["source_topic"] == topics.tasks["NORMAL"]
    final = committed(settings, settings.scraper_group_id, topics)
    assert sum(max(o, 0) for o in final.values()) == len(good) + 1  # the poison message is committed too


def test_high_priority_is_drained_before_bulk(stack: Settings, prefix: str, shop: RunningShop) -> None:
    settings = scraper_settings(stack, scraper_group_id=prefix + "scrapers", scraper_concurrency=1)
    topics = create_test_topics(settings, prefix)
    bulk = product_tasks(shop, count=6, per_task=5, priority="BULK", first=1)
    high = product_tasks(shop, count=6, per_task=5, priority="HIGH", first=500)
    publish_tasks(settings, topics.tasks["BULK"], bulk)
    publish_tasks(settings, topics.tasks["HIGH"], high)
    with WorkerThread(settings, topics):
        results = read_all(settings, topics.results, "ScrapeResult", 60)
    order = [found.record["request_id"] for found in sorted(results, key=lambda found: found.timestamp)]
    high_ids = set(request_ids(high))
    assert set(order[: len(high_ids)]) == high_ids


def test_a_killed_worker_loses_nothing(stack: Settings, prefix: str, shop: RunningShop) -> None:
    settings = scraper_settings(stack, scraper_group_id=prefix + "scrapers")
    topics = create_test_topics(settings, prefix)
    tasks = product_tasks(shop, count=24, per_task=10)
    publish_tasks(settings, topics.tasks["NORMAL"], tasks)
    env = {
        **os.environ,
        "SCRAPESTREAM_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "SCRAPESTREAM_SSRF_ALLOWLIST": "127.0.0.1",
        "SCRAPESTREAM_SCRAPER_DOMAIN_RATE": "0",
        "SCRAPESTREAM_SCRAPER_GROUP_ID": "scrapers",  # joined as prefix + scrapers, as the thread below
    }
    command = [
        sys.executable,
        "-m",
        "scrapestream.cli",
        "worker",
        "scraper",
        "--concurrency",
        "4",
        "--topic-prefix",
        prefix,
    ]
    victim = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        first = read_all(settings, topics.results, "ScrapeResult", 30, timeout=60)
        assert len(first) >= 30 and victim.poll() is None
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        assert len(read_all(settings, topics.results, "ScrapeResult")) < 240  # killed mid-batch
        with WorkerThread(settings, topics):
            results = read_all(settings, topics.results, "ScrapeResult", 240, timeout=120)
            deadline = time.monotonic() + 60
            while {found.record["request_id"] for found in results} != set(
                request_ids(tasks)
            ) and time.monotonic() < deadline:
                results = read_all(settings, topics.results, "ScrapeResult", len(results) + 1, timeout=5)
    finally:
        if victim.poll() is None:
            victim.kill()
    assert {found.record["request_id"] for found in results} == set(request_ids(tasks))  # duplicates allowed


def test_pages_only_a_browser_can_scrape_go_through_the_browser_lane(
    stack: Settings, prefix: str, shop: RunningShop
) -> None:
    settings = scraper_settings(stack, scraper_group_id=prefix + "scrapers", browser_pool_size=2)
    static_lane = create_test_topics(settings, prefix)
    browser_lane = ScraperTopics.with_prefix(prefix, browser=True)
    js_page = shop.url("js", "/app/product/7")  # the JS shop's static HTML has no price
    auto_js, rendered_js = (
        request(js_page, render="AUTO"),
        request(shop.url("js", "/app/product/8"), render="BROWSER"),
    )
    plain = request(shop.url("microdata", "/product/9/x"), render="AUTO")
    publish_tasks(settings, static_lane.tasks["NORMAL"], [task([auto_js]), task([plain])])
    publish_tasks(settings, browser_lane.tasks["HIGH"], [task([rendered_js], "HIGH")])
    extractor = js_profiles(shop.url("js"))
    with (
        WorkerThread(settings, static_lane, extractor),
        WorkerThread(settings, browser_lane, extractor, True),
    ):
        found = read_all(settings, static_lane.results, "ScrapeResult", 3, timeout=90)
        time.sleep(2)  # a second result for any request would be written by now
        found = read_all(settings, static_lane.results, "ScrapeResult")
    results = {f.record["request_id"]: f.record for f in found}
    assert len(found) == len(results) == 3, [f.record for f in found]
    for one in (auto_js, rendered_js, plain):
        result = results[one["request_id"]]
        assert result["status"] == "OK" and result["product"]["price"] is not None, result
    assert results[auto_js["request_id"]]["render_ms"] > 0  # rendered in Chromium, after the hand-over
    assert results[plain["request_id"]]["render_ms"] == 0
    handed = read_all(settings, browser_lane.tasks["NORMAL"], "ScrapeTask")
    assert [[r["request_id"] for r in f.record["requests"]] for f in handed] == [[auto_js["request_id"]]]
