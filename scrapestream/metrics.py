"""Every Prometheus metric of ScrapeStream, defined once: names, help texts and labels live here.

Components import the objects below and only call .inc()/.observe() on them, so a dashboard
author finds the whole vocabulary in one file. Label values must come from small fixed sets
(priorities, reason codes, route templates), never from URLs, keys or ids. Add new metrics as a
new group with a one-line comment.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# -- request publishing (producers/publisher.py; the CLI and the gateway publish through it) --
REQUESTS_PUBLISHED = Counter(
    "scrapestream_requests_published_total",
    "Scrape requests the broker acknowledged on scrape.requests.",
    ["priority"],
)
REQUESTS_REJECTED = Counter(
    "scrapestream_requests_rejected_total",
    "Scrape requests refused before publishing (invalid_url, blocked_url, invalid_field).",
    ["reason"],
)
PUBLISH_FAILURES = Counter(
    "scrapestream_publish_failures_total",
    "Scrape requests the broker did not acknowledge, by Kafka error name.",
    ["error"],
)
PUBLISH_LATENCY = Histogram(
    "scrapestream_publish_latency_seconds",
    "Time from handing a request to the producer until the broker acknowledged it.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

# -- HTTP gateway (producers/gateway.py) --
GATEWAY_HTTP_REQUESTS = Counter(
    "scrapestream_gateway_http_requests_total",
    "HTTP requests the gateway answered, by route template and status code.",
    ["route", "status"],
)
GATEWAY_RATE_LIMITED = Counter(
    "scrapestream_gateway_rate_limited_total",
    "POSTs answered 429 because the API key's token bucket was empty.",
)

# -- store sinks (consumers/sinks/base.py); label sink = cassandra | clickhouse --
SINK_ROWS_WRITTEN = Counter(
    "scrapestream_sink_rows_written_total",
    "Rows a sink stored (acknowledged by the store).",
    ["sink"],
)
SINK_BATCH_SECONDS = Histogram(
    "scrapestream_sink_batch_seconds",
    "Time to store one batch, from its first attempt until the store acknowledged it (retries included).",
    ["sink"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
SINK_ERRORS = Counter(
    "scrapestream_sink_errors_total",
    "Failed batch attempts: unavailable (retried) or permanent (the batch's receipts fail).",
    ["sink", "kind"],
)
SINK_BUFFERED_ROWS = Gauge(
    "scrapestream_sink_buffered_rows",
    "Rows accepted by a sink and not yet stored (writes block when it reaches the limit).",
    ["sink"],
)

# -- scraper workers (consumers/scraper/, through consumers/scraper/telemetry.py) --
# `domain` labels are the hosts a deployment scrapes: a bounded, operator-chosen set.
SCRAPING_REQUEST_DURATION = Histogram(
    "scraping_request_duration_seconds",
    "Time to turn one ScrapeRequest into its ScrapeResult (retries included), by fetch type and status.",
    ["domain", "type", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
PRODUCTS_SCRAPED = Counter(
    "scrapestream_products_scraped_total",
    "Product pages scraped into a Product.",
    ["domain"],
)
SCRAPE_RETRIES = Counter(
    "scrapestream_scrape_retries_total",
    "Fetch attempts retried, by the status the failed attempt would have had.",
    ["domain", "status"],
)
BREAKER_STATE = Gauge(
    "scrapestream_breaker_state",
    "Circuit breaker per domain: 0 closed, 1 half-open (probing), 2 open.",
    ["domain"],
)
BROWSER_PAGES_IN_USE = Gauge(
    "scrapestream_browser_pages_in_use",
    "Chromium pages rendering right now (at most the browser pool size).",
)
BROWSER_RESTARTS = Counter(
    "scrapestream_browser_restarts_total",
    "Browser relaunches: reason = pages (page budget used up) | crash.",
    ["reason"],
)
SCRAPER_QUEUED_REQUESTS = Gauge(
    "scrapestream_scraper_queued_requests",
    "Requests a scraper took from tasks and has not finished (bounded by scraper_max_queued_requests).",
)
SCRAPER_WAITING_FOR_SLOT = Gauge(
    "scrapestream_scraper_waiting_for_slot",
    "Requests whose domain may not be fetched yet, or that wait for a free fetch slot.",
)
SCRAPER_FETCH_SLOTS_IN_USE = Gauge(
    "scrapestream_scraper_fetch_slots_in_use",
    "Requests on the wire (fetches, renders, robots.txt), at most scraper_concurrency.",
)
SCRAPER_DOMAINS_ON_THE_WIRE = Gauge(
    "scrapestream_scraper_domains_on_the_wire",
    "Distinct domains with a request on the wire right now.",
)
SCRAPE_TASKS_DONE = Counter(
    "scrapestream_scrape_tasks_total",
    "ScrapeTasks finished (all results acknowledged), by priority; dead-lettered ones as DLQ.",
    ["priority"],
)

# -- stream workers: dedup, batch, route (streams/router.py) --
STREAM_REQUESTS_IN = Counter("scrapestream_stream_requests_total", "Scrape requests read by the router.")
STREAM_DEDUP_DROPS = Counter(
    "scrapestream_dedup_drops_total", "Requests dropped as already queued within their freshness window."
)
STREAM_BATCH_SIZE = Histogram(
    "scrapestream_batch_size",
    "Requests per ScrapeTask sent, by priority.",
    ["priority"],
    buckets=(1, 2, 5, 10, 20, 30, 40, 50, 100),
)
STREAM_TASKS_ROUTED = Counter(
    "scrapestream_tasks_routed_total", "ScrapeTasks sent, by priority.", ["priority"]
)

# -- dead letters, from every stage; reason = the short error type recorded in the DeadLetter --
DEAD_LETTERS = Counter(
    "scrapestream_dead_letters_total", "Messages sent to the dead-letter topic.", ["source", "reason"]
)

# -- product reads on the gateway (producers/product_cache.py); hit ratio = hits / (hits + misses) --
PRODUCT_CACHE_HITS = Counter(
    "scrapestream_product_cache_hits_total", "Product reads answered from the gateway's cache.", ["kind"]
)
PRODUCT_CACHE_MISSES = Counter(
    "scrapestream_product_cache_misses_total", "Product reads that went to Cassandra.", ["kind"]
)
PRODUCT_CACHE_INVALIDATIONS = Counter(
    "scrapestream_product_cache_invalidations_total",
    "Cache keys dropped because a CacheInvalidation named them.",
)
PRODUCT_REFRESHES = Counter(
    "scrapestream_product_refreshes_total", "Refresh requests published because a stored product was too old."
)

# -- update streams (producers/update_stream.py) --
UPDATE_STREAM_CLIENTS = Gauge("scrapestream_update_stream_clients", "Clients connected to /v1/updates.")
UPDATE_STREAM_DROPPED = Counter(
    "scrapestream_update_stream_dropped_total", "Streaming clients dropped because they fell behind."
)

# -- analytics SQL (gateway endpoint and CLI) --
ANALYTICS_QUERIES = Counter(
    "scrapestream_analytics_queries_total", "Analytics queries: outcome = ok | refused | failed.", ["outcome"]
)

# -- consumer lag (scrapestream/lag.py, exported by the gateway): high watermark - committed offset --
CONSUMER_LAG = Gauge(
    "scrapestream_consumer_lag",
    "Messages not yet committed by a consumer group, per topic and partition.",
    ["group", "topic", "partition"],
)
