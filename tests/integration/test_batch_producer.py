"""The fan-out's announcement producer (scrapestream.kafka.BatchProducer) against the real local Kafka."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest

import scrapestream.kafka
from scrapestream.config import Settings
from scrapestream.infra.service_process import free_port
from scrapestream.kafka import BatchProducer, DeliveryFailed
from tests.integration.fatal_producer import first_producer_fails
from tests.integration.pipeline import private_topics
from tests.integration.request_topics import message_count, read_messages

pytestmark = pytest.mark.integration


def test_concurrent_batches_are_all_delivered_in_the_order_they_were_sent(stack: Settings) -> None:
    with private_topics(stack) as names:
        producer = BatchProducer(stack)
        batches = [
            [(names.updates, b"shop.example:A1", f"{n}.{m}".encode()) for m in range(300)] for n in range(3)
        ]

        async def send() -> None:
            await asyncio.gather(*(producer.send_all(batch) for batch in batches))

        try:
            asyncio.run(send())
        finally:
            assert producer.close(timeout=10) == 0
        received = read_messages(stack, names.updates, 900)
    # One key, one partition: the order they were produced in.
    assert [message.value() for message in received] == [value for batch in batches for _, _, value in batch]


def test_send_all_raises_delivery_failed_when_no_broker_acknowledges(stack: Settings) -> None:
    nowhere = dataclasses.replace(stack, kafka_bootstrap=f"127.0.0.1:{free_port()}")
    producer = BatchProducer(nowhere, **{"message.timeout.ms": 1000})
    started = time.monotonic()
    try:
        with pytest.raises(DeliveryFailed, match="_MSG_TIMED_OUT"):
            asyncio.run(producer.send_all([("scrape.results", None, b"a"), ("scrape.results", None, b"b")]))
    finally:
        producer.close(timeout=1)
    assert time.monotonic() - started < 60  # message.timeout.ms (1 s) ends it, not a hang


def test_a_producer_that_fails_fatally_is_replaced_and_its_batches_sent_again(
    stack: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    made = first_producer_fails(monkeypatch, scrapestream.kafka)
    with private_topics(stack) as names:
        producer = BatchProducer(stack)
        batches = [[(names.updates, b"%d" % n, b"%d.%d" % (n, m)) for m in range(300)] for n in range(3)]

        async def send() -> None:
            await asyncio.gather(*(producer.send_all(batch) for batch in batches))
            await producer.send(names.updates, b"after", b"after")

        try:
            asyncio.run(asyncio.wait_for(send(), 60))
        finally:
            assert producer.close(timeout=10) == 0
        received = read_messages(stack, names.updates, message_count(stack, names.updates))
    assert len(made) == 2 and made[0].failed
    sent = {value for batch in batches for _, _, value in batch} | {b"after"}
    assert {message.value() for message in received} == sent  # at least once each, nothing else
    assert "Kafka producer failed and is replaced: Unable to reconstruct MessageSet" in caplog.text
