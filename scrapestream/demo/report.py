"""What the demo shows: a live status line while it runs and a summary table at the end."""

from __future__ import annotations

import statistics
import sys
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

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


LANES = ("static", "browser")


@dataclass(frozen=True)
class LaneFigures:
    """One lane's share of a run: products of the first pass and how fast they came, and the
    request→stored latency of its results (both passes)."""

    results: int
    first_pass_products: int
    first_pass_seconds: float  # from publishing to the lane's last product of the first pass
    latencies: tuple[float, float, float]  # p50, p95, p99 in seconds

    @property
    def per_second(self) -> float:
        return self.first_pass_products / self.first_pass_seconds if self.first_pass_seconds > 0 else 0.0

    def throughput_text(self) -> str:
        return (
            f"{self.per_second:.1f} ({self.first_pass_products} products in {self.first_pass_seconds:.1f} s)"
        )

    def latency_text(self) -> str:
        return " / ".join(f"{value:.2f} s" for value in self.latencies)


def lane_figures(
    ledger: Ledger,
    first_pass: Collection[str],
    started_at: datetime,
    latency: Mapping[str, float],
    lanes: Sequence[str | None] = (*LANES, None),
) -> dict[str | None, LaneFigures]:
    """Figures by lane (`Ledger.lane`), None for all lanes together. `first_pass`: ids of the
    results in by the end of the first pass; `latency`: request→stored seconds by request id."""
    figures = {}
    for lane in lanes:
        results = {
            rid: result
            for rid, result in ledger.results.items()
            if lane is None or ledger.lane(result) == lane
        }
        products = [results[rid] for rid in first_pass if rid in results and results[rid]["product"]]
        last = max((result["scraped_at"] for result in products), default=None)
        figures[lane] = LaneFigures(
            results=len(results),
            first_pass_products=len(products),
            first_pass_seconds=(last - started_at).total_seconds() if last else 0.0,
            latencies=percentiles([latency[rid] for rid in results if rid in latency]),
        )
    return figures


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
