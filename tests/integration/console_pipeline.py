"""A pipeline for the console to look at: the demo shop in-process, router, scraper and fan-out
workers as subprocesses on private topics, a scratch keyspace, an embedded ClickHouse store of its
own and a gateway on the same topic prefix (tests/integration/test_console_browser.py and
tests/integration/console_screenshots.py)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka import ConsumerGroupState, KafkaException
from playwright.sync_api import Browser, Page, expect, sync_playwright

from consumers.scraper.browser import CHROMIUM_ARGS
from demoshop.catalog import Catalog
from producers.gateway import create_app
from scrapestream.config import Settings
from scrapestream.infra.service_process import free_port
from scrapestream.kafka import make_admin
from scrapestream.lag import pipeline_groups
from scrapestream.topics import TopicNames
from tests.integration.gateway_helpers import serving
from tests.integration.pipeline import Worker, prefix_of, private_topics
from tests.integration.sink_helpers import scratch_keyspace
from tests.unit.shop_runner import RunningShop

STATIC_SHOPS = ("microdata", "jsonld")  # the JavaScript shop needs a browser scraper: not run here


@dataclass(frozen=True)
class ConsolePipeline:
    shop: RunningShop
    base_url: str  # the gateway's
    key: str


@contextmanager
def console_pipeline(
    stack: Settings, work_dir: Path, catalog: Catalog, key: str
) -> Iterator[ConsolePipeline]:
    """The running pipeline once every worker has joined its group; everything is stopped and
    deleted afterwards."""
    with (
        RunningShop(catalog) as shop,
        private_topics(stack) as names,
        scratch_keyspace(stack) as (keyspace_settings, _),
    ):
        prefix = prefix_of(names)
        shop_hosts = [shop.url(name).split("//")[1].rstrip("/") for name in STATIC_SHOPS]
        env = {
            "SCRAPESTREAM_CASSANDRA_KEYSPACE": keyspace_settings.cassandra_keyspace,
            "SCRAPESTREAM_CLICKHOUSE_URL": f"chdb://{work_dir / 'clickhouse'}",
            "SCRAPESTREAM_ANALYTICS_PORT": str(free_port()),
            "SCRAPESTREAM_SSRF_ALLOWLIST": ",".join(shop_hosts),
            "SCRAPESTREAM_BATCH_MAX_SECONDS": "0.2",
            "SCRAPESTREAM_SINK_FLUSH_MS": "100",
        }
        settings = dataclasses.replace(
            keyspace_settings,
            gateway_api_keys=(key,),
            ssrf_allowlist=tuple(shop_hosts),
            analytics_port=int(env["SCRAPESTREAM_ANALYTICS_PORT"]),
            clickhouse_url=env["SCRAPESTREAM_CLICKHOUSE_URL"],
        )
        workers = [
            Worker(stack, work_dir, kind, "--topic-prefix", prefix, env=env)
            for kind in ("streams", "scraper", "fanout")
        ]
        try:
            wait_until_stable(stack, static_lane_groups(settings, names), workers)
            with serving(create_app(settings, prefix=prefix)) as base_url:
                yield ConsolePipeline(shop, base_url, key)
        finally:
            for worker in workers:
                worker.stop()


def static_lane_groups(settings: Settings, names: TopicNames) -> list[str]:
    """The consumer groups of the workers started here: every pipeline group but the browser lane's."""
    prefix = prefix_of(names)
    browser_topics = set(names.browser_tasks.values())
    return [g for g, topics in pipeline_groups(settings, prefix).items() if not browser_topics & set(topics)]


def wait_until_stable(
    settings: Settings, groups: list[str], workers: list[Worker], timeout: float = 60
) -> None:
    """Until every worker's consumer group is stable, so requests are not sent into a rebalance."""
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


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright (never `playwright install`)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(Settings().chromium_path), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def open_console(page: Page, pipeline: ConsolePipeline) -> None:
    """The console with the pipeline's key given, once its live feed is connected."""
    page.goto(f"{pipeline.base_url}/console")
    page.fill("#api-key", pipeline.key)
    page.click("#key-form button")
    expect(page.locator("#feed-status")).to_contain_text("connected", timeout=15_000)
