"""`scrapestream publish`: send scrape requests given on the command line or in a file of URLs.

A file has one URL per line; blank lines and lines starting with '#' are skipped. Progress goes
to stderr (a bar on a terminal, a status line every 10 s otherwise), the summary to stdout.

Exit codes: 0 when every valid URL was acknowledged by the broker; 1 when any delivery failed. When
the topic does not exist nothing is sent: every valid URL counts as failed, with a reason naming the
`scrapestream topics create` command that makes the topic.
Lines that are not acceptable URLs are rejected and counted in the summary, grouped by reason
(with their line numbers), but they are not fatal: one typo must not stop a list of a million.
Usage errors (a bad --freshness, an unreadable file) exit 2.
"""

from __future__ import annotations

import argparse
import re
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TextIO

from scrapestream.config import Settings

UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}
_DURATION = re.compile(r"(?:\d+[smhd])+")
_DURATION_PART = re.compile(r"(\d+)([smhd])")
LINES_SHOWN_PER_REASON = 5


def parse_duration(text: str) -> int:
    """Seconds in '90', '30s', '15m', '1h', '2d' or a sum such as '1h30m'; ValueError otherwise."""
    spelled = text.strip().lower()
    if spelled.isdigit():
        return int(spelled)
    if not _DURATION.fullmatch(spelled):
        raise ValueError(f"{text!r} is not a duration such as 90, 30s, 15m, 1h or 2d")
    return sum(int(number) * UNIT_SECONDS[unit] for number, unit in _DURATION_PART.findall(spelled))


def _duration_argument(text: str) -> int:
    try:
        return parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("urls", nargs="*", default=[], metavar="URL", help="URLs to request")
    source.add_argument(
        "--file", type=argparse.FileType("r"), help="file with one URL per line ('-' for stdin)"
    )
    parser.add_argument("--priority", choices=("high", "normal", "bulk"), default="normal")
    parser.add_argument("--render", choices=("auto", "static", "browser"), default="auto")
    parser.add_argument("--kind", choices=("product", "category"), default="product")
    parser.add_argument(
        "--freshness",
        type=_duration_argument,
        default="1d",
        help="a stored result younger than this is good enough: 30s, 15m, 1h, 2d (default 1d)",
    )
    parser.add_argument("--correlation-id", help="ties these requests together in results and analytics")
    parser.add_argument("--topic", help="publish to this topic instead of scrape.requests (tests, staging)")
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds to wait for the broker per message (default 60)"
    )


@dataclass
class Tally:
    """Outcomes so far; deliveries are counted from the publisher's poll thread, hence the lock."""

    sent: int = 0
    failed: Counter[str] = field(default_factory=Counter)
    rejected: defaultdict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def delivered(self, delivery: Future) -> None:
        """Done-callback of a ReceiptFuture: it either holds a Receipt or raises DeliveryFailed."""
        error = delivery.exception()
        with self.lock:
            if error is None:
                self.sent += 1
            else:
                self.failed[error.reason] += 1

    def fail(self, reason: str) -> None:
        with self.lock:
            self.failed[reason] += 1

    def reject(self, reason: str, line: int) -> None:
        self.rejected[reason].append(line)

    @property
    def rejected_count(self) -> int:
        return sum(len(lines) for lines in self.rejected.values())


def run(args: argparse.Namespace, settings: Settings) -> int:
    from producers.publisher import (
        InvalidRequestField,
        RequestPublisher,
        TopicMissing,
        UnsentMessages,
        build_request,
    )
    from scrapestream.urls import InvalidURL

    fields = {
        "priority": args.priority,
        "render": args.render,
        "kind": args.kind,
        "freshness_seconds": args.freshness,
        "correlation_id": args.correlation_id,
        "requested_by": "cli",
    }
    tally = Tally()
    progress = Progress(sys.stderr, _size_of(args.file)) if args.file else None
    started = time.monotonic()
    topic = {"topic": args.topic} if args.topic else {}
    publisher = RequestPublisher(settings, **topic, **{"message.timeout.ms": int(args.timeout * 1000)})
    missing: TopicMissing | None = None
    try:
        publisher.check_topic()  # a missing topic is said at once, not after --timeout per message
    except TopicMissing as error:
        missing = error
    try:
        for line_number, url, consumed in _numbered_urls(args):
            try:
                if missing:
                    build_request(url, **fields)  # still tell the invalid URLs from the unsent ones
                    tally.fail(str(missing))
                else:
                    publisher.publish(url, **fields).add_done_callback(tally.delivered)
            except (InvalidURL, InvalidRequestField) as error:
                tally.reject(str(error), line_number)
            except TopicMissing as error:  # deleted meanwhile: librdkafka refuses at once
                missing = error
                tally.fail(str(error))
            if progress:
                progress.show(consumed, tally)
    finally:
        try:
            publisher.close(args.timeout)
        except UnsentMessages as error:
            print(f"scrapestream publish: {error}", file=sys.stderr)
        if args.file:
            args.file.close()
        if progress:
            progress.finish()
    _print_summary(tally, publisher.topic, time.monotonic() - started, "line" if args.file else "argument")
    return 1 if tally.failed else 0


def _numbered_urls(args: argparse.Namespace) -> Iterator[tuple[int, str, int]]:
    """(line or argument number, URL, characters read so far) for every URL to publish."""
    if not args.file:
        for number, url in enumerate(args.urls, start=1):
            yield number, url, 0
        return
    consumed = 0
    for number, line in enumerate(args.file, start=1):
        consumed += len(line)
        url = line.strip()
        if url and not url.startswith("#"):
            yield number, url, consumed


def _size_of(file: IO[str]) -> int | None:
    try:
        return Path(file.name).stat().st_size if file.name != "<stdin>" else None
    except OSError:
        return None


class Progress:
    """A one-line bar redrawn in place on a terminal; elsewhere a status line every 10 s."""

    def __init__(self, stream: TextIO, total_chars: int | None) -> None:
        self._stream = stream
        self._total = total_chars
        self._tty = stream.isatty()
        self._interval = 0.2 if self._tty else 10.0
        self._started = self._last = time.monotonic()

    def show(self, consumed: int, tally: Tally) -> None:
        now = time.monotonic()
        if now - self._last < self._interval:
            return
        self._last = now
        rate = tally.sent / max(now - self._started, 1e-9)
        status = f"sent {tally.sent:,} rejected {tally.rejected_count:,} ({rate:,.0f}/s)"
        if self._total:  # characters approximate bytes: close enough for a bar
            share = min(consumed / self._total, 1.0)
            filled = int(share * 30)
            status = f"[{'#' * filled}{'.' * (30 - filled)}] {share:4.0%} {status}"
        self._stream.write(f"\r{status}\033[K" if self._tty else f"{status}\n")
        self._stream.flush()

    def finish(self) -> None:
        if self._tty:
            self._stream.write("\r\033[K")
            self._stream.flush()


def _print_summary(tally: Tally, topic: str, seconds: float, position: str) -> None:
    failed = sum(tally.failed.values())
    print(
        f"sent {tally.sent:,} request(s) to {topic} in {seconds:.1f} s "
        f"({tally.sent / max(seconds, 1e-9):,.0f}/s); rejected {tally.rejected_count:,}; failed {failed:,}"
    )
    if tally.rejected:
        print("rejected:")
        for reason, lines in sorted(tally.rejected.items(), key=lambda item: -len(item[1])):
            shown = ", ".join(map(str, lines[:LINES_SHOWN_PER_REASON]))
            more = ", ..." if len(lines) > LINES_SHOWN_PER_REASON else ""
            print(f"  {len(lines):>7,}  {reason}  ({position} {shown}{more})")
    if tally.failed:
        print("failed deliveries:")
        for error, count in tally.failed.most_common():
            print(f"  {count:>7,}  {error}")
