"""A web world served by an event loop of its own in a background thread: for unit tests that time
arrivals by a fake clock they move. Whatever judges a real crawler's timing uses webworld.process
(a stall of the crawler's process would delay the world's reading of an arrival).

RunningWorld(config, clock=...)    `with RunningWorld(config) as world:` -> the started WebWorld
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine
from typing import Any

from webworld.config import WorldConfig
from webworld.server import Clock, WebWorld

_TIMEOUT = 60.0  # seconds to start or stop; 65,000 domains take a while


class RunningWorld:
    def __init__(self, config: WorldConfig | None = None, *, clock: Clock = time.monotonic) -> None:
        self.world = WebWorld(config, clock=clock)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="web-world", daemon=True)

    def __enter__(self) -> WebWorld:
        self._thread.start()
        try:
            self._run(self.world.start())
        except BaseException:
            self._end_loop()
            raise
        return self.world

    def __exit__(self, *exc_info: object) -> None:
        self._run(self.world.stop())
        self._end_loop()

    def _run(self, coroutine: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(_TIMEOUT)

    def _end_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(_TIMEOUT)
        self._loop.close()
