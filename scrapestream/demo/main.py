"""Run the demo: shop, workers and gateway as separate processes on private topics, then account.

1. start the demo shop, router, fan-out, scrapers and gateway (topics prefixed `demo.<time>.`)
2. publish the seeded workload through the gateway (bad URLs are rejected there)
3. follow every topic until each request is accounted for, with a live status line
4. move the shop's prices on and request the products again: updates flow
5. print the summary and the zero-loss check; remove the demo's topics
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import secrets
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

import aiohttp
from confluent_kafka import KafkaException

from consumers.subscriptions import format_money
from demoshop.catalog import Catalog
from scrapestream import lag
from scrapestream.config import Settings
from scrapestream.demo.faults import Fault
from scrapestream.demo.handoff import demo_handoff
from scrapestream.demo.ledger import Ledger, LedgerFollower
from scrapestream.demo.report import (
    Summary,
    dead_letter_text,
    lane_figures,
    show_status,
    status_line,
)
from scrapestream.demo.workload import Workload, seeded_workload
from scrapestream.infra.service_process import InfraError, free_port
from scrapestream.kafka import BrokerUnavailable, make_admin, make_consumer, watermarks
from scrapestream.stores import analytics, cassandra_sessions
from scrapestream.stores.errors import StoreUnavailable
from scrapestream.stores.products import UNAVAILABLE as CASSANDRA_UNAVAILABLE
from scrapestream.supervisor import ProcessGroup, StallWatch, prepare, start_pipeline
from scrapestream.topics import TopicNames

T = TypeVar("T")

SHOPS = ("microdata", "jsonld", "js")
# The lanes of the summary (demo/ledger.py: Ledger.lane says which lane produced a result).
LANE_NAMES = {"static": "static lane (aiohttp)", "browser": "browser lane (Chromium)"}
POST_BATCH = 200
QUIET_SECONDS = 4.0  # no new request or result for this long, with all accounted: the phase is done
# A service that is away (Kafka, Cassandra, ClickHouse) is waited for this long, then reported.
OUTAGE_PATIENCE = 300.0
OUTAGES = (KafkaException, BrokerUnavailable, StoreUnavailable)
# On SIGINT/SIGTERM: the processes get SIGTERM, then SIGKILL after STOP_GRACE seconds, and the
# demo ends STOP_DEADLINE seconds after the signal at the latest (processes.stop_on_signals).
STOP_GRACE = 5.0
STOP_DEADLINE = 9.0


@dataclasses.dataclass(frozen=True)
class DemoOptions:
    duration: float = 180.0
    products: int = 150
    scrapers: int = 2
    keep_running: bool = False
    fault: Fault | None = None  # struck once during the first pass (scrapestream/demo/faults.py)
    # The shipped site profiles (consumers/extract/profiles.toml) know the shops on these ports.
    shop_ports: list[int] = dataclasses.field(default_factory=lambda: [8601, 8602, 8603])


@dataclasses.dataclass(frozen=True)
class DemoEnvironment:
    prefix: str
    shop_urls: dict[str, str]
    gateway_url: str
    api_key: str

    @property
    def names(self) -> TopicNames:
        return TopicNames.prefixed(self.prefix)

    @property
    def domains(self) -> list[str]:
        return [url.removeprefix("http://") for url in self.shop_urls.values()]

    def process_env(self, settings: Settings) -> dict[str, str]:
        return {
            "SCRAPESTREAM_SSRF_ALLOWLIST": ",".join(self.domains),
            "SCRAPESTREAM_GATEWAY_API_KEYS": self.api_key,
            "SCRAPESTREAM_GATEWAY_PORT": self.gateway_url.rsplit(":", 1)[1],
            "SCRAPESTREAM_SCRAPER_DOMAIN_RATE": "0",  # our own shop: no politeness delay needed
            "SCRAPESTREAM_SCRAPER_DOMAIN_CONCURRENCY": "32",
            "SCRAPESTREAM_BROWSER_POOL_SIZE": "2",
        }


def new_environment(shop_ports: list[int]) -> DemoEnvironment:
    return DemoEnvironment(
        prefix=f"demo.{time.strftime('%Y%m%d-%H%M%S')}.",
        shop_urls={shop: f"http://127.0.0.1:{port}" for shop, port in zip(SHOPS, shop_ports, strict=True)},
        gateway_url=f"http://127.0.0.1:{free_port()}",
        api_key=secrets.token_urlsafe(24),
    )


def run(settings: Settings, options: DemoOptions) -> int:
    demo = new_environment(options.shop_ports)
    env = demo.process_env(settings)
    step(f"preparing topics (prefix {demo.prefix}) and store schemas")
    prepare(settings, demo.prefix)
    interrupted = False
    try:
        logs = settings.logs_dir / demo.prefix.rstrip(".")
        with ProcessGroup(logs, env, stop_grace=STOP_GRACE) as group:
            try:
                step(f"starting the shop, router, fan-out, {options.scrapers} scrapers, gateway ({logs})")
                ports = ",".join(url.rsplit(":", 1)[1] for url in demo.shop_urls.values())
                group.start(
                    "demo-shop",
                    "demo-shop",
                    "--ports",
                    ports,
                    "--products",
                    str(options.products),
                    "--epoch-seconds",
                    "0",
                )
                start_pipeline(group, demo.prefix, options.scrapers)
                return _run_phases(settings, demo, group, options)
            except KeyboardInterrupt:
                interrupted = True
                kill = f"SIGKILL {STOP_GRACE:.0f} s later, or at once on a second Ctrl-C"
                step(f"stopping every process (SIGTERM, {kill})")
                raise
    finally:
        if options.keep_running:
            pass
        elif interrupted:  # one try, no waiting for an outage: the user asked to stop
            try:
                delete_topics(settings, demo.prefix)
            except OUTAGES as error:
                step(f"the demo's topics ({demo.prefix}*) are left behind: {_outage_text(error)}")
        else:
            _when_reachable("deleting the demo's topics", lambda: delete_topics(settings, demo.prefix))


def _run_phases(settings: Settings, demo: DemoEnvironment, group: ProcessGroup, options: DemoOptions) -> int:
    asyncio.run(wait_until_up(demo, group))
    follower = LedgerFollower(settings, demo.names)
    follower.start()
    deadline = time.monotonic() + options.duration
    try:
        workload = seeded_workload(Catalog(size=options.products), demo.shop_urls)
        step(f"publishing {len(workload.requests)} requests and {len(workload.bad_urls)} bad URLs (gateway)")
        started, started_at = time.monotonic(), datetime.now(UTC)
        accepted, rejections = asyncio.run(_publish(demo, workload))
        for url, reason in rejections:
            print(f"    rejected {url!r}: {reason}", file=sys.stderr)
        if options.fault is not None:
            options.fault.start(settings, group)
        deadline = _follow(settings, demo, follower, group, started, deadline)
        with follower.lock:
            first_pass = set(follower.ledger.results)

        step("moving the shop's prices on and requesting every product again (freshness 0)")
        updates_before = len(follower.ledger.updates)
        asyncio.run(_advance_prices_and_republish(demo, workload))
        _follow(settings, demo, follower, group, started, deadline)
        with follower.lock:
            ledger = follower.ledger
            new_updates = ledger.updates[updates_before:]
            for update in new_updates[:5]:
                print(f"    update {_describe(update)}", file=sys.stderr)
            summary, failures = _summarise(
                settings, demo, ledger, accepted, len(rejections), first_pass, started_at
            )
        restarts = ", ".join(f"{name} {count}" for name, count in group.restarts.items())
        summary.add("processes restarted after a crash", restarts or "none")
        print("\n" + summary.render(), flush=True)
        if options.keep_running:
            print(_handoff(settings, demo, workload, started_at), file=sys.stderr, flush=True)
            while True:
                group.supervise()
                time.sleep(1)
        return 1 if failures else 0
    except KeyboardInterrupt:
        group.terminate()  # the processes stop while the ledger's consumer closes
        raise
    finally:
        follower.stop()


async def wait_until_up(demo: DemoEnvironment, group: ProcessGroup, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    urls = [f"{demo.gateway_url}/readyz", *(f"{url}/robots.txt" for url in demo.shop_urls.values())]
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            group.supervise()
            if all([await _answers(session, url) for url in urls]):
                return
            await asyncio.sleep(0.5)
    raise InfraError(f"the gateway or demo shop did not answer within {timeout:.0f}s; see {group.logs_dir}")


async def _answers(session: aiohttp.ClientSession, url: str) -> bool:
    try:
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=2)) as response:
            return response.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False


async def _publish(
    demo: DemoEnvironment, workload: Workload, **fields: object
) -> tuple[int, list[tuple[str, str]]]:
    """POST the workload in batches and each bad URL on its own; (accepted, [(url, reason)])."""
    headers = {"Authorization": f"Bearer {demo.api_key}"}
    accepted, rejections = 0, []
    async with aiohttp.ClientSession(headers=headers) as session:
        for start in range(0, len(workload.requests), POST_BATCH):
            batch = [
                {"url": r.url, "kind": r.kind, "priority": r.priority, **fields}
                for r in workload.requests[start : start + POST_BATCH]
            ]
            answer = await _post(session, demo, {"requests": batch}, expect=202)
            accepted += len(answer["accepted"])
        for url in workload.bad_urls:
            answer = await _post(session, demo, {"url": url}, expect=400)
            rejections.append((url, answer.get("error", "?")))
    return accepted, rejections


async def _post(session: aiohttp.ClientSession, demo: DemoEnvironment, body: dict, expect: int) -> dict:
    async with session.post(f"{demo.gateway_url}/v1/requests", json=body) as response:
        answer = await response.json()
        if response.status != expect:
            raise InfraError(f"gateway answered {response.status} (expected {expect}): {answer}")
        return answer


async def _advance_prices_and_republish(demo: DemoEnvironment, workload: Workload) -> None:
    clock = f"{demo.shop_urls['microdata']}/_admin/clock?advance=1"  # one clock serves all three shops
    async with aiohttp.ClientSession() as session, session.post(clock) as response:
        response.raise_for_status()
    products = Workload(
        [r for r in workload.requests if r.kind == "PRODUCT" and "?" not in r.url], bad_urls=()
    )
    await _publish(demo, products, freshness_seconds=0, priority="HIGH")


def _handoff(settings: Settings, demo: DemoEnvironment, workload: Workload, since: datetime) -> str:
    return demo_handoff(
        pid=os.getpid(),
        gateway_url=demo.gateway_url,
        api_key=demo.api_key,
        prefix=demo.prefix,
        product_url=workload.product_urls()[0],
        clock_url=f"{demo.shop_urls['microdata']}/_admin/clock?advance=1",
        domains=demo.domains,
        since=since.replace(microsecond=0),
        database=settings.clickhouse_database,
    )


def _follow(
    settings: Settings,
    demo: DemoEnvironment,
    follower: LedgerFollower,
    group: ProcessGroup,
    started: float,
    deadline: float,
) -> float:
    """Show progress until every request is accounted for, every group's lag has drained and
    nothing moved for a while. Time while Kafka is unreachable does not count towards `deadline`;
    the deadline, so moved on, is returned for the next phase."""
    stalls = StallWatch(group)
    last_counts, last_change, next_lag, lags, outage = None, time.monotonic(), 0.0, None, None
    last_tick = time.monotonic()
    while time.monotonic() < deadline:
        group.supervise()
        now = time.monotonic()
        if outage:
            deadline += now - last_tick
        last_tick = now
        if now >= next_lag:
            lags, outage = _measure_lag(settings, demo.prefix)
            if lags is None:
                stalls.reset()
            else:
                stalls.observe(lags, now)
            next_lag = now + 3
        with follower.lock:
            ledger = follower.ledger
            counts = (len(ledger.requests), len(ledger.results), sum(ledger.dead_letters.values()))
            settled = (
                counts[0] > 0 and not ledger.unaccounted() and lags is not None and not any(lags.values())
            )
            show_status(status_line(ledger, now - started, lags or {}, group.restarts, outage))
        if counts != last_counts:
            last_counts, last_change = counts, now
        elif settled and now - last_change >= QUIET_SECONDS:
            break
        time.sleep(1)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    return deadline


def _measure_lag(settings: Settings, prefix: str) -> tuple[dict[str, int] | None, str | None]:
    """(lag by worker kind, None), or (None, what is unreachable) while the broker is away."""
    try:
        return lag.lag_by_kind(settings, prefix), None
    except OUTAGES as error:
        return None, _outage_text(error)


def _outage_text(error: BaseException) -> str:
    service = error.store if isinstance(error, StoreUnavailable) else "Kafka"
    return f"{service} unreachable ({str(error).splitlines()[0][:80]})"


def _when_reachable(what: str, action: Callable[[], T], patience: float = OUTAGE_PATIENCE) -> T:
    """`action()`, tried again every 2 s while a service it needs is unreachable (said on the
    status line); after `patience` seconds an InfraError names the service."""
    deadline = time.monotonic() + patience
    while True:
        try:
            return action()
        except OUTAGES as error:
            if time.monotonic() >= deadline:
                raise InfraError(f"{what}: {_outage_text(error)} for {patience:.0f} s") from None
            show_status(f"waiting: {what}: {_outage_text(error)}")
            time.sleep(2)


def _summarise(
    settings: Settings,
    demo: DemoEnvironment,
    ledger: Ledger,
    accepted: int,
    rejected: int,
    first_pass: set[str],
    started_at: datetime,
) -> tuple[Summary, list[str]]:
    lost = ledger.unaccounted()
    # The shops' domains outlive a demo run in the stores: keep this run's requests only.
    stored = _when_reachable(
        "reading ClickHouse scrape_events", lambda: asyncio.run(stored_times(settings, demo.domains))
    )
    stored_at = {rid: at for rid, at in stored.items() if rid in ledger.requests}
    latency = {rid: (at - ledger.requests[rid].created_at).total_seconds() for rid, at in stored_at.items()}
    lanes = lane_figures(ledger, first_pass, started_at, latency)
    statuses = ledger.statuses()
    products = sum(1 for result in ledger.results.values() if result["product"])
    summary = Summary()
    summary.add("requests accepted by the gateway", accepted)
    summary.add("requests rejected (bad URLs)", rejected)
    summary.add("requests in scrape.requests (incl. crawl)", len(ledger.requests))
    summary.add("duplicates dropped by the router", ledger.duplicates_dropped())
    summary.add("results by status", ", ".join(f"{s} {n}" for s, n in statuses.most_common()))
    summary.add("products scraped", products)
    summary.add("products/s (first pass)", lanes[None].throughput_text())
    summary.add("request→stored latency p50/p95/p99", lanes[None].latency_text())
    summary.add("results by lane", ", ".join(f"{lane} {lanes[lane].results}" for lane in LANE_NAMES))
    for lane, name in LANE_NAMES.items():
        summary.add(f"{name}: products/s (first pass)", lanes[lane].throughput_text())
        summary.add(f"{name}: request→stored p50/p95/p99", lanes[lane].latency_text())
    summary.add("rows in ClickHouse scrape_events (this run)", len(stored_at))
    duplicates = _when_reachable(
        "counting duplicate rows in ClickHouse", lambda: asyncio.run(duplicate_rows(settings, demo.domains))
    )
    summary.add("duplicate rows in ClickHouse scrape_events (FINAL)", duplicates)
    summary.add(
        "products in Cassandra (demo shops)",
        _when_reachable(
            "counting products in Cassandra", lambda: _cassandra_products(settings, demo.domains)
        ),
    )
    counts = _when_reachable("counting messages", lambda: _topic_counts(settings, demo.names))
    for topic, count in counts.items():
        summary.add(f"messages in {topic.removeprefix(demo.prefix)}", count)
    summary.add("product updates", len(ledger.updates))
    summary.add("dead letters by reason", dead_letter_text(ledger.dead_letters))
    lags = _when_reachable("measuring consumer lag", lambda: lag.lag_by_kind(settings, demo.prefix))
    summary.add("consumer lag at the end", ", ".join(f"{group} {value}" for group, value in lags.items()))
    summary.add("zero-loss check", "PASSED: every request has a result, a dead letter or a scraped duplicate"
                if not lost else f"FAILED: {len(lost)} requests unaccounted, e.g. {lost[:3]}")  # fmt: skip
    return summary, [*lost, *(["duplicate rows in ClickHouse"] if duplicates else [])]


async def duplicate_rows(settings: Settings, domains: list[str]) -> int:
    """Rows of the same scrape (request id and time) that idempotent writes failed to collapse."""
    reader = analytics.open_reader(settings)
    try:
        result = await reader.query(
            "SELECT count() - uniqExact(request_id, scraped_at) "
            f"FROM {settings.clickhouse_database}.scrape_events FINAL "
            "WHERE domain IN {domains:Array(String)}",
            {"domains": domains},
        )
    finally:
        await reader.close()
    return int(result.rows[0][0])


async def stored_times(settings: Settings, domains: list[str]) -> dict[str, datetime]:
    reader = analytics.open_reader(settings)
    try:
        result = await reader.query(
            f"SELECT toString(request_id), stored_at FROM {settings.clickhouse_database}.scrape_events FINAL "
            "WHERE domain IN {domains:Array(String)}",
            {"domains": domains},
        )
    finally:
        await reader.close()
    return {rid: datetime.fromisoformat(stored).replace(tzinfo=UTC) for rid, stored in result.rows}


def _cassandra_products(settings: Settings, domains: list[str]) -> int:
    try:
        with cassandra_sessions.connect(settings, settings.cassandra_keyspace) as session:
            statement = session.prepare("SELECT count(*) FROM products_by_domain WHERE domain = ?")
            return sum(session.execute(statement, (domain,)).one()[0] for domain in domains)
    except CASSANDRA_UNAVAILABLE as error:
        raise StoreUnavailable("cassandra", str(error)) from error


def _topic_counts(settings: Settings, names: TopicNames) -> dict[str, int]:
    consumer = make_consumer(settings, f"{names.requests}.demo-counter")
    try:
        metadata = consumer.list_topics(timeout=10).topics
        wanted = [
            names.requests,
            *names.tasks.values(),
            *names.browser_tasks.values(),
            names.results,
            names.updates,
            names.invalidation,
            names.dlq,
        ]
        return {
            topic: sum(watermarks(consumer, topic, partition)[1] for partition in metadata[topic].partitions)
            for topic in wanted
        }
    finally:
        consumer.close()


def delete_topics(settings: Settings, prefix: str) -> None:
    admin = make_admin(settings)
    doomed = [name for name in admin.list_topics(timeout=10).topics if name.startswith(prefix)]
    if doomed:
        for future in admin.delete_topics(doomed, operation_timeout=30).values():
            future.result(30)


def _describe(update: dict) -> str:
    prices = f"{format_money(update['old_price'])} → {format_money(update['new_price'])}"
    stock = f"{update['old_availability']} → {update['new_availability']}"
    return f"{update['product_id']}: {', '.join(update['changes'])} {prices}, {stock}"


def step(text: str) -> None:
    print(f"==> {text}", file=sys.stderr, flush=True)
