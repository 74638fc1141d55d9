"""Soak: the main job (the demo's pipeline under supervision) rides out one fault after another.

For each fault kind, `--runs` times: `scrapestream demo --fault KIND` (a worker SIGKILLed, or the
broker or Cassandra killed and restarted 30 s later, a few seconds into the first pass). A run
passes when the demo finishes with its summary, the zero-loss check passes and no row is
duplicated; the table at the end says per run: exit code, zero-loss line, duplicates, restarts,
wall time. Each demo's output goes to <logs>/soak-<kind>-<n>.log; a status line per run shows
progress.

    python -m tests.soak.main_job_faults --runs 5 [--faults scraper,router,fanout,broker,cassandra]

Needs the local stack (`scrapestream infra up`); stops by itself.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from scrapestream.config import load_settings
from scrapestream.demo import FAULT_KINDS

RUN_TIMEOUT = 900.0  # seconds: a demo that has not ended by then is reported as hung


@dataclass(frozen=True)
class RunOutcome:
    fault: str
    number: int
    exit_code: int | None
    zero_loss: str
    duplicates: str
    restarts: str
    seconds: float

    @property
    def passed(self) -> bool:
        return self.exit_code == 0 and self.zero_loss.startswith("PASSED") and self.duplicates == "0"


def summary_value(output: str, name: str) -> str:
    match = re.search(rf"^{re.escape(name)}\s+(.*)$", output, re.MULTILINE)
    return match.group(1).strip() if match else "(missing)"


def run_once(fault: str, number: int, logs: Path) -> RunOutcome:
    log = logs / f"soak-{fault}-{number}.log"
    started = time.monotonic()
    with log.open("w") as sink:
        try:
            code: int | None = subprocess.run(
                [sys.executable, "-m", "scrapestream.cli", "demo", "--fault", fault],
                stdout=sink, stderr=subprocess.STDOUT, timeout=RUN_TIMEOUT, check=False,
            ).returncode  # fmt: skip
        except subprocess.TimeoutExpired:
            code = None
    output = log.read_text(errors="replace")
    return RunOutcome(
        fault,
        number,
        code,
        summary_value(output, "zero-loss check"),
        summary_value(output, "duplicate rows in ClickHouse scrape_events (FINAL)"),
        summary_value(output, "processes restarted after a crash"),
        time.monotonic() - started,
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--faults", default=",".join(FAULT_KINDS))
    args = parser.parse_args()
    logs = load_settings().logs_dir
    logs.mkdir(parents=True, exist_ok=True)
    outcomes = []
    for fault in args.faults.split(","):
        for number in range(1, args.runs + 1):
            outcome = run_once(fault, number, logs)
            outcomes.append(outcome)
            verdict = "passed" if outcome.passed else "FAILED"
            print(f"[{fault} {number}/{args.runs}] {verdict} in {outcome.seconds:.0f} s: {outcome.zero_loss}",
                  file=sys.stderr, flush=True)  # fmt: skip
    print("| fault | run | exit | zero-loss check | duplicate rows | restarts | wall s |")
    print("|---|---:|---:|---|---:|---|---:|")
    for o in outcomes:
        cells = (o.fault, o.number, o.exit_code, o.zero_loss[:60], o.duplicates, o.restarts, round(o.seconds))
        print("| " + " | ".join(map(str, cells)) + " |")
    return 0 if all(outcome.passed for outcome in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
