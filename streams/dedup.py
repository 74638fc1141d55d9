"""Drop a request whose URL was already queued within the request's own freshness window.

The memory is a mapping from URL fingerprint to the time (epoch ms) it was last queued; in the
worker it is a Faust table backed by a changelog topic, so a restarted worker remembers.
A request with freshness 0 always passes (it asks for a fresh scrape).
"""

from __future__ import annotations

from collections.abc import MutableMapping


class FreshnessFilter:
    def __init__(self, last_queued: MutableMapping[str, int]):
        self._last_queued = last_queued

    def admit(self, fingerprint: str, freshness_seconds: int, now_ms: int) -> bool:
        """True (and remember it as queued now) unless queued less than `freshness_seconds` ago."""
        queued_at = self._last_queued.get(fingerprint)
        if queued_at is not None and now_ms - queued_at < freshness_seconds * 1000:
            return False
        self._last_queued[fingerprint] = now_ms
        return True

    def forget_older_than(self, cutoff_ms: int) -> int:
        """Drop entries no window can still need, so the memory stays bounded; returns how many."""
        stale = [key for key, queued_at in self._last_queued.items() if queued_at < cutoff_ms]
        for key in stale:
            del self._last_queued[key]
        return len(stale)
