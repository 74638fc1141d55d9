"""A scraper worker on the real local Kafka against a web world of many loopback domains (webworld).

The world counts every limit a request breaks, so politeness is judged by the sites themselves:
strict domains see no violation, a Retry-After pauses its whole domain, a tarpit slows only
itself, and the worker's queued requests stay under their bound. Nothing here bounds how long a
step takes beyond generous time-outs: a loaded machine only makes a polite scraper slower. The
world runs in a process of its own (webworld.WorldProcess), as a site on another machine: a stall
of the test's process (the worker's thread holding the GIL, a garbage collection) must not delay the
world reading an arrival, which would make the next one look early.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from consumers.extract.price import exponent
from consumers.scraper.consumer import ScraperTopics
from scrapestream.config import Settings
from tests.scraper_harness import (
    Found,
    WorkerThread,
    create_test_topics,
    publish_tasks,
    read_all,
    request,
    scraper_settings,
    task,
)
from webworld import DomainProfile, WorldConfig, WorldProcess

pytestmark = pytest.mark.integration

# Small worlds that answer fast; no tarpits, flaky or strict domains unless a test asks for them.
QUIET = {"median_latency_ms": 20.0, "slow_latency_ms": 60.0, "tarpit_share": 0.0, "flaky_share": 0.0}


def polite_settings(stack: Settings, prefix: str, world: WorldConfig, **changes: Any) -> Settings:
    """The worker's limits are the world's: its rate and concurrency per domain."""
    limits = {
        "scraper_group_id": prefix + "scrapers",
        "ssrf_allowlist": (world.network,),
        "scraper_domain_rate": world.rate,
        "scraper_domain_concurrency": world.concurrency,
        "scraper_timeout_seconds": 15.0,
    }
    return scraper_settings(stack, **limits | changes)


def domain_tasks(world: WorldProcess, per_task: int) -> list[dict[str, Any]]:
    """Every product page of the world, as tasks of up to `per_task` requests of one domain."""
    tasks = []
    for profile in world.profiles:
        urls = [f"{profile.base_url}{path}" for path in profile.products]
        tasks += [
            task([request(url) for url in urls[i : i + per_task]]) for i in range(0, len(urls), per_task)
        ]
    return tasks


def scrape_world(settings: Settings, prefix: str, world: WorldProcess, per_task: int = 50) -> list[Found]:
    topics = create_test_topics(settings, prefix)
    tasks = domain_tasks(world, per_task)
    publish_tasks(settings, topics.tasks["NORMAL"], tasks)
    with WorkerThread(settings, topics):
        return read_all(settings, topics.results, "ScrapeResult", sum(len(t["requests"]) for t in tasks), 180)


def profile_of(world: WorldProcess, url: str) -> DomainProfile:
    return next(profile for profile in world.profiles if url.startswith(profile.base_url + "/"))


def test_strict_domains_see_no_violation_and_every_page_ends_as_it_should(
    stack: Settings, prefix: str, tmp_path: Path
) -> None:
    config = WorldConfig(
        seed=3, domains=24, products_per_domain=6, rate=2.0, concurrency=2, strict_share=1.0, tolerance=0.3,
        **QUIET,
    )  # fmt: skip
    with WorldProcess(config, tmp_path) as world:
        results = scrape_world(polite_settings(stack, prefix, config), prefix, world, per_task=4)
        stats = world.stats()
        assert any(profile.crawl_delay for profile in world.profiles)  # the world exercises Crawl-delay
        assert any(profile.disallowed for profile in world.profiles)  # and robots.txt rules
        by_url = {found.record["url"]: found.record for found in results}
        assert sorted(by_url) == sorted(world.product_urls()) and len(results) == len(by_url)
        for url, result in by_url.items():
            if url.removeprefix(profile_of(world, url).base_url) in profile_of(world, url).disallowed:
                assert result["status"] == "SKIPPED_ROBOTS", url
                continue
            assert result["status"] == "OK", (url, result["error"])
            product, expected = result["product"], world.expected(url)
            assert product["title"] == expected.title
            price = product["price"]
            assert price["currency"] == expected.currency
            assert Decimal(price["amount_minor"]).scaleb(-exponent(expected.currency)) == expected.price
    assert stats.violations == dict.fromkeys(stats.violations, 0), stats.violations
    assert stats.sent_429 == 0 and stats.pages == sum(len(p.allowed_products) for p in world.profiles)


def test_a_retry_after_pauses_its_whole_domain(stack: Settings, prefix: str, tmp_path: Path) -> None:
    config = WorldConfig(
        seed=4, domains=8, products_per_domain=6, rate=10.0, concurrency=2, strict_share=0.0, tolerance=0.3,
        robots_missing_share=1.0, robots_allow_all_share=0.0, robots_disallow_share=0.0,
        robots_crawl_delay_share=0.0, **QUIET | {"flaky_share": 1.0, "flaky_error_share": 0.4},
    )  # fmt: skip
    settings = polite_settings(stack, prefix, config, scraper_retries=8, scraper_breaker_failures=100)
    with WorldProcess(config, tmp_path) as world:
        results = scrape_world(settings, prefix, world, per_task=6)
        stats = world.stats()
    assert stats.sent_503 >= 5  # many answers asked for a pause...
    assert stats.violations["retry_after"] == 0  # ...and no request of their domain came inside one
    assert stats.violations == dict.fromkeys(stats.violations, 0), stats.violations
    assert {found.record["status"] for found in results} == {"OK"}


def test_a_tarpit_domain_slows_only_itself(stack: Settings, prefix: str, tmp_path: Path) -> None:
    config = WorldConfig(
        seed=5, domains=12, products_per_domain=8, rate=5.0, concurrency=1, tolerance=0.3,
        robots_missing_share=1.0, robots_allow_all_share=0.0, robots_disallow_share=0.0,
        robots_crawl_delay_share=0.0, **QUIET | {"tarpit_share": 0.2},
    )  # fmt: skip
    with WorldProcess(config, tmp_path) as world:
        tarpits = {profile.domain for profile in world.profiles if profile.tarpit}
        assert tarpits
        # As many fetch slots as tarpits plus two: requests waiting for a tarpit must hold none.
        settings = polite_settings(stack, prefix, config, scraper_concurrency=len(tarpits) + 2)
        topics = create_test_topics(settings, prefix)
        publish_tasks(settings, topics.tasks["NORMAL"], domain_tasks(world, per_task=50))
        others = sum(len(p.products) for p in world.profiles if p.domain not in tarpits)
        with WorkerThread(settings, topics):
            results = _results_of_domains(settings, topics, others, lambda domain: domain not in tarpits)
        done_in_tarpits = [found for found in results if found.record["domain"] in tarpits]
        stats = world.stats()
    assert (
        len(done_in_tarpits) < len(tarpits) * config.products_per_domain
    )  # every other domain finished first
    assert stats.violations == dict.fromkeys(stats.violations, 0), stats.violations


def test_queued_requests_stay_under_their_bound_and_nothing_is_lost(
    stack: Settings, prefix: str, tmp_path: Path
) -> None:
    config = WorldConfig(seed=6, domains=4, products_per_domain=15, rate=4.0, concurrency=1, **QUIET)
    settings_changes = {"scraper_max_queued_requests": 10}
    with WorldProcess(config, tmp_path) as world:
        settings = polite_settings(stack, prefix, config, **settings_changes)
        topics = create_test_topics(settings, prefix)
        tasks = domain_tasks(world, per_task=5)
        publish_tasks(settings, topics.tasks["NORMAL"], tasks)
        with WorkerThread(settings, topics) as running, _peak(lambda: running.worker.queued_requests) as peak:
            results = read_all(settings, topics.results, "ScrapeResult", 60, 180)
    assert 5 <= peak[0] <= 10  # it filled up to the bound, never past it
    assert sorted(found.record["request_id"] for found in results) == sorted(
        one["request_id"] for t in tasks for one in t["requests"]
    )


# -- helpers ---------------------------------------------------------------------------------
def _results_of_domains(settings: Settings, topics: ScraperTopics, count: int, wanted: Any) -> list[Found]:
    """Every result read until `count` of them belong to domains `wanted` accepts."""
    results: list[Found] = []
    while sum(1 for found in results if wanted(found.record["domain"])) < count:
        more = read_all(settings, topics.results, "ScrapeResult", len(results) + 1, timeout=120)
        assert len(more) > len(results), "no new result within 120 s"
        results = more
    return results


@contextmanager
def _peak(read: Any) -> Iterator[list[int]]:
    """The highest value `read()` returned while the block ran, sampled every 2 ms in a thread."""
    peak, done = [0], threading.Event()

    def sample() -> None:
        while not done.wait(0.002):
            peak[0] = max(peak[0], read())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield peak
    finally:
        done.set()
        sampler.join()
