"""Product reads on the gateway against real Kafka and Cassandra: hit, miss, invalidation, stale, 404."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import pytest
from cassandra.cluster import Session

from consumers.sinks.changes import next_state
from producers.gateway import INVALIDATIONS, create_app
from schemas.codec import Codec
from scrapestream.config import Settings
from scrapestream.kafka import make_consumer, make_producer
from scrapestream.stores.products import ProductState, ProductStore
from scrapestream.topics import TopicNames
from tests.integration.gateway_helpers import call, serving
from tests.integration.pipeline import prefix_of, private_topics
from tests.integration.sink_helpers import result, scratch_keyspace

pytestmark = pytest.mark.integration
KEY = "reads-key-" + uuid.uuid4().hex
CODEC = Codec()
DOMAIN = "shop.example"


class Gateway(NamedTuple):
    url: str
    settings: Settings
    session: Session
    names: TopicNames


@pytest.fixture(scope="module")
def gateway(stack: Settings) -> Iterator[Gateway]:
    with private_topics(stack) as names, scratch_keyspace(stack) as (settings, session):
        settings = dataclasses.replace(settings, gateway_api_keys=(KEY,), gateway_cache_ttl_seconds=600.0)
        app = create_app(settings, prefix=prefix_of(names))
        with serving(app) as url:
            assert app[INVALIDATIONS].assigned.wait(30), "the invalidation listener got no partitions"
            yield Gateway(url, settings, session, names)


def now_ms() -> datetime:
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)  # Cassandra keeps milliseconds


def store_product(
    gateway: Gateway, sku: str, price: int, scraped_at: datetime, previous: ProductState | None = None
) -> ProductState:
    """Write the state a scrape at `scraped_at` leads to, as the fan-out would."""
    url = f"http://{DOMAIN}/product/{sku}"
    state, _ = next_state(previous, result(sku, price=price, domain=DOMAIN, scraped_at=scraped_at, url=url))
    asyncio.run(ProductStore(gateway.session, gateway.settings).save([state]))
    return state


def invalidate(gateway: Gateway, *keys: str) -> None:
    producer = make_producer(gateway.settings)
    record = {"keys": list(keys), "product_id": None, "reason": "test", "emitted_at": now_ms()}
    producer.produce(
        gateway.names.invalidation, CODEC.encode("CacheInvalidation", record), key=keys[0].encode()
    )
    assert producer.flush(10) == 0


def product_url(gateway: Gateway, product_id: str, query: str = "") -> str:
    return f"{gateway.url}/v1/products/{product_id}{query}"


def fresh_sku() -> str:
    return "P-" + uuid.uuid4().hex[:8]


def test_a_miss_reads_cassandra_then_the_cache_answers(gateway: Gateway) -> None:
    sku = fresh_sku()
    state = store_product(gateway, sku, 1999, now_ms() - timedelta(seconds=30))
    status, headers, first = call(product_url(gateway, state.product_id), KEY)
    assert status == 200 and headers["X-Cache"] == "miss"
    assert first["product"]["price"] == {"amount_minor": 1999, "currency": "EUR"}
    assert first["scraped_at"] == state.scraped_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert 29 <= first["age_seconds"] < 60 and first["version"] == 1 and first["stale"] is False
    status, headers, second = call(product_url(gateway, state.product_id), KEY)
    assert status == 200 and headers["X-Cache"] == "hit"
    assert second["scraped_at"] == first["scraped_at"]


def test_unknown_products_are_404_and_reads_need_a_key(gateway: Gateway) -> None:
    status, _, body = call(product_url(gateway, "shop.example:nope"), KEY)
    assert status == 404 and body["error"] == "no product with id 'shop.example:nope'"
    status, _, body = call(product_url(gateway, "shop.example:nope"), None)
    assert status == 401 and "API key" in body["error"]
    status, _, body = call(product_url(gateway, "x", "?max_age=soon"), KEY)
    assert status == 400 and body["field"] == "max_age"


def test_an_invalidation_drops_the_cached_product_and_listing(gateway: Gateway) -> None:
    sku = fresh_sku()
    first = store_product(gateway, sku, 1000, now_ms() - timedelta(seconds=5))
    listing = f"{gateway.url}/v1/products?domain={DOMAIN}&limit=1000"
    assert call(product_url(gateway, first.product_id), KEY)[1]["X-Cache"] == "miss"
    assert call(listing, KEY)[1]["X-Cache"] == "miss"
    store_product(gateway, sku, 800, now_ms(), previous=first)  # stored, but not announced yet

    _, headers, cached = call(product_url(gateway, first.product_id), KEY)
    assert headers["X-Cache"] == "hit" and cached["product"]["price"]["amount_minor"] == 1000

    invalidate(gateway, f"product:{first.product_id}", f"domain:{DOMAIN}:list")
    body = wait_for_price(gateway, first.product_id, 800)
    assert body["version"] == 2 and body["last_changes"] == ["PRICE"]
    _, headers, rows = call(listing, KEY)
    assert headers["X-Cache"] == "miss"
    assert (
        next(p for p in rows["products"] if p["product_id"] == first.product_id)["price"]["amount_minor"]
        == 800
    )


def wait_for_price(gateway: Gateway, product_id: str, price: int, timeout: float = 15.0) -> dict:
    deadline = datetime.now(UTC) + timedelta(seconds=timeout)
    while datetime.now(UTC) < deadline:
        _, _, body = call(product_url(gateway, product_id), KEY)
        if body["product"]["price"]["amount_minor"] == price:
            return body
    raise AssertionError(f"{product_id} still does not show price {price} after {timeout}s")


def refresh_requests(gateway: Gateway, url: str, timeout: float = 20.0) -> list[dict]:
    """ScrapeRequests for `url` on the request topic, read from the beginning."""
    consumer = make_consumer(gateway.settings, f"test-{uuid.uuid4().hex[:8]}")
    consumer.subscribe([gateway.names.requests])
    found: list[dict] = []
    deadline = datetime.now(UTC) + timedelta(seconds=timeout)
    try:
        while not found and datetime.now(UTC) < deadline:
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                request = CODEC.decode("ScrapeRequest", message.value())
                found += [request] if request["url"] == url else []
    finally:
        consumer.close()
    return found


def test_an_old_copy_is_answered_stale_and_a_high_priority_refresh_is_published(gateway: Gateway) -> None:
    state = store_product(gateway, fresh_sku(), 500, now_ms() - timedelta(minutes=10))
    status, _, body = call(product_url(gateway, state.product_id, "?max_age=60"), KEY)
    assert status == 200 and body["stale"] is True and body["age_seconds"] >= 600
    assert body["refresh_request_id"]
    [request] = refresh_requests(gateway, state.url)
    assert str(request["request_id"]) == body["refresh_request_id"]
    assert (request["priority"], request["freshness_seconds"]) == ("HIGH", 0)
    assert request["requested_by"].startswith("api-key:")
    _, _, again = call(product_url(gateway, state.product_id, "?max_age=60"), KEY)
    assert again["stale"] is True and again["refresh_request_id"] is None  # one refresh per cooldown


def test_with_wait_the_fresh_copy_is_answered_once_the_refresh_is_stored(gateway: Gateway) -> None:
    old = store_product(gateway, fresh_sku(), 700, now_ms() - timedelta(minutes=10))

    def scrape_when_asked() -> None:  # plays the pipeline: the refresh request leads to a newer state
        if refresh_requests(gateway, old.url):
            store_product(gateway, old.product["sku"], 650, now_ms(), previous=old)

    scraper = threading.Thread(target=scrape_when_asked)
    scraper.start()
    status, _, body = call(product_url(gateway, old.product_id, "?max_age=60&wait=20"), KEY)
    scraper.join()
    assert status == 200 and body["stale"] is False and body["age_seconds"] < 60
    assert body["product"]["price"]["amount_minor"] == 650 and body["refresh_request_id"]
