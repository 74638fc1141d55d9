"""Helpers for tests that run pipeline workers: a private set of topics and worker subprocesses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from scrapestream.config import Settings
from scrapestream.kafka import make_admin
from scrapestream.topics import TopicNames, catalog, create_topics


@contextmanager
def private_topics(settings: Settings) -> Iterator[TopicNames]:
    """Every catalog topic under a random prefix, deleted afterwards (workers take the same prefix)."""
    prefix = f"test.{uuid.uuid4().hex[:8]}."
    admin = make_admin(settings)
    created = [topic.name for topic in catalog(settings, prefix=prefix)]
    create_topics(admin, catalog(settings, prefix=prefix))
    try:
        yield TopicNames.prefixed(prefix)
    finally:
        internal = [name for name in admin.list_topics(timeout=10).topics if name.startswith(prefix)]
        for future in admin.delete_topics(sorted(set(created + internal)), operation_timeout=30).values():
            future.result(30)


def prefix_of(names: TopicNames) -> str:
    return names.requests.removesuffix(TopicNames().requests)


class Worker:
    """A `scrapestream worker ...` subprocess on the test's settings, its output kept in a log file."""

    def __init__(
        self, settings: Settings, log_dir: Path, *args: str, env: dict[str, str] | None = None
    ) -> None:
        self.log = log_dir / f"worker-{uuid.uuid4().hex[:6]}.log"
        env = {**os.environ, "SCRAPESTREAM_CLICKHOUSE_URL": settings.clickhouse_url, **(env or {})}
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "scrapestream.cli", "worker", *args],
                stdout=log, stderr=subprocess.STDOUT, env=env,
            )  # fmt: skip

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
