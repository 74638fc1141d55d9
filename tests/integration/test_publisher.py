"""RequestPublisher against the real local Kafka: what is acknowledged is really there, keyed right."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Iterator

import pytest

import producers.publisher
from producers.publisher import Receipt, RequestPublisher, UnsentMessages
from schemas.codec import Codec
from scrapestream.config import Settings
from scrapestream.kafka import DeliveryFailed
from scrapestream.urls import InvalidURL, fingerprint
from tests.integration.fatal_producer import first_producer_fails
from tests.integration.request_topics import message_count, private_request_topic, read_messages

pytestmark = pytest.mark.integration


@pytest.fixture
def topic(stack: Settings) -> Iterator[str]:
    with private_request_topic(stack) as name:
        yield name


def test_sync_publish_round_trips_with_the_fingerprint_as_key(stack: Settings, topic: str) -> None:
    spellings = ["HTTPS://Shop.Example/p/1?utm_source=mail#top", "https://shop.example/p/1"]
    with RequestPublisher(stack, topic=topic) as publisher:
        deliveries = [publisher.publish(url, priority="high", tags={"run": "t"}) for url in spellings]
        other = publisher.publish("https://other.example/p/2", correlation_id="c-1")
        receipts = [delivery.result(30) for delivery in [*deliveries, other]]

    codec = Codec.for_settings(stack)
    by_id = {receipt.request_id: receipt for receipt in receipts}
    messages = read_messages(stack, topic, 3)
    for message in messages:
        record = codec.decode("ScrapeRequest", message.value())
        receipt = by_id[str(record["request_id"])]
        assert message.key().decode() == fingerprint(record["canonical_url"])
        assert (message.partition(), message.offset()) == (receipt.partition, receipt.offset)
        assert record["url"] == receipt.url and record["canonical_url"] == receipt.canonical_url
    first, second, third = receipts
    assert first.canonical_url == second.canonical_url == "https://shop.example/p/1"
    assert first.partition == second.partition  # same page, same partition: dedup sees both
    records = {str(r["request_id"]): r for r in (codec.decode("ScrapeRequest", m.value()) for m in messages)}
    assert records[first.request_id]["priority"] == "HIGH"
    assert records[first.request_id]["tags"] == {"run": "t"}
    assert records[third.request_id]["domain"] == "other.example"
    assert records[third.request_id]["correlation_id"] == "c-1"


def test_async_publish_resolves_on_the_event_loop(stack: Settings, topic: str) -> None:
    urls = [f"https://shop.example/p/{n}" for n in range(200)]

    async def publish_all(publisher: RequestPublisher) -> list[Receipt]:
        futures = [await publisher.publish_async(url, priority="bulk") for url in urls]
        return await asyncio.wait_for(asyncio.gather(*futures), 30)

    with RequestPublisher(stack, topic=topic) as publisher:
        receipts = asyncio.run(publish_all(publisher))

    assert [receipt.url for receipt in receipts] == urls
    codec = Codec.for_settings(stack)
    decoded = [codec.decode("ScrapeRequest", message.value()) for message in read_messages(stack, topic, 200)]
    assert {str(record["request_id"]) for record in decoded} == {receipt.request_id for receipt in receipts}
    assert {record["priority"] for record in decoded} == {"BULK"}


def test_close_leaves_nothing_unsent(stack: Settings, topic: str) -> None:
    publisher = RequestPublisher(stack, topic=topic)
    deliveries = [publisher.publish(f"https://shop.example/p/{n}") for n in range(5000)]
    publisher.close()  # no waiting on the futures before: close must flush everything

    assert all(delivery.done() and delivery.exception() is None for delivery in deliveries)
    assert message_count(stack, topic) == 5000
    with pytest.raises(RuntimeError, match="closed"):
        publisher.publish("https://shop.example/late")


def test_an_invalid_url_in_a_batch_sends_nothing(stack: Settings, topic: str) -> None:
    with RequestPublisher(stack, topic=topic) as publisher:
        with pytest.raises(InvalidURL, match="scheme 'ftp'"):
            publisher.publish_many(["https://shop.example/a", "ftp://shop.example/b"])
        assert publisher.flush(10) == 0
    assert message_count(stack, topic) == 0


def test_a_missing_topic_fails_the_delivery_with_the_kafka_error(stack: Settings) -> None:
    missing = f"test.{uuid.uuid4().hex[:8]}.nowhere"
    with RequestPublisher(stack, topic=missing, **{"message.timeout.ms": 2000}) as publisher:
        delivery = publisher.publish("https://shop.example/p/1")
        with pytest.raises(DeliveryFailed) as failure:
            delivery.result(30)
    assert failure.value.reason in ("_MSG_TIMED_OUT", "UNKNOWN_TOPIC_OR_PART", "_UNKNOWN_TOPIC")


def test_close_without_a_broker_raises_and_fails_every_pending_future(stack: Settings) -> None:
    nobody = dataclasses.replace(stack, kafka_bootstrap="127.0.0.1:1")
    publisher = RequestPublisher(nobody)
    deliveries = publisher.publish_many([f"https://shop.example/p/{n}" for n in range(10)])
    with pytest.raises(UnsentMessages, match="10 request"):
        publisher.close(timeout=1.0)
    assert all(isinstance(delivery.exception(0), DeliveryFailed) for delivery in deliveries)


def test_a_producer_that_fails_fatally_is_replaced_and_every_future_settles(
    stack: Settings, topic: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    made = first_producer_fails(monkeypatch, producers.publisher)
    with RequestPublisher(stack, topic=topic) as publisher:
        before = publisher.publish_many([f"https://shop.example/p/{n}" for n in range(300)])
        outcomes = [delivery.exception(30) or delivery.result() for delivery in before]
        after = publisher.publish_many([f"https://shop.example/q/{n}" for n in range(10)])
        receipts = [delivery.result(30) for delivery in after]
    assert len(made) == 2 and made[0].failed
    purged = [outcome for outcome in outcomes if isinstance(outcome, DeliveryFailed)]
    assert all(outcome.reason == "_PURGE_QUEUE" for outcome in purged), purged[:3]
    assert len(purged) + sum(isinstance(outcome, Receipt) for outcome in outcomes) == len(before)
    assert all(isinstance(receipt, Receipt) for receipt in receipts)
    assert message_count(stack, topic) == len(before) - len(purged) + len(after)
    assert "Kafka producer failed and is replaced: Unable to reconstruct MessageSet" in caplog.text
