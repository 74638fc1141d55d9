"""Shared by the store and fan-out integration tests: scratch keyspaces and scrape results."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from cassandra.cluster import NoHostAvailable, Session

from schemas.samples import SAMPLE_TIME, scrape_result
from scrapestream.config import Settings
from scrapestream.stores import cassandra_schema, cassandra_sessions


@contextmanager
def scratch_keyspace(settings: Settings, replication: str = "1") -> Iterator[tuple[Settings, Session]]:
    """A migrated keyspace of our own (dropped afterwards) and a session; settings name it."""
    name = f"test_sinks_{uuid.uuid4().hex[:8]}"
    settings = dataclasses.replace(settings, cassandra_keyspace=name, cassandra_replication=replication)
    with cassandra_sessions.connect(settings) as session:
        try:
            cassandra_schema.migrate(session, settings)
            yield settings, session
        finally:
            drop = f"DROP KEYSPACE IF EXISTS {name}"
            try:
                session.execute(drop)
            except NoHostAvailable:  # still backing off after a Cassandra restart: connect afresh
                with cassandra_sessions.connect(settings) as fresh:
                    fresh.execute(drop)


def result(
    product: str = "KT-2000",
    second: float = 0,
    price: int | None = 3999,
    availability: str = "IN_STOCK",
    domain: str = "shop.example",
    **fields: Any,
) -> dict[str, Any]:
    """An OK ScrapeResult for product `<domain>:<product>` scraped `second` s after SAMPLE_TIME."""
    record = scrape_result()
    record["request_id"] = uuid.uuid4()
    record["domain"] = domain
    record["scraped_at"] = SAMPLE_TIME + timedelta(seconds=second)
    record["product"].update(
        product_id=f"{domain}:{product}",
        sku=product,
        price=None if price is None else {"amount_minor": price, "currency": "EUR"},
        availability=availability,
    )
    record.update(fields)
    return record
