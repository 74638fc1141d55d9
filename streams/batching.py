"""Group scrape requests into ScrapeTasks by (domain, priority, lane); a batch closes at N requests or T s.

The lane is the browser one for render=BROWSER requests, else the static one (see topics.BROWSER_TASKS).

Each request carries an ack token (its Kafka event); the caller acknowledges a batch's tokens
only after the batch was delivered, so nothing buffered here is ever lost to a crash.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Batch:
    domain: str
    priority: str
    browser: bool  # render=BROWSER: for the browser scrapers' lane
    opened_at: float
    requests: list[dict[str, Any]] = field(default_factory=list)
    tokens: list[Any] = field(default_factory=list)


class Batcher:
    def __init__(
        self, max_size: int = 50, max_wait: float = 2.0, clock: Callable[[], float] = time.monotonic
    ):
        if max_size < 1 or max_wait <= 0:
            raise ValueError(f"batch bounds must be positive, got max_size={max_size} max_wait={max_wait}")
        self.max_size = max_size
        self.max_wait = max_wait
        self._clock = clock
        self._open: dict[tuple[str, str, bool], Batch] = {}

    def add(self, request: dict[str, Any], token: Any) -> Batch | None:
        """Buffer a request; return its batch when this request filled it."""
        group = (request["domain"], request["priority"], request["render"] == "BROWSER")
        batch = self._open.get(group)
        if batch is None:
            batch = self._open[group] = Batch(*group, opened_at=self._clock())
        batch.requests.append(request)
        batch.tokens.append(token)
        if len(batch.requests) >= self.max_size:
            return self._open.pop(group)
        return None

    def due(self) -> list[Batch]:
        """Take out every batch that has waited `max_wait` or longer."""
        deadline = self._clock() - self.max_wait
        groups = [group for group, batch in self._open.items() if batch.opened_at <= deadline]
        return [self._open.pop(group) for group in groups]

    def drain(self) -> list[Batch]:
        """Take out every open batch (on shutdown or when partitions are revoked)."""
        batches, self._open = list(self._open.values()), {}
        return batches

    @property
    def pending(self) -> int:
        return sum(len(batch.requests) for batch in self._open.values())
