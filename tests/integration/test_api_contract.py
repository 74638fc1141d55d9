"""Property-based API tests: Schemathesis generates requests from producers/openapi.json and checks
a live gateway's answers against it (docs/api.md).

Two gateways, both on the real local Kafka, Cassandra and embedded ClickHouse:
- `complete`: every dependency there (its topics, a migrated keyspace, an analytics owner). No
  5xx at all may come back, and every status, content type, header and body must be documented.
- `bare`: started before `scrapestream topics create` (a topic prefix with no topics) and with
  nobody serving the analytics store. 503 is then the documented answer of the routes that need
  those; anything else 5xx (a 500) fails, and the 503 bodies must match the document too.

Checks: every Schemathesis check except positive_data_acceptance. That one expects any
schema-valid request to succeed, but the gateway rightly refuses some schema-valid input with 400:
the URL syntax and SSRF guard, `wait` without `max_age`, an SQL statement that is not read-only or
that the engine rejects. GET /v1/updates is an endless event stream: each stream is read for one
second (Schemathesis cuts it then), so it gets 15 generated examples and only the invalid cases of
the systematic coverage phase (those are answered 400 at once).
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from producers.gateway import OPENAPI_DOCUMENT, create_app, server_options
from scrapestream.config import Settings
from scrapestream.infra.service_process import free_port
from scrapestream.stores import analytics, analytics_schema
from scrapestream.stores.analytics import AnalyticsServer
from tests.integration.gateway_helpers import serving
from tests.integration.pipeline import prefix_of, private_topics
from tests.integration.sink_helpers import scratch_keyspace

pytestmark = pytest.mark.integration

KEY = "contract-key-" + uuid.uuid4().hex
AUTH = {"X-API-Key": KEY, "Authorization": f"Bearer {KEY}"}  # both: generated headers never win
MAX_EXAMPLES = 30
STREAM_SECONDS = 1.0
STREAM_EXAMPLES = 15


def contract(**checks: Any) -> schemathesis.BaseSchema:
    """The document with the checks of the module docstring (`checks` on top)."""
    config = {
        "checks": {"positive_data_acceptance": {"enabled": False}, **checks},
        "request-timeout": 20,
        "operations": [
            {  # each 200 is read for STREAM_SECONDS: the systematic coverage phase sends invalid input only
                "include-path": "/v1/updates",
                "request-timeout": STREAM_SECONDS,
                "generation": {"max-examples": STREAM_EXAMPLES},
                "phases": {"coverage": {"generation": {"mode": "negative"}}},
            }
        ],
    }
    return schemathesis.openapi.from_path(OPENAPI_DOCUMENT, config=SchemathesisConfig.from_dict(config))


SCHEMA = contract()
# A missing dependency is a documented 503; a 500 still fails.
BARE_SCHEMA = contract(not_a_server_error={"expected-statuses": ["2xx", "3xx", "4xx", "503"]})


def gateway_settings(settings: Settings, **changes: Any) -> Settings:
    generous = {"gateway_rate_per_second": 1_000_000, "gateway_burst": 1_000_000}  # 429 is not under test
    return dataclasses.replace(settings, gateway_api_keys=(KEY,), **{**generous, **changes})


@contextmanager
def analytics_owner(settings: Settings) -> Iterator[int]:
    """An owner of the session's embedded store answering on a free port, as a fan-out worker does."""
    loop = asyncio.new_event_loop()
    store = analytics.open_store(settings)
    server = AnalyticsServer(store, free_port())
    loop.run_until_complete(analytics_schema.apply(store))
    loop.run_until_complete(server.start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield server.port
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.run_until_complete(server.stop())
        loop.run_until_complete(store.close())
        loop.close()


@pytest.fixture(scope="module")
def complete(stack: Settings) -> Iterator[str]:
    with (
        private_topics(stack) as names,
        scratch_keyspace(stack) as (settings, _),
        analytics_owner(stack) as port,
    ):
        ready = gateway_settings(settings, analytics_port=port)
        with serving(create_app(ready, prefix=prefix_of(names)), **server_options(ready)) as url:
            yield url


@pytest.fixture(scope="module")
def bare(stack: Settings) -> Iterator[str]:
    missing = gateway_settings(stack, analytics_port=free_port())  # nobody answers there
    prefix = f"test.missing.{uuid.uuid4().hex[:8]}."  # never created
    with serving(create_app(missing, prefix=prefix), **server_options(missing)) as url:
        yield url


@SCHEMA.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_a_complete_gateway_keeps_the_contract(case: schemathesis.Case, complete: str) -> None:
    case.call_and_validate(base_url=complete, headers=AUTH)


@BARE_SCHEMA.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_a_gateway_without_its_dependencies_answers_documented_503s(
    case: schemathesis.Case, bare: str
) -> None:
    case.call_and_validate(base_url=bare, headers=AUTH)


def test_the_served_document_is_the_file(complete: str) -> None:
    answer = requests.get(f"{complete}/openapi.json", timeout=10)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("application/json")
    assert answer.json() == SCHEMA.raw_schema


def test_the_sql_endpoint_runs_in_the_analytics_database(complete: str) -> None:
    def query(sql: str) -> tuple[int, Any]:
        answer = requests.post(f"{complete}/v1/analytics/query", json={"sql": sql}, headers=AUTH, timeout=30)
        return answer.status_code, answer.json()

    assert query("SELECT count() AS n FROM scrape_events FINAL") == (
        200,
        {"columns": ["n"], "types": ["UInt64"], "rows": [[0]], "row_count": 1},
    )
    status, tables = query("SHOW TABLES")
    assert status == 200 and ["scrape_events"] in tables["rows"]
    status, columns = query("DESCRIBE product_prices")
    assert status == 200 and ["price_minor", "Int64"] in [row[:2] for row in columns["rows"]]
    status, plan = query("EXPLAIN AST SELECT 1")
    assert status == 200 and plan["columns"] == ["explain"] and plan["row_count"] > 1
    for refused in ("SHOW TABLES; DROP TABLE scrape_events", "EXPLAIN INSERT INTO scrape_events SELECT 1"):
        status, answer = query(refused)
        assert status == 400 and answer["field"] == "sql" and "refused" in answer["error"]
