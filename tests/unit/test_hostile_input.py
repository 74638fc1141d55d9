"""The hang guard of the hostile-input tests really turns an endless loop into a failure."""

from __future__ import annotations

import signal
import time

import pytest

from tests.unit.hostile_input import Hang, no_hang


def test_the_hang_guard_interrupts_an_endless_loop_and_disarms_afterwards() -> None:
    before = signal.getsignal(signal.SIGPROF)
    started = time.process_time()
    with pytest.raises(Hang, match=r"still running after 0\.3 s"), no_hang(0.3):
        while True:
            pass
    assert time.process_time() - started < 2.0
    assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGPROF) == before
