"""Errors shared by every store client, so sinks can tell "try again" from "this batch is bad"."""

from __future__ import annotations


class StoreUnavailable(RuntimeError):
    """The store did not answer or could not accept the write right now (down, timed out, overloaded).

    Retryable: the same operation may succeed later. Sinks retry it with backoff and stop taking
    new rows meanwhile; anything else a store raises is treated as permanent for that batch.
    """

    def __init__(self, store: str, detail: str) -> None:
        super().__init__(f"{store} unavailable: {detail}")
        self.store = store
