"""The HTTP gateway served on a real loopback port, publishing to the real local Kafka."""

from __future__ import annotations

import dataclasses
import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from producers.gateway import MAX_BODY_BYTES, client_id, create_app
from schemas.codec import Codec
from scrapestream.config import Settings
from scrapestream.kafka import make_admin
from scrapestream.topics import catalog, create_topics
from scrapestream.urls import fingerprint
from tests.integration.gateway_helpers import serving
from tests.integration.request_topics import message_count, private_request_topic, read_messages

pytestmark = pytest.mark.integration

KEY = "test-key-" + uuid.uuid4().hex
SHOP = "127.0.0.1:8123"  # allowlisted, like the demo's local shop


def gateway_settings(stack: Settings, **changes: Any) -> Settings:
    defaults = {"gateway_api_keys": (KEY, "other-key"), "ssrf_allowlist": (SHOP,)}
    return dataclasses.replace(stack, **{**defaults, **changes})


@pytest.fixture(scope="module")
def topic(stack: Settings) -> Iterator[str]:
    with private_request_topic(stack) as name:
        yield name


@pytest.fixture(scope="module")
def base_url(stack: Settings, topic: str) -> Iterator[str]:
    with serving(create_app(gateway_settings(stack), topic=topic)) as url:
        yield url


def call(
    url: str,
    body: object = None,
    *,
    key: str | None = KEY,
    data: bytes | None = None,
    content_type: str = "application/json",
) -> tuple[int, dict[str, str], Any]:
    """(status, headers, parsed JSON or text) of a GET (no body) or POST."""
    headers = {"Content-Type": content_type}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    if body is not None:
        data = json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, answer_headers, raw = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        status, answer_headers, raw = error.code, dict(error.headers), error.read()
    is_json = answer_headers.get("Content-Type", "").startswith("application/json")
    return status, answer_headers, json.loads(raw) if is_json else raw.decode()


def test_a_batch_is_202_with_ids_and_every_message_is_in_kafka(
    stack: Settings, base_url: str, topic: str
) -> None:
    before = message_count(stack, topic)
    batch = [{"url": f"https://shop.example/p/{n}?utm_source=x", "priority": "high"} for n in range(300)]
    batch.append({"url": f"http://{SHOP}/p/demo", "tags": {"run": "t"}, "correlation_id": "c-9"})

    status, _, answer = call(f"{base_url}/v1/requests", {"requests": batch})

    assert status == 202, answer
    assert answer["count"] == len(answer["accepted"]) == 301
    assert answer["accepted"][0]["canonical_url"] == "https://shop.example/p/0"
    assert answer["accepted"][-1]["canonical_url"] == f"http://{SHOP}/p/demo"
    assert message_count(stack, topic) == before + 301
    codec = Codec.for_settings(stack)
    messages = read_messages(stack, topic, before + 301)[before:]
    records = {
        str(r["request_id"]): (m, r) for m in messages for r in [codec.decode("ScrapeRequest", m.value())]
    }
    assert set(records) == {item["request_id"] for item in answer["accepted"]}
    for message, record in records.values():
        assert message.key().decode() == fingerprint(record["canonical_url"])
        assert record["requested_by"] == client_id(KEY)
    demo = records[answer["accepted"][-1]["request_id"]][1]
    assert (demo["tags"], demo["correlation_id"], demo["priority"]) == ({"run": "t"}, "c-9", "NORMAL")


def test_one_request_object_and_the_x_api_key_header(base_url: str) -> None:
    request = urllib.request.Request(
        f"{base_url}/v1/requests",
        data=json.dumps({"url": "https://shop.example/single"}).encode(),
        headers={"Content-Type": "application/json", "X-API-Key": "other-key"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 202
        assert json.loads(response.read())["accepted"][0]["url"] == "https://shop.example/single"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"priority": "HIGH"}, "url", "is required"),
        ({"url": "https://shop.example/", "priority": "asap"}, "priority", "not one of"),
        (
            {"requests": [{"url": "https://shop.example/"}, {"url": "https://a.example/", "kind": 3}]},
            "requests[1].kind",
            "",
        ),
        ({"requests": [{"url": "https://shop.example/"}] * 1001}, "requests", "more than 1000"),
        ({"requests": []}, "requests", "non-empty"),
    ],
)
def test_invalid_bodies_are_400_naming_the_field_and_send_nothing(
    stack: Settings, base_url: str, topic: str, body: object, field: str, message: str
) -> None:
    before = message_count(stack, topic)
    status, _, answer = call(f"{base_url}/v1/requests", body)
    assert status == 400
    assert answer["field"] == field and message in answer["error"]
    assert message_count(stack, topic) == before


def test_malformed_json_wrong_type_and_huge_bodies(base_url: str) -> None:
    url = f"{base_url}/v1/requests"
    status, _, answer = call(url, data=b'{"url": ')
    assert status == 400 and answer["error"].startswith("malformed JSON")
    status, _, answer = call(url, data=b"https://shop.example/", content_type="text/plain")
    assert status == 415 and "application/json" in answer["error"]
    huge = json.dumps({"url": "https://shop.example/", "tags": {"x": "y" * MAX_BODY_BYTES}}).encode()
    status, _, answer = call(url, data=huge)
    assert status == 413 and str(MAX_BODY_BYTES) in answer["error"]


@pytest.mark.parametrize("key", [None, "wrong-key", KEY[:-1]])
def test_missing_or_unknown_keys_are_401(base_url: str, key: str | None) -> None:
    status, _, answer = call(f"{base_url}/v1/requests", {"url": "https://shop.example/"}, key=key)
    assert status == 401 and "API key" in answer["error"]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/", "loopback"),
        ("http://10.0.0.1/", "private"),
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("file:///etc/passwd", "scheme 'file'"),
        ("http://localhost:9/", "resolves to 127.0.0.1"),
        ("http://127.0.0.1:8124/", "loopback"),  # the allowlist names port 8123 only
    ],
)
def test_ssrf_targets_are_refused(stack: Settings, base_url: str, topic: str, url: str, reason: str) -> None:
    before = message_count(stack, topic)
    status, _, answer = call(
        f"{base_url}/v1/requests", {"requests": [{"url": "https://ok.example/"}, {"url": url}]}
    )
    assert status == 400
    assert answer["field"] == "requests[1].url" and reason in answer["error"]
    assert message_count(stack, topic) == before


def test_a_burst_beyond_the_bucket_is_429_with_retry_after(stack: Settings, topic: str) -> None:
    limited = gateway_settings(stack, gateway_rate_per_second=1, gateway_burst=5)
    with serving(create_app(limited, topic=topic)) as url:
        batch = {"requests": [{"url": f"https://shop.example/r/{n}"} for n in range(4)]}
        assert call(f"{url}/v1/requests", batch)[0] == 202
        status, headers, answer = call(f"{url}/v1/requests", batch)  # 1 token left, 4 needed
        assert status == 429
        assert headers["Retry-After"] == "3" and answer["retry_after"] == 3
        assert call(f"{url}/v1/requests", {"url": "https://shop.example/r/x"})[0] == 202  # the last token
        assert call(f"{url}/v1/requests", {"url": "https://shop.example/r/y"}, key="other-key")[0] == 202
        status, _, answer = call(f"{url}/v1/requests", {"requests": batch["requests"] * 2}, key="other-key")
        assert status == 400 and "burst of 5" in answer["error"]


def test_health_readiness_and_metrics(base_url: str) -> None:
    for route, expected in (("healthz", {"status": "ok"}), ("readyz", {"status": "ready"})):
        status, _, answer = call(f"{base_url}/{route}", key=None)
        assert (status, answer) == (200, expected)
    call(f"{base_url}/v1/requests", {"url": "http://10.0.0.1/"})
    status, headers, text = call(f"{base_url}/metrics", key=None)
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    for name in (
        "scrapestream_requests_published_total",
        "scrapestream_requests_rejected_total",
        "scrapestream_publish_latency_seconds_bucket",
        "scrapestream_gateway_http_requests_total",
        "scrapestream_gateway_rate_limited_total",
    ):
        assert name in text
    assert 'scrapestream_requests_rejected_total{reason="blocked_url"}' in text
    assert 'scrapestream_gateway_http_requests_total{route="/v1/requests",status="202"}' in text


def test_readiness_is_503_when_no_broker_answers(stack: Settings, topic: str) -> None:
    nobody = gateway_settings(stack, kafka_bootstrap="127.0.0.1:1")
    with serving(create_app(nobody, topic=topic)) as url:
        status, _, answer = call(f"{url}/readyz", key=None)
        assert status == 503 and "no Kafka broker answers" in answer["error"]
        assert call(f"{url}/healthz", key=None)[0] == 200


def test_a_missing_topic_is_a_clear_503_until_the_topics_are_created(
    stack: Settings, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The gateway started before `scrapestream topics create`: every route that needs a topic says
    which one is missing and how to create it, at once and without a traceback; once the topics
    exist, requests go through without a restart."""
    fix = f"(create it: scrapestream topics create --topic-prefix {prefix})"
    with serving(create_app(gateway_settings(stack), prefix=prefix)) as url:
        for body in (
            {"url": "https://shop.example/p/1"},
            {"requests": [{"url": "https://shop.example/p/2"}] * 3},
        ):
            started = time.monotonic()
            status, _, answer = call(f"{url}/v1/requests", body)
            assert status == 503, answer
            assert answer["error"] == f"topic {prefix}scrape.requests does not exist {fix}"
            assert answer["accepted"] == [] and len(answer["failed"]) == len(body.get("requests", [body]))
            assert time.monotonic() - started < 10  # not after the 30 s message timeout
        status, _, answer = call(f"{url}/readyz", key=None)
        assert status == 503 and answer["error"] == f"topic {prefix}scrape.requests does not exist {fix}"
        status, _, answer = call(f"{url}/v1/updates")
        assert status == 503 and f"topic {prefix}product.updates does not exist" in answer["error"]
        assert fix in answer["error"]

        create_topics(make_admin(stack), catalog(stack, prefix=prefix))
        deadline = time.monotonic() + 30
        while (status := call(f"{url}/v1/requests", {"url": "https://shop.example/p/3"})[0]) != 202:
            assert status == 503 and time.monotonic() < deadline
            time.sleep(0.5)
    assert not [record for record in caplog.records if record.exc_info], "a traceback was logged"
