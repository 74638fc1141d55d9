"""How stream stages hand messages to Kafka: every call completes once the broker acknowledged it.

Stages ack an input event only after what it became was delivered, so this is the one place
that knows how outputs and dead letters are sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Protocol

from schemas.codec import Codec
from scrapestream.config import Settings
from scrapestream.deadletter import DeadLetters, Send
from scrapestream.kafka import BatchProducer, OutMessage

SendAll = Callable[[Sequence[OutMessage]], Awaitable[None]]


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
    def __init__(self, codec: Codec, send: Send, dlq_topic: str, send_all: SendAll | None = None):
        """`send_all`, when given, delivers many messages at once (cheaper than one `send` each)."""
        self.codec = codec
        self.send = send
        self._send_all = send_all
        self._dead_letters = DeadLetters(codec, send, dlq_topic)

    async def send_event(self, topic: str, key: bytes | None, event_type: str, record: dict) -> None:
        await self.send(topic, key, self.codec.encode(event_type, record))

    async def send_all(self, messages: Sequence[OutMessage]) -> None:
        """Deliver encoded (topic, key, value) messages; returns when all are acknowledged."""
        if self._send_all is not None:
            await self._send_all(messages)
        else:
            await asyncio.gather(*(self.send(*message) for message in messages))

    async def dead_letter(self, event: InputEvent, reason: str, detail: str) -> None:
        """Record why `event` cannot be processed, with its raw bytes, on the dead-letter topic."""
        source = event.message
        await self._dead_letters.send(
            topic=source.topic, partition=source.partition, offset=source.offset,
            key=event.key, payload=event.value, reason=reason, detail=detail,
        )  # fmt: skip


@contextmanager
def kafka_delivery(settings: Settings, dlq_topic: str) -> Iterator[Delivery]:
    """A Delivery over a confluent-kafka producer of its own, flushed and closed when the block ends."""
    producer = BatchProducer(settings)
    try:
        yield Delivery(Codec.for_settings(settings), producer.send, dlq_topic, producer.send_all)
    finally:
        producer.close()
