"""/v1/updates (Server-Sent Events) on the real Kafka: filters; a slow client dropped, the others unhurt."""

from __future__ import annotations

import dataclasses
import http.client
import json
import socket
import threading
import uuid
from collections.abc import Iterator
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import pytest

from producers.gateway import SHUTDOWN_REASON, create_app
from scrapestream.config import Settings
from scrapestream.topics import TopicNames
from tests.integration.gateway_helpers import call, serving
from tests.integration.pipeline import prefix_of, private_topics
from tests.integration.test_subscriptions import produce, update

pytestmark = pytest.mark.integration
KEY = "stream-key-" + uuid.uuid4().hex
QUEUE_SIZE = 500
LONG = "x" * 300  # long product ids make each event ~0.8 KB, so socket buffers fill sooner


class Gateway(NamedTuple):
    url: str
    settings: Settings
    names: TopicNames


@pytest.fixture
def gateway(stack: Settings) -> Iterator[Gateway]:
    with private_topics(stack) as names:
        settings = dataclasses.replace(stack, gateway_api_keys=(KEY,), gateway_stream_queue_size=QUEUE_SIZE)
        with serving(create_app(settings, prefix=prefix_of(names))) as url:
            yield Gateway(url, settings, names)


class Reader(threading.Thread):
    """Reads an SSE stream as fast as it comes until `wanted` updates arrived or the stream ends."""

    def __init__(self, base_url: str, query: str, wanted: int) -> None:
        super().__init__(daemon=True)
        parts = urlsplit(base_url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        self.connection.request("GET", f"/v1/updates{query}", headers={"X-API-Key": KEY})
        self.response = self.connection.getresponse()
        assert self.response.status == 200 and self.response.read1(64) == b": connected\n\n"
        self.wanted = wanted
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.start()

    def run(self) -> None:
        buffer = b""
        while len(self.updates()) < self.wanted:
            chunk = self.response.read1(65536)
            if not chunk:
                return
            *blocks, buffer = (buffer + chunk).split(b"\n\n")
            self.events += [parse_event(block) for block in blocks if block.startswith(b"event: ")]

    def updates(self) -> list[dict[str, Any]]:
        return [data for event, data in self.events if event == "update"]


def parse_event(block: bytes) -> tuple[str, dict[str, Any]]:
    event, data = block.decode().split("\n", 1)
    return event.removeprefix("event: "), json.loads(data.removeprefix("data: "))


def stalled_client(base_url: str) -> socket.socket:
    """A client with a tiny receive buffer that reads the stream's first line and then stops reading."""
    parts = urlsplit(base_url)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((parts.hostname, parts.port))
    sock.sendall(f"GET /v1/updates HTTP/1.1\r\nHost: x\r\nX-API-Key: {KEY}\r\n\r\n".encode())
    received = b""
    while b": connected" not in received:
        received += sock.recv(1024)
    return sock


def read_to_end(sock: socket.socket) -> str:
    """The rest of the stream's body until the server ends it (HTTP chunked framing removed)."""
    sock.settimeout(30)
    raw = b""
    while chunk := sock.recv(65536):
        raw += chunk
    body = raw.split(b"\r\n\r\n", 1)[1] if b"HTTP/1.1" in raw[:20] else raw
    return dechunk(body).decode()


def dechunk(body: bytes) -> bytes:
    """The payload of a chunked body that may start mid-chunk (the part before was read already)."""
    payload, rest = b"", body
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        try:
            size = int(size_line, 16)
        except ValueError:  # the tail of a chunk begun before: keep it as it is
            payload += size_line
            continue
        payload, rest = payload + rest[:size], rest[size + 2 :]
    return payload


def test_clients_get_what_their_filters_ask_for(gateway: Gateway) -> None:
    only_b = Reader(gateway.url, "?domain=b.example&change=price", 2)
    everything = Reader(gateway.url, "", 4)
    produce(gateway.settings, gateway.names.updates, [
        update("A1", "a.example", ["PRICE"], 2),
        update("B1", "b.example", ["PRICE"], 2),
        update("B2", "b.example", ["CONTENT"], 2),
        update("B3", "b.example", ["AVAILABILITY", "PRICE"], 3),
    ])  # fmt: skip
    only_b.join(30)
    everything.join(30)
    assert [u["product_id"] for u in only_b.updates()] == ["b.example:B1", "b.example:B3"]
    assert sorted(u["product_id"] for u in everything.updates()) == [
        "a.example:A1", "b.example:B1", "b.example:B2", "b.example:B3"
    ]  # fmt: skip
    assert everything.updates()[0]["updated_at"].endswith("Z")
    status, _, body = call(f"{gateway.url}/v1/updates?change=stock", KEY)
    assert status == 400 and "'STOCK' is not one of" in body["error"]


def test_a_slow_client_is_dropped_with_a_reason_and_the_others_get_everything(gateway: Gateway) -> None:
    count = 3000
    slow = stalled_client(gateway.url)
    fast = Reader(gateway.url, "", count)
    produce(
        gateway.settings,
        gateway.names.updates,
        [update(f"{LONG}{n}", "a.example", ["NEW"]) for n in range(count)],
    )
    fast.join(60)
    assert len(fast.updates()) == count, (len(fast.updates()), fast.events[-1])
    assert {u["product_id"] for u in fast.updates()} == {f"a.example:{LONG}{n}" for n in range(count)}

    stream = read_to_end(slow)
    last_event = stream.strip().split("\n\n")[-1]
    assert last_event.startswith("event: close\ndata: "), last_event[:200]
    assert json.loads(last_event.split("data: ", 1)[1]) == {
        "reason": f"too slow: {QUEUE_SIZE} updates waiting unread"
    }
    assert stream.count("event: update") < count


def test_a_gateway_shutting_down_ends_every_stream_with_a_reason(stack: Settings) -> None:
    """Streams never end by themselves: the gateway closes each with a reason on shutdown instead
    of holding the shutdown up until its timeout."""
    with private_topics(stack) as names:
        settings = dataclasses.replace(stack, gateway_api_keys=(KEY,))
        with serving(create_app(settings, prefix=prefix_of(names))) as url:
            readers = [Reader(url, query, wanted=1) for query in ("", "?domain=a.example")]
        for reader in readers:
            reader.join(30)
            assert not reader.is_alive()
            assert reader.events == [("close", {"reason": SHUTDOWN_REASON})]
