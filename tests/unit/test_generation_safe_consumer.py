"""The stream workers' Faust consumer commits only offsets the current generation has processed."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import pytest
from faust.transport.consumer import ConsumerMessage
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP

from scrapestream.config import Settings
from streams.app import GenerationSafeConsumer, make_app

REQUESTS = TP("requests", 0)


@pytest.fixture
def consumer(tmp_path: Path) -> GenerationSafeConsumer:
    app = make_app(dataclasses.replace(Settings(), data_dir=tmp_path), "consumer-test")
    app.topics.acks_enabled_for = lambda topic: True  # as for an agent's input topic
    app.consumer_generation_id = 7
    app.flow_control.resume()  # events flow, as between rebalances
    assert isinstance(app.consumer, GenerationSafeConsumer)
    return app.consumer


def message(offset: int, generation_id: int) -> ConsumerMessage:
    return ConsumerMessage(
        REQUESTS.topic,
        REQUESTS.partition,
        offset,
        0.0,
        0,
        [],
        b"k",
        b"v",
        None,
        tp=REQUESTS,
        generation_id=generation_id,
    )


def test_an_event_fetched_before_the_rebalance_does_not_count_as_done(
    consumer: GenerationSafeConsumer,
) -> None:
    # Faust's streams ack the stale events they skip after a rebalance.
    assert message(5, generation_id=6).ack(consumer) is False
    assert message(6, generation_id=7).ack(consumer) is True
    assert consumer._acked[REQUESTS] == [6]


def test_an_event_skipped_while_the_flow_is_suspended_does_not_count_as_done(
    consumer: GenerationSafeConsumer,
) -> None:
    # A rebalance or a shutdown is under way: Faust's streams ack the events they skip, and it
    # commits on the way out.
    consumer.app.flow_control.suspend()
    assert message(6, generation_id=7).ack(consumer) is False
    consumer.app.flow_control.resume()
    assert message(7, generation_id=7).ack(consumer) is True
    assert consumer._acked[REQUESTS] == [7]


def test_acks_of_the_ending_generation_are_dropped_on_assignment(
    consumer: GenerationSafeConsumer, monkeypatch: pytest.MonkeyPatch
) -> None:
    assigned: list[Any] = []

    async def faust_assignment(self: Any, tps: set[TP], generation_id: int = 0) -> None:
        assigned.append((tps, generation_id))

    monkeypatch.setattr(faust_aiokafka.Consumer, "on_partitions_assigned", faust_assignment)
    message(40, generation_id=7).ack(consumer)  # left from the generation that ends
    asyncio.run(consumer.on_partitions_assigned({REQUESTS}, 8))
    assert not consumer._acked[REQUESTS] and not consumer._acked_index[REQUESTS]
    assert assigned == [({REQUESTS}, 8)]
