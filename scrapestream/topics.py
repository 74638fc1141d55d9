"""The topic catalog: the only place topic names appear, plus the admin operations that apply it.

Every topic's partition count and replication come from settings; its key, value schema, cleanup
policy and retention are part of the contract and live here. Other modules import the name
constants below. A prefix (`--topic-prefix`) gives a pipeline topics and consumer groups of its
own that never collide with the real ones; `TopicNames.prefixed` and `ConsumerGroups.for_settings`
are the only places it is applied.

Admin operations never delete or shrink anything: `create_topics` only adds what is missing, and
`check_topics` reports drift for a human to resolve.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic, ResourceType

from scrapestream.config import Settings
from scrapestream.kafka import BrokerUnavailable, make_admin

SCRAPE_REQUESTS = "scrape.requests"
SCRAPE_TASKS = {"HIGH": "scrape.tasks.high", "NORMAL": "scrape.tasks.normal", "BULK": "scrape.tasks.bulk"}
# The browser lane: render=BROWSER tasks, and AUTO requests a static scraper found no price in, for the
# browser scrapers (their own consumer group), so static and browser scrapers scale independently.
BROWSER_TASKS = {
    "HIGH": "scrape.browser-tasks.high",
    "NORMAL": "scrape.browser-tasks.normal",
    "BULK": "scrape.browser-tasks.bulk",
}
SCRAPE_RESULTS = "scrape.results"
PRODUCT_UPDATES = "product.updates"
PRODUCT_STATE = "product.state"
CACHE_INVALIDATION = "cache.invalidation"
SCRAPE_DLQ = "scrape.dlq"
# Consumer groups of the Faust workers (a Faust app's id is its group id); the scrapers' group is
# configurable (settings.scraper_group_id). See ConsumerGroups.
ROUTER_GROUP = "scrapestream-router"
FANOUT_GROUP = "scrapestream-fanout"
# Faust names a table's changelog "<app id>-<table>-changelog". Created with the others, so the
# router never writes to it before it exists (Faust would declare it at start-up, racing its first write).
DEDUP_TABLE = "dedup-last-queued"
DEDUP_CHANGELOG = f"{ROUTER_GROUP}-{DEDUP_TABLE}-changelog"

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
FOREVER = -1  # retention.ms for a compacted topic: keep the latest value per key indefinitely


@dataclass(frozen=True)
class Topic:
    """What a topic must look like on the cluster, and what its messages are."""

    name: str
    partitions: int
    replication: int
    key: str  # what the message key is, for humans
    value_schema: str  # event type in schemas/
    cleanup_policy: str = "delete"
    retention_ms: int = 7 * DAY_MS
    # Replicas that must be in sync for an acks=all write (the producers' setting): 1 leaves it to
    # the broker's default; 2 with replication 3 keeps writing, without loss, with one broker down.
    min_insync_replicas: int = 1

    @property
    def config(self) -> dict[str, str]:
        config = {"cleanup.policy": self.cleanup_policy, "retention.ms": str(self.retention_ms)}
        if self.min_insync_replicas > 1:
            config["min.insync.replicas"] = str(self.min_insync_replicas)
        return config


@dataclass(frozen=True)
class TopicState:
    """What a topic looks like on the cluster."""

    name: str
    partitions: int
    replication: int
    config: dict[str, str]


@dataclass(frozen=True)
class Drift:
    """One way a topic on the cluster differs from the catalog."""

    topic: str
    problem: str  # "missing", "too few partitions", "replication", "cleanup.policy", "retention.ms"
    expected: str
    actual: str

    def __str__(self) -> str:
        return f"{self.topic}: {self.problem} (expected {self.expected}, found {self.actual})"


@dataclass(frozen=True)
class TopicNames:
    """The name of every topic a process uses; `prefixed` gives a pipeline topics of its own."""

    requests: str = SCRAPE_REQUESTS
    tasks: Mapping[str, str] = field(default_factory=lambda: dict(SCRAPE_TASKS))
    browser_tasks: Mapping[str, str] = field(default_factory=lambda: dict(BROWSER_TASKS))
    results: str = SCRAPE_RESULTS
    updates: str = PRODUCT_UPDATES
    state: str = PRODUCT_STATE
    invalidation: str = CACHE_INVALIDATION
    dlq: str = SCRAPE_DLQ
    dedup_changelog: str = DEDUP_CHANGELOG

    @classmethod
    def prefixed(cls, prefix: str) -> TopicNames:
        plain = cls()
        singles = ("requests", "results", "updates", "state", "invalidation", "dlq", "dedup_changelog")
        return cls(
            **{name: prefix + getattr(plain, name) for name in singles},
            tasks={priority: prefix + name for priority, name in plain.tasks.items()},
            browser_tasks={priority: prefix + name for priority, name in plain.browser_tasks.items()},
        )

    def lane(self, *, browser: bool) -> Mapping[str, str]:
        """priority -> task topic of the static lane, or with `browser` of the browser lane."""
        return self.browser_tasks if browser else self.tasks


@dataclass(frozen=True)
class ConsumerGroups:
    """The consumer group of every worker kind, prefixed like the topics (`for_settings`)."""

    router: str
    fanout: str
    scrapers: str
    browser_scrapers: str

    @classmethod
    def for_settings(cls, settings: Settings, prefix: str = "") -> ConsumerGroups:
        scrapers = prefix + settings.scraper_group_id
        return cls(prefix + ROUTER_GROUP, prefix + FANOUT_GROUP, scrapers, f"{scrapers}-browser")

    def scraper_lane(self, *, browser: bool) -> str:
        return self.browser_scrapers if browser else self.scrapers

    def by_kind(self) -> dict[str, str]:
        """Worker kind (as status lines name it) -> consumer group."""
        return {
            "router": self.router,
            "fanout": self.fanout,
            "scrapers": self.scrapers,
            "browser-scrapers": self.browser_scrapers,
        }


def catalog(settings: Settings, prefix: str = "") -> tuple[Topic, ...]:
    """Every topic of the pipeline, with names prefixed by `prefix`."""
    names = TopicNames.prefixed(prefix)

    def topic(name: str, key: str, value_schema: str, **extra: object) -> Topic:
        return Topic(
            name,
            settings.kafka_partitions,
            settings.kafka_replication,
            key,
            value_schema,
            min_insync_replicas=settings.kafka_min_insync_replicas,
            **extra,
        )

    tasks = [
        topic(name, "domain (one consumer owns a domain's politeness)", "ScrapeTask", retention_ms=DAY_MS)
        for name in (*names.tasks.values(), *names.browser_tasks.values())
    ]
    return (
        topic(
            names.requests,
            "canonical URL fingerprint (dedup is per key)",
            "ScrapeRequest",
            retention_ms=DAY_MS,
        ),
        *tasks,
        topic(names.results, "product id, else URL fingerprint", "ScrapeResult"),
        topic(names.updates, "product id", "ProductUpdate"),
        topic(names.state, "product id", "ProductUpdate", cleanup_policy="compact", retention_ms=FOREVER),
        topic(names.invalidation, "cache key", "CacheInvalidation", retention_ms=HOUR_MS),
        topic(names.dlq, "original message key", "DeadLetter", retention_ms=14 * DAY_MS),
        topic(
            names.dedup_changelog,
            "URL fingerprint",
            "epoch ms last queued (Faust table changelog)",
            cleanup_policy="compact",
            retention_ms=FOREVER,
        ),
    )


def create_topics(admin: AdminClient, topics: Iterable[Topic], timeout: float = 30.0) -> dict[str, str]:
    """Create the topics that do not exist yet; returns "created" or "exists" per topic name.

    Existing topics are left exactly as they are (see `check_topics` for drift).
    """
    topics = list(topics)
    existing = set(_metadata(admin, timeout).topics)
    missing = [topic for topic in topics if topic.name not in existing]
    outcome = {topic.name: "exists" for topic in topics if topic.name in existing}
    if not missing:
        return outcome
    requests = [NewTopic(t.name, t.partitions, t.replication, config=t.config) for t in missing]
    for name, future in admin.create_topics(requests, operation_timeout=timeout).items():
        try:
            future.result()
            outcome[name] = "created"
        except KafkaException as error:
            if error.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:  # lost a race: fine
                raise
            outcome[name] = "exists"
    _wait_until_visible(admin, [topic.name for topic in missing], timeout)
    return outcome


def describe_topics(
    admin: AdminClient, names: Iterable[str], timeout: float = 10.0
) -> dict[str, TopicState | None]:
    """Partitions, replication and configuration of each topic; None for a topic that does not exist."""
    metadata = _metadata(admin, timeout).topics
    names = list(names)
    present = [name for name in names if name in metadata and metadata[name].error is None]
    resources = [ConfigResource(ResourceType.TOPIC, name) for name in present]
    configs = admin.describe_configs(resources, request_timeout=timeout) if resources else {}
    states: dict[str, TopicState | None] = dict.fromkeys(names)
    for resource, future in configs.items():
        partitions = metadata[resource.name].partitions
        config = {key: entry.value for key, entry in future.result(timeout).items()}
        replication = min(len(p.replicas) for p in partitions.values()) if partitions else 0
        states[resource.name] = TopicState(resource.name, len(partitions), replication, config)
    return states


def check_topics(admin: AdminClient, topics: Iterable[Topic], timeout: float = 10.0) -> list[Drift]:
    """Every difference between the catalog and the cluster that needs attention; empty when in line."""
    topics = list(topics)
    states = describe_topics(admin, [topic.name for topic in topics], timeout)
    return [drift for topic in topics for drift in topic_drift(topic, states[topic.name])]


def topic_drift(topic: Topic, state: TopicState | None) -> list[Drift]:
    """How one topic on the cluster (None: absent) differs from its catalog entry."""
    if state is None:
        return [Drift(topic.name, "missing", f"{topic.partitions} partitions", "no topic")]
    drifts = []
    # More partitions than configured is a deliberate scale-out, not drift; fewer caps parallelism.
    if state.partitions < topic.partitions:
        drifts.append(Drift(topic.name, "too few partitions", str(topic.partitions), str(state.partitions)))
    if state.replication < topic.replication:
        drifts.append(Drift(topic.name, "replication", str(topic.replication), str(state.replication)))
    for key, expected in topic.config.items():
        if state.config.get(key) != expected:
            drifts.append(Drift(topic.name, key, expected, str(state.config.get(key))))
    return drifts


def _metadata(admin: AdminClient, timeout: float):  # -> ClusterMetadata
    try:
        return admin.list_topics(timeout=timeout)
    except KafkaException as error:
        raise BrokerUnavailable.because(error) from None


def _wait_until_visible(admin: AdminClient, names: list[str], timeout: float) -> None:
    """Block until new topics show in metadata with a leader for every partition, so a describe,
    produce or offset query right after does not meet NOT_LEADER_FOR_PARTITION."""
    deadline = time.monotonic() + timeout
    while not _all_led(_metadata(admin, timeout).topics, names):
        if time.monotonic() > deadline:
            raise BrokerUnavailable(f"topics {names} were created but are still not ready after {timeout}s")
        time.sleep(0.1)


def _all_led(topics: dict, names: list[str]) -> bool:
    return all(
        name in topics
        and topics[name].partitions
        and all(p.leader >= 0 for p in topics[name].partitions.values())
        for name in names
    )


# -- command line: `scrapestream topics create|describe|check` -------------------------------
def run_command(action: str, settings: Settings) -> int:
    """Run one `scrapestream topics` action; the exit code is 1 on drift or when no broker answers."""
    commands = {"create": _print_create, "describe": _print_describe, "check": _print_check}
    try:
        return commands[action](make_admin(settings), catalog(settings))
    except BrokerUnavailable as error:
        print(f"scrapestream topics {action}: {error}", file=sys.stderr)
        return 1


def _print_create(admin: AdminClient, topics: tuple[Topic, ...]) -> int:
    for name, outcome in create_topics(admin, topics).items():
        print(f"{name:<22} {outcome}")
    return 0


def _print_describe(admin: AdminClient, topics: tuple[Topic, ...]) -> int:
    states = describe_topics(admin, [topic.name for topic in topics])
    for topic in topics:
        state = states[topic.name]
        if state is None:
            print(f"{topic.name:<22} MISSING")
            continue
        config = " ".join(f"{key}={state.config.get(key)}" for key in topic.config)
        print(
            f"{topic.name:<22} partitions={state.partitions} replication={state.replication} {config} "
            f"value={topic.value_schema} key={topic.key}"
        )
    return 0


def _print_check(admin: AdminClient, topics: tuple[Topic, ...]) -> int:
    drifts = check_topics(admin, topics)
    for drift in drifts:
        print(drift)
    print(f"{len(drifts)} problem(s)" if drifts else "all topics match the catalog")
    return 1 if drifts else 0
