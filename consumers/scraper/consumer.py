"""The scraper worker: a consumer-group member turning ScrapeTasks into ScrapeResults.

    scrape.tasks.{high,normal,bulk} --> ScrapeEngine --> scrape.results (+ scrape.requests, crawl)
                                    \\-> scrape.dlq (undecodable tasks)
                                    \\-> scrape.browser-tasks.* (pages only a browser can scrape)
    scrape.browser-tasks.*          --> the same, in browser scrapers (`--browser`, their own group)

Delivery: at-least-once. A task's offset is committed only after every result and discovered
request of the task (or its dead letter) was acknowledged by the broker; tasks finish out of
order, so commits follow the contiguous finished prefix per partition (offsets.py). A killed
worker's uncommitted tasks are redone by the member that gets its partitions (duplicates are
possible, losses are not). A delivery that fails after the producer's own retries stops the
worker with an error rather than committing past it.

Threads: every call on the confluent-kafka Consumer (poll, pause, commit, close) runs on one
dedicated thread, so rebalance callbacks run there too and may block while the asyncio loop
finishes the revoked partitions' tasks. Outputs go through scrapestream.kafka.BatchProducer: a
request's result and crawl requests are produced together and awaited as one batch, their
delivery reports served on the producer's own thread.

Scheduling: a task is the unit of delivery, never of concurrency. Its requests join their domain's
queue in the frontier (frontier.py), and a request takes one of the worker's fetch slots only when
its domain may be fetched now (scheduler.py): thousands of slow, polite domains run side by side,
each at its own pace. Memory is bounded by pausing every partition while `max_queued_requests`
requests wait (a task is taken only when all of its requests fit, or when nothing waits).

Priority: see priority.py (consumed tasks taken most urgent first, lower-priority partitions paused
while a more urgent topic has lag) and the scheduler (the most urgent ready domain gets the next
slot). Graceful stop: stop polling, drop queued requests (their tasks are not committed, so they
are redone elsewhere), let requests of tasks that can still finish run within the grace period,
commit, leave the group, close.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
import resource
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from confluent_kafka import KafkaError, KafkaException, Message, TopicPartition

from consumers.scraper import telemetry
from consumers.scraper.engine import ScrapeEngine, ScrapeOutcome, scrape_engine
from consumers.scraper.frontier import Frontier, TaskRun
from consumers.scraper.offsets import OffsetTracker, PartitionKey
from consumers.scraper.outcome import Status
from consumers.scraper.priority import PriorityBuffer, most_urgent_waiting
from schemas.codec import Codec, CodecError
from schemas.records import PRIORITIES, scrape_task
from scrapestream.config import Settings
from scrapestream.deadletter import DeadLetters
from scrapestream.health import serving_health
from scrapestream.kafka import BatchProducer, OutMessage, make_consumer
from scrapestream.topics import ConsumerGroups, TopicNames
from scrapestream.urls import fingerprint

log = logging.getLogger(__name__)
T = TypeVar("T")

POLL_BATCH = 100  # tasks per poll: at most this many wait decoded beside a full frontier
IDLE_POLL_SECONDS = 0.1
BUSY_POLL_SECONDS = 0.01
# librdkafka settings of this consumer. The group uses the broker-driven protocol (KIP-848)
# with the range assignor: every worker gets a share of EACH priority topic. Sticky assignment
# balanced only the total, so one of two workers got every NORMAL partition and sat idle.
# Rebalances stay incremental: a partition that does not move keeps its polite progress.
# The session timeout is the broker's (group.consumer.session.timeout.ms, 10 s in our
# server.properties): a SIGKILLed worker's partitions move on within it. Heartbeats come from
# librdkafka's own thread, so long scrapes never look dead; fetches come back quickly so a newly
# arrived high-priority task is noticed.
CONSUMER_OVERRIDES = {
    "group.protocol": "consumer",
    "group.remote.assignor": "range",
    "partition.assignment.strategy": None,  # a client-side assignor is refused under KIP-848
    "fetch.wait.max.ms": 100,
}
LEAVE_SECONDS = 10.0  # to hand the partitions back before close(); the session timeout bounds it anyway


@dataclass(frozen=True)
class ScraperTopics:
    """The topics a worker reads and writes; `prefix` gives tests topics of their own."""

    tasks: dict[str, str]  # priority -> topic read
    results: str
    requests: str
    dlq: str
    browser_tasks: dict[str, str]  # priority -> topic of the browser lane

    @classmethod
    def with_prefix(cls, prefix: str = "", *, browser: bool = False) -> ScraperTopics:
        """The static lane's topics, or with `browser` the browser lane's."""
        names = TopicNames.prefixed(prefix)
        return cls(
            tasks=dict(names.lane(browser=browser)),
            browser_tasks=dict(names.browser_tasks),
            results=names.results,
            requests=names.requests,
            dlq=names.dlq,
        )

    def rank(self, topic: str) -> int:
        return PRIORITIES.index(next(priority for priority, name in self.tasks.items() if name == topic))


class ScraperWorker:
    def __init__(
        self,
        settings: Settings,
        engine: ScrapeEngine,
        *,
        topics: ScraperTopics | None = None,
        group: str | None = None,
        codec: Codec | None = None,
    ) -> None:
        """`group`: the consumer group to join; by default the unprefixed one of the engine's lane."""
        self.settings = settings
        self.engine = engine
        self.topics = topics or ScraperTopics.with_prefix()
        self.codec = codec or Codec.for_settings(settings)
        self.grace_seconds = settings.scraper_timeout_seconds
        self._max_queued = settings.scraper_max_queued_requests
        self._consumer = make_consumer(
            settings,
            group or ConsumerGroups.for_settings(settings).scraper_lane(browser=engine.browser),
            on_commit=self._on_commit,
            **CONSUMER_OVERRIDES,
        )
        self._producer = BatchProducer(settings)  # a refused output raises DeliveryFailed: the worker stops
        self._dead_letters = DeadLetters(self.codec, self._producer.send, self.topics.dlq)
        self._kafka_thread = ThreadPoolExecutor(1, thread_name_prefix="scraper-kafka")
        self._tracker = OffsetTracker()
        self._buffer = PriorityBuffer()  # decoded tasks waiting for room in the frontier
        self._full = False  # the frontier cannot take the next task: every partition pauses
        self._frontier = Frontier(
            self._scrape_and_publish,
            live_per_domain=settings.scraper_domain_concurrency,
            on_task_done=self._task_done,
            on_error=self._fail,
        )
        self._letters: dict[asyncio.Task[None], TaskRun] = {}  # dead letters on their way
        self._assigned: set[PartitionKey] = set()
        self._paused: set[PartitionKey] = set()
        self._next_offset: dict[PartitionKey, int] = {}
        self._assigned_at: dict[PartitionKey, float] = {}  # monotonic time each partition came to us
        self._lag_by_rank: dict[int, int] = {}
        self._committed: dict[PartitionKey, int] = {}
        self._failure: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- main loop --------------------------------------------------------------------------
    @property
    def queued_requests(self) -> int:
        """Requests taken from tasks and not finished yet (bounded by max_queued_requests)."""
        return len(self._frontier)

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until `stop` is set (or an output cannot be delivered), then shut down cleanly."""
        self._loop = asyncio.get_running_loop()
        self._consumer.subscribe(
            list(self.topics.tasks.values()),
            on_assign=self._on_assign,
            on_revoke=self._on_revoke,
            on_lost=self._on_lost,
        )
        try:
            while not stop.is_set() and self._failure is None:
                pause_all, paused_ranks = self._pause_wishes()
                busy = len(self._frontier) or len(self._buffer) or self._letters
                timeout = BUSY_POLL_SECONDS if busy else IDLE_POLL_SECONDS
                messages = await self._in_kafka_thread(self._poll, pause_all, paused_ranks, timeout)
                self._accept(messages)
                self._dispatch()
                telemetry.frontier_size(len(self._frontier), self.engine.scheduler)
                await self._commit(asynchronous=True)
        finally:
            await self._shut_down()
            self._kafka_thread.shutdown(wait=True)
        if self._failure is not None:
            raise self._failure

    def _accept(self, messages: list[Message]) -> None:
        """Track each task's offset, decode it into the buffer, or send what cannot be read to the DLQ."""
        for message in messages:
            error = message.error()
            if error is not None:
                if error.fatal():
                    raise KafkaException(error)
                if error.code() != KafkaError._PARTITION_EOF:
                    log.warning("consumer: %s", error)
                continue
            key = (message.topic(), message.partition())
            if key not in self._assigned:
                continue  # revoked while the batch was on its way
            self._next_offset[key] = message.offset() + 1
            self._tracker.track(key, message.offset())
            try:
                task = self.codec.decode("ScrapeTask", message.value())
            except CodecError as error:
                self._send_dead_letter(message, error)
                continue
            self._buffer.push(self.topics.rank(message.topic()), key, (message.offset(), task))

    def _dispatch(self) -> None:
        """Move buffered tasks into the frontier, most urgent first, while their requests fit,
        unless a more urgent task waits on the broker."""
        urgent = most_urgent_waiting(self._buffer.ranks(), self._lag_by_rank)
        self._full = False
        while len(self._buffer):
            rank, key, (offset, task) = self._buffer.peek()
            if urgent is not None and rank > urgent:
                return
            requests = task["requests"]
            if len(self._frontier) and len(self._frontier) + len(requests) > self._max_queued:
                self._full = True  # the partitions pause until requests finish
                return
            self._buffer.pop()
            run = TaskRun(key, offset, task["task_id"], task["priority"], remaining=len(requests))
            # The partition's previous owner may have fetched this domain up to the hand-over.
            self.engine.scheduler.taken_over(task["domain"], self._assigned_at.get(key, -math.inf))
            if requests:
                self._frontier.add(run, requests, rank)
            else:
                self._task_done(run)

    def _task_done(self, run: TaskRun) -> None:
        self._tracker.done(run.partition, run.offset)
        telemetry.task_done(run.priority)

    def _fail(self, error: BaseException) -> None:
        self._failure = self._failure or error

    def _pause_wishes(self) -> tuple[bool, set[int]]:
        """(pause everything: the frontier is full, ranks to pause: less urgent than waiting work)."""
        urgent = most_urgent_waiting(self._buffer.ranks(), self._lag_by_rank)
        ranks = set() if urgent is None else {rank for rank in range(len(PRIORITIES)) if rank > urgent}
        return self._full, ranks

    # -- one request ------------------------------------------------------------------------
    async def _scrape_and_publish(self, request: dict[str, Any], run: TaskRun) -> None:
        outcome = await self._scrape(request, run.task_id)
        if outcome.needs_browser:  # the browser lane writes its result
            await self._hand_to_browser(request)
            return
        result, value = self._encoded_result(request, run.task_id, outcome.result)
        key = result["product"]["product_id"] if result["product"] else fingerprint(request["canonical_url"])
        crawl = [self._crawl_message(child) for child in outcome.discovered]
        await self._producer.send_all([(self.topics.results, key.encode(), value), *crawl])

    def _crawl_message(self, child: dict[str, Any]) -> OutMessage:
        key = fingerprint(child["canonical_url"]).encode()
        return self.topics.requests, key, self.codec.encode("ScrapeRequest", child)

    async def _hand_to_browser(self, request: dict[str, Any]) -> None:
        task = scrape_task(request["domain"], request["priority"], [{**request, "render": "BROWSER"}])
        topic = self.topics.browser_tasks[request["priority"]]
        await self._producer.send(topic, request["domain"].encode(), self.codec.encode("ScrapeTask", task))

    async def _scrape(self, request: dict[str, Any], task_id: Any) -> ScrapeOutcome:
        """The engine's outcome; an unexpected bug still yields a result (ERROR), never a lost request."""
        try:
            return await self.engine.scrape(request, task_id)
        except Exception as error:
            log.exception("scraping %s failed unexpectedly", request.get("url"))
            return ScrapeOutcome(
                self.engine.failure_result(request, task_id, Status.ERROR, f"internal error: {error!r}")
            )

    def _encoded_result(
        self, request: dict[str, Any], task_id: Any, result: dict[str, Any]
    ) -> tuple[dict[str, Any], bytes]:
        """(result, its Avro bytes); a result with a page value no stage bounded becomes an ERROR
        result instead, rather than an exception that would stop the worker on a poison page."""
        try:
            return result, self.codec.encode("ScrapeResult", result)
        except CodecError as error:
            log.error("the result of %s cannot be encoded: %s", request.get("url"), error)
            failure = self.engine.failure_result(
                request, task_id, Status.ERROR, f"result not encodable: {error.reason}"
            )
            return failure, self.codec.encode("ScrapeResult", failure)

    def _send_dead_letter(self, message: Message, error: CodecError) -> None:
        key = (message.topic(), message.partition())
        run = TaskRun(key, message.offset(), None, "DLQ", remaining=1)
        sending = asyncio.create_task(
            self._dead_letters.send(
                topic=message.topic(),
                partition=message.partition(),
                offset=message.offset(),
                key=message.key(),
                payload=message.value(),
                reason=error.reason,
                detail=str(error),
            )
        )
        self._letters[sending] = run
        sending.add_done_callback(self._letter_sent)

    def _letter_sent(self, sending: asyncio.Task[None]) -> None:
        run = self._letters.pop(sending)
        if sending.cancelled():
            return
        if sending.exception() is not None:
            self._fail(sending.exception())
        else:
            self._task_done(run)

    # -- the Kafka consumer thread ----------------------------------------------------------
    async def _in_kafka_thread(self, call: Callable[..., T], *args: Any) -> T:
        assert self._loop is not None
        return await self._loop.run_in_executor(self._kafka_thread, call, *args)

    def _poll(self, pause_all: bool, paused_ranks: set[int], timeout: float) -> list[Message]:
        """(Kafka thread) apply pausing, fetch a batch, refresh the lag of urgent topics."""
        wanted = {key for key in self._assigned if pause_all or self.topics.rank(key[0]) in paused_ranks}
        if wanted - self._paused:
            self._consumer.pause([TopicPartition(*key) for key in wanted - self._paused])
        if self._paused - wanted:
            self._consumer.resume([TopicPartition(*key) for key in self._paused - wanted])
        self._paused = wanted
        messages = self._consumer.consume(POLL_BATCH, timeout)
        self._lag_by_rank = self._lags()
        return messages

    def _lags(self) -> dict[int, int]:
        """Messages on the broker not yet read, per priority rank (the least urgent is not needed)."""
        lags = dict.fromkeys(range(len(PRIORITIES) - 1), 0)
        for key in self._assigned:
            rank = self.topics.rank(key[0])
            if rank in lags and key in self._next_offset:
                with contextlib.suppress(KafkaException):  # a scheduling hint: unknown counts as none
                    lags[rank] += max(0, self._high_watermark(key) - self._next_offset[key])
        return lags

    def _high_watermark(self, key: PartitionKey) -> int:
        _, high = self._consumer.get_watermark_offsets(TopicPartition(*key), cached=True)
        if high < 0:  # not fetched yet: ask the broker
            _, high = self._consumer.get_watermark_offsets(TopicPartition(*key), timeout=5, cached=False)
        return high

    def _on_assign(self, consumer: Any, partitions: list[TopicPartition]) -> None:
        """(Kafka thread) take the new partitions, and remember where each starts, for the lag."""
        keys = [(partition.topic, partition.partition) for partition in partitions]
        self._assigned.update(keys)
        self._assigned_at.update(dict.fromkeys(keys, time.monotonic()))
        try:
            self._next_offset.update(self._start_offsets(consumer, partitions))
        except KafkaException as error:
            # Only the lag needs it, and the first message read tells it. Raised out of this callback,
            # the error killed the Kafka thread in CI (a leader moving: NOT_LEADER_FOR_PARTITION).
            log.warning("lag of newly assigned partitions unknown until read: %s", error)
        log.info("assigned %s", sorted(self._assigned))

    @staticmethod
    def _start_offsets(consumer: Any, partitions: list[TopicPartition]) -> dict[PartitionKey, int]:
        starts = {}
        for partition in consumer.committed(partitions, timeout=10):
            start = partition.offset
            if start < 0:
                start, _ = consumer.get_watermark_offsets(partition, timeout=5, cached=False)
            starts[(partition.topic, partition.partition)] = start
        return starts

    def _on_revoke(self, consumer: Any, partitions: list[TopicPartition]) -> None:
        """(Kafka thread) finish what runs for these partitions (briefly), commit it, let them go."""
        keys = {(partition.topic, partition.partition) for partition in partitions}
        self._hand_over(consumer, keys, grace=self.grace_seconds, commit=True)

    def _on_lost(self, consumer: Any, partitions: list[TopicPartition]) -> None:
        """(Kafka thread) already owned by someone else: stop at once, commit nothing."""
        keys = {(partition.topic, partition.partition) for partition in partitions}
        self._hand_over(consumer, keys, grace=0.0, commit=False)

    def _hand_over(self, consumer: Any, keys: set[PartitionKey], grace: float, commit: bool) -> None:
        assert self._loop is not None
        self._assigned -= keys
        self._paused -= keys
        release = asyncio.run_coroutine_threadsafe(self._release(keys, grace), self._loop)
        offsets = release.result()
        if commit and offsets:
            self._commit_now(consumer, offsets)
        for key in keys:
            self._next_offset.pop(key, None)
            self._committed.pop(key, None)

    async def _release(self, keys: set[PartitionKey], grace: float) -> dict[PartitionKey, int]:
        """(loop) stop the work of `keys`; their commit points."""
        await self._wind_down(keys, grace)
        offsets = self._tracker.commit_points(keys)
        self._tracker.forget(keys)
        return offsets

    async def _wind_down(self, keys: set[PartitionKey], grace: float) -> None:
        """(loop) drop the queued work of `keys`, cancel requests whose task can no longer finish,
        wait up to `grace` for the others (and dead letters on their way), cancel what remains."""
        self._buffer.drop(keys)
        finishable, unfinishable = self._frontier.drop(keys)
        for job in unfinishable:
            job.cancel()
        finishable += [sending for sending, run in self._letters.items() if run.partition in keys]
        if finishable and grace > 0:
            await asyncio.wait(finishable, timeout=grace)
        for job in finishable:
            job.cancel()

    # -- commits ----------------------------------------------------------------------------
    async def _commit(self, asynchronous: bool) -> None:
        """Commit the commit points that moved (all of them when synchronous)."""
        points = self._tracker.commit_points()
        if asynchronous:
            points = {key: offset for key, offset in points.items() if self._committed.get(key) != offset}
        if points:
            await self._in_kafka_thread(self._commit_now, self._consumer, points, asynchronous)

    def _commit_now(
        self, consumer: Any, offsets: dict[PartitionKey, int], asynchronous: bool = False
    ) -> None:
        """(Kafka thread) an async commit that fails is superseded by the next one or the final sync one."""
        try:
            consumer.commit(
                offsets=[
                    TopicPartition(topic, partition, offset) for (topic, partition), offset in offsets.items()
                ],
                asynchronous=asynchronous,
            )
        except KafkaException as error:
            if error.args[0].code() != KafkaError._NO_OFFSET:
                log.warning("commit failed: %s", error)
            return
        if not asynchronous:
            self._committed.update(offsets)

    def _on_commit(self, error: KafkaError | None, partitions: list[TopicPartition]) -> None:
        """(Kafka thread, from poll) note what an asynchronous commit really stored.

        A commit refused during a rebalance is not noted, so the next round commits it again.
        """
        if error is not None:
            log.info("commit not stored (%s); retried with the next one", error.str())
            return
        for partition in partitions:
            if partition.error is None:
                self._committed[(partition.topic, partition.partition)] = partition.offset

    # -- shutdown ---------------------------------------------------------------------------
    async def _shut_down(self) -> None:
        await self._wind_down(set(self._assigned), self.grace_seconds)  # the next owner redoes the rest
        self._producer.close(10)  # what is still unacknowledged belongs to cancelled tasks
        await asyncio.sleep(0)  # let the finished tasks record their offsets
        await self._commit(asynchronous=False)
        await self._in_kafka_thread(self._leave_and_close)

    def _leave_and_close(self) -> None:
        """(Kafka thread) leave the group through unsubscribe and poll, where the revoke is served
        like any rebalance, then close. A revoke served inside close() can block for good in
        librdkafka (#4041, #4884): a SIGTERMed worker then hung until it was killed."""
        self._consumer.unsubscribe()
        deadline = time.monotonic() + LEAVE_SECONDS
        while self._assigned and time.monotonic() < deadline:
            self._consumer.consume(POLL_BATCH, IDLE_POLL_SECONDS)  # not ours any more: read again elsewhere
        self._consumer.close()


def raise_open_file_limit(connections: int) -> None:
    """Each fetch slot may hold a connection (and the pool keeps as many idle): lift the soft limit
    of open files to the hard one when the default (often 1024) leaves too little room."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < 4 * connections + 1024:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def run_worker(
    settings: Settings, *, browser: bool = False, concurrency: int | None = None, prefix: str = ""
) -> None:
    """Run one scraper worker until SIGTERM or SIGINT; `concurrency` overrides scraper_concurrency."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    if concurrency:
        settings = dataclasses.replace(settings, scraper_concurrency=concurrency)
    raise_open_file_limit(settings.scraper_concurrency)
    async with serving_health(settings), scrape_engine(settings, browser=browser) as engine:
        lane = ScraperTopics.with_prefix(prefix, browser=browser)
        group = ConsumerGroups.for_settings(settings, prefix).scraper_lane(browser=browser)
        worker = ScraperWorker(settings, engine, topics=lane, group=group)
        await worker.run(stop)
