"""The demo summary's figures by lane: which lane produced a result, products/s and latency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scrapestream.demo.ledger import Ledger, Seen
from scrapestream.demo.report import lane_figures

START = datetime(2026, 12, 6, 15, 0, tzinfo=UTC)


def result(rid: str, task: str, seconds: float, product: bool = True, render_ms: int = 0) -> dict:
    return {
        "request_id": rid,
        "task_id": task,
        "status": "OK" if product else "ERROR",
        "product": {"product_id": rid} if product else None,
        "scraped_at": START + timedelta(seconds=seconds),
        "render_ms": render_ms,
    }


def ledger_of(*results: dict, browser_tasks: set[str]) -> Ledger:
    ledger = Ledger(browser_tasks=browser_tasks)
    for item in results:
        ledger.requests[item["request_id"]] = Seen(f"http://shop/{item['request_id']}", START)
        ledger.results[item["request_id"]] = item
    return ledger


def test_a_result_belongs_to_the_lane_of_its_task_even_a_failure_that_never_rendered() -> None:
    ledger = ledger_of(
        result("s1", "task-a", 1.0),
        result("b1", "task-b", 4.0, render_ms=900),
        result("b2", "task-b", 5.0, product=False),  # failed in the browser before rendering
        browser_tasks={"task-b"},
    )
    assert [ledger.lane(ledger.results[rid]) for rid in ("s1", "b1", "b2")] == [
        "static",
        "browser",
        "browser",
    ]


def test_products_per_second_count_each_lanes_first_pass_up_to_its_last_product() -> None:
    ledger = ledger_of(
        *(result(f"s{n}", "task-a", 0.5 + n * 0.1) for n in range(10)),  # the last at 1.4 s
        *(result(f"b{n}", f"task-b{n}", 2.0 + n) for n in range(4)),  # the last at 5.0 s
        result("later", "task-a", 60.0),  # second pass: not in the first
        browser_tasks={f"task-b{n}" for n in range(4)},
    )
    first_pass = set(ledger.results) - {"later"}
    latency = {rid: 1.0 if rid.startswith("s") else 4.0 for rid in ledger.results}
    figures = lane_figures(ledger, first_pass, START, latency)
    assert figures["static"].first_pass_products == 10
    assert figures["static"].per_second == pytest.approx(10 / 1.4)
    assert figures["browser"].per_second == pytest.approx(4 / 5.0)
    assert figures[None].per_second == pytest.approx(14 / 5.0)
    assert figures["static"].results == 11 and figures["browser"].results == 4
    assert figures["browser"].latencies == (4.0, 4.0, 4.0)
    assert figures["browser"].throughput_text() == "0.8 (4 products in 5.0 s)"


def test_a_lane_without_results_says_so_without_failing() -> None:
    figures = lane_figures(ledger_of(result("s1", "task-a", 1.0), browser_tasks=set()), {"s1"}, START, {})
    assert figures["browser"].per_second == 0.0
    assert figures["browser"].latency_text() == "nan s / nan s / nan s"
