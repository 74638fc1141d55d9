"""The whole pipeline as separate processes for fault tests, a steady workload, and the zero-loss audit.

`fault_pipeline` starts the demo shop (microdata and JSON-LD shops on free ports), a stream worker,
a fan-out worker and scraper workers, each a `scrapestream ...` process, on private topics, a
scratch Cassandra keyspace, an embedded ClickHouse store and a scraper group of their own. A test
publishes a `SteadyWorkload`, injects its fault while results flow, then calls `audit`, which
waits until every consumer group caught up and checks, against the topics and both stores:

- every request the broker accepted ended in a ScrapeResult or a dead letter (the demo ledger);
- ClickHouse scrape_events FINAL holds exactly one row per distinct result (request id and
  scrape time) on the results topic: none missing, none twice;
- Cassandra holds one product row per scraped product, one price_history row per product (the
  shop's prices never move here, so a second row would be a duplicate), and every product is
  at version 1 (no change was announced twice with different versions).
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from demoshop.catalog import Catalog
from demoshop.server import SITE_CLASSES
from producers.publisher import Receipt, RequestPublisher
from schemas.codec import Codec
from scrapestream import lag
from scrapestream.config import Settings
from scrapestream.demo.ledger import LedgerFollower
from scrapestream.infra.service_process import free_port
from scrapestream.kafka import DeliveryFailed
from scrapestream.stores import analytics, cassandra_sessions
from scrapestream.supervisor import ProcessGroup
from scrapestream.topics import TopicNames
from tests.integration.pipeline import prefix_of, private_topics
from tests.integration.request_topics import message_count, read_messages
from tests.integration.sink_helpers import scratch_keyspace

SHOPS = ("microdata", "jsonld")  # static shops: no browser needed, so the 2-core runner keeps up
PRODUCTS_PER_SHOP = 150
SETTLE_SECONDS = 150.0


@dataclasses.dataclass
class FaultPipeline:
    settings: Settings  # what the workers use: private keyspace, ClickHouse store and scraper group
    names: TopicNames
    group: ProcessGroup
    shop_urls: dict[str, str]  # shop -> base URL
    ledger: LedgerFollower

    @property
    def domains(self) -> dict[str, str]:
        return {shop: url.removeprefix("http://") for shop, url in self.shop_urls.items()}

    def start_worker(self, name: str, role: str) -> None:
        """Start `scrapestream worker <role>` (streams, fanout or scraper) as process `name`."""
        self.group.start(name, "worker", role, "--topic-prefix", prefix_of(self.names))

    def product_urls(self) -> list[str]:
        """Every product page of both shops, interleaved so the workload hits both all along."""
        catalog = Catalog(size=PRODUCTS_PER_SHOP)
        sites = {shop: SITE_CLASSES[shop](catalog) for shop in SHOPS}
        return [
            self.shop_urls[shop] + sites[shop].product_path(product)
            for product in catalog.products
            for shop in SHOPS
        ]

    def results(self) -> int:
        with self.ledger.lock:
            return len(self.ledger.ledger.results)

    def poll(self, condition: Callable[[], bool], timeout: float) -> bool:
        """Whether `condition` came true within `timeout` s; every process must stay alive meanwhile."""
        deadline = time.monotonic() + timeout
        while not condition():
            self.group.check()
            if time.monotonic() > deadline:
                return False
            time.sleep(0.5)
        return True

    def wait_until(self, condition: Callable[[], bool], what: str, timeout: float = 90.0) -> None:
        assert self.poll(condition, timeout), f"timed out after {timeout:.0f}s waiting for {what}"

    def wait_for_results(self, count: int, timeout: float = 90.0) -> None:
        self.wait_until(lambda: self.results() >= count, f"{count} results (have {self.results()})", timeout)


@contextmanager
def fault_pipeline(
    stack: Settings, tmp_path: Path, *, scrapers: int = 1, env: dict[str, str] | None = None
) -> Iterator[FaultPipeline]:
    """The demo shop, a stream worker, a fan-out worker and `scrapers` scraper workers, all running."""
    shop_ports = [free_port() for _ in SITE_CLASSES]
    shop_urls = {
        shop: f"http://127.0.0.1:{port}" for shop, port in zip(SITE_CLASSES, shop_ports, strict=True)
    }
    with private_topics(stack) as names, scratch_keyspace(stack) as (settings, _):
        settings = dataclasses.replace(
            settings,
            clickhouse_url=f"chdb://{tmp_path / 'clickhouse'}",
            analytics_port=free_port(),
        )
        worker_env = {
            "SCRAPESTREAM_CASSANDRA_KEYSPACE": settings.cassandra_keyspace,
            "SCRAPESTREAM_CLICKHOUSE_URL": settings.clickhouse_url,
            "SCRAPESTREAM_ANALYTICS_PORT": str(settings.analytics_port),
            "SCRAPESTREAM_SSRF_ALLOWLIST": ",".join(
                url.removeprefix("http://") for url in shop_urls.values()
            ),
            "SCRAPESTREAM_SCRAPER_DOMAIN_RATE": "0",  # our own shop: no politeness delay needed
            "SCRAPESTREAM_SINK_FLUSH_MS": "100",
            **(env or {}),
        }
        with ProcessGroup(tmp_path / "logs", worker_env) as group:
            # Every page takes 100-300 ms, so scrapes are always in flight when a fault strikes.
            shop_flags = ["--latency-rate", "1", "--latency-ms", "200", "--epoch-seconds", "0"]
            ports = ",".join(map(str, shop_ports))
            group.start(
                "demo-shop", "demo-shop", "--ports", ports, "--products", str(PRODUCTS_PER_SHOP), *shop_flags
            )
            ledger = LedgerFollower(settings, names)
            pipeline = FaultPipeline(
                settings, names, group, {shop: shop_urls[shop] for shop in SHOPS}, ledger
            )
            pipeline.start_worker("router", "streams")
            pipeline.start_worker("fanout", "fanout")
            for number in range(1, scrapers + 1):
                pipeline.start_worker(f"scraper-{number}", "scraper")
            ledger.start()
            try:
                yield pipeline
            finally:
                ledger.stop()


class SteadyWorkload:
    """Publishes URLs at a steady rate from a thread; knows which requests the broker accepted."""

    def __init__(self, pipeline: FaultPipeline, urls: list[str], per_second: float = 15.0) -> None:
        self.urls = urls
        self._interval = 1 / per_second
        self._publisher = RequestPublisher(pipeline.settings, topic=pipeline.names.requests)
        self._deliveries: list[tuple[float, Any]] = []  # (time published, delivery future)
        self._thread = threading.Thread(target=self._publish, name="steady-workload", daemon=True)

    def __enter__(self) -> SteadyWorkload:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._thread.join()
        self._publisher.flush(SETTLE_SECONDS)
        self._publisher.close()

    def _publish(self) -> None:
        start = time.monotonic()
        for number, url in enumerate(self.urls):
            time.sleep(max(0.0, start + number * self._interval - time.monotonic()))
            self._deliveries.append((time.time(), self._publisher.publish(url, render="STATIC")))

    def published(self) -> int:
        return len(self._deliveries)

    def published_between(self, begin: float, end: float) -> list[str]:
        """URLs published in [begin, end) (wall-clock seconds)."""
        return [url for url, (at, _) in zip(self.urls, self._deliveries, strict=False) if begin <= at < end]

    def accepted(self) -> dict[str, str]:
        """request id -> URL of every request the broker acknowledged (waits for the outcomes)."""
        receipts = {}
        for _, delivery in self._deliveries:
            try:
                receipt: Receipt = delivery.result(SETTLE_SECONDS)
            except DeliveryFailed:
                continue  # the publisher was told: not accepted, so not ours to account for
            receipts[receipt.request_id] = receipt.url
        return receipts


@dataclasses.dataclass
class Accounting:
    """What the audit found; `problems()` lists every breach of the zero-loss promise."""

    published: int
    accepted: int
    results: int  # requests with at least one result
    result_messages: int  # every ScrapeResult on the topic (a redone scrape adds one)
    distinct_results: int  # distinct (request id, scraped_at)
    dead_letters: Counter[str]
    statuses: Counter[str]
    lost: list[str]  # accepted request ids with no result and no dead letter
    clickhouse_rows: int
    clickhouse_missing: int
    clickhouse_duplicates: int
    products_scraped: int
    cassandra_products: int
    cassandra_listing: int
    history_duplicates: dict[str, int]  # product id -> extra price_history rows
    versions: Counter[int]

    def problems(self) -> list[str]:
        found = []
        if self.lost:
            found.append(
                f"{len(self.lost)} accepted requests have no result and no dead letter: {self.lost[:5]}"
            )
        if self.clickhouse_missing or self.clickhouse_duplicates:
            found.append(
                f"ClickHouse scrape_events FINAL: {self.clickhouse_missing} results missing, "
                f"{self.clickhouse_duplicates} rows more than once"
            )
        if not self.cassandra_products == self.cassandra_listing == self.products_scraped:
            found.append(
                f"Cassandra: {self.cassandra_products} products and {self.cassandra_listing} listing rows "
                f"for {self.products_scraped} scraped products"
            )
        if self.history_duplicates:
            found.append(
                f"price_history rows written twice: {dict(list(self.history_duplicates.items())[:5])}"
            )
        if set(self.versions) - {1}:
            found.append(f"products past version 1 although no price moved: {self.versions}")
        return found

    def summary(self) -> str:
        return (
            f"accepted {self.accepted}/{self.published}, results {self.results} "
            f"({self.result_messages} messages, {self.distinct_results} distinct scrapes), "
            f"statuses {dict(self.statuses)}, dead letters {dict(self.dead_letters)}, lost {len(self.lost)}; "
            f"ClickHouse rows {self.clickhouse_rows} (missing {self.clickhouse_missing}, "
            f"duplicated {self.clickhouse_duplicates}); Cassandra products {self.cassandra_products}, "
            f"price_history duplicates {sum(self.history_duplicates.values())}"
        )


def audit(pipeline: FaultPipeline, workload: SteadyWorkload) -> Accounting:
    """Wait until the pipeline settled, then account for every accepted request in topics and stores."""
    accepted = workload.accepted()
    follower = pipeline.ledger

    def settled() -> bool:
        with follower.lock:
            known = accepted.keys() <= follower.ledger.requests.keys()
            accounted = known and not follower.ledger.unaccounted()
        return accounted and _total_lag(pipeline) == 0

    pipeline.poll(settled, SETTLE_SECONDS)  # whatever is still missing then is reported as lost
    scrapes = _results_on_topic(pipeline)
    rows = _clickhouse_rows(pipeline, expected=len(set(scrapes)))
    with follower.lock:
        ledger = follower.ledger
        lost = [rid for rid in ledger.unaccounted() if rid in accepted]
        results, dead_letters, statuses = len(ledger.results), Counter(ledger.dead_letters), ledger.statuses()
    if lost:
        print("\n".join(_trace(pipeline, lost[:5])))
    products = {product_id for _, _, product_id in scrapes if product_id}
    stored = _cassandra_rows(pipeline)
    history = Counter(product_id for product_id, _ in stored["price_history"])
    return Accounting(
        published=len(workload.urls),
        accepted=len(accepted),
        results=results,
        result_messages=len(scrapes),
        distinct_results=len(set(scrapes)),
        dead_letters=dead_letters,
        statuses=statuses,
        lost=lost,
        clickhouse_rows=len(rows),
        clickhouse_missing=len({scrape[:2] for scrape in scrapes} - set(rows)),
        clickhouse_duplicates=sum(count - 1 for count in Counter(rows).values()),
        products_scraped=len(products),
        cassandra_products=len(stored["products"]),
        cassandra_listing=len(stored["products_by_domain"]),
        history_duplicates={product: count - 1 for product, count in history.items() if count > 1},
        versions=Counter(version for _, version in stored["products"]),
    )


def assert_zero_loss(accounting: Accounting, pipeline: FaultPipeline) -> None:
    print(f"\nzero-loss accounting: {accounting.summary()}")
    problems = accounting.problems()
    assert not problems, f"{problems}; {accounting.summary()}; logs in {pipeline.group.logs_dir}"
    assert accounting.accepted == accounting.published, f"the broker refused requests: {accounting.summary()}"


def _total_lag(pipeline: FaultPipeline) -> int:
    groups = lag.pipeline_groups(pipeline.settings, prefix_of(pipeline.names))
    try:
        return sum(partition.lag for partition in lag.measure(pipeline.settings, groups))
    except Exception:  # a group coordinator still loading after a restart: not settled yet
        return -1


def _trace(pipeline: FaultPipeline, request_ids: list[str]) -> list[str]:
    """Where each lost request was last seen: its place on the requests topic, the task that carried
    it (router side done: the scraper side lost it) or none, and the groups' committed offsets."""
    names, codec = pipeline.names, Codec.for_settings(pipeline.settings)
    wanted = set(request_ids)
    places: dict[str, list[str]] = {request_id: [] for request_id in request_ids}
    for topic, schema in [(names.requests, "ScrapeRequest")] + [
        (topic, "ScrapeTask") for topic in (*names.tasks.values(), *names.browser_tasks.values())
    ]:
        for message in _all_messages(pipeline.settings, topic):
            record = codec.decode(schema, message.value())
            for request in record["requests"] if schema == "ScrapeTask" else [record]:
                if (request_id := str(request["request_id"])) in wanted:
                    places[request_id].append(f"{topic}[{message.partition()}]@{message.offset()}")
    groups = lag.pipeline_groups(pipeline.settings, prefix_of(names))
    committed = [
        f"{p.group} {p.topic}[{p.partition}] at {p.committed}/{p.end}"
        for p in lag.measure(pipeline.settings, groups)
    ]
    return [
        f"lost {request_id}: seen in {where or 'nothing'}" for request_id, where in places.items()
    ] + committed


def _all_messages(settings: Settings, topic: str) -> list[Any]:
    return read_messages(settings, topic, message_count(settings, topic), timeout=60)


def _results_on_topic(pipeline: FaultPipeline) -> list[tuple[str, int, str]]:
    """(request id, scraped_at in ms, product id or '') of every ScrapeResult on the results topic."""
    codec = Codec.for_settings(pipeline.settings)
    scrapes = []
    for message in _all_messages(pipeline.settings, pipeline.names.results):
        result = codec.decode("ScrapeResult", message.value())
        product_id = (result["product"] or {}).get("product_id", "")
        scrapes.append((str(result["request_id"]), _millis(result["scraped_at"]), product_id))
    return scrapes


def _millis(moment: Any) -> int:
    return round(moment.timestamp() * 1000)


def _clickhouse_rows(pipeline: FaultPipeline, expected: int) -> list[tuple[str, int]]:
    """(request id, scraped_at ms) of every scrape_events row after FINAL, once `expected` are there."""
    sql = (
        "SELECT toString(request_id), toUnixTimestamp64Milli(scraped_at) "
        f"FROM {pipeline.settings.clickhouse_database}.scrape_events FINAL"
    )
    rows: list[tuple[str, int]] = []

    async def ask() -> list[tuple[str, int]]:
        reader = analytics.open_reader(pipeline.settings)
        try:
            return [(rid, int(ms)) for rid, ms in (await reader.query(sql)).rows]
        finally:
            await reader.close()

    def arrived() -> bool:
        nonlocal rows
        try:
            rows = asyncio.run(ask())
        except Exception:  # the owner is still opening its store
            return False
        return len(rows) >= expected

    pipeline.poll(arrived, 60)  # rows still missing then are reported by the accounting
    return rows


def _cassandra_rows(pipeline: FaultPipeline) -> dict[str, list[tuple[str, Any]]]:
    """The scratch keyspace's tables, whole: (product id, version or scrape time) per row."""
    with cassandra_sessions.connect(pipeline.settings, pipeline.settings.cassandra_keyspace) as session:
        return {
            "products": [(row.product_id, row.version) for row in session.execute("SELECT * FROM products")],
            "products_by_domain": [
                (row.product_id, row.version) for row in session.execute("SELECT * FROM products_by_domain")
            ],
            "price_history": [
                (row.product_id, row.scraped_at) for row in session.execute("SELECT * FROM price_history")
            ],
        }
