"""GET /v1/updates: product updates as Server-Sent Events, with the filters of consumers/subscriptions.py.

    GET /v1/updates?domain=shop.example&change=price     (domain, product_id, change: repeatable)
    event: update
    data: {"product_id": ..., "changes": ["PRICE"], "old_price": ..., ...}

One Kafka reader per gateway process (`UpdateHub`, started with the first client, from the
latest offset) fans out to every connected client; clients never get a consumer of their own.
Each client has a bounded queue of `gateway_stream_queue_size` updates. The hub never waits for a
client: when a client's queue is full it is dropped, and its stream ends with

    event: close
    data: {"reason": "too slow: 256 updates waiting unread"}

so one slow reader costs the others nothing. The hub reads at most half a queue per poll, and
waits at most PACE seconds per poll for clients more than half a queue behind, so a burst does not
overflow a client that keeps up on average. The bound includes the socket: stream connections
get a small kernel send buffer (STREAM_SEND_BUFFER), and a write that cannot proceed for
WRITE_TIMEOUT seconds drops the client too. A comment line every HEARTBEAT seconds keeps idle
streams open through proxies and reveals dead clients.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
import time
from typing import Any

from aiohttp import web
from confluent_kafka import KafkaException

from consumers.subscriptions import (
    CHANGE_KINDS,
    POLL_TIMEOUT,
    InvalidSubscription,
    Subscription,
    UpdateFilter,
    update_to_json,
)
from producers.http_common import ApiError, query_values
from producers.publisher import create_command
from scrapestream import metrics
from scrapestream.config import Settings
from scrapestream.kafka import BrokerUnavailable

HEARTBEAT = 15.0
PACE = 0.05
WRITE_TIMEOUT = 10.0
STREAM_SEND_BUFFER = 64 * 1024
_log = logging.getLogger(__name__)


class StreamClient:
    """One connected client: its filter, its bounded queue, and why it was dropped (if it was)."""

    def __init__(self, update_filter: UpdateFilter, queue_size: int) -> None:
        self.filter = update_filter
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(queue_size)
        self.dropped: str | None = None


class UpdateHub:
    """Reads product.updates once and hands each update to the clients whose filter it matches."""

    def __init__(self, settings: Settings, topic: str) -> None:
        self._settings = settings
        self._topic = topic
        self._queue_size = settings.gateway_stream_queue_size
        self._poll_size = max(1, self._queue_size // 2)
        self._clients: set[StreamClient] = set()
        self._started: asyncio.Future[None] | None = None
        self._reader: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def add(self, update_filter: UpdateFilter) -> StreamClient:
        """A new client; starts the hub's reader first if this is the first client ever."""
        if self._started is None or (self._started.done() and self._started.exception() is not None):
            self._started = asyncio.ensure_future(self._start())
        await asyncio.shield(self._started)
        client = StreamClient(update_filter, self._queue_size)
        self._clients.add(client)
        metrics.UPDATE_STREAM_CLIENTS.set(len(self._clients))
        return client

    def remove(self, client: StreamClient) -> None:
        self._clients.discard(client)
        metrics.UPDATE_STREAM_CLIENTS.set(len(self._clients))

    def dispatch(self, updates: list[dict[str, Any]]) -> None:
        for client in list(self._clients):
            for update in updates:
                if not client.filter.matches(update):
                    continue
                try:
                    client.queue.put_nowait(update)
                except asyncio.QueueFull:
                    self.drop(client, f"too slow: {self._queue_size} updates waiting unread")
                    break

    def drop(self, client: StreamClient, reason: str) -> None:
        if client.dropped is None:
            client.dropped = reason
            metrics.UPDATE_STREAM_DROPPED.inc()
        self.remove(client)

    def explain(self, error: BrokerUnavailable | KafkaException) -> str:
        """Why the hub could not start, with the command that creates its topic when it is missing."""
        if isinstance(error, KafkaException):
            return str(BrokerUnavailable.because(error, self._settings.kafka_bootstrap))
        if "does not exist" in str(error):
            return f"{error} (create it: {create_command(self._topic)})"
        return str(error)

    async def stop(self) -> None:
        self._stopping.set()
        if self._reader is not None:
            await self._reader

    async def _pace(self) -> None:
        """Give clients more than half a queue behind up to PACE seconds to catch up before reading on:
        a burst then reaches a client that keeps up on average without overflowing its queue, while
        a client that cannot keep up still overflows and is dropped after a few polls."""
        deadline = time.monotonic() + PACE
        while time.monotonic() < deadline and any(c.queue.qsize() > self._poll_size for c in self._clients):
            await asyncio.sleep(PACE / 10)

    async def _start(self) -> None:
        subscription = await asyncio.to_thread(
            Subscription, self._settings, UpdateFilter(), "latest", topic=self._topic
        )
        self._reader = asyncio.create_task(self._read(subscription))

    async def _read(self, subscription: Subscription) -> None:
        """Poll on a worker thread until stopped; stopping waits for the poll in flight (the Kafka
        client must not be closed under a running call)."""
        try:
            while not self._stopping.is_set():
                self.dispatch(await asyncio.to_thread(subscription.poll, POLL_TIMEOUT, self._poll_size))
                await self._pace()
        finally:
            await asyncio.to_thread(subscription.close)


HUB = web.AppKey("update_hub", UpdateHub)


def _letters_any_case(word: str) -> str:
    return "".join(f"[{letter}{letter.lower()}]" for letter in word)


# One `change` value: change kinds in any letter case, separated by commas, blanks allowed around
# them and empty items skipped. The same pattern is in producers/openapi.json (a unit test checks).
_KIND = "(" + "|".join(_letters_any_case(kind) for kind in CHANGE_KINDS) + ")"
CHANGE_VALUE = re.compile(rf"^[ \t]*({_KIND}[ \t]*)?(,[ \t]*({_KIND}[ \t]*)?)*$")


def _check_changes(values: list[str]) -> None:
    """InvalidSubscription unless every `change` value matches CHANGE_VALUE (the documented pattern)."""
    for value in values:
        if not CHANGE_VALUE.fullmatch(value):
            UpdateFilter.of((), (), value.split(","))  # names an unknown kind, if that is the problem
            raise InvalidSubscription(f"changes: {value!r} is not a list of {', '.join(CHANGE_KINDS)}")


async def stream_updates(request: web.Request) -> web.StreamResponse:
    try:
        _check_changes(request.query.getall("change", []))
        update_filter = UpdateFilter.of(
            query_values(request, "domain"),
            query_values(request, "product_id"),
            query_values(request, "change"),
        )
    except InvalidSubscription as error:
        raise ApiError(400, str(error), field="change") from None
    hub = request.app[HUB]
    try:
        client = await hub.add(update_filter)
    except (BrokerUnavailable, KafkaException) as error:
        raise ApiError(503, f"the update stream is unavailable: {hub.explain(error)}") from None
    try:
        return await _serve(request, hub, client)
    finally:
        hub.remove(client)


async def _serve(request: web.Request, hub: UpdateHub, client: StreamClient) -> web.StreamResponse:
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )
    _bound_send_buffer(request)
    await response.prepare(request)
    try:
        await _write(response, b": connected\n\n")
        while client.dropped is None:
            try:
                first = await asyncio.wait_for(client.queue.get(), HEARTBEAT)
            except TimeoutError:
                await _write(response, b": keepalive\n\n")
                continue
            # Everything queued goes out in one write: a client that keeps up costs one write per poll.
            waiting = [first, *(client.queue.get_nowait() for _ in range(client.queue.qsize()))]
            await _write(response, b"".join(sse("update", update_to_json(update)) for update in waiting))
        await _write(response, sse("close", {"reason": client.dropped}))
        response.force_close()  # end the connection too, not just this response
    except TimeoutError:  # the client stopped reading altogether: cut it off
        hub.drop(client, f"not reading: a write waited {WRITE_TIMEOUT:g} s")
        if request.transport is not None:
            request.transport.abort()
    except ConnectionError:  # the client went away
        pass
    return response


async def _write(response: web.StreamResponse, data: bytes) -> None:
    await asyncio.wait_for(response.write(data), WRITE_TIMEOUT)


def _bound_send_buffer(request: web.Request) -> None:
    sock = request.transport.get_extra_info("socket") if request.transport else None
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, STREAM_SEND_BUFFER)


def sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()
