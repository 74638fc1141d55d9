"""The router's commit path: which events count, and what the hand-over makes durable, in order."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest

from streams.checkpoint import Checkpoint


class FakeApp:
    """The part of a Faust app the checkpoint uses: the flow, the generation, the producer."""

    def __init__(self, steps: list[str]) -> None:
        self.flowing = True
        self.flow_control = SimpleNamespace(is_active=lambda: self.flowing)
        self.consumer_generation_id = 7
        self.producer = SimpleNamespace(buffer=SimpleNamespace(size=2), flush=self._flush)
        self._steps = steps

    async def _flush(self) -> None:  # a busy broker: one dedup mark per flush
        self.producer.buffer.size -= 1
        self._steps.append("changelog flushed")


@dataclass
class Event:
    offset: int
    generation_id: int = 7
    acked: list[int] = field(default_factory=list)

    @property
    def message(self) -> SimpleNamespace:
        return SimpleNamespace(topic="requests", partition=0, generation_id=self.generation_id)

    def ack(self) -> None:
        self.acked.append(self.offset)


def test_only_events_read_in_the_current_generation_while_events_flow_count() -> None:
    app = FakeApp([])
    checkpoint = Checkpoint(app)
    current, stale = Event(1), Event(0, generation_id=6)
    assert checkpoint.track([stale, current]) == [current]
    app.flowing = False  # a rebalance or a shutdown is under way
    assert checkpoint.track([Event(2)]) == []


@pytest.mark.parametrize("revoked", [True, False])
def test_the_hand_over_makes_outputs_then_the_changelog_durable(revoked: bool) -> None:
    steps: list[str] = []
    checkpoint = Checkpoint(FakeApp(steps))
    [event] = checkpoint.track([Event(5)])

    async def flush_outputs() -> None:
        steps.append("outputs delivered")

    asyncio.run(checkpoint.hand_over(flush_outputs, revoked=revoked))
    assert steps == ["outputs delivered", "changelog flushed", "changelog flushed"]
    checkpoint.ack(event)
    # Revoked: the partition's next owner reads offset 5 again; this worker no longer acks it.
    assert event.acked == ([] if revoked else [5])
