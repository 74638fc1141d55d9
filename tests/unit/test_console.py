"""The console's server side: the files it may load (all local, no CDN) and the lag history it charts.
The page itself runs in Chromium in tests/integration/test_console_browser.py."""

from __future__ import annotations

import asyncio
import re

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from producers.gateway import CONSOLE_DIR, ApiError, console_file
from scrapestream.config import Settings
from scrapestream.lag import LagMonitor, PartitionLag, group_totals, lag_by_kind
from scrapestream.topics import ConsumerGroups

PAGE = (CONSOLE_DIR / "index.html").read_text()


def serve(name: str) -> web.FileResponse:
    request = make_mocked_request("GET", f"/console/static/{name}", match_info={"filename": name})
    return asyncio.run(console_file(request))


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("console.js", "text/javascript"),
        ("charts.js", "text/javascript"),
        ("console.css", "text/css"),
        ("vendor/uPlot.iife.min.js", "text/javascript"),
        ("vendor/uPlot.min.css", "text/css"),
    ],
)
def test_scripts_and_style_sheets_are_served_with_their_type(name: str, content_type: str) -> None:
    assert serve(name).headers["Content-Type"] == content_type


@pytest.mark.parametrize(
    "name",
    ["index.html", "vendor/uPlot.LICENSE", "vendor/README.md", "missing.js", "../gateway.py",
     "vendor/../../gateway.py", "../console/../publisher.py", "/etc/passwd"],
)  # fmt: skip
def test_nothing_else_is_served(name: str) -> None:
    with pytest.raises(ApiError) as error:
        serve(name)
    assert error.value.status == 404


def test_the_page_loads_only_the_gateways_own_files() -> None:
    """No CDN: every script and style sheet is a /console/static/ file that exists."""
    references = re.findall(r'(?:src|href)="([^"#]+)"', PAGE)
    assert references, "the page loads its scripts and styles"
    for reference in references:
        assert reference.startswith("/console/static/"), reference
        assert (CONSOLE_DIR / reference.removeprefix("/console/static/")).is_file(), reference


def test_the_vendored_chart_library_names_its_version_and_licence() -> None:
    vendor = CONSOLE_DIR / "vendor"
    version = re.search(r"\(v(\d+\.\d+\.\d+)\)", (vendor / "uPlot.iife.min.js").read_text()[:200])
    assert version and f"uplot@{version[1]}" in (vendor / "README.md").read_text()
    assert "MIT License" in (vendor / "uPlot.LICENSE").read_text()


# -- lag history ----------------------------------------------------------------------------
def lags(group: str, *values: int) -> list[PartitionLag]:
    return [PartitionLag(group, "t", partition, 0, value, value) for partition, value in enumerate(values)]


def test_each_new_measurement_is_one_point_of_group_totals() -> None:
    now = iter([0.0, 15.0])
    monitor = LagMonitor(Settings(), clock=lambda: next(now))
    assert list(monitor.history) == []  # nothing measured yet
    monitor.record(lags("router", 3, 4) + lags("fanout", 0, 1, 0))
    monitor.record(lags("router", 0, 0) + lags("fanout", 0, 0, 0))
    assert list(monitor.history) == [
        {"at": "1970-01-01T00:00:00.000Z", "lag": {"router": 7, "fanout": 1}},
        {"at": "1970-01-01T00:00:15.000Z", "lag": {"router": 0, "fanout": 0}},
    ]


def test_the_history_keeps_its_last_points() -> None:
    monitor = LagMonitor(Settings(), history_points=2)
    for value in (1, 2, 3):
        monitor.record(lags("router", value))
    assert [point["lag"] for point in monitor.history] == [{"router": 2}, {"router": 3}]
    assert monitor.latest == lags("router", 3)


def test_group_totals_sum_partitions_in_measuring_order() -> None:
    assert list(group_totals(lags("b", 1, 2) + lags("a", 5))) == ["b", "a"]
    assert group_totals([]) == {}


def test_lag_by_kind_sums_each_kinds_group_and_counts_a_quiet_one_as_zero(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = Settings()
    groups = ConsumerGroups.for_settings(settings, "p.")
    measured = lags(groups.router, 3, 4) + lags(groups.scrapers, 1) + lags("someone-else", 9)
    monkeypatch.setattr("scrapestream.lag.measure", lambda _settings, _groups: measured)
    assert lag_by_kind(settings, "p.") == {"router": 7, "fanout": 0, "scrapers": 1, "browser-scrapers": 0}
