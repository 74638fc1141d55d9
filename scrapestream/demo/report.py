"""What the demo shows: a live status line while it runs and a summary table at the end."""

from __future__ import annotations

import statistics
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from scrapestream.demo.ledger import Ledger


def status_line(
    ledger: Ledger,
    elapsed: float,
    lag: dict[str, int],
    restarts: dict[str, int] | None = None,
    outage: str | None = None,
) -> str:
    """Progress, lag by group, restarted processes, and what is unreachable right now."""
    statuses = ledger.statuses()
    lags = " ".join(f"{group}={value}" for group, value in lag.items()) or "-"
    line = (
        f"[{elapsed:5.0f}s] requests {len(ledger.requests):>6} | results {len(ledger.results):>6} "
        f"(OK {statuses['OK']}) | "
        f"updates {len(ledger.updates):>5} | dlq {sum(ledger.dead_letters.values()):>3} | lag {lags}"
    )
    if restarts:
        line += " | restarts " + " ".join(f"{name}={count}" for name, count in restarts.items())
    return f"{line} | {outage}" if outage else line


def show_status(line: str) -> None:
    """Rewrite one line on a terminal; print a line every time elsewhere (logs, CI)."""
    if sys.stderr.isatty():
        print(f"\r{line[:160]:<160}", end="", file=sys.stderr, flush=True)
    else:
        print(line, file=sys.stderr, flush=True)


def percentiles(values: Sequence[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        only = values[0] if values else float("nan")
        return only, only, only
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


@dataclass
class Summary:
    """Figures for the final table; `rows` keeps their order."""

    rows: list[tuple[str, str]] = field(default_factory=list)

    def add(self, name: str, value: object) -> None:
        self.rows.append((name, str(value)))

    def render(self) -> str:
        width = max(len(name) for name, _ in self.rows)
        rule = "─" * (width + 40)
        lines = [rule, *(f"{name:<{width}}  {value}" for name, value in self.rows), rule]
        return "\n".join(lines)


def dead_letter_text(reasons: Counter[str]) -> str:
    return ", ".join(f"{reason}: {count}" for reason, count in reasons.most_common()) or "none"
