"""A web world in a process of its own: how tests and benchmarks meet it as a crawler meets a site.

    WorldProcess(config, logs_dir)    `with WorldProcess(config, logs_dir) as world:` serves
                                      `python -m webworld` until the block ends
    world_flags(config)               every field of a config as a `python -m webworld` flag

A site is another machine: its clock must not wait for the crawler. In the crawler's process (a
thread beside it) the world reads an arrival only when that process lets it (a worker holding the
GIL, a garbage collection), so a late read of one request makes the next look early and a polite
crawler would be blamed for the world's own stall.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from dataclasses import fields
from pathlib import Path
from typing import Any

from webworld.catalog import Expected
from webworld.config import WorldConfig
from webworld.ledger import WorldStats
from webworld.profiles import expected_at, product_urls, profiles_from_json

_START_SECONDS = 120.0  # 65,000 domains take a while to bind
_STOP_SECONDS = 30.0
_ADMIN_SECONDS = 30.0


class WorldProcess:
    """`python -m webworld` serving `config`; its ground truth here, its counters over /stats.

    The process's output goes to `logs_dir`/world.log, which a failed start quotes."""

    def __init__(self, config: WorldConfig, logs_dir: Path) -> None:
        self.config = config
        logs_dir.mkdir(parents=True, exist_ok=True)
        self._log = logs_dir / "world.log"
        ready = logs_dir / "world.ready"
        ready.unlink(missing_ok=True)
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "webworld", *world_flags(config), "--ready-file", str(ready)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )  # fmt: skip
        try:
            summary = self._wait_until_ready(ready)
            self.network: str = summary["network"]
            self.admin_url: str = summary["stats_url"].removesuffix("/stats")
            self.profiles = profiles_from_json(_get_json(summary["profiles_url"]))
        except BaseException:  # no world left running behind a start that failed half-way
            self.stop()
            raise

    def __enter__(self) -> WorldProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _wait_until_ready(self, ready: Path) -> dict[str, Any]:
        deadline = time.monotonic() + _START_SECONDS
        while not ready.exists():
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                output = self._log.read_text()[-2000:]
                raise RuntimeError(f"the web world did not start; the end of {self._log}:\n{output}")
            time.sleep(0.1)
        return json.loads(ready.read_text())

    def product_urls(self) -> list[str]:
        """Every product URL of every domain (robots.txt-disallowed ones included), in domain order."""
        return product_urls(self.profiles)

    def expected(self, url: str) -> Expected:
        """The title, price and currency the product page at `url` shows. KeyError if it is none."""
        return expected_at(self.config.seed, self.profiles, url)

    def stats(self) -> WorldStats:
        return WorldStats.from_json(_get_json(self.admin_url + "/stats"))

    def reset(self) -> None:
        """Zero the counters and forget past arrivals, so one crawler is not blamed for the last one's."""
        reset = urllib.request.Request(self.admin_url + "/reset", method="POST")
        with urllib.request.urlopen(reset, timeout=_ADMIN_SECONDS):
            pass

    def stop(self) -> None:
        """Ask the world to end (it closes its listeners); kill it if it has not within _STOP_SECONDS."""
        self._process.terminate()
        try:
            self._process.wait(_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(_STOP_SECONDS)


def world_flags(config: WorldConfig) -> list[str]:
    """Every field of `config` as a flag of `python -m webworld`, so it serves exactly this world."""
    return [
        flag
        for item in fields(config)
        for flag in (f"--{item.name.replace('_', '-')}", str(getattr(config, item.name)))
    ]


def _get_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=_ADMIN_SECONDS) as answer:
        return json.load(answer)
