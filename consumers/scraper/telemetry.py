"""The scraper's metrics hooks: stages call these plain functions, only this file knows Prometheus.

Metric definitions (names, help, labels) live in scrapestream.metrics with every other metric.
"""

from __future__ import annotations

from consumers.scraper.breaker import STATE_VALUES, BreakerState
from consumers.scraper.scheduler import FetchScheduler
from scrapestream import metrics


def request_done(domain: str, fetch_type: str, status: str, seconds: float) -> None:
    metrics.SCRAPING_REQUEST_DURATION.labels(domain, fetch_type, status).observe(seconds)


def product_scraped(domain: str) -> None:
    metrics.PRODUCTS_SCRAPED.labels(domain).inc()


def retried(domain: str, status: str) -> None:
    metrics.SCRAPE_RETRIES.labels(domain, status).inc()


def breaker_changed(domain: str, state: BreakerState) -> None:
    metrics.BREAKER_STATE.labels(domain).set(STATE_VALUES[state])


def browser_pages_in_use(count: int) -> None:
    metrics.BROWSER_PAGES_IN_USE.set(count)


def browser_restarted(reason: str) -> None:
    metrics.BROWSER_RESTARTS.labels(reason).inc()


def task_done(priority: str) -> None:
    metrics.SCRAPE_TASKS_DONE.labels(priority).inc()


def frontier_size(queued: int, scheduler: FetchScheduler) -> None:
    metrics.SCRAPER_QUEUED_REQUESTS.set(queued)
    metrics.SCRAPER_WAITING_FOR_SLOT.set(scheduler.waiting)
    metrics.SCRAPER_FETCH_SLOTS_IN_USE.set(scheduler.in_use)
    metrics.SCRAPER_DOMAINS_ON_THE_WIRE.set(scheduler.domains_on_the_wire)
