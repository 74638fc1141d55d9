"""The /v1/updates hub's fan-out without Kafka: encoded once, bounded per client, idle clients kept alive."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime
from typing import Any

from consumers.subscriptions import UpdateFilter
from producers.update_stream import KEEPALIVE, StreamClient, UpdateHub, sse
from scrapestream.config import Settings


class OfflineHub(UpdateHub):
    """A hub whose reader never starts: updates come only from the test's dispatch calls."""

    async def _start(self) -> None:
        return None


def hub(queue_size: int = 256) -> OfflineHub:
    settings = dataclasses.replace(Settings(), gateway_stream_queue_size=queue_size)
    return OfflineHub(settings, "t.product.updates")


def update(product: str, domain: str) -> dict[str, Any]:
    return {
        "product_id": f"{domain}:{product}",
        "domain": domain,
        "changes": ["PRICE"],
        "old_price": None,
        "new_price": {"amount_minor": 100, "currency": "EUR"},
        "old_availability": None,
        "new_availability": "IN_STOCK",
        "version": 2,
        "updated_at": datetime(2026, 12, 6, 18, 0, tzinfo=UTC),
    }


def test_each_update_is_encoded_once_and_goes_to_the_clients_whose_filter_matches() -> None:
    async def scenario() -> tuple[list[StreamClient], list[dict[str, Any]]]:
        updates_hub = hub()
        clients = [
            await updates_hub.add(UpdateFilter()),
            await updates_hub.add(UpdateFilter()),
            await updates_hub.add(UpdateFilter.of(domains=["b.example"])),
        ]
        updates = [update("A1", "a.example"), update("B1", "b.example")]
        updates_hub.dispatch(updates)
        return clients, updates

    (first, second, only_b), updates = asyncio.run(scenario())
    assert first.waiting == [sse("update", {**u, "updated_at": "2026-12-06T18:00:00Z"}) for u in updates]
    assert all(mine is theirs for mine, theirs in zip(first.waiting, second.waiting, strict=True))
    assert only_b.waiting == [first.waiting[1]] and only_b.waiting[0] is first.waiting[1]


def test_everything_queued_goes_out_in_one_write() -> None:
    async def scenario() -> bytes:
        updates_hub = hub()
        client = await updates_hub.add(UpdateFilter())
        updates_hub.dispatch([update("A1", "a.example")])
        updates_hub.dispatch([update("A2", "a.example")])
        return await client.next_write()

    data = asyncio.run(scenario())
    assert data.count(b"event: update") == 2 and b"a.example:A1" in data and b"a.example:A2" in data


def test_a_client_that_would_pass_its_bound_is_dropped_with_the_reason_and_the_others_are_not() -> None:
    async def scenario() -> tuple[StreamClient, StreamClient, bytes]:
        updates_hub = hub(queue_size=3)
        stalled = await updates_hub.add(UpdateFilter())
        reading = await updates_hub.add(UpdateFilter())
        updates_hub.dispatch([update("A1", "a.example"), update("A2", "a.example")])
        await reading.next_write()
        updates_hub.dispatch([update("A3", "a.example"), update("A4", "a.example")])
        return stalled, reading, await stalled.next_write()

    stalled, reading, after_drop = asyncio.run(scenario())
    assert stalled.dropped == "too slow: 3 updates waiting unread" and after_drop == b""
    assert reading.dropped is None and len(reading.waiting) == 2


def test_a_heartbeat_goes_to_clients_sent_nothing_since_the_last_one() -> None:
    async def scenario() -> tuple[StreamClient, StreamClient]:
        updates_hub = hub()
        idle = await updates_hub.add(UpdateFilter.of(domains=["b.example"]))
        busy = await updates_hub.add(UpdateFilter())
        updates_hub.heartbeat()  # both had nothing yet: the first round reaches both
        await idle.next_write()
        await busy.next_write()
        updates_hub.dispatch([update("A1", "a.example")])
        updates_hub.heartbeat()
        return idle, busy

    idle, busy = asyncio.run(scenario())
    assert idle.waiting == [KEEPALIVE]
    assert len(busy.waiting) == 1 and busy.waiting[0].startswith(b"event: update")


class FakeTransport:
    """Records writes; `backlog` plays the bytes the socket has not taken yet."""

    def __init__(self, backlog: int = 0) -> None:
        self.writes: list[bytes] = []
        self.backlog = backlog

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def get_write_buffer_size(self) -> int:
        return self.backlog

    def is_closing(self) -> bool:
        return False


def test_a_client_that_keeps_up_is_written_to_directly_in_chunks_and_others_queue() -> None:
    async def scenario() -> tuple[list[FakeTransport], list[StreamClient]]:
        transports = [FakeTransport(), FakeTransport(backlog=10), FakeTransport()]
        clients = [StreamClient(UpdateFilter(), 4) for _ in transports]
        for client, transport in zip(clients, transports, strict=True):
            client.attach(transport, chunked=client is not clients[2])  # type: ignore[arg-type]
        waiting = [asyncio.ensure_future(client.next_write()) for client in clients]
        await asyncio.sleep(0)  # every task now waits for its next write
        for client in clients:
            assert client.offer([b"a", b"bc"])
        await asyncio.sleep(0)
        assert [task.done() for task in waiting] == [False, True, False]
        assert waiting[1].result() == b"abc"  # the socket is behind: the task writes, and waits for it
        for task in waiting:
            task.cancel()
        return transports, clients

    (direct, behind, unchunked), (first, second, _) = asyncio.run(scenario())
    assert direct.writes == [b"3\r\nabc\r\n"] and not first.waiting
    assert behind.writes == [] and not second.waiting
    assert unchunked.writes == [b"abc"]


def test_a_client_whose_task_is_busy_gets_its_events_queued_in_order() -> None:
    client = StreamClient(UpdateFilter(), 4)
    transport = FakeTransport()
    client.attach(transport, chunked=True)  # type: ignore[arg-type]
    assert client.offer([b"x"]) and client.offer([b"y"])  # its task is writing (not waiting)
    assert transport.writes == [] and client.waiting == [b"x", b"y"]
    assert not client.offer([b"1", b"2", b"3"])  # past the limit of 4: refused, to be dropped
