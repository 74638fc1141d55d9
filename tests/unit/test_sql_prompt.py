"""`scrapestream sql` without a query: the interactive prompt, its history, and where queries go."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import io
from collections.abc import Iterable
from pathlib import Path

import pytest

from scrapestream.cli import build_parser
from scrapestream.config import Settings
from scrapestream.stores import sql_command
from scrapestream.stores.analytics import AnalyticsQueryError, OwnerAbsent, QueryResult
from scrapestream.stores.errors import StoreUnavailable
from scrapestream.stores.sql_command import OwnerOrLocalReader, cli_reader
from scrapestream.stores.sql_prompt import CONTINUATION, PROMPT, History, Prompt
from scrapestream.stores.sql_results import render

ONE = QueryResult(["n"], ["UInt8"], [[1]])


class Lines:
    """input() for the prompt: the given lines, then Ctrl-D; records the prompts shown."""

    def __init__(self, lines: Iterable[str | BaseException]) -> None:
        self._lines = list(lines)
        self.prompts: list[str] = []

    def __call__(self, prompt: str) -> str:
        self.prompts.append(prompt)
        if not self._lines:
            raise EOFError
        line = self._lines.pop(0)
        if isinstance(line, BaseException):
            raise line
        return line


def session(lines: Iterable[str | BaseException], answer=lambda sql: ONE, history: History | None = None):
    """(statements run, stdout, stderr, the Lines) of a prompt session."""
    ran: list[str] = []
    out, err = io.StringIO(), io.StringIO()

    def query(sql: str) -> QueryResult:
        ran.append(sql)
        return answer(sql)

    read = Lines(lines)
    Prompt(query, read_line=read, out=out, err=err, history=history).loop()
    return ran, out.getvalue(), err.getvalue(), read


def test_a_statement_runs_at_a_semicolon_or_an_empty_line() -> None:
    ran, out, _, read = session(["SELECT 1;", "SELECT", "  count()", "FROM t", "", "SHOW TABLES"])
    assert ran == ["SELECT 1;", "SELECT\n  count()\nFROM t"]  # the last one never ended: Ctrl-D came
    assert read.prompts == [PROMPT, PROMPT, CONTINUATION, CONTINUATION, CONTINUATION, PROMPT, CONTINUATION]
    assert out.count("(1 row)") == 2


@pytest.mark.parametrize("leave", ["\\q", "quit", "exit", "EXIT;"])
def test_quit_commands_and_ctrl_d_leave(leave: str) -> None:
    ran, *_ = session([leave, "SELECT 1;"])
    assert ran == []
    assert session([])[0] == []  # Ctrl-D at once


def test_errors_are_printed_and_the_prompt_continues() -> None:
    def answer(sql: str) -> QueryResult:
        if "bad" in sql:
            raise AnalyticsQueryError("Code: 62. Syntax error")
        if "away" in sql:
            raise StoreUnavailable("clickhouse", "nobody answers")
        return ONE

    ran, out, err, _ = session(["bad;", "away;", "SELECT 1;"], answer)
    assert ran == ["bad;", "away;", "SELECT 1;"]
    assert err == "error: Code: 62. Syntax error\nerror: clickhouse unavailable: nobody answers\n"
    assert out.count("(1 row)") == 1


def test_ctrl_c_drops_the_statement_being_typed() -> None:
    ran, *_ = session(["SELECT", KeyboardInterrupt(), "SELECT 2;"])
    assert ran == ["SELECT 2;"]


def test_the_format_command_changes_the_output() -> None:
    _, out, err, _ = session(["\\format csv", "SELECT 1;", "\\format xml", "\\nope"])
    assert "n\n1\n" in out and "(1 row)" not in out
    assert err.count("unknown command") == 2


def test_history_keeps_whole_statements_across_sessions(tmp_path: Path) -> None:
    readline = pytest.importorskip("readline")
    path = tmp_path / "data" / "sql_history"
    history = History(path)

    def typed(prompt: str) -> str:  # what input() does on a terminal: the line goes into history
        line = lines.pop(0) if lines else None
        if line is None:
            raise EOFError
        readline.add_history(line)
        return line

    lines = ["SELECT", "  1", ";", "SHOW TABLES;"]
    Prompt(lambda sql: ONE, read_line=typed, out=io.StringIO(), history=history).loop()
    history.save()
    assert path.read_text().splitlines()[-2:] == ["SELECT 1 ;", "SHOW TABLES;"]

    again = History(path)  # a new session starts with them
    assert [readline.get_history_item(i) for i in (1, 2)] == ["SELECT 1 ;", "SHOW TABLES;"]
    again.save()


def test_a_table_cell_with_line_breaks_takes_several_lines() -> None:
    result = QueryResult(["statement", "n"], ["String", "UInt8"], [["CREATE TABLE t\n(\n    a UInt8\n)", 1]])
    assert render(result, "table").splitlines() == [
        "statement       n",
        "--------------  -",
        "CREATE TABLE t  1",
        "(",
        "    a UInt8",
        ")",
        "(1 row)",
    ]


def test_the_query_argument_is_optional() -> None:
    parser = build_parser()
    assert parser.parse_args(["sql"]).query is None
    assert parser.parse_args(["sql", "SELECT 1", "--format", "csv"]).query == "SELECT 1"


def test_without_a_query_the_prompt_opens(monkeypatch: pytest.MonkeyPatch) -> None:
    opened = []
    monkeypatch.setattr("scrapestream.stores.sql_prompt.run_prompt", lambda _r, _s, f: opened.append(f) or 0)
    assert sql_command.run(argparse.Namespace(query=None, format="json"), Settings()) == 0
    assert opened == ["json"]


# -- where the queries go -------------------------------------------------------------------------
class Owner:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.asked: list[str] = []

    async def query(self, sql: str, parameters=None) -> QueryResult:
        self.asked.append(sql)
        if self.error:
            raise self.error
        return ONE

    async def close(self) -> None:
        pass


class LocalStore(Owner):
    opened = 0
    closed = 0

    def __init__(self) -> None:
        super().__init__()
        LocalStore.opened += 1

    async def close(self) -> None:
        LocalStore.closed += 1


def test_the_embedded_store_is_asked_through_its_owner_and_a_server_directly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    embedded = Settings()
    assert embedded.clickhouse_embedded and isinstance(cli_reader(embedded), OwnerOrLocalReader)
    server_reader = Owner()
    monkeypatch.setattr(sql_command, "open_reader", lambda settings: server_reader)
    assert cli_reader(dataclasses.replace(Settings(), clickhouse_url="http://127.0.0.1:1")) is server_reader


def test_with_no_owner_answering_each_query_opens_the_store_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sql_command, "open_store", lambda settings: LocalStore())
    LocalStore.opened = LocalStore.closed = 0
    reader = OwnerOrLocalReader(Owner(OwnerAbsent("clickhouse", "nobody answers")), Settings())
    assert asyncio.run(reader.query("SELECT 1")) == ONE
    assert asyncio.run(reader.query("SHOW TABLES")) == ONE
    assert (LocalStore.opened, LocalStore.closed) == (2, 2)  # closed after each: a fan-out may claim it


def test_an_owner_that_answers_is_used_and_other_failures_are_not_hidden(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sql_command, "open_store", lambda settings: pytest.fail("the store was opened"))
    owner = Owner()
    assert asyncio.run(OwnerOrLocalReader(owner, Settings()).query("SELECT 1")) == ONE
    timed_out = OwnerOrLocalReader(Owner(StoreUnavailable("clickhouse", "timed out")), Settings())
    with pytest.raises(StoreUnavailable, match="timed out"):
        asyncio.run(timed_out.query("SELECT 1"))


def test_writes_are_refused_before_anything_is_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sql_command, "open_store", lambda settings: pytest.fail("the store was opened"))
    owner = Owner(OwnerAbsent("clickhouse", "nobody answers"))
    with pytest.raises(AnalyticsQueryError, match="DROP is refused"):
        asyncio.run(OwnerOrLocalReader(owner, Settings()).query("DROP TABLE scrape_events"))
    assert owner.asked == []


def test_a_store_another_process_holds_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    def locked(settings: Settings) -> None:
        raise RuntimeError("Cannot lock file .../status")

    monkeypatch.setattr(sql_command, "open_store", locked)
    reader = OwnerOrLocalReader(Owner(OwnerAbsent("clickhouse", "nobody answers")), Settings())
    with pytest.raises(StoreUnavailable, match=r"no fan-out worker answers .* Cannot lock file"):
        asyncio.run(reader.query("SELECT 1"))
