"""The analytics store (ClickHouse): one interface, two transports.

- `DirectAnalyticsStore` talks to ClickHouse through clickhouse-connect: a server by URL, or the
  embedded chdb engine inside this process. An embedded data directory can be open in ONE process
  only (a second fails with "Cannot lock file .../status"), so in embedded mode exactly one
  process, the owner (the fan-out worker, which is also the only writer), opens it.
- `HttpAnalyticsReader` is for the other processes in embedded mode (gateway, CLI): it forwards
  read-only queries to the owner, which serves them with `AnalyticsServer` on
  127.0.0.1:`analytics_port`. Non-owners never write: every row enters through the fan-out sink,
  so the server has no insert endpoint.

`open_reader(settings)` picks the right reader for any process; `open_store(settings)` opens the
writable store (and, in embedded mode, claims the data directory).

Queries return `QueryResult` decoded from ClickHouse's JSONCompact output on both transports, so
callers see the same values either way (numbers as JSON numbers, dates and times as strings).
Every query runs with `readonly=1` and the limits of `query_limits` (execution time, result rows
and bytes). `check_read_only` refuses, before the engine sees it, anything but one SELECT (or
WITH ... SELECT): other statements, several statements (the embedded engine would run them all,
and the session's readonly=1 covers only the first), SETTINGS clauses (readonly=0 and limit
overrides) and INTO OUTFILE (the engine writes that file even in readonly mode).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
from aiohttp import web
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import DatabaseError, OperationalError

from scrapestream.config import Settings
from scrapestream.stores import clickhouse
from scrapestream.stores.errors import StoreUnavailable

LOOPBACK = "127.0.0.1"
# A block whose token was seen in the table's dedup window is dropped, and so are the rows it would
# have pushed into materialized views (their target tables keep a dedup window too).
DEDUP_SETTINGS = {"deduplicate_blocks_in_dependent_materialized_views": 1}
_SELECT = re.compile(r"^\s*(\(\s*)*(SELECT|WITH)\b", re.IGNORECASE)
# String literals, quoted identifiers and comments: blanked out before looking for keywords and ';'.
_LITERALS_AND_COMMENTS = re.compile(
    r"'(?:[^'\\]|\\.)*(?:'|$)|\"(?:[^\"\\]|\\.)*(?:\"|$)|`(?:[^`\\]|\\.)*(?:`|$)"
    r"|--[^\n]*|#[^\n]*|/\*.*?(?:\*/|$)",
    re.DOTALL,
)
_FIRST_WORD = re.compile(r"[A-Za-z_]+")
_SETTINGS_CLAUSE = re.compile(r"\bSETTINGS\b", re.IGNORECASE)
_READONLY_NAMED = re.compile(r"\breadonly\b", re.IGNORECASE)
_INTO_OUTFILE = re.compile(r"\bINTO\s+OUTFILE\b", re.IGNORECASE)
# ClickHouse errors meaning "cannot take this write now", not "this batch is bad": the disk is full
# or unwritable, files cannot be opened, written or synced, too many parts wait for merges, memory
# or query slots run out. They are retried like a refused connection instead of dead-lettering good
# results. (CANNOT_WRITE_TO_FILE_DESCRIPTOR, CANNOT_OPEN_FILE, CANNOT_CLOSE_FILE, CANNOT_CREATE_DIRECTORY,
# CANNOT_ALLOCATE_MEMORY, TOO_MANY_SIMULTANEOUS_QUERIES, CANNOT_FSYNC, MEMORY_LIMIT_EXCEEDED,
# TABLE_IS_READ_ONLY, NOT_ENOUGH_SPACE, TOO_MANY_PARTS, CANNOT_WRITE_TO_FILE.)
_TRANSIENT_CODES = frozenset({75, 76, 77, 172, 173, 202, 204, 241, 242, 243, 252, 294})
_STD_EXCEPTION = 1001  # transient only when it is a filesystem error (the embedded engine's disk I/O)
_ERROR_CODE = re.compile(r"\bCode: (\d+)")


class AnalyticsQueryError(ValueError):
    """A query was refused (not read-only) or ClickHouse rejected it (syntax, unknown table, ...)."""


class QueryRefused(AnalyticsQueryError):
    """`check_read_only` refused the query before it reached the engine; the message says why."""


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    types: list[str]
    rows: list[list[Any]]

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def to_json(self) -> dict[str, Any]:
        return {"columns": self.columns, "types": self.types, "rows": self.rows}


class AnalyticsReader(Protocol):
    async def query(self, sql: str, parameters: dict[str, Any] | None = None) -> QueryResult:
        """Run one read-only query; `{name:Type}` placeholders are bound from `parameters`."""
        ...

    async def close(self) -> None: ...


class AnalyticsStore(AnalyticsReader, Protocol):
    async def insert(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], dedup_token: str
    ) -> None:
        """Insert one block into `database.table`; a block with a token seen recently is ignored."""
        ...

    async def command(self, sql: str) -> None:
        """Run a statement that returns nothing (DDL)."""
        ...


def check_read_only(sql: str) -> None:
    """Raise QueryRefused unless `sql` is a single SELECT without SETTINGS or INTO OUTFILE."""
    code = _LITERALS_AND_COMMENTS.sub(" ", sql).strip()
    if not code:
        raise QueryRefused("empty query")
    if ";" in code.rstrip(";"):
        raise QueryRefused("multiple statements are refused: send one query (a trailing ';' is fine)")
    if not _SELECT.match(code):
        word = _FIRST_WORD.search(code)
        verb = word.group().upper() if word else code[:20]
        raise QueryRefused(f"only read queries (SELECT, WITH ... SELECT) are answered; {verb} is refused")
    if _SETTINGS_CLAUSE.search(code):
        what = "SETTINGS readonly=... is" if _READONLY_NAMED.search(code) else "SETTINGS clauses are"
        raise QueryRefused(f"{what} refused: queries run with readonly=1 and fixed limits")
    if _INTO_OUTFILE.search(code):
        raise QueryRefused("INTO OUTFILE is refused: results are returned, never written to files")


def query_limits(settings: Settings) -> dict[str, Any]:
    """Query-level settings of every read: limits, then readonly=1 last (once readonly is set, the
    engine refuses to change any other setting in the same request)."""
    return {
        "max_execution_time": settings.analytics_max_execution_seconds,
        "max_result_rows": settings.analytics_max_result_rows,
        "max_result_bytes": settings.analytics_max_result_bytes,
        "result_overflow_mode": "throw",
        "readonly": 1,
    }


class DirectAnalyticsStore:
    """clickhouse-connect clients; calls run one at a time on a private thread (chdb is not thread-safe).

    Queries go through a client of their own: chdb keeps a query's settings on its connection, so
    after the first `readonly=1` query that connection stays read-only, and writes need another.
    """

    def __init__(self, client: Client, read_client: Client, database: str, limits: dict[str, Any]) -> None:
        self._client = client
        self._read_client = read_client
        self.database = database
        self._limits = limits  # query_limits(settings)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clickhouse")

    async def query(self, sql: str, parameters: dict[str, Any] | None = None) -> QueryResult:
        check_read_only(sql)
        raw = await self._call(
            self._read_client.raw_query, sql, parameters=parameters, settings=self._limits, fmt="JSONCompact"
        )
        document = json.loads(raw)
        meta = document["meta"]
        return QueryResult([m["name"] for m in meta], [m["type"] for m in meta], document["data"])

    async def insert(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], dedup_token: str
    ) -> None:
        settings = {**DEDUP_SETTINGS, "insert_deduplication_token": dedup_token}
        await self._call(
            self._client.insert, f"{self.database}.{table}", rows, column_names=columns, settings=settings
        )

    async def command(self, sql: str) -> None:
        await self._call(self._client.command, sql)

    async def close(self) -> None:
        await self._call(self._client.close)
        await self._call(self._read_client.close)
        self._thread.shutdown()

    async def _call(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._thread, lambda: function(*args, **kwargs))
        except OperationalError as error:  # connection refused, timeout: the server may come back
            raise StoreUnavailable("clickhouse", str(error)) from error
        except DatabaseError as error:
            if is_transient(error):
                raise StoreUnavailable("clickhouse", str(error)) from error
            raise AnalyticsQueryError(str(error)) from error


def is_transient(error: DatabaseError) -> bool:
    """Whether ClickHouse refused for lack of disk, memory or merges (retry) rather than the statement."""
    text = str(error)
    match = _ERROR_CODE.search(text)
    code = int(match.group(1)) if match else None
    return code in _TRANSIENT_CODES or (code == _STD_EXCEPTION and "filesystem error" in text)


class HttpAnalyticsReader:
    """Forwards queries to the process that owns the embedded store (see `AnalyticsServer`)."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self._url = base_url.rstrip("/") + "/query"
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def query(self, sql: str, parameters: dict[str, Any] | None = None) -> QueryResult:
        check_read_only(sql)  # the owner checks too; refusing here saves the round trip
        self._session = self._session or aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._session.post(self._url, json={"sql": sql, "parameters": parameters}) as answer:
                body = await answer.json()
        except (aiohttp.ClientError, TimeoutError) as error:
            reason = getattr(error, "os_error", None) or error or "timed out"
            raise StoreUnavailable(
                "clickhouse", f"the embedded store's owner at {self._url}: {reason}"
            ) from error
        if answer.status == 400:
            raise AnalyticsQueryError(body["error"])
        if answer.status != 200:
            raise StoreUnavailable(
                "clickhouse",
                f"the embedded store's owner at {self._url}: HTTP {answer.status} {body.get('error')}",
            )
        return QueryResult(body["columns"], body["types"], body["rows"])

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


class AnalyticsServer:
    """The owner's internal query endpoint: POST /query {"sql", "parameters"} on 127.0.0.1 only;
    GET /owner says which process owns the store (for `infra status`)."""

    def __init__(self, store: AnalyticsReader, port: int) -> None:
        self._store = store
        self.port = port
        app = web.Application()
        app.router.add_post("/query", self._query)
        app.router.add_get("/owner", self._owner)
        self._runner = web.AppRunner(app, access_log=None)

    async def start(self) -> None:
        await self._runner.setup()
        await web.TCPSite(self._runner, LOOPBACK, self.port).start()

    async def stop(self) -> None:
        await self._runner.cleanup()

    async def _owner(self, request: web.Request) -> web.Response:
        return web.json_response({"pid": os.getpid(), "command": " ".join(sys.argv[1:])[:200]})

    async def _query(self, request: web.Request) -> web.Response:
        try:
            payload = await request.json()
            result = await self._store.query(str(payload["sql"]), payload.get("parameters"))
        except (ValueError, KeyError, TypeError) as error:  # bad JSON, no sql, refused or failed query
            return web.json_response({"error": str(error)}, status=400)
        except StoreUnavailable as error:
            return web.json_response({"error": str(error)}, status=503)
        return web.json_response(result.to_json())


def open_store(settings: Settings) -> DirectAnalyticsStore:
    """The writable store. In embedded mode this process becomes the owner of the data directory."""
    return DirectAnalyticsStore(
        clickhouse.connect(settings),
        clickhouse.connect(settings),
        settings.clickhouse_database,
        query_limits(settings),
    )


def open_reader(settings: Settings) -> AnalyticsReader:
    """A reader for a process that does not own the store: direct to a server, else via the owner."""
    if settings.clickhouse_embedded:
        return HttpAnalyticsReader(f"http://{LOOPBACK}:{settings.analytics_port}")
    return open_store(settings)
