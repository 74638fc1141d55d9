"""The scraper's metrics hooks: stages call these plain functions, only this file knows Prometheus.

Metric definitions (names, help, labels) live in scrapestream.metrics with every other metric.
"""

from __future__ import annotations

from consumers.scraper.breaker import STATE_VALUES, BreakerState
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
