"""Drop a request whose URL was already queued within the request's own freshness window.

The memory maps a URL fingerprint (the request's Kafka key) to the time (epoch ms) it was last
queued; in the worker it is a Faust table backed by a changelog topic, so a restarted worker remembers.
A request with freshness 0 always passes (it asks for a fresh scrape).

A URL is remembered in that table only once its ScrapeTask was delivered (`mark_queued`): a
worker killed while the task was still in memory has its input redelivered, and the request
then passes again instead of being dropped as a duplicate of a task that never existed.
Until then it is held in a local `pending` map, so duplicates arriving meanwhile are dropped too.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping


class FreshnessFilter:
    def __init__(self, last_queued: MutableMapping[bytes, int]):
        self._last_queued = last_queued
        self._pending: dict[bytes, int] = {}  # admitted, task not delivered yet

    def admit(self, fingerprint: bytes, freshness_seconds: int, now_ms: int) -> bool:
        """True (and hold it as pending) unless queued or pending less than `freshness_seconds` ago."""
        queued_at = self._pending.get(fingerprint, self._last_queued.get(fingerprint))
        if queued_at is not None and now_ms - queued_at < freshness_seconds * 1000:
            return False
        self._pending[fingerprint] = now_ms
        return True

    def mark_queued(self, fingerprints: Iterable[bytes]) -> None:
        """Remember these URLs as queued (their task was delivered), at the time they were admitted."""
        for fingerprint in fingerprints:
            if (admitted_at := self._pending.pop(fingerprint, None)) is not None:
                self._last_queued[fingerprint] = admitted_at

    def forget_older_than(self, cutoff_ms: int) -> int:
        """Drop entries no window can still need, so the memory stays bounded; returns how many."""
        stale = [key for key, queued_at in self._last_queued.items() if queued_at < cutoff_ms]
        for key in stale:
            del self._last_queued[key]
        return len(stale)
