"""The one dead-letter sender: what could not be processed, where it came from and why.

Every stage that gives up on a message sends a DeadLetter record (schemas/records.py) through
`DeadLetters` (the stream stages through streams/delivery.py, the scraper worker directly) before
committing past the message, so nothing is lost and everything can be replayed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from schemas.codec import Codec
from schemas.records import dead_letter
from scrapestream import metrics

Send = Callable[[str, bytes | None, bytes], Awaitable[None]]  # (topic, key, value), done once acknowledged


class DeadLetters:
    """Sends DeadLetter records to `topic` through `send` and counts them in
    scrapestream_dead_letters_total{source, reason}."""

    def __init__(self, codec: Codec, send: Send, topic: str) -> None:
        self._codec = codec
        self._send = send
        self.topic = topic

    async def send(
        self,
        *,
        topic: str,
        partition: int,
        offset: int,
        key: bytes | None,
        payload: bytes | None,
        reason: str,
        detail: str,
    ) -> None:
        """Record why the message at topic/partition/offset cannot be processed, with its raw key
        and bytes; returns once the broker acknowledged the dead letter."""
        record = dead_letter(
            topic=topic, partition=partition, offset=offset,
            key=key, payload=payload, error_type=reason, error_message=detail,
        )  # fmt: skip
        await self._send(self.topic, key, self._codec.encode("DeadLetter", record))
        metrics.DEAD_LETTERS.labels(topic, reason).inc()
