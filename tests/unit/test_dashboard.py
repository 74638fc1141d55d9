"""The Grafana dashboard only plots metrics the code exports, and plots the ones operators need."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import Counter, Gauge, Histogram

from scrapestream import metrics

DASHBOARD = Path(__file__).parents[2] / "helm" / "scrapestream" / "dashboards" / "scrapestream.json"
PROMQL_KEYWORDS = {
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "and",
    "or",
    "unless",
    "offset",
}
# What the reading-side issue asks every deployment to watch.
REQUIRED = {
    "scraping_request_duration_seconds_bucket",
    "scrapestream_products_scraped_total",
    "scrapestream_product_cache_hits_total",
    "scrapestream_product_cache_misses_total",
    "scrapestream_consumer_lag",
    "scrapestream_dedup_drops_total",
    "scrapestream_batch_size_bucket",
    "scrapestream_dead_letters_total",
    "scrapestream_sink_batch_seconds_bucket",
}


def expressions(node: Any) -> Iterator[str]:
    """Every `expr` string anywhere in the dashboard (panels, rows' panels, templating)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "expr" and isinstance(value, str):
                yield value
            else:
                yield from expressions(value)
    elif isinstance(node, list):
        for item in node:
            yield from expressions(item)


def metric_names(expr: str) -> set[str]:
    """Series names in a PromQL expression: identifiers that are not functions, keywords or labels."""
    code = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)  # strings
    code = re.sub(r"\{[^}]*\}|\[[^\]]*\]", "", code)  # label matchers and ranges
    code = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", code)
    names = re.findall(r"(?<![\w:$.])([A-Za-z_:][\w:]*)\b(?!\s*\()", code)
    return {name for name in names if name not in PROMQL_KEYWORDS}


def exported_series() -> set[str]:
    """Every series name scrapestream/metrics.py makes Prometheus see."""
    series: set[str] = set()
    for value in vars(metrics).values():
        if isinstance(value, Counter):
            series.add(value._name + "_total")
        elif isinstance(value, Histogram):
            series.update(value._name + suffix for suffix in ("_bucket", "_sum", "_count"))
        elif isinstance(value, Gauge):
            series.add(value._name)
    return series


def dashboard_series() -> set[str]:
    return {name for expr in expressions(json.loads(DASHBOARD.read_text())) for name in metric_names(expr)}


def test_every_expression_names_an_exported_metric() -> None:
    unknown = dashboard_series() - exported_series()
    assert not unknown, f"the dashboard plots metrics no process exports: {sorted(unknown)}"


def test_the_dashboard_covers_what_operators_need() -> None:
    assert dashboard_series() >= REQUIRED, sorted(REQUIRED - dashboard_series())


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ('sum by (le, domain) (rate(a_bucket{domain=~"x|y"}[5m]))', {"a_bucket"}),
        ("sum(rate(a_total[$__rate_interval])) / (sum(rate(b_total[5m])) + c)", {"a_total", "b_total", "c"}),
        ("histogram_quantile(0.95, sum without (pod) (rate(d[1m]))) > bool 0", {"d"}),
    ],
)
def test_metric_names_are_found_in_promql(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names
