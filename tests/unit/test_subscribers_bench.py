"""bench/subscribers_bench.py's figures: percentiles of counted latencies, an event's stored time."""

from __future__ import annotations

from collections import Counter

import pytest

from bench.subscribers_bench import percentile, stored_ms
from producers.update_stream import sse


def test_percentiles_of_counted_values() -> None:
    counts = Counter({5: 50, 7: 40, 900: 9, 1200: 1})
    assert percentile(counts, 0.5) == 5
    assert percentile(counts, 0.51) == 7
    assert percentile(counts, 0.99) == 900
    assert percentile(counts, 1.0) == 1200
    with pytest.raises(ValueError, match="no values"):
        percentile(Counter(), 0.5)


@pytest.mark.parametrize(
    ("updated_at", "millis"),
    [("2026-12-06T18:00:00.250000Z", 1_796_580_000_250), ("2026-12-06T18:00:00Z", 1_796_580_000_000)],
)
def test_the_stored_time_of_an_update_event(updated_at: str, millis: int) -> None:
    event = sse("update", {"product_id": "a.example:1", "updated_at": updated_at}).rstrip(b"\n")
    assert stored_ms(event) == millis
