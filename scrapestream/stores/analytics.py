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
Queries run in the analytics database (`settings.clickhouse_database`) unless they name another,
so `SELECT count() FROM scrape_events` works; before that database exists they run in the
engine's default one. Every query runs with `readonly=1` and the limits of `query_limits`
(execution time, result rows and bytes).

`check_read_only` refuses, before the engine sees it, anything but one statement of these forms:
SELECT (or WITH ... SELECT); SHOW TABLES, SHOW DATABASES, SHOW COLUMNS FROM <table>, SHOW CREATE
TABLE|VIEW|DICTIONARY|DATABASE <name>; DESCRIBE [TABLE] <table>; EXPLAIN [AST|SYNTAX|QUERY TREE|
PLAN|PIPELINE|ESTIMATE] [explain settings] <SELECT>. Everything else is refused: other statements,
EXPLAIN of anything but a SELECT, DESCRIBE of a table function (`DESCRIBE file(...)` reads the
file to infer its columns, even in readonly mode), several statements (the embedded engine would
run them all, and the session's readonly=1 covers only the first), SETTINGS clauses (readonly=0
and limit overrides) and INTO OUTFILE (the engine writes that file even in readonly mode).
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
# String literals, quoted identifiers and comments: replaced by '' (a literal), `q` (an identifier) or
# a space before looking for keywords and ';', so nothing inside them can look like either.
_LITERALS_AND_COMMENTS = re.compile(
    r"(?P<literal>'(?:[^'\\]|\\.)*(?:'|$))|(?P<name>\"(?:[^\"\\]|\\.)*(?:\"|$)|`(?:[^`\\]|\\.)*(?:`|$))"
    r"|--[^\n]*|#[^\n]*|/\*.*?(?:\*/|$)",
    re.DOTALL,
)
_FIRST_WORD = re.compile(r"[A-Za-z_]+")
# The read-only statements answered besides SELECT, on the code with literals and names replaced.
_NAME = r"(?:[A-Za-z_][A-Za-z0-9_]*|`q`)"
_TABLE = rf"{_NAME}(?:\s*\.\s*{_NAME})?"
_LIKE = r"(?:\s+(?:NOT\s+)?I?LIKE\s+'')?(?:\s+LIMIT\s+\d+)?"
_SHOW_FORMS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        rf"SHOW\s+(?:FULL\s+)?(?:TEMPORARY\s+)?TABLES(?:\s+(?:FROM|IN)\s+{_NAME})?{_LIKE}",
        rf"SHOW\s+DATABASES{_LIKE}",
        rf"SHOW\s+(?:EXTENDED\s+)?(?:FULL\s+)?(?:COLUMNS|FIELDS)\s+(?:FROM|IN)\s+{_TABLE}"
        rf"(?:\s+(?:FROM|IN)\s+{_NAME})?{_LIKE}",
        rf"SHOW\s+CREATE\s+(?:TEMPORARY\s+)?(?:TABLE|VIEW|DICTIONARY|DATABASE)\s+{_TABLE}",
    )
]
_DESCRIBE = re.compile(rf"(?:DESCRIBE|DESC)(?:\s+TABLE)?\s+{_TABLE}", re.IGNORECASE)
_EXPLAIN = re.compile(
    r"EXPLAIN\b(?:\s+(?P<kind>AST|SYNTAX|QUERY\s+TREE|PLAN|PIPELINE|ESTIMATE)\b)?"
    r"(?P<settings>\s+[A-Za-z_]+\s*=\s*\d+(?:\s*,\s*[A-Za-z_]+\s*=\s*\d+)*)?\s*(?P<query>.*)",
    re.IGNORECASE | re.DOTALL,
)
_UNKNOWN_DATABASE = 81
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


class OwnerAbsent(StoreUnavailable):
    """Embedded mode: nobody answers on the analytics port, so no process owns the store now."""


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
    """Raise QueryRefused unless `sql` is one read-only statement (see the module docstring: SELECT,
    SHOW, DESCRIBE, EXPLAIN of a SELECT) without SETTINGS or INTO OUTFILE."""
    code = _LITERALS_AND_COMMENTS.sub(_placeholder, sql).strip()
    if not code.rstrip(";").strip():
        raise QueryRefused("empty query")
    if ";" in code.rstrip(";"):
        raise QueryRefused("multiple statements are refused: send one query (a trailing ';' is fine)")
    statement = code.rstrip(";").strip()
    verb = _verb(statement)
    if verb not in ("SELECT", "WITH", "(", "SHOW", "DESCRIBE", "DESC", "EXPLAIN"):
        raise QueryRefused(
            f"only read queries (SELECT, WITH ... SELECT) are answered, and SHOW, DESCRIBE and EXPLAIN; "
            f"{verb} is refused"
        )
    if _SETTINGS_CLAUSE.search(code):
        what = "SETTINGS readonly=... is" if _READONLY_NAMED.search(code) else "SETTINGS clauses are"
        raise QueryRefused(f"{what} refused: queries run with readonly=1 and fixed limits")
    if _INTO_OUTFILE.search(code):
        raise QueryRefused("INTO OUTFILE is refused: results are returned, never written to files")
    if verb == "SHOW" and not any(form.fullmatch(statement) for form in _SHOW_FORMS):
        raise QueryRefused(
            "SHOW is answered as SHOW [FULL] TABLES [FROM db] [LIKE '...'] [LIMIT n], SHOW DATABASES, "
            "SHOW COLUMNS FROM <table> and SHOW CREATE TABLE|VIEW|DICTIONARY|DATABASE <name> only"
        )
    if verb in ("DESCRIBE", "DESC") and not _DESCRIBE.fullmatch(statement):
        raise QueryRefused("DESCRIBE is answered for a named table only: DESCRIBE [TABLE] [db.]table")
    if verb == "EXPLAIN":
        _check_explain(statement)


def _placeholder(match: re.Match[str]) -> str:
    return "''" if match["literal"] else "`q`" if match["name"] else " "


def _verb(statement: str) -> str:
    """The statement's first word in capitals ("(" for a parenthesised SELECT)."""
    if _SELECT.match(statement):
        return "SELECT" if statement.lstrip("( \t\r\n").upper().startswith("SELECT") else "WITH"
    word = _FIRST_WORD.match(statement)
    return word.group().upper() if word else statement[:20]


def _check_explain(statement: str) -> None:
    explain = _EXPLAIN.fullmatch(statement)
    assert explain is not None  # the pattern matches any statement that starts with EXPLAIN
    if explain["settings"] and _READONLY_NAMED.search(explain["settings"]):
        raise QueryRefused("EXPLAIN readonly=... is refused: queries run with readonly=1")
    if not _SELECT.match(explain["query"]):
        explained = _verb(explain["query"]) if explain["query"].strip() else "nothing"
        raise QueryRefused(
            "EXPLAIN [AST|SYNTAX|QUERY TREE|PLAN|PIPELINE|ESTIMATE] is answered for a SELECT only; "
            f"EXPLAIN of {explained} is refused"
        )


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
    Its default database is `database`, so queries may name the tables without it.
    """

    def __init__(self, client: Client, read_client: Client, database: str, limits: dict[str, Any]) -> None:
        self._client = client
        self._read_client = read_client
        self.database = database
        self._limits = limits  # query_limits(settings)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clickhouse")
        read_client.database = database  # applied per query (chdb: USE), so it need not exist yet

    async def query(self, sql: str, parameters: dict[str, Any] | None = None) -> QueryResult:
        check_read_only(sql)
        try:
            raw = await self._call(self._read, sql, parameters, True)
        except AnalyticsQueryError as error:
            if not self._default_database_missing(error):
                raise
            raw = await self._call(self._read, sql, parameters, False)  # before `db migrate`
        return _result_of(raw)

    def _read(self, sql: str, parameters: dict[str, Any] | None, in_database: bool) -> bytes:
        try:
            return self._read_client.raw_query(
                sql, parameters=parameters, settings=self._limits, fmt="JSONCompact", use_database=in_database
            )
        except (TypeError, ValueError, KeyError) as error:  # parameters the client cannot bind
            raise AnalyticsQueryError(f"cannot bind the query parameters: {error}") from error

    def _default_database_missing(self, error: AnalyticsQueryError) -> bool:
        text = str(error)
        match = _ERROR_CODE.search(text)
        return bool(match) and int(match.group(1)) == _UNKNOWN_DATABASE and self.database in text

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


def _result_of(raw: bytes) -> QueryResult:
    """A QueryResult from JSONCompact output. The engine answers a few statements as plain text
    whatever the format asked for (EXPLAIN AST): those become one String column "explain" of lines."""
    try:
        document = json.loads(raw)
        meta = document["meta"]
        return QueryResult([m["name"] for m in meta], [m["type"] for m in meta], document["data"])
    except (ValueError, KeyError, TypeError):
        text = raw.decode(errors="replace")
        return QueryResult(["explain"], ["String"], [[line] for line in text.splitlines()])


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
        except aiohttp.ClientConnectorError as error:
            raise OwnerAbsent(
                "clickhouse",
                f"nobody answers at {self._url} (`scrapestream worker fanout` serves the embedded store)",
            ) from error
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
    """A reader for a process that does not own the store: direct to a server (connected at the first
    query), else via the owner."""
    if settings.clickhouse_embedded:
        return HttpAnalyticsReader(f"http://{LOOPBACK}:{settings.analytics_port}")
    return ServerReader(settings)


class ServerReader:
    """A DirectAnalyticsStore on a ClickHouse server, opened at the first query and again after an
    open that failed: a server that is down when a gateway starts is a StoreUnavailable (503) for
    the queries meanwhile, not a gateway that cannot start."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._store: DirectAnalyticsStore | None = None
        self._opening = asyncio.Lock()

    async def query(self, sql: str, parameters: dict[str, Any] | None = None) -> QueryResult:
        check_read_only(sql)
        async with self._opening:
            if self._store is None:
                try:
                    self._store = await asyncio.to_thread(open_store, self._settings)
                except DatabaseError as error:  # OperationalError: refused, timed out
                    raise StoreUnavailable("clickhouse", str(error)) from error
        return await self._store.query(sql, parameters)

    async def close(self) -> None:
        if self._store is not None:
            await self._store.close()
