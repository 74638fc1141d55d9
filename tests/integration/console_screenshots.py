"""The screenshots of docs/console.md: the console of a pipeline with a few minutes of work in it.

    .venv/bin/python -m tests.integration.console_screenshots     (the local stack must be up)

Runs tests/integration/console_pipeline.py's pipeline (private topics, a scratch keyspace and
ClickHouse store, all removed afterwards), opens the console, then publishes every product page of
the two static shops PASSES times through the gateway, moving the shop's prices on between passes,
plus a few pages that do not exist (404: one shop's success rate is not 100 %). Writes
docs/console-pipeline.png and docs/console-product.png.
"""

from __future__ import annotations

import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from demoshop.catalog import Catalog
from demoshop.server import SITE_CLASSES
from scrapestream.config import load_settings
from tests.integration.console_pipeline import (
    STATIC_SHOPS,
    ConsolePipeline,
    chromium,
    console_pipeline,
    open_console,
)
from tests.integration.gateway_helpers import call

DOCS = Path(__file__).parents[2] / "docs"
PRODUCTS = 40
PASSES = 4
PAUSE = 40.0  # seconds between passes, so the charts show the passes apart
MISSING = 4  # pages of the microdata shop per pass that answer 404


def main() -> None:
    with (
        tempfile.TemporaryDirectory() as work_dir,
        console_pipeline(
            load_settings(), Path(work_dir), Catalog(seed=7, size=PRODUCTS), "docs-key"
        ) as pipeline,
        chromium() as browser,
    ):
        page = browser.new_page(viewport={"width": 1440, "height": 1100})
        open_console(page, pipeline)
        expected = 0
        for number in range(PASSES):
            if number:
                time.sleep(PAUSE)
                move_prices(pipeline)
            expected += publish_pass(pipeline, number)
        wait_for_results(pipeline, expected)
        shoot_pipeline(page)
        shoot_product(page, pipeline)


def publish_pass(pipeline: ConsolePipeline, number: int) -> int:
    catalog = pipeline.shop.catalog
    urls = [
        pipeline.shop.url(shop, SITE_CLASSES[shop](catalog).product_path(catalog.get(product)))
        for shop in STATIC_SHOPS
        for product in range(1, PRODUCTS + 1)
    ]
    urls += [
        pipeline.shop.url("microdata", f"/product/{9000 + number * 10 + n}/gone") for n in range(MISSING)
    ]
    batch = {"requests": [{"url": url, "freshness_seconds": 0} for url in urls]}
    status, _, body = call(f"{pipeline.base_url}/v1/requests", pipeline.key, batch)
    assert status == 202, body
    return len(urls)


def move_prices(pipeline: ConsolePipeline) -> None:
    """The shops' clock one epoch on: prices and stock change (demoshop/server.py, /_admin/clock)."""
    request = urllib.request.Request(
        pipeline.shop.url(STATIC_SHOPS[0], "/_admin/clock?advance=1"), method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200


def analytics(pipeline: ConsolePipeline, sql: str) -> list[list[Any]]:
    status, _, body = call(f"{pipeline.base_url}/v1/analytics/query", pipeline.key, {"sql": sql})
    assert status == 200, body
    return body["rows"]


def wait_for_results(pipeline: ConsolePipeline, expected: int, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while analytics(pipeline, "SELECT count() FROM scrape_events")[0][0] < expected:
        assert time.monotonic() < deadline, f"fewer than {expected} results after {timeout} s"
        time.sleep(2)


def shoot_pipeline(page: Page) -> None:
    for chart in ("throughput-chart", "success-chart", "latency-chart", "lag-chart"):
        expect(page.locator(f"#{chart} canvas")).to_have_count(1, timeout=60_000)
    page.locator('#lag-groups tr[data-group$="scrapers"]').click()
    expect(page.locator("#lag-partition-rows tr").first).to_be_visible()
    page.wait_for_timeout(6_000)  # one more refresh with every pass in it
    page.screenshot(path=DOCS / "console-pipeline.png", full_page=True)


def shoot_product(page: Page, pipeline: ConsolePipeline) -> None:
    """The product whose price changed most often."""
    product_id = analytics(
        pipeline,
        "SELECT product_id FROM price_changes GROUP BY product_id ORDER BY count() DESC, product_id LIMIT 1",
    )[0][0]
    page.click("#nav-product")
    page.fill("#product-query", product_id)
    page.click("#product-search button")
    expect(page.locator("#price-chart canvas")).to_have_count(1, timeout=30_000)
    expect(page.locator("#price-status")).to_contain_text("observations")
    page.screenshot(path=DOCS / "console-product.png", full_page=True)


if __name__ == "__main__":
    main()
    print("wrote", DOCS / "console-pipeline.png", "and", DOCS / "console-product.png")
