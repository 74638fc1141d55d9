"""A scraper worker on the real local Kafka fed hostile pages (tests/unit/test_hostile_pages.py's
server): every request ends in exactly one result with a typed status, the worker keeps going, and
it stops cleanly with everything committed."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from scrapestream.config import Settings
from tests.scraper_harness import (
    WorkerThread,
    committed,
    create_test_topics,
    publish_tasks,
    read_all,
    request,
    scraper_settings,
    task,
)
from tests.unit.test_hostile_pages import MAX_BODY, POISON_PAGES, STATIC_CASES, TIMEOUT, hostile_server

pytestmark = pytest.mark.integration


def test_a_worker_fed_hostile_pages_answers_every_request_and_keeps_going(
    stack: Settings,
    prefix: str,
) -> None:
    expected = {path: status for path, status, _ in STATIC_CASES} | dict.fromkeys(POISON_PAGES, "OK")
    with hostile_server() as base:
        settings = scraper_settings(
            stack,
            scraper_group_id=prefix + "scrapers",
            ssrf_allowlist=(base.removeprefix("http://"),),
            scraper_timeout_seconds=TIMEOUT,
            scraper_max_body_bytes=MAX_BODY,
            scraper_retries=0,
        )
        topics = create_test_topics(settings, prefix)
        hostile = [task([request(base + path) for path in expected])]
        good = [task([request(f"{base}/good")]) for _ in range(5)]
        publish_tasks(settings, topics.tasks["NORMAL"], hostile + good)
        started = time.monotonic()
        with WorkerThread(settings, topics):  # stop() raises what stopped the worker, if anything did
            results = read_all(settings, topics.results, "ScrapeResult", len(expected) + len(good))
            seconds = time.monotonic() - started
    by_url = {found.record["url"].removeprefix(base): found.record for found in results}
    statuses = Counter(found.record["status"] for found in results)
    assert len(results) == len(expected) + len(good), statuses
    for path, status in expected.items():
        record = next(record for url, record in by_url.items() if url == path or url.startswith(path + "?"))
        assert record["status"] == status, (path, record)
    assert statuses["OK"] == len(POISON_PAGES) + len(good)
    assert seconds < 30, seconds
    final = committed(settings, settings.scraper_group_id, topics)
    assert sum(max(offset, 0) for offset in final.values()) == len(hostile) + len(good)
