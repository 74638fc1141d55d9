"""GET /v1/updates: product updates as Server-Sent Events, with the filters of consumers/subscriptions.py.

    GET /v1/updates?domain=shop.example&change=price     (domain, product_id, change: repeatable)
    event: update
    data: {"product_id": ..., "changes": ["PRICE"], "old_price": ..., ...}

One Kafka reader per gateway process (`UpdateHub`, started with the first client, from the
latest offset) fans out to every connected client; clients never get a consumer of their own.
Each update is encoded once (the SSE bytes) and the same bytes go to every client whose filter
matches; the filter is evaluated once per distinct filter, not once per client. Each client has
a bounded queue of `gateway_stream_queue_size` updates. The hub never waits for a client: when
a client's queue is full it is dropped, and its stream ends with

    event: close
    data: {"reason": "too slow: 256 updates waiting unread"}

so one slow reader costs the others nothing. A client's task wakes once for everything queued
since its last write and sends it in one write. The hub reads at most half a queue per poll,
and waits at most PACE seconds per poll for clients more than half a queue behind, so a burst
does not overflow a client that keeps up on average. A poll waits at most POLL_WAIT for updates:
the Kafka client's batch read waits out its whole timeout unless the batch fills, so a longer
wait would hold every update back by up to that long. After a fan-out that carried updates the
hub lingers LINGER seconds, so that with many clients each write carries several updates. The
bound includes the socket: stream connections get a small kernel send buffer
(STREAM_SEND_BUFFER), and a write that cannot proceed for WRITE_TIMEOUT seconds drops the client
too. Every HEARTBEAT seconds, clients sent nothing since
the previous round get a comment line, which keeps idle streams open through proxies and reveals
dead clients.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
import time
from collections.abc import Iterable
from typing import Any

from aiohttp import HttpVersion11, web
from confluent_kafka import KafkaException

from consumers.subscriptions import (
    CHANGE_KINDS,
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
KEEPALIVE = b": keepalive\n\n"
PACE = 0.05
POLL_WAIT = 0.05
# Seconds between two fan-outs that carry updates. Each update is a socket write and a task wake-up
# per client; with 10,000 clients those, not the updates, are the gateway's CPU. Lingering lets a
# client's write carry every update of the window: at 10 updates/s to 10,000 clients it cut the CPU
# per delivery (docs/benchmarks.md, "10,000 subscribers") for at most this much more latency.
LINGER = 0.2
WRITE_TIMEOUT = 10.0
STREAM_SEND_BUFFER = 64 * 1024
_log = logging.getLogger(__name__)


class StreamClient:
    """One connected client: its filter, the encoded events waiting for its next write (at most
    `limit`), and why it was dropped (if it was).

    Once `attach`ed to its connection, a client that keeps up is written to directly: while its
    task waits with nothing queued and the socket took everything written so far, `offer` hands
    the events to the transport at once. Otherwise they queue for the task, whose write waits for
    the socket (WRITE_TIMEOUT). With thousands of clients the direct write saves a task wake-up
    per client and fan-out, the largest part of the gateway's CPU per delivery.
    """

    def __init__(self, update_filter: UpdateFilter, limit: int) -> None:
        self.filter = update_filter
        self.limit = limit
        self.waiting: list[bytes] = []
        self.dropped: str | None = None
        self.sent_lately = False  # since the hub's last heartbeat round
        self._wake = asyncio.Event()
        self._idle = False  # the task waits in next_write
        self._transport: asyncio.Transport | None = None
        self._chunked = True

    def attach(self, transport: asyncio.Transport | None, *, chunked: bool) -> None:
        """Write directly to `transport` from now on when the client keeps up; `chunked`: the
        response's body is in HTTP/1.1 chunks (each write must be one)."""
        self._transport, self._chunked = transport, chunked

    def offer(self, events: list[bytes]) -> bool:
        """Send or queue `events`; False (nothing queued) if they would pass the limit."""
        self.sent_lately = True
        if (transport := self._direct_transport()) is not None:
            data = b"".join(events)
            transport.write(b"%x\r\n%b\r\n" % (len(data), data) if self._chunked else data)
            return True
        if len(self.waiting) + len(events) > self.limit:
            return False
        self.waiting += events
        self._wake.set()
        return True

    def _direct_transport(self) -> asyncio.Transport | None:
        """The connection, when events may be written to it right now (see the class docstring)."""
        transport = self._transport
        if transport is None or not self._idle or self.waiting or transport.is_closing():
            return None
        return None if transport.get_write_buffer_size() else transport

    def end(self, reason: str) -> None:
        self.dropped = reason
        self._wake.set()

    async def next_write(self) -> bytes:
        """Everything queued since the last call, waiting until there is something; b"" once dropped."""
        self._idle = True
        try:
            await self._wake.wait()
        finally:
            self._idle = False
        self._wake.clear()
        if self.dropped is not None:
            return b""
        data = b"".join(self.waiting)
        self.waiting = []
        return data


class UpdateHub:
    """Reads product.updates once and hands each update to the clients whose filter it matches."""

    def __init__(self, settings: Settings, topic: str) -> None:
        self._settings = settings
        self._topic = topic
        self._queue_size = settings.gateway_stream_queue_size
        self._poll_size = max(1, self._queue_size // 2)
        self._clients: dict[UpdateFilter, set[StreamClient]] = {}  # by filter: one match per filter
        self._count = 0
        self._behind: set[StreamClient] = set()  # more than half a queue waiting when last offered
        self._started: asyncio.Future[None] | None = None
        self._reader: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def add(self, update_filter: UpdateFilter) -> StreamClient:
        """A new client; starts the hub's reader first if this is the first client ever."""
        if self._started is None or (self._started.done() and self._started.exception() is not None):
            self._started = asyncio.ensure_future(self._start())
        await asyncio.shield(self._started)
        client = StreamClient(update_filter, self._queue_size)
        self._clients.setdefault(update_filter, set()).add(client)
        self._count += 1
        metrics.UPDATE_STREAM_CLIENTS.set(self._count)
        return client

    def remove(self, client: StreamClient) -> None:
        group = self._clients.get(client.filter, set())
        if client in group:
            group.remove(client)
            self._count -= 1
            if not group:
                del self._clients[client.filter]
        self._behind.discard(client)
        metrics.UPDATE_STREAM_CLIENTS.set(self._count)

    def dispatch(self, updates: list[dict[str, Any]]) -> None:
        if not updates:
            return
        events = [sse("update", update_to_json(update)) for update in updates]
        for update_filter, group in list(self._clients.items()):
            matching = [
                event for update, event in zip(updates, events, strict=True) if update_filter.matches(update)
            ]
            if matching:
                self._offer(group, matching)

    def heartbeat(self) -> None:
        """A comment line to every client sent nothing since the previous heartbeat."""
        for client in self._every_client():
            if not client.sent_lately:
                self._offer((client,), [KEEPALIVE])
            client.sent_lately = False

    def drop(self, client: StreamClient, reason: str) -> None:
        if client.dropped is None:
            client.end(reason)
            metrics.UPDATE_STREAM_DROPPED.inc()
        self.remove(client)

    def explain(self, error: BrokerUnavailable | KafkaException) -> str:
        """Why the hub could not start, with the command that creates its topic when it is missing."""
        if isinstance(error, KafkaException):
            return str(BrokerUnavailable.because(error, self._settings.kafka_bootstrap))
        if "does not exist" in str(error):
            return f"{error} (create it: {create_command(self._topic)})"
        return str(error)

    def end_streams(self, reason: str) -> None:
        """End every client's stream with `reason` (the gateway is shutting down): their handlers
        return, so the server's shutdown need not wait for streams that never end by themselves."""
        for client in self._every_client():
            client.end(reason)

    def _every_client(self) -> list[StreamClient]:
        """A snapshot: offering may drop (remove) a client meanwhile."""
        return [client for group in self._clients.values() for client in group]

    async def stop(self) -> None:
        self._stopping.set()
        if self._reader is not None:
            await self._reader

    def _offer(self, clients: Iterable[StreamClient], events: list[bytes]) -> None:
        for client in list(clients):
            if not client.offer(events):
                self.drop(client, f"too slow: {self._queue_size} updates waiting unread")
            elif len(client.waiting) > self._poll_size:
                self._behind.add(client)

    async def _pace(self) -> None:
        """Give clients more than half a queue behind up to PACE seconds to catch up before reading on:
        a burst then reaches a client that keeps up on average without overflowing its queue, while
        a client that cannot keep up still overflows and is dropped after a few polls."""
        deadline = time.monotonic() + PACE
        while time.monotonic() < deadline:
            self._behind = {c for c in self._behind if len(c.waiting) > self._poll_size}
            if not self._behind:
                return
            await asyncio.sleep(PACE / 10)

    async def _start(self) -> None:
        subscription = await asyncio.to_thread(
            Subscription, self._settings, UpdateFilter(), "latest", topic=self._topic
        )
        self._reader = asyncio.create_task(self._read(subscription))

    async def _read(self, subscription: Subscription) -> None:
        """Poll on a worker thread until stopped; stopping waits for the poll in flight (the Kafka
        client must not be closed under a running call)."""
        next_heartbeat = time.monotonic() + HEARTBEAT
        try:
            while not self._stopping.is_set():
                updates = await asyncio.to_thread(subscription.poll, POLL_WAIT, self._poll_size)
                self.dispatch(updates)
                await self._pace()
                if updates:
                    await asyncio.sleep(LINGER)
                if time.monotonic() >= next_heartbeat:
                    self.heartbeat()
                    next_heartbeat += HEARTBEAT
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
        await _write(response, b": connected\n\n")  # headers and all sent: direct writes may follow
        client.attach(request.transport, chunked=request.version >= HttpVersion11)
        while data := await client.next_write():
            await _write(response, data)
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
    async with asyncio.timeout(WRITE_TIMEOUT):  # no task per write, unlike wait_for
        await response.write(data)


def _bound_send_buffer(request: web.Request) -> None:
    sock = request.transport.get_extra_info("socket") if request.transport else None
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, STREAM_SEND_BUFFER)


def sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()
