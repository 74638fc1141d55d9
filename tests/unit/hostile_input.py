"""Shared by the property-based hostile-input tests: a hang guard and byte-wise mutation of valid input.

A hang must fail a test, not stall the suite. Two guards, both per example:
- hypothesis' `deadline` fails an example that is merely slow (e.g. quadratic on a big input);
- `no_hang` interrupts one that never ends: a SIGPROF timer on CPU time raises `Hang` in the
  running Python code (a loop inside a C extension is interrupted as soon as it returns to
  Python). SIGPROF, not SIGALRM: pytest-timeout owns SIGALRM.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from types import FrameType

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

HANG_SECONDS = 5.0
FUZZ_EXAMPLES = 500
# A longer soak multiplies every example count: FUZZ_SCALE=20 pytest tests/unit -k "mutated or ..."
FUZZ_SCALE = int(os.environ.get("FUZZ_SCALE", "1"))


class Hang(AssertionError):
    """An example kept the CPU busy for longer than the hang guard allows."""


def fuzz_settings(max_examples: int = FUZZ_EXAMPLES, deadline_seconds: float = 1.0) -> settings:
    """Hypothesis settings of a hostile-input test: many examples, each with a deadline."""
    return settings(
        max_examples=max_examples * FUZZ_SCALE,
        deadline=timedelta(seconds=deadline_seconds),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@contextmanager
def no_hang(seconds: float = HANG_SECONDS) -> Iterator[None]:
    """Raise Hang inside the block once it has used `seconds` of CPU time."""

    def interrupt(_signal: int, _frame: FrameType | None) -> None:
        raise Hang(f"still running after {seconds:g} s of CPU time")

    previous = signal.signal(signal.SIGPROF, interrupt)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    """`original` after 1-8 byte-level edits: overwrite, insert, delete, duplicate a slice, truncate."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 8))):
        position = draw(st.integers(0, max(len(data) - 1, 0)))
        edit = draw(st.sampled_from(["overwrite", "insert", "delete", "duplicate", "truncate"]))
        if edit == "overwrite" and data:
            data[position] = draw(st.integers(0, 255))
        elif edit == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=16))
        elif edit == "delete":
            del data[position : position + draw(st.integers(1, 16))]
        elif edit == "duplicate":
            data[position:position] = data[position : position + draw(st.integers(1, 64))]
        else:
            del data[position:]
    return bytes(data)


def mutated_text(original: str) -> st.SearchStrategy[str]:
    """`original` mutated byte-wise (UTF-8), decoded back with invalid bytes replaced."""
    return mutated(original.encode()).map(lambda data: data.decode("utf-8", errors="replace"))
