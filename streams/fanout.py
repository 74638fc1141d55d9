"""The results fan-out stage: store each ScrapeResult, then announce what changed.

    results ─► product store (Cassandra) + analytics (ClickHouse) ─► product.updates, product.state,
                                                                      cache.invalidation

Input events are acked only after both stores acknowledged the batch and every update and
invalidation it caused was delivered; replays are harmless because both stores are idempotent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from consumers.sinks.result_stores import FanoutOutcome, ResultFanout
from schemas.codec import CodecError
from scrapestream.kafka import OutMessage
from scrapestream.topics import TopicNames
from streams.delivery import Delivery, InputEvent

Ack = Callable[[Any], object]


class FanoutStage:
    def __init__(self, delivery: Delivery, names: TopicNames, stores: ResultFanout, ack: Ack):
        self._delivery = delivery
        self._names = names
        self._stores = stores
        self._ack = ack

    async def handle(self, events: Sequence[InputEvent]) -> None:
        decoded, rejected = [], []
        for event in events:
            try:
                decoded.append((event, self._delivery.codec.decode("ScrapeResult", event.value)))
            except CodecError as error:
                rejected.append(self._delivery.dead_letter(event, error.reason, str(error)))
        outcome = await self._store(decoded)
        await asyncio.gather(*rejected, self._delivery.send_all(self._announcements(outcome)))
        for event in events:
            self._ack(event)

    async def _store(self, decoded: list[tuple[InputEvent, dict[str, Any]]]) -> FanoutOutcome:
        """Store the batch; if a store refuses it for good, find and dead-letter the results it refuses."""
        try:
            return await self._stores.apply([result for _, result in decoded])
        except Exception:  # unavailability is retried inside the sinks, so this refusal is permanent
            return await self._store_one_by_one(decoded)

    async def _store_one_by_one(self, decoded: list[tuple[InputEvent, dict[str, Any]]]) -> FanoutOutcome:
        updates, invalidations = [], []
        for event, result in decoded:
            try:
                outcome = await self._stores.apply([result])
            except Exception as error:  # this one result is what the store refuses
                await self._delivery.dead_letter(event, "store rejected", f"{type(error).__name__}: {error}")
                continue
            updates += outcome.updates
            invalidations += outcome.invalidations
        return FanoutOutcome(updates, invalidations)

    def _announcements(self, outcome: FanoutOutcome) -> list[OutMessage]:
        """Each update to product.updates and product.state (encoded once), each invalidation to
        cache.invalidation; in result order, so a product's versions follow each other."""
        encode = self._delivery.codec.encode
        messages: list[OutMessage] = []
        for update in outcome.updates:
            key, value = update["product_id"].encode(), encode("ProductUpdate", update)
            messages += [(self._names.updates, key, value), (self._names.state, key, value)]
        for invalidation in outcome.invalidations:
            key = invalidation["product_id"].encode() if invalidation["product_id"] else None
            messages.append((self._names.invalidation, key, encode("CacheInvalidation", invalidation)))
        return messages
