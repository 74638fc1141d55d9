"""Slots: at most N holders at a time, waiters served in arrival order (the browser pool's pages)."""

from __future__ import annotations

import asyncio
from collections import deque


class Slots:
    """At most `size` holders at a time; waiters get a slot in arrival order.

    What asyncio.Semaphore does, in O(1): its acquire() scans every waiter (Semaphore.locked), and
    with hundreds of requests queued for one domain that scan was 8 % of a scraper's CPU.
    """

    def __init__(self, size: int) -> None:
        self._free = size
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def __aenter__(self) -> None:
        if self._free and not self._waiters:
            self._free -= 1
            return
        granted = asyncio.get_running_loop().create_future()
        self._waiters.append(granted)
        try:
            await granted
        except asyncio.CancelledError:
            if granted.cancelled():
                self._waiters.remove(granted)
            else:  # the slot was handed over just as the waiter was cancelled: pass it on
                self._release()
            raise

    async def __aexit__(self, *exc_info: object) -> None:
        self._release()

    def _release(self) -> None:
        while self._waiters:
            granted = self._waiters.popleft()
            if not granted.done():
                granted.set_result(None)  # the slot goes straight to the next waiter
                return
        self._free += 1
