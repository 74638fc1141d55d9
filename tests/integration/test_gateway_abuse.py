"""The HTTP gateway under abuse, on a real loopback port publishing to the real local Kafka:
malformed and deeply nested JSON, huge bodies, header injection and oversize headers (sent raw, as
no well-behaved client library would), slow-drip clients, unknown and revoked keys, rate-limit
bursts and SSRF targets in disguise. Nothing refused may reach Kafka, and well-behaved clients
keep being served while the abuse goes on.
"""

from __future__ import annotations

import dataclasses
import json
import select
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from producers.gateway import KEY_FILE_RECHECK, create_app, server_options
from producers.http_common import MAX_BODY_BYTES
from scrapestream.config import Settings
from tests.integration.gateway_helpers import call, serving
from tests.integration.request_topics import message_count, private_request_topic

pytestmark = pytest.mark.integration

KEY = "abuse-key-" + uuid.uuid4().hex
CLIENT_TIMEOUT = 2.0
GOOD = {"url": "https://shop.example/p/good"}


@pytest.fixture(scope="module")
def topic(stack: Settings) -> Iterator[str]:
    with private_request_topic(stack) as name:
        yield name


@pytest.fixture(scope="module")
def key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("keys") / "api-keys"
    path.write_text("# keys a client may use\nfile-key-1\n\nfile-key-2\n")
    return path


@pytest.fixture(scope="module")
def settings(stack: Settings, key_file: Path) -> Settings:
    return dataclasses.replace(
        stack,
        gateway_api_keys=(KEY,),
        gateway_api_keys_file=str(key_file),
        gateway_client_timeout_seconds=CLIENT_TIMEOUT,
        ssrf_allowlist=("127.0.0.1:8123",),
    )


@pytest.fixture(scope="module")
def base_url(settings: Settings, topic: str) -> Iterator[str]:
    with serving(create_app(settings, topic=topic), **server_options(settings)) as url:
        yield url


def post(
    base_url: str, body: bytes, key: str = KEY, content_type: str = "application/json"
) -> tuple[int, Any]:
    """(status, answer) of a raw POST /v1/requests with `body` as given."""
    head = (
        f"POST /v1/requests HTTP/1.1\r\nHost: gateway\r\nContent-Type: {content_type}\r\n"
        f"X-API-Key: {key}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return parse_response(exchange(base_url, head.encode() + body))


def exchange(base_url: str, data: bytes, timeout: float = 30.0) -> bytes:
    """Send `data` on a fresh connection and read until the server closes it."""
    address = urlsplit(base_url)
    with socket.create_connection((address.hostname, address.port), timeout=timeout) as connection:
        connection.sendall(data)
        return read_until_closed(connection)


def read_until_closed(connection: socket.socket) -> bytes:
    chunks = []
    while chunk := connection.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def parse_response(raw: bytes) -> tuple[int, Any]:
    """(status, parsed JSON body or the body text) of one HTTP/1.1 response without chunking."""
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body.decode("latin-1")


# -- bodies --------------------------------------------------------------------------------
MALFORMED = {
    "truncated": b'{"url": ',
    "empty": b"",
    "trailing garbage": b'{"url": "https://shop.example/"} x',
    "single quotes": b"{'url': 'https://shop.example/'}",
    "invalid utf-8": b'{"url": "https://shop.example/\xff\xfe"}',
    "nul bytes": b'{"url": "https://shop.example/"}\x00\x00',
    "deep arrays": b"[" * 100_000 + b"]" * 100_000,
    "deep objects": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "deep unclosed": b"[" * 1_000_000,
    "5,000-digit number": b'{"url": "https://shop.example/", "freshness_seconds": 1' + b"0" * 5000 + b"}",
}


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_and_deeply_nested_json_is_400(
    stack: Settings, base_url: str, topic: str, name: str
) -> None:
    before = message_count(stack, topic)
    status, answer = post(base_url, MALFORMED[name])
    assert status == 400, (name, status, answer)
    assert answer["error"].startswith("malformed JSON"), answer
    assert message_count(stack, topic) == before


VALID_JSON_BAD_REQUESTS = {
    "NaN url": (b'{"url": NaN}', "url"),
    "infinite freshness": (
        b'{"url": "https://shop.example/", "freshness_seconds": 1e999}',
        "freshness_seconds",
    ),
    "nested tags": (b'{"url": "https://shop.example/", "tags": {"a": {"b": {"c": 1}}}}', "tags.a"),
    "deep inside a field": (b'{"url": ' + b"[" * 500 + b"]" * 500 + b"}", "url"),
    "array top level": (b'[{"url": "https://shop.example/"}]', None),
    "huge number": (
        b'{"url": "https://shop.example/", "freshness_seconds": 1' + b"0" * 4000 + b"}",
        "freshness_seconds",
    ),
    "10,000 tags": (
        json.dumps({"url": "https://shop.example/", "tags": {str(n): "v" for n in range(10_000)}}).encode(),
        "tags",
    ),
}


@pytest.mark.parametrize("name", VALID_JSON_BAD_REQUESTS)
def test_valid_json_that_is_no_valid_request_is_400(
    stack: Settings, base_url: str, topic: str, name: str
) -> None:
    body, field = VALID_JSON_BAD_REQUESTS[name]
    before = message_count(stack, topic)
    status, answer = post(base_url, body)
    assert status == 400, (name, answer)
    assert answer.get("field") == field, (name, answer)
    assert message_count(stack, topic) == before


def test_huge_bodies_are_413_announced_or_not(base_url: str) -> None:
    huge = b'{"url": "https://shop.example/", "tags": {"x": "' + b"y" * MAX_BODY_BYTES + b'"}}'
    status, answer = post(base_url, huge)
    assert status == 413 and str(MAX_BODY_BYTES) in answer["error"]
    chunked = (
        f"POST /v1/requests HTTP/1.1\r\nHost: g\r\nContent-Type: application/json\r\nX-API-Key: {KEY}\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    ).encode()
    piece = b"y" * 65536
    chunks = (f"{len(piece):x}\r\n".encode() + piece + b"\r\n") * (MAX_BODY_BYTES // len(piece) + 2)
    status, answer = parse_response(exchange(base_url, chunked + chunks + b"0\r\n\r\n"))
    assert status == 413 and str(MAX_BODY_BYTES) in answer["error"]


# -- headers ---------------------------------------------------------------------------------
def raw_request(*header_lines: bytes, body: bytes = json.dumps(GOOD).encode()) -> bytes:
    lines = [
        b"POST /v1/requests HTTP/1.1",
        b"Host: gateway",
        b"Content-Type: application/json",
        *header_lines,
    ]
    lines += [b"Content-Length: %d" % len(body), b"Connection: close"]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


HEADER_ATTACKS = {
    "bare LF inside a value": raw_request(b"X-API-Key: " + KEY.encode() + b"\nSet-Cookie: stolen=1"),
    "bare CR inside a value": raw_request(b"X-API-Key: " + KEY.encode() + b"\rX-Admin: 1"),
    "NUL inside a value": raw_request(b"X-API-Key: " + KEY.encode() + b"\x00admin"),
    "space before the colon": raw_request(b"X-API-Key : " + KEY.encode()),
    "obsolete line folding": raw_request(b"X-API-Key: nobody", b" " + KEY.encode()),
    "invalid header name": raw_request(b"X-API\x7fKey: " + KEY.encode()),
    "header over 8 KB": raw_request(b"X-API-Key: " + KEY.encode(), b"X-Padding: " + b"a" * 9000),
    "64 KB of headers": raw_request(
        b"X-API-Key: " + KEY.encode(), *[b"X-Pad-%d: %s" % (n, b"a" * 500) for n in range(130)]
    ),
    "Content-Length and chunked": raw_request(b"X-API-Key: " + KEY.encode(), b"Transfer-Encoding: chunked"),
    "two Content-Lengths": raw_request(b"X-API-Key: " + KEY.encode(), b"Content-Length: 5"),
}


@pytest.mark.parametrize("name", HEADER_ATTACKS)
def test_header_injection_and_oversize_headers_are_refused(
    stack: Settings, base_url: str, topic: str, name: str
) -> None:
    before = message_count(stack, topic)
    raw = exchange(base_url, HEADER_ATTACKS[name])
    status, _ = parse_response(raw)
    assert status in (400, 401, 431), (name, raw[:300])
    head = raw.partition(b"\r\n\r\n")[0].lower()
    assert b"set-cookie" not in head and b"x-admin" not in head  # nothing smuggled into the answer
    assert message_count(stack, topic) == before


# -- slow clients ---------------------------------------------------------------------------
def drip(base_url: str, fast: bytes, slow: bytes, results: dict[str, Any]) -> None:
    """Send `fast` at once, then `slow` a byte every DRIP_INTERVAL seconds until the server answers
    or hangs up; note what came back and when."""
    address = urlsplit(base_url)
    started = time.monotonic()
    with socket.create_connection((address.hostname, address.port), timeout=30) as connection:
        connection.sendall(fast)
        try:
            for byte in slow:
                if select.select([connection], [], [], DRIP_INTERVAL)[0]:
                    break  # an answer, or the server closed the connection
                connection.sendall(bytes([byte]))
        except OSError as error:
            results["send_error"] = type(error).__name__
        results["cut_at"] = time.monotonic()
        results["seconds"] = results["cut_at"] - started
        results["answer"] = connection.recv(65536)  # the whole 408, or b"" when disconnected


DRIP_INTERVAL = 0.25  # a byte every 0.25 s: the request below would take over a minute


@pytest.mark.parametrize("part", ["headers", "body"])
def test_a_slow_drip_client_is_cut_off_and_blocks_nobody(base_url: str, part: str) -> None:
    request = raw_request(b"X-API-Key: " + KEY.encode(), body=json.dumps(GOOD).encode() + b" " * 200)
    head_end = request.index(b"\r\n\r\n") + 4
    fast, slow = (b"", request) if part == "headers" else (request[:head_end], request[head_end:])
    results: dict[str, Any] = {}
    dripper = threading.Thread(target=drip, args=(base_url, fast, slow, results))
    dripper.start()
    try:
        time.sleep(0.5)
        assert call(f"{base_url}/v1/requests", KEY, GOOD)[0] == 202
        served_at = time.monotonic()
    finally:
        dripper.join(30)
    assert not dripper.is_alive()
    # Served while the dripper still held its connection, not after the server cut it off.
    assert served_at < results["cut_at"], (served_at, results)
    assert CLIENT_TIMEOUT - 0.5 < results["seconds"] < CLIENT_TIMEOUT + 10, results
    if part == "headers":
        assert results["answer"] == b"", results  # disconnected without an answer
    else:
        status, answer = parse_response(results["answer"])
        assert status == 408 and f"within {CLIENT_TIMEOUT:g} s" in answer["error"], results


# -- keys ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "key",
    ["", "wrong", KEY.upper(), KEY + "x", "file-key-1 extra", "# keys a client may use", "file-key"],
)
def test_unknown_keys_are_401(base_url: str, key: str) -> None:
    assert call(f"{base_url}/v1/requests", key or None, GOOD)[0] == 401


def test_keys_in_the_key_file_are_revoked_and_added_without_a_restart(base_url: str, key_file: Path) -> None:
    url = f"{base_url}/v1/requests"
    assert call(url, "file-key-1", GOOD)[0] == 202
    assert call(url, "file-key-3", GOOD)[0] == 401
    key_file.write_text("file-key-2\nfile-key-3\n")  # revoke key 1, add key 3
    time.sleep(KEY_FILE_RECHECK + 0.2)
    assert call(url, "file-key-1", GOOD)[0] == 401
    assert call(url, "file-key-3", GOOD)[0] == 202
    key_file.unlink()  # an unreadable key file revokes its keys; the settings' key still works
    time.sleep(KEY_FILE_RECHECK + 0.2)
    assert call(url, "file-key-2", GOOD)[0] == 401
    assert call(url, KEY, GOOD)[0] == 202
    key_file.write_text("file-key-2\n")
    time.sleep(KEY_FILE_RECHECK + 0.2)
    assert call(url, "file-key-2", GOOD)[0] == 202


# -- rate limits --------------------------------------------------------------------------------
def test_a_concurrent_burst_gets_exactly_the_bucket_and_other_keys_are_unaffected(
    settings: Settings, topic: str
) -> None:
    limited = dataclasses.replace(
        settings, gateway_api_keys=(KEY, "calm-key"), gateway_rate_per_second=1, gateway_burst=20
    )
    with serving(create_app(limited, topic=topic)) as url:
        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(lambda n: call(f"{url}/v1/requests", KEY, GOOD), range(60)))
        statuses = sorted(status for status, _, _ in answers)
        assert statuses.count(202) in (20, 21) and statuses.count(429) == 60 - statuses.count(202)
        for status, headers, answer in answers:
            if status == 429:
                assert int(headers["Retry-After"]) >= 1 and answer["retry_after"] == int(
                    headers["Retry-After"]
                )
        assert call(f"{url}/v1/requests", "calm-key", GOOD)[0] == 202


# -- SSRF -----------------------------------------------------------------------------------------
DISGUISED = [
    ("http://2130706433/", "'127.0.0.1' is a loopback"),
    ("http://0177.0.0.1/", "'127.0.0.1' is a loopback"),
    ("http://0x7f.1/", "'127.0.0.1' is a loopback"),
    ("http://0x7f000001:8123/", None),  # the allowlisted demo shop, however it is spelt
    ("http://[::ffff:127.0.0.1]/", "127.0.0.1 in IPv6 form, a loopback"),
    ("http://[::ffff:169.254.169.254]/", "169.254.169.254 in IPv6 form, a link-local"),
    ("http://[::127.0.0.1]/", "127.0.0.1 in IPv6 form"),
    ("http://[64:ff9b::10.0.0.1]/", "10.0.0.1 in IPv6 form, a private"),
    ("http://0/", "'0.0.0.0' is an unspecified"),
    ("http://localhost/", "resolves to 127.0.0.1"),
    ("http://LOCALHOST./admin", "resolves to 127.0.0.1"),
    ("http://shop.example@127.0.0.1/", "userinfo"),
    ("http://127.0.0.1%2f@shop.example/", "userinfo"),
    ("http://shop.example:8123\\@127.0.0.1/", "userinfo"),
]


@pytest.mark.parametrize(("url", "reason"), DISGUISED)
def test_ssrf_targets_in_disguise_are_refused(
    stack: Settings, base_url: str, topic: str, url: str, reason: str | None
) -> None:
    before = message_count(stack, topic)
    status, _, answer = call(f"{base_url}/v1/requests", KEY, {"url": url})
    if reason is None:
        assert status == 202, answer
        assert answer["accepted"][0]["canonical_url"] == "http://127.0.0.1:8123/"
        return
    assert status == 400 and answer["field"] == "url", answer
    assert reason in answer["error"], answer
    assert message_count(stack, topic) == before
