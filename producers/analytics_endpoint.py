"""POST /v1/analytics/query: one read-only SQL query against the analytics database.

    POST /v1/analytics/query  {"sql": "SELECT ...", "parameters": {"name": value}}   (parameters optional)
    200 {"columns": [...], "types": [...], "rows": [[...], ...], "row_count": n}

The query goes through `open_reader` (to a ClickHouse server, or to the fan-out worker that owns
the embedded store), runs in the analytics database (tables need no database name) with
readonly=1 and the limits of the analytics_* settings. Answered: one SELECT, SHOW TABLES and the
like, DESCRIBE <table>, EXPLAIN <select> (scrapestream.stores.analytics.check_read_only).
Refused with 400 and the reason: anything else (INSERT, DROP, ...), several statements, SETTINGS
clauses (readonly=0), INTO OUTFILE; also a query ClickHouse rejects (syntax, unknown table, a
limit exceeded). 503 when the store cannot be reached (embedded: no fan-out worker running).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from producers.http_common import ApiError, read_json
from scrapestream import metrics
from scrapestream.stores.analytics import AnalyticsQueryError, QueryRefused, check_read_only
from scrapestream.stores.errors import StoreUnavailable

READER = web.AppKey("analytics_reader", Any)  # an AnalyticsReader (scrapestream.stores.analytics)


async def post_query(request: web.Request) -> web.Response:
    sql, parameters = _query_of(await read_json(request))
    try:
        check_read_only(sql)
        result = await request.app[READER].query(sql, parameters)
    except QueryRefused as error:
        metrics.ANALYTICS_QUERIES.labels("refused").inc()
        raise ApiError(400, f"query refused: {error}", field="sql") from None
    except AnalyticsQueryError as error:
        metrics.ANALYTICS_QUERIES.labels("failed").inc()
        raise ApiError(400, f"query failed: {error}", field="sql") from None
    except StoreUnavailable as error:
        metrics.ANALYTICS_QUERIES.labels("failed").inc()
        raise ApiError(503, f"the analytics store is unavailable: {error}") from None
    metrics.ANALYTICS_QUERIES.labels("ok").inc()
    return web.json_response({**result.to_json(), "row_count": len(result.rows)})


def _query_of(body: Any) -> tuple[str, dict[str, Any] | None]:
    if not isinstance(body, dict) or not isinstance(body.get("sql"), str):
        raise ApiError(400, 'expected {"sql": "SELECT ...", "parameters": {...}}', field="sql")
    unknown = sorted(set(body) - {"sql", "parameters"})
    if unknown:
        raise ApiError(400, "unknown field", field=unknown[0])
    parameters = body.get("parameters")
    if parameters is not None and not isinstance(parameters, dict):
        raise ApiError(400, "expected an object of query parameters", field="parameters")
    return body["sql"], parameters
