"""The Scrapy baseline of bench/scraper_bench.py: crawl a list of URLs, extract the same fields.

Run by the benchmark in a process of its own: `python bench/scrapy_baseline.py URLS_FILE CONCURRENCY`.
Prints one JSON line: {"pages": n, "seconds": s} measured from the spider opening to closing.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import scrapy
from scrapy import signals
from scrapy.crawler import CrawlerProcess

from consumers.extract import extract_product


class ProductSpider(scrapy.Spider):
    name = "bench"

    def __init__(self, urls: list[str], **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.urls = urls
        self.pages = 0
        self.started = 0.0
        self.finished = 0.0

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):  # type: ignore[no-untyped-def]
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.opened, signal=signals.spider_opened)
        crawler.signals.connect(spider.closed_, signal=signals.spider_closed)
        return spider

    def opened(self) -> None:
        self.started = time.perf_counter()

    def closed_(self) -> None:
        self.finished = time.perf_counter()

    async def start(self):  # type: ignore[no-untyped-def]
        for url in self.urls:
            yield scrapy.Request(url, dont_filter=True)

    def parse(self, response):  # type: ignore[no-untyped-def]
        product = extract_product(response.text, response.url)
        if product is not None:
            self.pages += 1
            yield {"product_id": product.product_id, "price": product.price}


def main() -> None:
    urls = Path(sys.argv[1]).read_text().split()
    concurrency = int(sys.argv[2])
    process = CrawlerProcess(
        settings={
            "CONCURRENT_REQUESTS": concurrency,
            "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
            "ROBOTSTXT_OBEY": False,
            "AUTOTHROTTLE_ENABLED": False,
            "DOWNLOAD_DELAY": 0,
            "LOG_LEVEL": "ERROR",
            "TELNETCONSOLE_ENABLED": False,
            "COOKIES_ENABLED": False,
            "ITEM_PIPELINES": {},
        }
    )
    crawler = process.create_crawler(ProductSpider)
    process.crawl(crawler, urls=urls)
    process.start()
    spider = crawler.spider
    print(json.dumps({"pages": spider.pages, "seconds": spider.finished - spider.started}))


if __name__ == "__main__":
    main()
