"""Faults on the replicated stack (3 Kafka brokers, 3 Cassandra nodes); each ends in the zero-loss audit.

The same pipeline, workload and accounting as tests/integration/test_faults.py (fault_pipeline.py),
on topics with replication 3 and min.insync.replicas 2 and a keyspace with replication 3 read and
written at QUORUM. Each test strikes one fault while results flow:

- a broker (not the active controller) SIGKILLed, never restarted during the test;
- a rolling restart of all three brokers under load (each back and caught up before the next);
- a Cassandra node SIGKILLed, not restarted until the audit is done;
- the active KRaft controller SIGKILLed, never restarted during the test.

Besides the audit, each test prints its figures (lost, duplicated rows, redone scrapes and the
longest stall of results after the fault) for docs/reliability.md. A node killed by a test is
started again after it, so the next test begins with the whole stack.

Not part of `make test`: run `make test-replicated` (marker `replicated`).
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scrapestream.config import Settings
from scrapestream.infra import replicated
from tests.integration import fault_pipeline as pipeline_module
from tests.integration.fault_pipeline import (
    Accounting,
    FaultPipeline,
    SteadyWorkload,
    assert_zero_loss,
    audit,
    fault_pipeline,
)
from tests.integration.sink_helpers import scratch_keyspace

pytestmark = [pytest.mark.replicated, pytest.mark.timeout(1200)]

# Worker processes read the settings from the environment: point them at the replicated stack
# (the pipeline sets their ClickHouse store and keyspace itself).
WORKER_ENV_EXCLUDED = ("SCRAPESTREAM_DATA_DIR", "SCRAPESTREAM_CLICKHOUSE_URL")


@pytest.fixture
def whole_stack(replicated_stack: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The replicated stack, whole again after the test (killed nodes started, partitions in sync).

    The fault pipeline's scratch keyspace gets the stack's replication (3), not the default 1.
    """
    replicated_keyspace = functools.partial(
        scratch_keyspace, replication=replicated_stack.cassandra_replication
    )
    monkeypatch.setattr(pipeline_module, "scratch_keyspace", replicated_keyspace)
    try:
        yield replicated_stack
    finally:
        started = replicated.heal(replicated_stack)
        if started:
            print(f"started again after the test: {', '.join(started)}")


def worker_env(stack: Settings) -> dict[str, str]:
    env = replicated.replicated_env(stack)
    return {name: value for name, value in env.items() if name not in WORKER_ENV_EXCLUDED}


class ResultClock:
    """Samples the results count from a thread: when did results last arrive, how long did they stop."""

    def __init__(self, pipeline: FaultPipeline, interval: float = 0.2) -> None:
        self._pipeline = pipeline
        self._interval = interval
        self.arrivals: list[float] = []  # monotonic times the count grew
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="result-clock", daemon=True)

    def __enter__(self) -> ResultClock:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        count = self._pipeline.results()
        while not self._stop.wait(self._interval):
            now = self._pipeline.results()
            if now > count:
                self.arrivals.append(time.monotonic())
                count = now

    def longest_stall_after(self, moment: float) -> float:
        """The longest time without a new result from `moment` until the last result arrived."""
        times = [moment, *(t for t in self.arrivals if t > moment)]
        return max((later - earlier for earlier, later in itertools.pairwise(times)), default=0.0)


@dataclasses.dataclass
class Figures:
    fault: str
    lost: int
    duplicated_rows: int
    redone_scrapes: int
    stalled_seconds: float
    detail: str = ""

    def line(self) -> str:
        return (
            f"replicated fault figures: {self.fault}: lost {self.lost}, duplicated rows "
            f"{self.duplicated_rows}, redone scrapes {self.redone_scrapes}, longest stall of results "
            f"{self.stalled_seconds:.1f} s{'; ' + self.detail if self.detail else ''}"
        )


def figures(fault: str, accounting: Accounting, stalled: float, detail: str = "") -> Figures:
    return Figures(
        fault,
        lost=len(accounting.lost),
        duplicated_rows=accounting.clickhouse_duplicates + sum(accounting.history_duplicates.values()),
        redone_scrapes=accounting.result_messages - accounting.results,
        stalled_seconds=stalled,
        detail=detail,
    )


def report(result: Figures, accounting: Accounting, pipeline: FaultPipeline) -> None:
    print(f"\n{result.line()}")
    assert_zero_loss(accounting, pipeline)


def test_broker_killed_for_good_loses_nothing(whole_stack: Settings, tmp_path: Path) -> None:
    stack = whole_stack
    controller = replicated.active_controller(stack)
    victim = next(node for node in replicated.kafka_nodes(stack) if node.index != controller.index)
    with fault_pipeline(stack, tmp_path, env=worker_env(stack)) as pipeline, ResultClock(pipeline) as clock:
        with SteadyWorkload(pipeline, pipeline.product_urls()) as workload:
            pipeline.wait_for_results(60)
            struck = time.monotonic()
            replicated.kill(victim)  # never restarted while the test runs
        accounting = audit(pipeline, workload)
    assert len(replicated.under_replicated(stack)) > 0, "the killed broker's replicas still count in sync"
    detail = f"{victim.name} killed (controller {controller.name})"
    report(
        figures("broker SIGKILL", accounting, clock.longest_stall_after(struck), detail), accounting, pipeline
    )


def test_rolling_restart_of_every_broker_under_load_loses_nothing(
    whole_stack: Settings, tmp_path: Path
) -> None:
    stack = whole_stack
    with fault_pipeline(stack, tmp_path, env=worker_env(stack)) as pipeline, ResultClock(pipeline) as clock:
        # 3 requests/s: the 300 requests span 100 s, the whole restart.
        with SteadyWorkload(pipeline, pipeline.product_urls(), per_second=3) as workload:
            pipeline.wait_for_results(20)
            struck = time.monotonic()
            took = replicated.rolling_restart(stack)
            published_during = workload.published()
        accounting = audit(pipeline, workload)
    assert published_during < len(workload.urls), "the workload ended before the restart did"
    detail = "brokers back and in sync after " + ", ".join(f"{seconds:.0f} s" for seconds in took)
    stalled = clock.longest_stall_after(struck)
    report(figures("rolling restart", accounting, stalled, detail), accounting, pipeline)


def test_cassandra_node_killed_loses_nothing(whole_stack: Settings, tmp_path: Path) -> None:
    stack = whole_stack
    victim = replicated.cassandra_nodes(stack)[1]  # not the seed
    with fault_pipeline(stack, tmp_path, env=worker_env(stack)) as pipeline, ResultClock(pipeline) as clock:
        with SteadyWorkload(pipeline, pipeline.product_urls(), per_second=8) as workload:
            pipeline.wait_for_results(40)
            struck = time.monotonic()
            replicated.kill(victim)
        accounting = audit(pipeline, workload)  # reads at QUORUM from the two nodes left
        # Back before the scratch keyspace is dropped, with the writes it missed handed over: a
        # node that comes back to a keyspace dropped meanwhile can stay on a schema of its own.
        replicated.heal(stack)
        handed_over = replicated.wait_for_hints(stack)
    detail = (
        f"{victim.name} ({victim.address}) killed; back after the audit, "
        f"its hints delivered {handed_over:.0f} s later"
    )
    stalled = clock.longest_stall_after(struck)
    report(figures("Cassandra node SIGKILL", accounting, stalled, detail), accounting, pipeline)


def test_active_controller_killed_loses_nothing(whole_stack: Settings, tmp_path: Path) -> None:
    stack = whole_stack
    with fault_pipeline(stack, tmp_path, env=worker_env(stack)) as pipeline, ResultClock(pipeline) as clock:
        with SteadyWorkload(pipeline, pipeline.product_urls()) as workload:
            pipeline.wait_for_results(60)
            controller = replicated.active_controller(stack)
            struck = time.monotonic()
            replicated.kill(controller)  # broker and active controller in one process
            successor = replicated.wait_for_new_controller(stack, controller)
            elected = time.monotonic() - struck
        accounting = audit(pipeline, workload)
    detail = f"{controller.name} killed, {successor.name} leads the quorum after {elected:.1f} s"
    stalled = clock.longest_stall_after(struck)
    report(figures("active controller SIGKILL", accounting, stalled, detail), accounting, pipeline)
