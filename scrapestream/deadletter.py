"""The DeadLetter record: what could not be processed, where it came from and why.

Every stage that gives up on a message builds the record here and sends it to the dead-letter
topic before committing past the message, so nothing is lost and everything can be replayed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def dead_letter(
    *,
    topic: str,
    partition: int,
    offset: int,
    key: bytes | None,
    payload: bytes | None,
    error_type: str,
    error_message: str,
    attempts: int = 1,
) -> dict[str, Any]:
    return {
        "source_topic": topic,
        "source_partition": partition,
        "source_offset": offset,
        "key": key,
        "payload": payload,
        "error_type": error_type,
        "error_message": error_message,
        "attempts": attempts,
        "failed_at": datetime.now(UTC),
    }
