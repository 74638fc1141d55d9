"""Topic catalog contents and drift rules (the admin calls themselves are covered by integration tests)."""

from __future__ import annotations

import dataclasses

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition

from schemas.loader import EVENT_TYPES
from scrapestream.config import Settings
from scrapestream.kafka import watermarks
from scrapestream.topics import (
    DEDUP_CHANGELOG,
    PRODUCT_STATE,
    SCRAPE_TASKS,
    ConsumerGroups,
    Drift,
    Topic,
    TopicNames,
    TopicState,
    catalog,
    topic_drift,
)

SETTINGS = Settings(kafka_partitions=12, kafka_replication=3)


def test_catalog_lists_every_pipeline_topic_with_settings_applied() -> None:
    topics = catalog(SETTINGS)
    assert [topic.name for topic in topics] == [
        "scrape.requests",
        *SCRAPE_TASKS.values(),
        "scrape.browser-tasks.high",
        "scrape.browser-tasks.normal",
        "scrape.browser-tasks.bulk",
        "scrape.results",
        "product.updates",
        "product.state",
        "cache.invalidation",
        "scrape.dlq",
        DEDUP_CHANGELOG,
    ]
    assert {(topic.partitions, topic.replication) for topic in topics} == {(12, 3)}
    assert {topic.value_schema for topic in topics[:-1]} == set(EVENT_TYPES)  # the changelog holds no event


def test_only_latest_state_topics_are_compacted_and_kept_forever() -> None:
    compacted = [topic for topic in catalog(SETTINGS) if topic.cleanup_policy == "compact"]
    assert [topic.name for topic in compacted] == [PRODUCT_STATE, DEDUP_CHANGELOG]
    assert {str(topic.config) for topic in compacted} == {
        str({"cleanup.policy": "compact", "retention.ms": "-1"})
    }


def test_prefix_applies_to_every_name() -> None:
    assert all(topic.name.startswith("test.abc.") for topic in catalog(SETTINGS, prefix="test.abc."))


def test_prefix_applies_to_every_consumer_group() -> None:
    plain = ConsumerGroups.for_settings(SETTINGS)
    prefixed = ConsumerGroups.for_settings(SETTINGS, "test.abc.")
    assert plain.scrapers == SETTINGS.scraper_group_id
    assert prefixed.browser_scrapers == f"test.abc.{SETTINGS.scraper_group_id}-browser"
    assert {kind: "test.abc." + group for kind, group in plain.by_kind().items()} == prefixed.by_kind()
    assert len(set(plain.by_kind().values())) == 4


def test_topic_names_and_catalog_prefix_alike() -> None:
    names = TopicNames.prefixed("test.abc.")
    listed = [names.requests, *names.tasks.values(), *names.browser_tasks.values(), names.results]
    listed += [names.updates, names.state, names.invalidation, names.dlq, names.dedup_changelog]
    assert listed == [topic.name for topic in catalog(SETTINGS, prefix="test.abc.")]


def _state(topic: Topic, **changes: object) -> TopicState:
    state = TopicState(topic.name, topic.partitions, topic.replication, dict(topic.config))
    return dataclasses.replace(state, **changes)


def test_drift_rules() -> None:
    state_topic = next(topic for topic in catalog(SETTINGS) if topic.name == PRODUCT_STATE)
    assert topic_drift(state_topic, _state(state_topic)) == []
    assert topic_drift(state_topic, _state(state_topic, partitions=24)) == []  # scaled out on purpose
    assert topic_drift(state_topic, None) == [Drift(PRODUCT_STATE, "missing", "12 partitions", "no topic")]
    drifted = _state(
        state_topic, partitions=6, replication=1, config={"cleanup.policy": "delete", "retention.ms": "-1"}
    )
    assert [str(drift) for drift in topic_drift(state_topic, drifted)] == [
        "product.state: too few partitions (expected 12, found 6)",
        "product.state: replication (expected 3, found 1)",
        "product.state: cleanup.policy (expected compact, found delete)",
    ]


class LeaderlessForAMoment:
    """A consumer whose broker answers NOT_LEADER_FOR_PARTITION twice, as right after a restart."""

    def __init__(self, error: int = KafkaError.NOT_LEADER_FOR_PARTITION) -> None:
        self.calls, self.error = 0, error

    def get_watermark_offsets(self, partition: TopicPartition, timeout: float) -> tuple[int, int]:
        self.calls += 1
        if self.calls <= 2:
            raise KafkaException(KafkaError(self.error))
        return 0, 42


def test_watermarks_wait_out_a_moving_partition_leader_but_not_other_errors() -> None:
    moving = LeaderlessForAMoment()
    assert watermarks(moving, "t", 0, timeout=5) == (0, 42) and moving.calls == 3
    with pytest.raises(KafkaException):
        watermarks(LeaderlessForAMoment(KafkaError.TOPIC_AUTHORIZATION_FAILED), "t", 0, timeout=5)
