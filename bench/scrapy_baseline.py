"""The Scrapy baselines of bench/scraper_bench.py: crawl a list of URLs, extract the product fields.

Run by the benchmark in a process of its own:
    python bench/scrapy_baseline.py URLS_FILE CONCURRENCY --extractor scrapy|ours
`scrapy`: the spider a Scrapy user writes for the two static demo shops, with Scrapy's own tools
only (parsel CSS selectors for the microdata shop, `json.loads` of the JSON-LD script for the
other). `ours`: the same crawl calling our extractor (selectolax lexbor), so the difference to
our worker is framework overhead only.
Prints one JSON line: {"pages": n, "seconds": s, "sampled": k, "agreeing": a}, timed from the
spider opening to closing. In `scrapy` mode, after the crawl, the items of SAMPLE_SIZE random
pages are compared with what our extractor reads from the same responses; fewer than
MIN_AGREEMENT of them agreeing means the two contenders do different work: exit status 1.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.http import TextResponse

from consumers.extract import ProductData, extract_product, normalise_availability

SAMPLE_SIZE = 200
MIN_AGREEMENT = 0.95

Item = dict[str, Any]


# -- the spider as a Scrapy user writes it ---------------------------------------------------
def scrapy_item(response: TextResponse) -> Item | None:
    """JSON-LD where the page has a Product in it, else schema.org microdata."""
    for script in response.xpath('//script[@type="application/ld+json"]/text()').getall():
        data = json.loads(script)
        if data.get("@type") == "Product":
            return jsonld_item(data)
    product = response.css('[itemtype="https://schema.org/Product"]')
    return microdata_item(product, response) if product else None


def jsonld_item(data: dict[str, Any]) -> Item:
    offer = data["offers"]
    if isinstance(offer, list):  # the shop's own offer first, marketplace offers after it
        offer = offer[0]
    rating = data.get("aggregateRating", {})
    return {
        "product_id": data.get("productID"),
        "sku": data.get("sku"),
        "title": data["name"],
        "brand": data["brand"]["name"],
        "price": float(offer.get("price", offer.get("lowPrice"))),  # AggregateOffer: lowPrice
        "currency": offer["priceCurrency"],
        "availability": offer["availability"].rsplit("/", 1)[-1],
        "rating": float(rating["ratingValue"]) if rating else None,
        "review_count": rating.get("reviewCount"),
        "image_url": data["image"][0],
        "category_path": data["category"].split(" > "),
    }


def microdata_item(product: scrapy.Selector, response: TextResponse) -> Item:
    offer = product.css("[itemprop=offers]")
    rating = product.css("[itemprop=ratingValue]::text").get()
    reviews = product.css("[itemprop=reviewCount]::text").get()
    return {
        "product_id": product.css("[itemprop=productID]::text").get(),
        "sku": product.css("[itemprop=sku]::text").get(),
        "title": product.css("h1[itemprop=name]::text").get(),
        "brand": product.css("[itemprop=brand] [itemprop=name]::text").get(),
        "price": float(offer.css("[itemprop=price]::attr(content)").get()),
        "currency": offer.css("[itemprop=priceCurrency]::attr(content)").get(),
        "availability": offer.css("[itemprop=availability]::attr(href)").get("").rsplit("/", 1)[-1],
        "rating": float(rating) if rating else None,
        "review_count": int(reviews) if reviews else None,
        "image_url": response.urljoin(product.css("[itemprop=image]::attr(src)").get()),
        # The breadcrumb trail without its first (Home) and last (the product) crumbs.
        "category_path": response.css(".breadcrumb [itemprop=name]::text").getall()[1:-1],
    }


def our_item(response: TextResponse) -> Item | None:
    product = extract_product(response.text, response.url)
    return None if product is None else {"product_id": product.product_id, "price": product.price}


EXTRACTORS: dict[str, Callable[[TextResponse], Item | None]] = {"scrapy": scrapy_item, "ours": our_item}


class ProductSpider(scrapy.Spider):
    """Counts the pages that gave an item and keeps the responses of the sampled URLs."""

    name = "bench"

    def __init__(
        self,
        urls: list[str],
        extract: Callable[[TextResponse], Item | None],
        sample: set[str],
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)
        self.urls = urls
        self.extract = extract
        self.sample = sample
        self.samples: list[tuple[str, str, Item | None]] = []  # (url, html, item)
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
        item = self.extract(response)
        if response.url in self.sample:
            self.samples.append((response.url, response.text, item))
        if item is not None:
            self.pages += 1
            yield item


# -- same work? --------------------------------------------------------------------------------
def differing_fields(item: Item | None, product: ProductData | None) -> list[str]:
    """Names of the fields where a Scrapy-selector item and our extractor's product disagree."""
    if item is None or product is None:
        return [] if item is product else ["product"]
    price = product.price
    ours = {
        "product_id": product.product_id,
        "sku": product.sku,
        "title": product.title,
        "brand": product.brand,
        "price": price.minor if price else None,
        "currency": price.currency if price else None,
        "availability": product.availability,
        "rating": product.rating,
        "review_count": product.review_count,
        "image_url": product.image_url,
        "category_path": product.category_path,
    }
    theirs = item | {
        "price": round(item["price"] * 100),  # every demo shop currency has 2 decimals
        "availability": normalise_availability(item["availability"]),
        "category_path": tuple(item["category_path"]),
    }
    return [name for name, value in ours.items() if theirs.get(name) != value]


def check_agreement(samples: list[tuple[str, str, Item | None]]) -> int:
    """How many sampled items agree with our extractor; exits when too few do."""
    differences = Counter[str]()
    agreeing = 0
    for url, html, item in samples:
        fields = differing_fields(item, extract_product(html, url))
        differences.update(fields)
        agreeing += not fields
    if not samples or agreeing < MIN_AGREEMENT * len(samples):
        sys.exit(
            f"scrapy selectors vs our extractor: only {agreeing} of {len(samples)} sampled pages agree "
            f"(need {MIN_AGREEMENT:.0%}); differing fields: {dict(differences)}"
        )
    return agreeing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("urls_file", type=Path)
    parser.add_argument("concurrency", type=int)
    parser.add_argument("--extractor", choices=sorted(EXTRACTORS), default="scrapy")
    args = parser.parse_args()
    urls = args.urls_file.read_text().split()
    checked = args.extractor == "scrapy"  # the other mode runs our extractor itself
    sample = set(random.Random(0).sample(urls, min(SAMPLE_SIZE, len(urls)))) if checked else set()
    process = CrawlerProcess(
        settings={
            "CONCURRENT_REQUESTS": args.concurrency,
            "CONCURRENT_REQUESTS_PER_DOMAIN": args.concurrency,
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
    process.crawl(crawler, urls=urls, extract=EXTRACTORS[args.extractor], sample=sample)
    process.start()
    spider = crawler.spider
    agreeing = check_agreement(spider.samples) if checked else 0
    figures = {"pages": spider.pages, "seconds": spider.finished - spider.started}
    print(json.dumps(figures | {"sampled": len(spider.samples), "agreeing": agreeing}))


if __name__ == "__main__":
    main()
