"""The router's commit path in one place: what is made durable, and in which order, before Faust
commits an offset of scrape.requests.

    1. Sink outputs: the request's ScrapeTask or DeadLetter is acknowledged by the broker
       (streams.router, through streams.delivery), or dedup dropped the request.
    2. Changelog: the request's dedup mark is put in the table (FreshnessFilter.mark_queued),
       which hands it to Faust's producer for the changelog.
    3. Ack: its event is acked once every earlier event of its partition is (OrderedAcks), and the
       ack counts only if the event was read in the current generation while events flow.
    4. Producer, then offsets: Faust's commit timer flushes its producer and commits the acked
       offsets. That flush gives up after 0.1 s without progress, so a mark may still be on its
       way when its offset is committed: if the worker dies then, a later request for that URL
       passes dedup again (scraped twice, never lost).

The fan-out has the same path without the changelog: FanoutStage acks a batch's events, in the
order they were read, once both stores and every announcement acknowledged it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import faust

from streams.faust_workarounds import OrderedAcks, flush_changelog, in_current_flow


class Checkpoint:
    """The router's input events from read to committable: which count, their acks, the hand-over."""

    def __init__(self, app: faust.App) -> None:
        self._app = app
        self._acks = OrderedAcks()

    def track(self, events: Iterable[Any]) -> list[Any]:
        """The events to process, registered in the order they were read: those fetched in the
        current generation while events flow. (A stale event's partition may be another worker's
        now, which reads it again.)"""
        current = [event for event in events if in_current_flow(self._app, event.message)]
        self._acks.track(current)
        return current

    def ack(self, event: Any) -> None:
        """`event` is done: steps 1 and 2 are behind it."""
        self._acks.ack(event)

    async def hand_over(self, flush_outputs: Callable[[], Awaitable[None]], *, revoked: bool) -> None:
        """Before partitions move (`revoked`) or the worker stops: make durable everything the
        events read so far became, so that whoever reads them again drops them as duplicates."""
        # 1. Sink outputs: every open batch delivered, every task and dead letter under way acknowledged.
        await flush_outputs()
        # 2. Changelog and producer: every dedup mark acknowledged by the broker.
        await flush_changelog(self._app)
        # 3. Offsets: none committed here. The acks made since the flow was suspended do not count
        #    (GenerationSafeConsumer), so those requests are read again from the committed offset,
        #    by the partition's next owner or by this worker after its restart.
        # 4. Revoked partitions: their events are no longer ours to ack.
        if revoked:
            self._acks.forget()
