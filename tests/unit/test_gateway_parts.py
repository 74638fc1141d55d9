"""The gateway's pure parts: token buckets, API keys, body parsing and validation, caches, and the
clear 503s of missing dependencies."""

from __future__ import annotations

import asyncio
import hmac
import math
from pathlib import Path
from urllib.parse import urlencode

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from confluent_kafka import KafkaError

from producers import gateway, product_reads, update_stream
from producers.gateway import (
    KEY_FILE_RECHECK,
    MAX_BATCH,
    ApiError,
    ApiKeys,
    RateLimiter,
    Readiness,
    TokenBucket,
    client_id,
    parse_items,
    presented_key,
    validate_items,
)
from producers.http_common import seconds_param
from producers.product_cache import ProductCache
from producers.publisher import (
    InvalidRequestField,
    PublisherClosed,
    Receipt,
    TopicMissing,
    build_request,
    create_command,
    request_failed,
)
from scrapestream.config import ConfigError, Settings
from scrapestream.kafka import BrokerUnavailable
from scrapestream.stores.products import ProductState
from scrapestream.urls import UrlGuard


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# -- rate limiting --------------------------------------------------------------------------
def test_a_bucket_pays_its_burst_then_refills_at_its_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=10, burst=20, clock=clock)
    assert bucket.take(15) == 0
    assert bucket.take(10) == pytest.approx(0.5)  # 5 left, 5 missing at 10/s
    clock.now += 0.5
    assert bucket.take(10) == 0
    assert bucket.take(1) == pytest.approx(0.1)


def test_an_idle_bucket_holds_no_more_than_its_burst() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=10, burst=20, clock=clock)
    clock.now += 3600
    assert bucket.take(20) == 0
    assert bucket.take(1) > 0


def test_a_cost_above_the_burst_can_never_be_paid() -> None:
    bucket = TokenBucket(rate=10, burst=20, clock=FakeClock())
    assert bucket.take(21) == math.inf
    assert bucket.take(20) == 0  # the refused cost spent nothing


def test_each_client_has_its_own_bucket() -> None:
    limiter = RateLimiter(rate=1, burst=2, clock=FakeClock())
    assert limiter.take("a", 2) == 0
    assert limiter.take("a", 1) == pytest.approx(1.0)
    assert limiter.take("b", 2) == 0


# -- API keys -------------------------------------------------------------------------------
def test_keys_name_clients_without_revealing_the_key() -> None:
    keys = ApiKeys(["alpha-secret", "", "beta-secret"])
    assert keys.client_of("alpha-secret") == client_id("alpha-secret")
    assert keys.client_of("beta-secret") == client_id("beta-secret") != client_id("alpha-secret")
    assert "secret" not in client_id("alpha-secret")
    for wrong in ("alpha", "alpha-secret ", "", None):
        assert keys.client_of(wrong) is None


def test_every_key_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(gateway.hmac, "compare_digest", spy)
    ApiKeys(["k1", "k2", "k3"]).client_of("k1")
    assert [stored for _, stored in compared] == [b"k1", b"k2", b"k3"]  # no early exit on a match


def test_keys_from_a_key_file_are_reloaded_when_it_changes(tmp_path: Path) -> None:
    key_file = tmp_path / "keys"
    key_file.write_text("# comment\nfile-one\n\n  file-two  \n")
    clock = FakeClock()
    keys = ApiKeys(["fixed"], key_file, clock=clock)
    assert [keys.client_of(key) for key in ("fixed", "file-one", "file-two", "# comment")] == [
        client_id("fixed"),
        client_id("file-one"),
        client_id("file-two"),
        None,
    ]
    key_file.write_text("file-two, file-three\n")  # the Helm chart's Secret holds a comma-separated list
    assert keys.client_of("file-one") == client_id("file-one")  # not looked at again yet
    clock.now += KEY_FILE_RECHECK
    assert keys.client_of("file-one") is None and keys.client_of("file-three") == client_id("file-three")
    key_file.unlink()
    clock.now += KEY_FILE_RECHECK
    assert keys.client_of("file-two") is None and keys.client_of("fixed") == client_id("fixed")


def test_a_key_file_alone_is_enough_and_an_empty_one_is_not(tmp_path: Path) -> None:
    key_file = tmp_path / "keys"
    key_file.write_text("only-key\n")
    assert ApiKeys([], key_file).client_of("only-key") == client_id("only-key")
    key_file.write_text("# nothing yet\n")
    with pytest.raises(ConfigError, match="at least one API key"):
        ApiKeys([], key_file)


def test_no_configured_key_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="SCRAPESTREAM_GATEWAY_API_KEYS"):
        ApiKeys(["", ""])


@pytest.mark.parametrize(
    ("headers", "key"),
    [
        ({"Authorization": "Bearer k1"}, "k1"),
        ({"Authorization": "bearer  k1 "}, "k1"),
        ({"X-API-Key": "k2"}, "k2"),
        ({"Authorization": "Basic dXNlcg==", "X-API-Key": "k2"}, "k2"),
        ({"Authorization": "Bearer "}, None),
        ({}, None),
    ],
)
def test_the_key_comes_from_bearer_or_x_api_key(headers: dict[str, str], key: str | None) -> None:
    assert presented_key(headers) == key


# -- body parsing and validation ------------------------------------------------------------
def error_of(call) -> ApiError:
    with pytest.raises(ApiError) as error:
        call()
    return error.value


def test_a_body_is_one_request_or_a_batch() -> None:
    assert parse_items({"url": "https://a.example/"}) == [("", {"url": "https://a.example/"})]
    batch = parse_items({"requests": [{"url": "u1"}, {"url": "u2"}]})
    assert [prefix for prefix, _ in batch] == ["requests[0].", "requests[1]."]


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ([{"url": "x"}], None),
        ("https://a.example/", None),
        ({"requests": []}, "requests"),
        ({"requests": {"url": "x"}}, "requests"),
        ({"requests": [{"url": "x"}] * (MAX_BATCH + 1)}, "requests"),
        ({"requests": [{"url": "x"}], "priority": "HIGH"}, "priority"),
    ],
)
def test_bad_bodies_are_400_naming_the_field(document: object, field: str | None) -> None:
    error = error_of(lambda: parse_items(document))
    assert error.status == 400
    assert error.body.get("field") == field


async def _no_dns(host: str, port: int) -> list[str]:
    return {"intranet.example": ["10.1.2.3"]}.get(host, ["93.184.215.14"])


def validate(document: object, allowlist: tuple[str, ...] = ()) -> list[dict]:
    guard = UrlGuard(allowlist, resolve=_no_dns)
    return asyncio.run(validate_items(parse_items(document), guard, requested_by="api-key:abc"))


def test_valid_items_become_records_of_the_caller() -> None:
    records = validate(
        {"requests": [{"url": "https://a.example/x", "priority": "bulk"}, {"url": "http://b.example"}]}
    )
    assert [r["canonical_url"] for r in records] == ["https://a.example/x", "http://b.example/"]
    assert {r["requested_by"] for r in records} == {"api-key:abc"}
    assert records[0]["priority"] == "BULK"


@pytest.mark.parametrize(
    ("item", "field", "message"),
    [
        ({}, "requests[1].url", "is required"),
        ({"url": 7}, "requests[1].url", "expected a string"),
        ({"url": "https://a.example/", "colour": "red"}, "requests[1].colour", "unknown field"),
        ({"url": "https://a.example/", "priority": "now"}, "requests[1].priority", "not one of"),
        ({"url": "https://a.example/", "tags": {"k": 1}}, "requests[1].tags.k", "expected a string"),
        ("https://a.example/", "requests[1]", "expected a request object"),
        ({"url": "file:///etc/passwd"}, "requests[1].url", "scheme 'file'"),
        ({"url": "http://10.0.0.1/"}, "requests[1].url", "private address"),
        ({"url": "http://169.254.169.254/latest/meta-data"}, "requests[1].url", "link-local"),
        ({"url": "http://intranet.example/"}, "requests[1].url", "resolves to 10.1.2.3"),
    ],
)
def test_a_bad_item_refuses_the_batch_naming_index_and_field(item: object, field: str, message: str) -> None:
    document = {"requests": [{"url": "https://ok.example/"}, item, {"url": "https://ok.example/2"}]}
    error = error_of(lambda: validate(document))
    assert error.status == 400
    assert error.body["field"] == field
    assert message in error.body["error"]
    assert error.body["errors"] == [{"field": field, "error": error.body["error"]}]


def test_every_bad_item_is_listed_in_order() -> None:
    document = {
        "requests": [{"url": "http://127.0.0.1/"}, {"url": "https://ok.example/"}, {"priority": "HIGH"}]
    }
    error = error_of(lambda: validate(document))
    assert [entry["field"] for entry in error.body["errors"]] == ["requests[0].url", "requests[2].url"]


def test_a_single_request_names_fields_without_a_prefix() -> None:
    assert (
        error_of(lambda: validate({"url": "http://localhost.:1/", "render": "x"})).body["field"] == "render"
    )


def test_the_allowlist_lets_the_demo_shop_through() -> None:
    assert validate({"url": "http://127.0.0.1:8123/p/1"}, allowlist=("127.0.0.1:8123",))
    assert error_of(lambda: validate({"url": "http://127.0.0.1:8124/"}, allowlist=("127.0.0.1:8123",)))


# -- caches ---------------------------------------------------------------------------------
def test_readiness_probes_at_most_once_per_ttl() -> None:
    clock = FakeClock()
    probes: list[float] = []
    broken = True

    def probe() -> None:
        probes.append(clock.now)
        if broken:
            raise BrokerUnavailable("no Kafka broker answers (timed out)")

    readiness = Readiness(probe, ttl=5, clock=clock)

    async def scenario() -> None:
        nonlocal broken
        assert await readiness.problem() == "no Kafka broker answers (timed out)"
        broken = False
        clock.now += 4
        assert await readiness.problem() is not None  # cached
        clock.now += 1
        assert await readiness.problem() is None
        assert len(probes) == 2

    asyncio.run(scenario())


# -- a missing dependency is a 503 naming it ------------------------------------------------
class FakePublisher:
    """send_async as RequestPublisher's: a future per record, or TopicMissing/PublisherClosed at once."""

    topic = "test.x.scrape.requests"

    def __init__(
        self, outcomes: list[object], topic_seen: bool = True, check: Exception | None = None
    ) -> None:
        self._outcomes = list(outcomes)
        self.topic_seen = topic_seen
        self._check = check
        self.checks = 0

    def check_topic(self, timeout: float = 2.0) -> None:
        self.checks += 1
        if self._check:
            raise self._check

    async def send_async(self, record: dict) -> asyncio.Future:
        outcome = self._outcomes.pop(0)
        if isinstance(outcome, (TopicMissing, PublisherClosed)):
            raise outcome
        future = asyncio.get_running_loop().create_future()
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)
        return future


def receipt(n: int) -> Receipt:
    return Receipt(f"id-{n}", f"https://a.example/{n}", f"https://a.example/{n}", "t", 0, n)


def publish(publisher: FakePublisher, count: int) -> ApiError:
    records = [{"canonical_url": f"https://a.example/{n}"} for n in range(count)]
    return error_of(lambda: asyncio.run(gateway._publish(publisher, records)))


def test_a_missing_request_topic_is_a_503_naming_it_and_the_command_that_creates_it() -> None:
    publisher = FakePublisher([], topic_seen=False, check=TopicMissing("test.x.scrape.requests"))
    error = publish(publisher, 3)
    assert error.status == 503 and publisher.checks == 1
    assert error.body["error"] == (
        "topic test.x.scrape.requests does not exist "
        "(create it: scrapestream topics create --topic-prefix test.x.)"
    )
    assert error.body["accepted"] == [] and [f["index"] for f in error.body["failed"]] == [0, 1, 2]


def test_a_topic_that_disappears_mid_batch_fails_the_rest_and_keeps_the_receipts() -> None:
    publisher = FakePublisher([receipt(0), TopicMissing("scrape.requests")])
    error = publish(publisher, 3)
    assert error.status == 503 and "(create it: scrapestream topics create)" in error.body["error"]
    assert error.body["accepted"] == ["id-0"]
    assert [f["index"] for f in error.body["failed"]] == [1, 2]


def test_an_undeliverable_message_to_a_missing_topic_says_so() -> None:
    unknown = KafkaError(KafkaError.UNKNOWN_TOPIC_OR_PART)
    timed_out = KafkaError(KafkaError._MSG_TIMED_OUT)
    missing = request_failed(unknown, "https://a.example/1", "p.scrape.requests")
    assert str(missing.missing_topic).startswith("topic p.scrape.requests does not exist")
    assert request_failed(timed_out, "https://a.example/1", "p.scrape.requests").missing_topic is None
    error = publish(FakePublisher([receipt(0), missing]), 2)
    assert error.body["error"] == str(missing.missing_topic) and error.body["accepted"] == ["id-0"]
    error = publish(FakePublisher([request_failed(timed_out, "u", "t")]), 1)
    assert error.body["error"] == "the broker did not acknowledge every request; resend the failed ones"


def test_a_gateway_shutting_down_answers_503() -> None:
    error = publish(FakePublisher([PublisherClosed("the publisher is closed")]), 1)
    assert error.status == 503 and "shutting down" in error.body["error"]


def test_the_topic_is_checked_until_it_was_seen() -> None:
    seen = FakePublisher([receipt(0)])
    assert asyncio.run(gateway._publish(seen, [{"canonical_url": "u"}]))[0].request_id == "id-0"
    assert seen.checks == 0
    unseen = FakePublisher([receipt(0)], topic_seen=False)
    asyncio.run(gateway._publish(unseen, [{"canonical_url": "u"}]))
    assert unseen.checks == 1


@pytest.mark.parametrize(
    ("topic", "command"),
    [
        ("scrape.requests", "scrapestream topics create"),
        ("demo.123.scrape.requests", "scrapestream topics create --topic-prefix demo.123."),
        ("demo.123.product.updates", "scrapestream topics create --topic-prefix demo.123."),
        ("my-private-topic", "scrapestream topics create"),
    ],
)
def test_the_create_command_carries_the_topic_prefix(topic: str, command: str) -> None:
    assert create_command(topic) == command


def test_a_bug_is_a_json_500_with_its_traceback_in_the_log(caplog: pytest.LogCaptureFixture) -> None:
    async def broken(request: web.Request) -> web.Response:
        raise ZeroDivisionError("a bug")

    request = make_mocked_request("GET", "/v1/info")
    response = asyncio.run(gateway._json_errors_and_metrics(request, broken))
    assert response.status == 500 and response.content_type == "application/json"
    assert "a bug" not in response.text  # the client learns nothing of the internals
    assert "ZeroDivisionError: a bug" in caplog.text


# -- query parameters -----------------------------------------------------------------------
@pytest.mark.parametrize("raw", ["inf", "nan", "Infinity", "1_000", " 5", "\uff15", "0x10", "", "-", "1e"])
def test_seconds_are_plain_decimal_numbers(raw: str) -> None:
    request = make_mocked_request("GET", "/v1/products/x?" + urlencode({"max_age": raw}))
    assert error_of(lambda: seconds_param(request, "max_age")).body["field"] == "max_age"


@pytest.mark.parametrize(("raw", "value"), [("0", 0.0), ("2.5", 2.5), ("1e3", 1000.0), ("007", 7.0)])
def test_seconds_accept_json_numbers(raw: str, value: float) -> None:
    request = make_mocked_request("GET", "/v1/products/x?" + urlencode({"max_age": raw}))
    assert seconds_param(request, "max_age") == value


@pytest.mark.parametrize("raw", ["²", "١٢", "0", "1001", "+5", "5.0"])
def test_a_listing_limit_is_a_whole_number_in_ascii_digits(raw: str) -> None:
    assert error_of(lambda: product_reads._limit(raw)).status == 400


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("price", True),
        ("PRICE, new", True),
        (" Availability\t,,content ", True),
        ("", True),
        ("prices", False),
        ("p\u0131ice", False),  # dotless i: "PRICE" after upper(), but not a change kind as typed
        ("\x1cprice", False),  # str.strip() would drop this, the documented pattern does not
        ("price;new", False),
    ],
)
def test_change_values_follow_the_documented_pattern(value: str, ok: bool) -> None:
    assert bool(update_stream.CHANGE_VALUE.fullmatch(value)) is ok


@pytest.mark.parametrize("priority", ["h\u0131gh", "H\u0130GH", "\uff28\uff29\uff27\uff28"])
def test_enum_fields_take_ascii_letters_only(priority: str) -> None:
    with pytest.raises(InvalidRequestField, match="priority"):
        build_request("https://a.example/", priority=priority)


def test_a_refresh_that_cannot_be_published_is_a_503_and_may_be_tried_again_at_once() -> None:
    state = ProductState("a.example", "https://a.example/p/1", {"product_id": "a.example:1"}, None, {})
    missing = FakePublisher([receipt(7)], topic_seen=False, check=TopicMissing("t.scrape.requests"))
    reads = product_reads.ProductReads(Settings(), ProductCache(10, 60), missing)
    with pytest.raises(product_reads.RefreshFailed, match=r"topic t\.scrape\.requests does not exist"):
        asyncio.run(reads.refresh(state, "api-key:abc"))
    missing._check = None  # the topic was created meanwhile: no cooldown holds the refresh back
    assert asyncio.run(reads.refresh(state, "api-key:abc")) == "id-7"
    undeliverable = request_failed(KafkaError(KafkaError._MSG_TIMED_OUT), "https://a.example/p/1", "t")
    reads = product_reads.ProductReads(Settings(), ProductCache(10, 60), FakePublisher([undeliverable]))
    with pytest.raises(product_reads.RefreshFailed, match="_MSG_TIMED_OUT"):
        asyncio.run(reads.refresh(state, "api-key:abc"))
