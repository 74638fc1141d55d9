"""The live console end to end in headless Chromium: publish from the page, see the product's update appear.

Runs the real pipeline on private topics: router, scraper and fan-out workers as subprocesses, the
demo shop in-process, and the gateway on the same topic prefix.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from pathlib import Path

import pytest
from confluent_kafka import ConsumerGroupState, KafkaException
from playwright.sync_api import expect, sync_playwright

from consumers.scraper.browser import CHROMIUM_ARGS
from demoshop.catalog import Catalog
from producers.gateway import create_app
from scrapestream.config import Settings
from scrapestream.infra.process import free_port
from scrapestream.kafka import make_admin
from tests.integration.gateway_helpers import serving
from tests.integration.pipeline import Worker, prefix_of, private_topics
from tests.integration.sink_helpers import scratch_keyspace
from tests.unit.shop_runner import RunningShop

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
KEY = "console-key-" + uuid.uuid4().hex


def test_a_request_published_from_the_console_shows_up_in_its_live_feed(
    stack: Settings, tmp_path: Path
) -> None:
    with (
        RunningShop(Catalog(seed=7, size=50)) as shop,
        private_topics(stack) as names,
        scratch_keyspace(stack) as (keyspace_settings, _),
    ):
        shop_host = shop.url("microdata").split("//")[1].rstrip("/")
        port = free_port()
        env = {
            "SCRAPESTREAM_CASSANDRA_KEYSPACE": keyspace_settings.cassandra_keyspace,
            "SCRAPESTREAM_CLICKHOUSE_URL": f"chdb://{tmp_path / 'clickhouse'}",
            "SCRAPESTREAM_ANALYTICS_PORT": str(port),
            "SCRAPESTREAM_SSRF_ALLOWLIST": shop_host,
            "SCRAPESTREAM_SCRAPER_GROUP_ID": f"{prefix_of(names)}scrapers",
            "SCRAPESTREAM_BATCH_MAX_SECONDS": "0.2",
            "SCRAPESTREAM_SINK_FLUSH_MS": "100",
        }
        settings = dataclasses.replace(
            keyspace_settings,
            gateway_api_keys=(KEY,),
            ssrf_allowlist=(shop_host,),
            analytics_port=port,
            clickhouse_url=env["SCRAPESTREAM_CLICKHOUSE_URL"],
        )
        prefix = ("--topic-prefix", prefix_of(names))
        workers = [
            Worker(stack, tmp_path, kind, *prefix, env=env) for kind in ("streams", "scraper", "fanout")
        ]
        try:
            groups = [f"{prefix_of(names)}scrapestream-router", f"{prefix_of(names)}scrapestream-fanout"]
            wait_until_stable(stack, [*groups, env["SCRAPESTREAM_SCRAPER_GROUP_ID"]], workers)
            with serving(create_app(settings, prefix=prefix_of(names))) as base_url:
                see_update_in_console(base_url, shop.url("microdata", "/product/3/x"))
        finally:
            for worker in workers:
                worker.stop()


def wait_until_stable(
    settings: Settings, groups: list[str], workers: list[Worker], timeout: float = 60
) -> None:
    """Until every worker's consumer group is stable, so the request is not sent into a rebalance."""
    admin = make_admin(settings)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described = admin.describe_consumer_groups(groups, request_timeout=10)
        try:
            states = [future.result(10).state for future in described.values()]
        except KafkaException:  # e.g. NOT_COORDINATOR while a new group's coordinator loads
            states = []
        if states and all(state == ConsumerGroupState.STABLE for state in states):
            return
        time.sleep(1)
    raise AssertionError("workers did not join their groups: " + "\n".join(w.output() for w in workers))


def see_update_in_console(base_url: str, product_url: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(Settings().chromium_path), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page()
            page.goto(f"{base_url}/console")
            assert KEY not in page.content()
            page.fill("#api-key", KEY)
            page.click("#key-form button")
            expect(page.locator("#feed-status")).to_contain_text("connected", timeout=15_000)
            assert page.evaluate("sessionStorage.getItem('scrapestream-api-key')") == KEY
            page.fill("#publish-url", product_url)
            page.select_option("#publish-priority", "HIGH")
            page.click("#publish-form button")
            expect(page.locator("#publish-status")).to_contain_text("accepted", timeout=10_000)
            update = page.locator("#feed li").first
            expect(update).to_contain_text("NEW", timeout=75_000)
            assert update.get_attribute("data-product-id").endswith(":A000003")
        finally:
            browser.close()
