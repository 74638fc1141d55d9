"""The shop clock: which price epoch is current, and the knobs tests use to move it."""

from __future__ import annotations

import time
from collections.abc import Callable


class ShopClock:
    """Epoch = start + manual offset + whole `epoch_seconds` elapsed (none when it is 0).

    `advance` and `set` shift the manual offset, so a test or the admin endpoint can force a
    price change without waiting; with `epoch_seconds=0` the clock moves only that way.
    """

    def __init__(
        self, epoch_seconds: float = 300.0, start_epoch: int = 0, now: Callable[[], float] = time.monotonic
    ) -> None:
        self._epoch_seconds = epoch_seconds
        self._now = now
        self._started = now()
        self._offset = start_epoch

    def epoch(self) -> int:
        elapsed = 0 if self._epoch_seconds == 0 else int((self._now() - self._started) // self._epoch_seconds)
        return self._offset + elapsed

    def advance(self, epochs: int = 1) -> int:
        self._offset += epochs
        return self.epoch()

    def set(self, epoch: int) -> int:
        self._offset += epoch - self.epoch()
        return epoch
