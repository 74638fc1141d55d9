"""The interactive prompt of `scrapestream sql` (no query given).

    scrapestream> SELECT domain, count() FROM scrape_events FINAL
             ...> GROUP BY domain;

A statement ends with ';' or with an empty line, so a query pasted over several lines runs once,
whole. Line editing and history come from readline; the history (whole statements) is kept in
`<data dir>/sql_history` across sessions. Errors are printed and the prompt continues. `\\q` (or
quit, exit, Ctrl-D) leaves; Ctrl-C drops the statement being typed. `\\format table|csv|json`
changes the output format, `\\help` lists the commands.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from contextlib import suppress
from pathlib import Path
from typing import TextIO

from scrapestream.config import Settings
from scrapestream.stores.analytics import AnalyticsQueryError, AnalyticsReader, QueryResult
from scrapestream.stores.errors import StoreUnavailable
from scrapestream.stores.sql_results import FORMATS, render

PROMPT = "scrapestream> "
CONTINUATION = "         ...> "
HISTORY_FILE = "sql_history"
HISTORY_LENGTH = 1000
QUIT = frozenset({"\\q", "quit", "exit", "quit;", "exit;"})
HELP = f"""\
Type a read-only statement (SELECT, WITH ... SELECT, SHOW TABLES, DESCRIBE <table>, EXPLAIN ...);
it runs at ';' or at an empty line. Tables of the analytics database need no database name.
  \\format {"|".join(FORMATS)}   output format
  \\help                   this text
  \\q                      leave (also quit, exit, Ctrl-D); Ctrl-C drops the statement being typed
"""

Query = Callable[[str], QueryResult]


class History:
    """readline's history kept in a file: loaded at start, whole statements added, saved at the end.
    Without readline (a Python built without it) there is no history and no line editing."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            import readline
        except ImportError:  # pragma: no cover - CPython on Linux has it
            self._readline = None
            return
        self._readline = readline
        readline.set_history_length(HISTORY_LENGTH)
        readline.clear_history()
        if path.exists():
            try:
                readline.read_history_file(path)
            except OSError as error:
                print(f"history not loaded from {path}: {error}", file=sys.stderr)

    def mark(self) -> int:
        return self._readline.get_current_history_length() if self._readline else 0

    def replace_since(self, mark: int, statement: str) -> None:
        """Replace the lines typed since `mark` with the statement they made, as one entry."""
        if self._readline is None:
            return
        for position in range(self._readline.get_current_history_length() - 1, mark - 1, -1):
            self._readline.remove_history_item(position)
        self._readline.add_history(" ".join(line.strip() for line in statement.splitlines()))

    def save(self) -> None:
        if self._readline is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._readline.write_history_file(self.path)
        except OSError as error:
            print(f"history not saved to {self.path}: {error}", file=sys.stderr)


class Prompt:
    """Reads statements with `read_line` (input(): readline editing on a terminal), runs each with
    `query` (blocking), prints results to `out` and errors to `err`."""

    def __init__(
        self,
        query: Query,
        fmt: str = "table",
        read_line: Callable[[str], str] = input,
        out: TextIO = sys.stdout,
        err: TextIO = sys.stderr,
        history: History | None = None,
    ) -> None:
        self._query = query
        self.format = fmt
        self._read_line = read_line
        self._out = out
        self._err = err
        self._history = history

    def loop(self) -> None:
        while (statement := self._read_statement()) is not None:
            if statement:
                self._run(statement)

    def _read_statement(self) -> str | None:
        """The next statement or command ('' for nothing to run); None to leave."""
        lines: list[str] = []
        mark = self._history.mark() if self._history else 0
        while True:
            try:
                line = self._read_line(CONTINUATION if lines else PROMPT)
            except EOFError:
                self._out.write("\n")
                return None
            except KeyboardInterrupt:
                self._out.write("^C\n")
                return ""
            stripped = line.strip()
            if not lines and stripped.lower() in QUIT:
                return None
            if not lines and stripped.startswith("\\"):
                self._command(stripped)
                return ""
            if stripped:
                lines.append(line)
            if lines and (not stripped or stripped.endswith(";")):
                statement = "\n".join(lines).strip()
                if self._history:
                    self._history.replace_since(mark, statement)
                return statement

    def _command(self, command: str) -> None:
        name, _, argument = command.partition(" ")
        if name == "\\format" and argument.strip() in FORMATS:
            self.format = argument.strip()
            self._out.write(f"output format: {self.format}\n")
        elif name in ("\\help", "\\h", "\\?"):
            self._out.write(HELP)
        else:
            self._err.write(f"unknown command {command!r}: \\help lists the commands\n")

    def _run(self, statement: str) -> None:
        try:
            result = self._query(statement)
        except (AnalyticsQueryError, StoreUnavailable) as error:
            self._err.write(f"error: {error}\n")
            return
        except KeyboardInterrupt:
            self._err.write("cancelled\n")
            return
        self._out.write(render(result, self.format))


def run_prompt(reader: AnalyticsReader, settings: Settings, fmt: str) -> int:
    """`scrapestream sql` without a query: statements go to `reader`, which is closed at the end."""
    history = History(settings.data_dir / HISTORY_FILE)
    print(f"scrapestream sql: database {settings.clickhouse_database}; \\help for help, \\q to leave")
    # A loop of our own rather than asyncio.run: Ctrl-C must stay a KeyboardInterrupt where it
    # happens (while typing, or while a query runs), not cancel a session-wide task.
    loop = asyncio.new_event_loop()
    try:
        Prompt(lambda sql: _blocking(loop, reader.query(sql)), fmt, history=history).loop()
    finally:
        history.save()
        loop.run_until_complete(reader.close())
        loop.close()
    return 0


def _blocking(loop: asyncio.AbstractEventLoop, work: Awaitable[QueryResult]) -> QueryResult:
    """Run `work` on `loop`; on Ctrl-C cancel it (and let it finish cancelling) before re-raising."""
    task = loop.create_task(work)
    try:
        return loop.run_until_complete(task)
    except KeyboardInterrupt:
        task.cancel()
        with suppress(BaseException):
            loop.run_until_complete(task)
        raise
