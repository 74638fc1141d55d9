"""How stream stages hand messages to Kafka: every call completes once the broker acknowledged it.

Stages ack an input event only after what it became was delivered, so this is the one place
that knows how outputs and dead letters are sent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from schemas.codec import Codec
from scrapestream import metrics
from scrapestream.deadletter import dead_letter

Send = Callable[[str, bytes | None, bytes], Awaitable[None]]


class SourceMessage(Protocol):
    topic: str
    partition: int
    offset: int


class InputEvent(Protocol):
    """The part of a Faust event the stages use."""

    key: bytes | None
    value: bytes
    message: SourceMessage


class Delivery:
    def __init__(self, codec: Codec, send: Send, dlq_topic: str):
        self.codec = codec
        self.send = send
        self._dlq_topic = dlq_topic

    async def send_event(self, topic: str, key: bytes | None, event_type: str, record: dict) -> None:
        await self.send(topic, key, self.codec.encode(event_type, record))

    async def dead_letter(self, event: InputEvent, reason: str, detail: str) -> None:
        """Record why `event` cannot be processed, with its raw bytes, on the dead-letter topic."""
        source = event.message
        record = dead_letter(
            topic=source.topic, partition=source.partition, offset=source.offset,
            key=event.key, payload=event.value, error_type=reason, error_message=detail,
        )  # fmt: skip
        await self.send_event(self._dlq_topic, event.key, "DeadLetter", record)
        metrics.DEAD_LETTERS.labels(source.topic, reason).inc()
