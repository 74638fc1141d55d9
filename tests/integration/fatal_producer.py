"""A real producer that fails the way librdkafka's idempotent producer does on a fatal error.

Such errors (a sequence desync with the broker, a librdkafka bug) cannot be caused on purpose
against a healthy broker, so the first producer a test makes is wrapped: its first poll after a
produce raises the fatal error, its queued messages are purged (their reports carry
_PURGE_QUEUE), and every later produce fails with _FATAL, as librdkafka does.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, Producer

FATAL = KafkaError(KafkaError._INCONSISTENT, "Unable to reconstruct MessageSet (injected)", fatal=True)


class FailsFatallyOnce:
    def __init__(self, producer: Producer) -> None:
        self._producer = producer
        self._produced = False
        self.failed = False

    def produce(self, *args: Any, **kwargs: Any) -> None:
        if self.failed:
            raise KafkaException(KafkaError(KafkaError._FATAL, "Fatal error", fatal=True))
        self._producer.produce(*args, **kwargs)
        self._produced = True

    def poll(self, timeout: float) -> int:
        if self._produced and not self.failed:
            self.failed = True
            self._producer.purge(in_queue=True, in_flight=False)
            raise KafkaException(FATAL)
        return self._producer.poll(timeout)

    def flush(self, timeout: float) -> int:
        return self._producer.flush(timeout)

    def purge(self, *args: Any, **kwargs: Any) -> None:
        self._producer.purge(*args, **kwargs)

    def __len__(self) -> int:
        return len(self._producer)


def first_producer_fails(monkeypatch: pytest.MonkeyPatch, module: ModuleType) -> list[Any]:
    """Make `module.make_producer` wrap its first producer in FailsFatallyOnce; returns what it made."""
    made: list[Any] = []
    make_real = module.make_producer

    def make(*args: Any, **kwargs: Any) -> Any:
        producer = make_real(*args, **kwargs)
        made.append(producer if made else FailsFatallyOnce(producer))
        return made[-1]

    monkeypatch.setattr(module, "make_producer", make)
    return made
