"""The live console end to end in headless Chromium (tests/integration/console_pipeline.py runs the
real pipeline on private topics): publish from the page, see the product's update appear, the
charts draw what the pipeline did, lag per group drills down to partitions, and the product page
finds the product by URL and charts its price history."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from demoshop.catalog import Catalog
from scrapestream.config import Settings
from tests.integration.console_pipeline import chromium, console_pipeline, open_console

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]
KEY = "console-key-" + uuid.uuid4().hex
SLOW = 75_000  # ms: a scrape, its results in ClickHouse, then the console's next refresh


def test_the_console_publishes_follows_updates_and_charts_the_pipeline(
    stack: Settings, tmp_path: Path
) -> None:
    with console_pipeline(stack, tmp_path, Catalog(seed=7, size=50), KEY) as pipeline, chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("requestfailed", lambda request: errors.append(f"{request.url}: {request.failure}"))
        open_console(page, pipeline)
        assert KEY not in page.content()
        assert page.evaluate("sessionStorage.getItem('scrapestream-api-key')") == KEY

        product_id = publish_and_see_update(page, pipeline.shop.url("microdata", "/product/3/x"))
        see_charts(page)
        drill_into_lag(page)
        search_product(page, product_id)
        assert not errors, errors


def publish_and_see_update(page: Page, product_url: str) -> str:
    page.fill("#publish-url", product_url)
    page.select_option("#publish-priority", "HIGH")
    page.click("#publish-form button")
    expect(page.locator("#publish-status")).to_contain_text("accepted", timeout=10_000)
    update = page.locator("#feed li").first
    expect(update).to_contain_text("NEW", timeout=SLOW)
    product_id = update.get_attribute("data-product-id")
    assert product_id.endswith(":A000003")
    return product_id


def see_charts(page: Page) -> None:
    """Throughput and per-domain charts are drawn (uPlot canvases) once the result is in ClickHouse,
    success rates read as percentages."""
    expect(page.locator("#throughput-status")).to_contain_text(re.compile(r"^[1-9]\d* results"), timeout=SLOW)
    for chart in ("throughput-chart", "success-chart", "latency-chart"):
        expect(page.locator(f"#{chart} canvas")).to_have_count(1, timeout=SLOW)
    expect(page.locator("#domains tr").first.locator("td").nth(2)).to_have_text("100 %", timeout=SLOW)


def drill_into_lag(page: Page) -> None:
    """One row per consumer group, summed; a click lists that group's partitions, another hides them."""
    # router, static and browser scrapers (no worker here, but its topics exist), fan-out
    expect(page.locator("#lag-groups tr")).to_have_count(4, timeout=SLOW)
    expect(page.locator("#lag-chart canvas")).to_have_count(1, timeout=SLOW)
    scrapers = page.locator('#lag-groups tr[data-group$="scrapers"]')
    partitions = int(scrapers.locator("td").nth(1).inner_text())
    assert partitions > 1
    scrapers.click()
    expect(page.locator("#lag-partitions")).to_be_visible()
    expect(page.locator("#lag-partition-rows tr")).to_have_count(partitions)
    scrapers.click()
    expect(page.locator("#lag-partitions")).to_be_hidden()


def search_product(page: Page, product_id: str) -> None:
    """The product is found by part of its URL, and its page charts its price history."""
    page.click("#nav-product")
    page.fill("#product-query", "/product/3/")
    page.click("#product-search button")
    expect(page).to_have_url(re.compile("#product="), timeout=15_000)
    expect(page.locator("#product-facts")).to_contain_text(product_id, timeout=15_000)
    expect(page.locator("#price-chart canvas")).to_have_count(1, timeout=SLOW)
    expect(page.locator("#price-changes tr")).to_have_count(1)
    # The live feed links to the same page.
    page.click("#nav-pipeline")
    expect(page.locator("#product-view")).to_be_hidden()
    link = page.locator("#feed li a").first
    expect(link).to_have_attribute("href", "#product=" + quote(product_id, safe=""))
    link.click()
    expect(page.locator("#product-view")).to_be_visible()
    expect(page.locator("#product-facts")).to_contain_text(product_id)
