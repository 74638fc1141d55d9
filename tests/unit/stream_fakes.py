"""Fake Kafka plumbing for unit tests of the stream stages (the real-Kafka tests are in integration/)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from schemas.codec import Codec

CODEC = Codec()


@dataclass
class FakeMessage:
    topic: str
    partition: int
    offset: int


@dataclass
class FakeEvent:
    key: bytes | None
    value: bytes
    message: FakeMessage


@dataclass
class FakeKafka:
    sent: list[tuple[str, bytes | None, bytes]] = field(default_factory=list)
    acked: list[int] = field(default_factory=list)

    async def send(self, topic: str, key: bytes | None, value: bytes) -> None:
        self.sent.append((topic, key, value))

    def ack(self, event: FakeEvent) -> None:
        self.acked.append(event.message.offset)

    def decoded(self, topic: str, event_type: str) -> list[dict[str, Any]]:
        return [CODEC.decode(event_type, value) for name, _, value in self.sent if name == topic]
