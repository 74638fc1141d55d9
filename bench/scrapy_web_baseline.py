"""The Scrapy contender of bench/web_bench.py: a polite crawl of a web world's product pages.

Run by the benchmark in a process of its own:
    python bench/scrapy_web_baseline.py URLS_FILE --rate R --concurrency C --user-agent UA
The settings give Scrapy the politeness the world asks for and our worker keeps: robots.txt obeyed
(Scrapy's default parser, Protego) for our worker's user agent, at most C requests at a time per
domain, DOWNLOAD_DELAY = 1/R (no jitter) with AutoThrottle starting there (target
concurrency C, at most 60 s), 3 retries, a 15 s timeout. Scrapy's own broad-crawl advice is
followed too: DownloaderAwarePriorityQueue, and start requests interleaved round-robin over the
domains. CONCURRENT_REQUESTS is domains x C: Scrapy counts a request waiting in a domain's slot
against it, so anything smaller caps how many domains it works on at once; this is its best case.
Scrapy has no notion of Crawl-delay or Retry-After, so it does not wait for either.
Items come from our extractor (consumers.extract), so extraction costs the same as in our worker.

Prints one JSON line: {"opened": t, "last": t, "items": [[url, title, price_minor, currency, t], ...],
"outcomes": {outcome: count}, "peak_mib": m}, times on time.monotonic() (opened: the
spider opening, last: the last page's outcome). An outcome is "OK" (our extractor found a product),
"no product", "robots.txt" (forbidden by it), "HTTP <status>" (after the retries) or the exception's
name (timeouts, connection errors).
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.exceptions import IgnoreRequest
from scrapy.http import TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from consumers.extract import extract_product


def round_robin(urls: list[str]) -> list[str]:
    """The URLs with their domains taken in turn: the first of every domain, then every second..."""
    by_domain: dict[str, list[str]] = {}
    for url in urls:
        by_domain.setdefault(urlsplit(url).netloc, []).append(url)
    return [url for turn in itertools.zip_longest(*by_domain.values()) for url in turn if url]


def polite_settings(rate: float, concurrency: int, domains: int, user_agent: str) -> dict[str, Any]:
    return {
        "ROBOTSTXT_OBEY": True,
        "USER_AGENT": user_agent,  # our worker's, so robots.txt applies the same group to both
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "DOWNLOAD_DELAY": 1 / rate,
        "DOWNLOAD_DELAY_JITTER": 0,  # RANDOMIZE_DOWNLOAD_DELAY=False, deprecated by Scrapy 2.19
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": 1 / rate,
        "AUTOTHROTTLE_MAX_DELAY": 60,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": concurrency,
        "RETRY_TIMES": 3,
        "DOWNLOAD_TIMEOUT": 15,
        "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.DownloaderAwarePriorityQueue",
        "CONCURRENT_REQUESTS": domains * concurrency,
        "REACTOR_THREADPOOL_MAXSIZE": 20,
        "LOG_LEVEL": "WARNING",
        "TELNETCONSOLE_ENABLED": False,
        "COOKIES_ENABLED": False,
        "ITEM_PIPELINES": {},
    }


def outcome_of(failure: Failure) -> str:
    if failure.check(HttpError):  # a subclass of IgnoreRequest: ask for it first
        return f"HTTP {failure.value.response.status}"
    if failure.check(IgnoreRequest) and "robots.txt" in str(failure.value):
        return "robots.txt"
    return failure.type.__name__


class WebSpider(scrapy.Spider):
    """Reads every product page with our extractor; keeps each item and when it was read."""

    name = "web"

    def __init__(self, urls: list[str], **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.urls = urls
        self.items: list[list[Any]] = []
        self.outcomes = Counter[str]()
        self.opened = 0.0
        self.last = 0.0

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):  # type: ignore[no-untyped-def]
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.open, signal=signals.spider_opened)
        return spider

    def open(self) -> None:
        self.opened = time.monotonic()

    async def start(self):  # type: ignore[no-untyped-def]
        for url in round_robin(self.urls):
            yield scrapy.Request(url, errback=self.failed, dont_filter=True)

    def parse(self, response: TextResponse):  # type: ignore[no-untyped-def]
        product = extract_product(response.text, response.url)
        if product is None:
            self.done("no product")
            return
        price = product.price
        minor, currency = (price.minor, price.currency) if price else (None, None)
        self.items.append([response.url, product.title, minor, currency, time.monotonic()])
        self.done("OK")
        # Yielded as a user's spider does, so Scrapy's item handling is part of its cost.
        yield {"url": response.url, "title": product.title, "price_minor": minor, "currency": currency}

    def failed(self, failure: Failure) -> None:
        self.done(outcome_of(failure))

    def done(self, outcome: str) -> None:
        self.outcomes[outcome] += 1
        self.last = time.monotonic()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("urls_file", type=Path)
    parser.add_argument("--rate", type=float, required=True, help="requests per second per domain")
    parser.add_argument("--concurrency", type=int, required=True, help="requests at a time per domain")
    parser.add_argument("--user-agent", required=True)
    args = parser.parse_args()
    urls = args.urls_file.read_text().split()
    domains = len({urlsplit(url).netloc for url in urls})
    process = CrawlerProcess(settings=polite_settings(args.rate, args.concurrency, domains, args.user_agent))
    crawler = process.create_crawler(WebSpider)
    process.crawl(crawler, urls=urls)
    process.start()
    spider = crawler.spider
    figures = {
        "opened": spider.opened,
        "last": spider.last,
        "items": spider.items,
        "outcomes": spider.outcomes,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # KiB on Linux: VmHWM
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
