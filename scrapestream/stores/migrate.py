"""`scrapestream db migrate`: bring the Cassandra keyspace and the ClickHouse database up to date.

Both are idempotent, so running it on every deploy is safe. With the embedded ClickHouse engine
the data directory may be owned by a running fan-out worker; then it is skipped here, since the
owner applies the ClickHouse schema itself when it opens the store.
"""

from __future__ import annotations

import asyncio
import sys

from scrapestream.config import Settings
from scrapestream.stores import analytics, analytics_schema, cassandra_schema, cassandra_sessions
from scrapestream.stores.errors import StoreUnavailable
from scrapestream.stores.products import UNAVAILABLE


def run_command(settings: Settings) -> int:
    keyspace = settings.cassandra_keyspace
    try:
        with cassandra_sessions.connect(settings) as session:
            applied = cassandra_schema.migrate(session, settings)
            newest = max(cassandra_schema.applied_versions(session, keyspace))
    except UNAVAILABLE as error:
        print(f"scrapestream db migrate: Cassandra unavailable: {error}", file=sys.stderr)
        return 1
    for migration in applied:
        print(f"cassandra {keyspace}: applied {migration.version} ({migration.description})")
    print(f"cassandra {keyspace}: at version {newest}")
    try:
        print(asyncio.run(_migrate_clickhouse(settings)))
    except StoreUnavailable as error:
        print(f"scrapestream db migrate: {error}", file=sys.stderr)
        return 1
    return 0


async def _migrate_clickhouse(settings: Settings) -> str:
    where = f"clickhouse {settings.clickhouse_database}"
    try:
        store = analytics.open_store(settings)
    except Exception as error:  # embedded: chdb refuses a data directory another process holds
        if settings.clickhouse_embedded and await _owner_answers(settings):
            return f"{where}: skipped, {settings.clickhouse_path} is owned by a running fan-out worker"
        raise StoreUnavailable("clickhouse", str(error)) from error
    try:
        count = await analytics_schema.apply(store)
    finally:
        await store.close()
    return f"{where}: {count} statements applied (all idempotent)"


async def _owner_answers(settings: Settings) -> bool:
    reader = analytics.open_reader(settings)
    try:
        await reader.query("SELECT 1")
        return True
    except StoreUnavailable:
        return False
    finally:
        await reader.close()
