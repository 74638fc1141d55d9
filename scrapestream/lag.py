"""Consumer lag of the pipeline's consumer groups: high watermark minus committed offset, per partition.

Lag is what KEDA scales workers on and what an operator looks at first, so one process measures
it for all groups: the gateway runs `LagMonitor`, which updates the `scrapestream_consumer_lag`
gauge every LAG_INTERVAL seconds and keeps the latest snapshot for the console;
`scrapestream lag` prints the same figures once. Measuring joins no group: a client with the
group's id only asks for its committed offsets.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from confluent_kafka import KafkaException, TopicPartition

from scrapestream import metrics
from scrapestream.config import Settings
from scrapestream.kafka import BrokerUnavailable, make_consumer, watermarks
from scrapestream.topics import ConsumerGroups, TopicNames

LAG_INTERVAL = 15.0
HISTORY_POINTS = int(3600 / LAG_INTERVAL)
TIMEOUT = 10.0
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PartitionLag:
    group: str
    topic: str
    partition: int
    committed: int | None  # None: the group never committed here, so everything retained is lag
    end: int  # high watermark
    lag: int


def pipeline_groups(settings: Settings, prefix: str = "") -> dict[str, list[str]]:
    """Each worker group and the topics it consumes."""
    names = TopicNames.prefixed(prefix)
    groups = ConsumerGroups.for_settings(settings, prefix)
    return {
        groups.router: [names.requests],
        groups.scrapers: list(names.tasks.values()),
        groups.browser_scrapers: list(names.browser_tasks.values()),
        groups.fanout: [names.results],
    }


def lag_by_kind(settings: Settings, prefix: str = "") -> dict[str, int]:
    """The total lag of each worker kind's group (as ConsumerGroups.by_kind names the kinds)."""
    totals = group_totals(measure(settings, pipeline_groups(settings, prefix)))
    groups = ConsumerGroups.for_settings(settings, prefix).by_kind()
    return {kind: totals.get(group, 0) for kind, group in groups.items()}


def measure(settings: Settings, groups: dict[str, list[str]]) -> list[PartitionLag]:
    """The lag of every partition of every group's topics (topics that do not exist are skipped)."""
    return [lag for group, topics in groups.items() for lag in _group_lag(settings, group, topics)]


def _group_lag(settings: Settings, group: str, topics: list[str]) -> list[PartitionLag]:
    consumer = make_consumer(settings, group)
    try:
        metadata = consumer.list_topics(timeout=TIMEOUT).topics
        partitions = [
            TopicPartition(topic, partition)
            for topic in topics
            if topic in metadata
            for partition in sorted(metadata[topic].partitions)
        ]
        if not partitions:
            return []
        committed = consumer.committed(partitions, timeout=TIMEOUT)
        lags = []
        for tp in committed:
            low, high = watermarks(consumer, tp.topic, tp.partition, TIMEOUT)
            done = tp.offset if tp.offset >= 0 else None
            lags.append(
                PartitionLag(
                    group, tp.topic, tp.partition, done, high, high - (low if done is None else done)
                )
            )
        return lags
    finally:
        consumer.close()


def export(lags: list[PartitionLag]) -> None:
    for lag in lags:
        metrics.CONSUMER_LAG.labels(lag.group, lag.topic, str(lag.partition)).set(lag.lag)


def group_totals(lags: list[PartitionLag]) -> dict[str, int]:
    """Each group's lag summed over its partitions, groups in measuring order."""
    totals: dict[str, int] = {}
    for lag in lags:
        totals[lag.group] = totals.get(lag.group, 0) + lag.lag
    return totals


class LagMonitor:
    """Measures the pipeline groups' lag periodically (in a thread) and exports it. Keeps the latest
    figures per partition and, for the console's chart, the last `history_points` measurements
    as group totals (an hour by default)."""

    def __init__(
        self,
        settings: Settings,
        prefix: str = "",
        interval: float = LAG_INTERVAL,
        history_points: int = HISTORY_POINTS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._groups = pipeline_groups(settings, prefix)
        self._interval = interval
        self._clock = clock
        self.latest: list[PartitionLag] = []
        self.history: deque[dict[str, object]] = deque(maxlen=history_points)

    async def run(self) -> None:
        while True:
            try:
                self.record(await asyncio.to_thread(measure, self._settings, self._groups))
            except KafkaException as error:  # the broker is away: keep the last figures, try again
                _log.warning("measuring consumer lag: %s", error)
            await asyncio.sleep(self._interval)

    def record(self, lags: list[PartitionLag]) -> None:
        """One measurement: exported, kept as the latest, and a point of the history."""
        self.latest = lags
        export(lags)
        at = datetime.fromtimestamp(self._clock(), UTC).isoformat(timespec="milliseconds")
        self.history.append({"at": at.replace("+00:00", "Z"), "lag": group_totals(lags)})

    def snapshot(self) -> list[dict[str, object]]:
        return [asdict(lag) for lag in self.latest]


def run_command(settings: Settings, prefix: str = "") -> int:
    """`scrapestream lag`: print every group's lag per partition, and the total per group."""
    try:
        lags = measure(settings, pipeline_groups(settings, prefix))
    except KafkaException as error:
        unreachable = BrokerUnavailable.because(error, settings.kafka_bootstrap)
        print(f"scrapestream lag: {unreachable}", file=sys.stderr)
        return 1
    for lag in lags:
        committed = "-" if lag.committed is None else lag.committed
        where = f"{lag.group:<32} {lag.topic:<28} {lag.partition:>3}"
        print(f"{where} committed={committed} end={lag.end} lag={lag.lag}")
    for group, total in group_totals(lags).items():
        print(f"{group}: total lag {total}")
    return 0
