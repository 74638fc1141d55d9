"""Scraper consumers: ScrapeTasks from Kafka -> pages fetched or rendered -> ScrapeResults.

A pipeline of small stages, one concern per module (see engine.py for the order):
    outcome.py     result statuses, ScrapeFailure, HTTP status -> failure
    politeness.py  per-domain token bucket and concurrency cap
    robots.py      robots.txt per site, cached with a TTL
    retry.py       exponential backoff with jitter, Retry-After
    breaker.py     per-domain circuit breaker
    fetch.py       aiohttp fetch with SSRF-checked redirects and limits
    decode.py      content type, truncation and charset -> text
    browser.py     Playwright/Chromium page pool
    product.py     extraction output -> Avro Product
    discovery.py   category links -> new ScrapeRequests
    engine.py      the stages wired together: request -> result
    offsets.py     which offsets may be committed (out-of-order completion)
    priority.py    high before normal before bulk
    consumer.py    the Kafka consumer group worker (`scrapestream worker scraper`)
    telemetry.py   Prometheus hooks
"""
