"""Retries: exponential backoff with full jitter, honouring Retry-After on 429/503.

Only failures marked `retryable` are retried. A server asking us to wait longer than
`max_retry_after` ends the request at once (its status stays BLOCKED for 429, ERROR for 503):
holding a task for minutes would stall its partition's offsets.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from consumers.scraper.outcome import ScrapeFailure

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    retries: int  # attempts after the first
    backoff: float  # first backoff ceiling in seconds; doubles per retry
    max_backoff: float = 30.0
    max_retry_after: float = 30.0

    def waits_out(self, failure: ScrapeFailure) -> bool:
        """Whether the server asked for a pause we honour: it is alive and talking, not broken."""
        return failure.retry_after is not None and failure.retry_after <= self.max_retry_after

    def delay(self, retry_number: int, failure: ScrapeFailure) -> float | None:
        """Seconds to wait before retry `retry_number` (1-based), or None to give up."""
        if not failure.retryable or retry_number > self.retries:
            return None
        if failure.retry_after is not None:
            return failure.retry_after if failure.retry_after <= self.max_retry_after else None
        ceiling = min(self.max_backoff, self.backoff * 2 ** (retry_number - 1))
        return random.uniform(0, ceiling)  # full jitter: retries of many requests spread out


async def with_retries(
    attempt: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    on_retry: Callable[[ScrapeFailure, float], None] = lambda failure, delay: None,
) -> T:
    """Run `attempt` until it succeeds or the policy gives up; the last failure propagates."""
    retry_number = 0
    while True:
        try:
            return await attempt()
        except ScrapeFailure as failure:
            retry_number += 1
            delay = policy.delay(retry_number, failure)
            if delay is None:
                if failure.retry_after is not None and failure.retry_after > policy.max_retry_after:
                    failure.message += f" (Retry-After {failure.retry_after:.0f} s is too long)"
                raise
            on_retry(failure, delay)
            await asyncio.sleep(delay)
