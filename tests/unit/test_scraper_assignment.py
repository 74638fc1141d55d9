"""A broker error while the scraper worker sizes its lag (a leader moving) neither escapes the
rebalance callback nor the poll: the lag is only a scheduling hint."""

from __future__ import annotations

from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition

from consumers.scraper.consumer import ScraperTopics, ScraperWorker


class LeaderMoving:
    """A consumer whose watermark requests fail as while a partition's leader moves."""

    def committed(self, partitions: list[TopicPartition], timeout: float) -> list[TopicPartition]:
        return [TopicPartition(p.topic, p.partition, -1001) for p in partitions]  # nothing committed yet

    def get_watermark_offsets(self, partition: TopicPartition, **_: Any) -> tuple[int, int]:
        raise KafkaException(KafkaError(KafkaError.NOT_LEADER_FOR_PARTITION))


@pytest.fixture
def worker() -> ScraperWorker:
    worker = object.__new__(ScraperWorker)  # only the bookkeeping under test, no Kafka clients
    worker.topics = ScraperTopics.with_prefix()
    worker._consumer = LeaderMoving()
    worker._assigned, worker._next_offset, worker._assigned_at = set(), {}, {}
    return worker


def test_partitions_are_taken_even_when_their_start_is_unknown(worker: ScraperWorker) -> None:
    urgent = TopicPartition(worker.topics.tasks["HIGH"], 0)
    worker._on_assign(worker._consumer, [urgent])
    assert worker._assigned == {(urgent.topic, 0)}
    assert worker._next_offset == {}
    assert set(worker._assigned_at) == {(urgent.topic, 0)}  # when it came: its domains wait from then


def test_an_unknown_high_watermark_counts_as_no_lag(worker: ScraperWorker) -> None:
    urgent = (worker.topics.tasks["HIGH"], 0)
    worker._assigned, worker._next_offset = {urgent}, {urgent: 5}
    assert set(worker._lags().values()) == {0}
