"""Supervision of the pipeline's processes (`scrapestream run`, the demo): restart, back off, give up.

The processes are real `scrapestream` subcommands; no assertion bounds how long anything takes.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from scrapestream.demo import FAULT_KINDS
from scrapestream.demo.faults import SERVERS, WORKERS, Fault
from scrapestream.infra.service_process import InfraError
from scrapestream.supervisor import ProcessGroup, StallWatch

PATIENCE = 120.0  # seconds: only a hang ends a test this way


def supervise_until(group: ProcessGroup, done: object) -> None:
    deadline = time.monotonic() + PATIENCE
    while not done():  # type: ignore[operator]
        assert time.monotonic() < deadline, "supervision made no progress"
        group.supervise()
        time.sleep(0.1)


def test_a_crashed_process_is_restarted_with_its_log_kept(tmp_path: Path) -> None:
    reports: list[str] = []
    with ProcessGroup(tmp_path, report=reports.append, backoff=(0.0,), max_crashes=10) as group:
        group.start("broken", "no-such-command")  # argparse: exit code 2 at once
        supervise_until(group, lambda: group.restarts.get("broken", 0) >= 2)
    assert any("broken exited with code 2; restarting it in 0 s" in line for line in reports), reports
    assert any("broken restarted" in line for line in reports), reports
    assert group.log("broken").read_text().count("invalid choice: 'no-such-command'") >= 2  # appended


def test_a_crash_loop_stops_supervision_with_the_reason(tmp_path: Path) -> None:
    with ProcessGroup(tmp_path, report=lambda line: None, backoff=(0.0,), max_crashes=2) as group:
        group.start("broken", "no-such-command")
        with pytest.raises(InfraError) as stopped:
            supervise_until(group, lambda: False)
    message = str(stopped.value)
    assert "broken crashed 3 times within 120 s: a crash loop" in message
    assert "invalid choice: 'no-such-command'" in message  # the tail of its log says why


def test_the_backoff_grows_with_each_crash_in_a_row(tmp_path: Path) -> None:
    reports: list[str] = []
    with ProcessGroup(tmp_path, report=reports.append, backoff=(0.0, 0.0, 60.0)) as group:
        group.start("broken", "no-such-command")
        supervise_until(group, lambda: any("restarting it in 60 s" in line for line in reports))
        assert group.restarts == {"broken": 2}  # the third crash waits out its 60 s backoff


def test_every_fault_the_demo_offers_can_strike() -> None:
    assert set(FAULT_KINDS) == WORKERS.keys() | SERVERS.keys()
    with pytest.raises(ValueError, match="unknown fault 'disk'; choose from scraper, router"):
        Fault("disk")


class RecordingGroup(ProcessGroup):
    def __init__(self) -> None:
        super().__init__(Path("/nonexistent"), report=lambda line: None)
        self.restarted: list[tuple[str, str]] = []

    def restart_stalled(self, prefix: str, reason: str) -> None:
        self.restarted.append((prefix, reason))


def test_a_group_whose_lag_stays_unchanged_is_restarted_and_an_outage_is_no_stall() -> None:
    group = RecordingGroup()
    watch = StallWatch(group, patience=60.0)
    watch.observe({"router": 519, "scrapers": 0}, now=0.0)
    watch.observe({"router": 519, "scrapers": 0}, now=59.0)
    assert group.restarted == []
    watch.observe({"router": 519, "scrapers": 0}, now=60.0)
    assert group.restarted == [("router", "lag 519 unchanged for 60 s")]
    watch.observe({"router": 400, "scrapers": 7}, now=61.0)  # progress: the clocks start again
    watch.reset()  # the broker went away meanwhile
    watch.observe({"router": 400, "scrapers": 7}, now=200.0)
    watch.observe({"router": 0, "scrapers": 7}, now=259.0)
    assert group.restarted == [("router", "lag 519 unchanged for 60 s")]
    watch.observe({"router": 0, "scrapers": 7}, now=260.0)
    assert group.restarted[-1] == ("scraper-", "lag 7 unchanged for 60 s")
