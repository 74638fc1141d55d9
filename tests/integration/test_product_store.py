"""The Cassandra product store and its sink against the real local Cassandra."""

from __future__ import annotations

import asyncio
import dataclasses
import logging

import pytest

from consumers.sinks.base import Sink, SinkPolicy
from consumers.sinks.cassandra_sink import ProductWriter
from consumers.sinks.changes import next_state
from scrapestream import metrics
from scrapestream.config import Settings
from scrapestream.stores import cassandra_schema
from scrapestream.stores.errors import StoreUnavailable
from scrapestream.stores.products import ProductStore
from tests.integration.sink_helpers import result, scratch_keyspace

pytestmark = pytest.mark.integration

POLICY = SinkPolicy(batch_rows=100, flush_seconds=0.05, max_buffered_rows=1000, retry_first_delay=0.05)


def test_migrations_are_idempotent_and_record_their_version(stack: Settings) -> None:
    with scratch_keyspace(stack) as (settings, session):
        assert cassandra_schema.migrate(session, settings) == []  # the fixture already ran them once
        versions = cassandra_schema.applied_versions(session, settings.cassandra_keyspace)
        assert versions == {migration.version for migration in cassandra_schema.MIGRATIONS}
        tables = session.execute(
            "SELECT table_name FROM system_schema.tables WHERE keyspace_name = %s",
            (settings.cassandra_keyspace,),
        )
        assert {row.table_name for row in tables} == {
            "products", "products_by_domain", "price_history", "schema_migrations",
        }  # fmt: skip
        keyspace = session.execute(
            "SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = %s",
            (settings.cassandra_keyspace,),
        ).one()
        assert keyspace.replication["class"].endswith("SimpleStrategy")
        assert keyspace.replication["replication_factor"] == "1"


def test_an_older_write_never_overwrites_newer_state(stack: Settings) -> None:
    """USING TIMESTAMP itself, without change detection: save a newer state, then an older one."""
    newer, _ = next_state(None, result(second=60, price=2999, availability="OUT_OF_STOCK"))
    older, _ = next_state(None, result(second=0, price=3999, availability="IN_STOCK"))

    async def scenario(store: ProductStore):
        await store.save([newer])
        await store.save([older])
        return await store.get_product(newer.product_id)

    with scratch_keyspace(stack) as (settings, session):
        stored = asyncio.run(scenario(ProductStore(session, settings)))
    assert stored == newer


def test_sink_keeps_the_newest_state_and_history_when_results_arrive_late_or_twice(stack: Settings) -> None:
    first = result(second=0, price=3999)
    cheaper = result(second=60, price=3499, availability="LIMITED")
    late_old = result(second=30, price=100, availability="OUT_OF_STOCK")
    other = result(product="MUG-1", second=10, price=899)

    async def scenario(store: ProductStore):
        sink = Sink(ProductWriter(store), POLICY)
        changes = [await (await sink.write(batch)) for batch in ([first, other], [cheaper], [late_old])]
        snapshot = await _snapshot(store)
        replayed = await (await sink.write([first, other, cheaper, late_old]))
        await sink.close()
        return changes, snapshot, replayed, await _snapshot(store)

    with scratch_keyspace(stack) as (settings, session):
        changes, snapshot, replayed, after_replay = asyncio.run(scenario(ProductStore(session, settings)))

    assert [[c and c.update["changes"] for c in batch] for batch in changes] == [
        [["NEW"], ["NEW"]],
        [["PRICE", "AVAILABILITY"]],
        [None],  # older than the stored state: no update
    ]
    product, listing, history = snapshot
    assert product.product["price"] == {"amount_minor": 3499, "currency": "EUR"}
    assert product.product["availability"] == "LIMITED" and product.version == 2
    assert [(s.product_id, s.price["amount_minor"], s.version) for s in listing] == [
        ("shop.example:KT-2000", 3499, 2),
        ("shop.example:MUG-1", 899, 1),
    ]
    assert [(p.scraped_at, p.price["amount_minor"]) for p in history] == [
        (cheaper["scraped_at"], 3499),
        (first["scraped_at"], 3999),
    ]
    # A replay leaves identical state and re-emits only the updates those very results caused.
    assert after_replay == snapshot
    assert [c and (c.update["changes"], c.update["version"]) for c in replayed] == [
        None,  # `first` is no longer the result that revealed the latest change
        (["NEW"], 1),
        (["PRICE", "AVAILABILITY"], 2),
        None,
    ]


def test_unavailable_cassandra_raises_a_retryable_error_and_the_sink_recovers(stack: Settings) -> None:
    """Replication factor 3 on our single node: LOCAL_QUORUM cannot be met (real Unavailable)
    until the keyspace is altered to RF 1 while the sink keeps retrying."""

    async def scenario(store: ProductStore, session, keyspace: str):
        with pytest.raises(StoreUnavailable, match="cassandra unavailable"):
            await store.get_product("shop.example:KT-2000")
        errors = metrics.SINK_ERRORS.labels("cassandra", "unavailable")
        before = errors._value.get()
        sink = Sink(ProductWriter(store), POLICY)
        receipt = await sink.write([result()])
        await asyncio.sleep(0.5)
        assert not receipt.done() and errors._value.get() > before  # retrying, rows held back
        replication = "{'class': 'SimpleStrategy', 'replication_factor': 1}"
        await asyncio.to_thread(
            session.execute, f"ALTER KEYSPACE {keyspace} WITH replication = {replication}"
        )
        (change,) = await asyncio.wait_for(receipt, timeout=30)
        await sink.close()
        return change, await store.get_product("shop.example:KT-2000")

    with scratch_keyspace(stack, replication="3") as (settings, session):
        store = ProductStore(session, dataclasses.replace(settings))
        change, stored = asyncio.run(scenario(store, session, settings.cassandra_keyspace))
    assert change.update["changes"] == ["NEW"]
    assert stored.product["price"] == {"amount_minor": 3999, "currency": "EUR"}


def test_many_products_go_out_in_batches_cassandra_takes_without_warnings(
    stack: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """Rows are packed into unlogged batches under the server's batch warning thresholds (the
    driver logs every warning a response carries), and every row lands; reads span several IN chunks
    and several pages."""
    states = [
        next_state(None, result(product=f"P{n}", second=n, domain=f"shop{n % 2}.example"))[0]
        for n in range(150)
    ]

    async def scenario(store: ProductStore):
        await store.save(states)
        store._select_by_domain.fetch_size = 20  # so each listing's 75 rows come back in 4 pages
        listings = [await store.products_by_domain(f"shop{shop}.example", limit=200) for shop in (0, 1)]
        history = await store.price_history(states[-1].product_id, states[-1].scraped_at.date())
        return await store.current_states(state.product_id for state in states), listings, history

    with caplog.at_level(logging.WARNING, logger="cassandra"), scratch_keyspace(stack) as (settings, session):
        stored, listings, history = asyncio.run(scenario(ProductStore(session, settings)))
    assert [record.getMessage() for record in caplog.records if "Server warning" in record.getMessage()] == []
    assert stored == {state.product_id: state for state in states}
    assert [len(listing) for listing in listings] == [75, 75]
    assert [point.scraped_at for point in history] == [states[-1].scraped_at]


async def _snapshot(store: ProductStore):
    product = await store.get_product("shop.example:KT-2000")
    listing = await store.products_by_domain("shop.example", limit=10)
    history = await store.price_history("shop.example:KT-2000", product.scraped_at.date())
    return product, listing, history
