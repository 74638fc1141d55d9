"""Fixtures shared by the integration tests (the `stack` fixture is in tests/conftest.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from scrapestream.config import Settings
from scrapestream.kafka import make_admin


@pytest.fixture
def prefix(stack: Settings) -> Iterator[str]:
    """A topic name prefix of its own per test, so tests never touch the real topics or each other.

    The test's topics are deleted afterwards (the catalog's admin operations never delete).
    """
    prefix = f"test.{uuid.uuid4().hex[:8]}."
    yield prefix
    admin = make_admin(stack)
    ours = [name for name in admin.list_topics(timeout=10).topics if name.startswith(prefix)]
    for future in admin.delete_topics(ours, operation_timeout=30).values() if ours else ():
        future.result(30)
