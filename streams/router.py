"""The request router: decode, validate, deduplicate, batch and route scrape requests.

Transport-free: it is given a `send` that completes once the broker acknowledged a message and
an `ack` that marks an input event done. An input event is acked only after what it became (a
ScrapeTask, or a DeadLetter) was delivered, or right away when it was a duplicate, so offsets
never move past anything still in memory. A request's URL enters the dedup memory only with its
delivered task, so a crash before delivery never turns the redelivered request into a "duplicate".
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from schemas.codec import CodecError
from schemas.records import scrape_task
from scrapestream import metrics
from scrapestream.topics import TopicNames
from scrapestream.urls import InvalidURL, canonicalize, domain_of, fingerprint
from streams.batching import Batch, Batcher
from streams.dedup import FreshnessFilter
from streams.delivery import Delivery, InputEvent

Ack = Callable[[Any], object]
MAX_SENDS_IN_FLIGHT = 64  # tasks being delivered while routing goes on; beyond that, route() waits


class ContractViolation(ValueError):
    """A well-formed Avro ScrapeRequest that breaks a rule of the contract."""

    reason = "invalid request"


def validate(request: dict[str, Any], key: bytes | None) -> None:
    try:
        canonical = canonicalize(request["url"])
    except InvalidURL as error:
        raise ContractViolation(f"url: {error}") from None
    if request["canonical_url"] != canonical:
        raise ContractViolation(
            f"canonical_url {request['canonical_url']!r} is not the canonical form {canonical!r}"
        )
    if key is None or key.decode(errors="replace") != fingerprint(canonical):
        raise ContractViolation("message key is not the fingerprint of canonical_url")
    if request["domain"] != domain_of(canonical):
        raise ContractViolation(
            f"domain {request['domain']!r} does not match the url's {domain_of(canonical)!r}"
        )
    if request["freshness_seconds"] < 0:
        raise ContractViolation(f"freshness_seconds is negative ({request['freshness_seconds']})")


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class RequestRouter:
    def __init__(
        self,
        delivery: Delivery,
        names: TopicNames,
        freshness: FreshnessFilter,
        batcher: Batcher,
        ack: Ack,
        clock_ms: Callable[[], int] = now_ms,
    ):
        self._delivery = delivery
        self._codec = delivery.codec
        self._freshness = freshness
        self.batcher = batcher
        self._ack = ack
        self._names = names
        self._clock_ms = clock_ms
        self._sending: set[asyncio.Future[None]] = set()
        self._failed_send: BaseException | None = None

    async def route(self, events: Iterable[InputEvent]) -> None:
        """Take a batch of input events; send the tasks that filled up and the dead letters."""
        self._raise_failed_send()
        full: list[Batch] = []
        rejected: list[Awaitable[None]] = []
        for event in events:
            metrics.STREAM_REQUESTS_IN.inc()
            try:
                request = self._codec.decode("ScrapeRequest", event.value)
                validate(request, event.key)
            except (CodecError, ContractViolation) as error:
                rejected.append(self._reject(event, error.reason, str(error)))
                continue
            if not self._freshness.admit(event.key, request["freshness_seconds"], self._clock_ms()):
                metrics.STREAM_DEDUP_DROPS.inc()
                self._ack(event)
                continue
            if batch := self.batcher.add(request, event):
                full.append(batch)
        for batch in full:  # delivered while the next events are routed; acked once delivered
            self._start_send(batch)
        await asyncio.gather(*rejected)
        while len(self._sending) > MAX_SENDS_IN_FLIGHT:
            await asyncio.wait(self._sending, return_when=asyncio.FIRST_COMPLETED)

    async def flush_due(self) -> None:
        await self.flush(self.batcher.due())

    async def flush_all(self) -> None:
        """Deliver every open batch and wait for sends already under way (before a rebalance)."""
        await self.flush(self.batcher.drain())
        await self.wait_sent()

    async def wait_sent(self) -> None:
        """Until every task under way is delivered; raises the first failed delivery."""
        await asyncio.gather(*self._sending, return_exceptions=True)
        self._raise_failed_send()

    async def flush(self, batches: list[Batch]) -> None:
        await asyncio.gather(*(self._start_send(batch) for batch in batches))

    def _start_send(self, batch: Batch) -> asyncio.Future[None]:
        send = asyncio.ensure_future(self._send_task(batch))
        self._sending.add(send)
        send.add_done_callback(self._sent)
        return send

    def _sent(self, send: asyncio.Future[None]) -> None:
        self._sending.discard(send)
        if not send.cancelled() and send.exception() is not None and self._failed_send is None:
            self._failed_send = send.exception()

    def _raise_failed_send(self) -> None:
        """A task the broker refused stops routing (its requests stay unacked, so they are redone)."""
        if self._failed_send is not None:
            raise self._failed_send

    async def _send_task(self, batch: Batch) -> None:
        task = scrape_task(batch.domain, batch.priority, batch.requests)
        lane = self._names.browser_tasks if batch.browser else self._names.tasks
        await self._delivery.send_event(lane[batch.priority], batch.domain.encode(), "ScrapeTask", task)
        metrics.STREAM_BATCH_SIZE.labels(batch.priority).observe(len(batch.requests))
        metrics.STREAM_TASKS_ROUTED.labels(batch.priority).inc()
        self._freshness.mark_queued(event.key for event in batch.tokens)
        for event in batch.tokens:
            self._ack(event)

    async def _reject(self, event: InputEvent, reason: str, detail: str) -> None:
        await self._delivery.dead_letter(event, reason, detail)
        self._ack(event)
