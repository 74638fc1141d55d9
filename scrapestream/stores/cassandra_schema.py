"""The product store's Cassandra schema as versioned, idempotent migrations (`scrapestream db migrate`).

The keyspace is created first with the replication from settings (`cassandra_replication`); an
existing keyspace is left as it is, since changing replication needs a repair on a real cluster.
Then every migration whose version is not yet in `schema_migrations` runs, in version order, and
its version is recorded. Statements use IF NOT EXISTS, so a migration interrupted halfway simply
runs again. Migrations are append-only: never edit one that has shipped, add the next version.

Tables (queries they serve):
- products: current state by product_id (gateway look-up; the fan-out reads it for change
  detection). Written `USING TIMESTAMP` = scraped_at, so the newest scrape wins cell by cell.
  Also holds the last change (version, changed_at, last_changes, old_*) so a replayed result can
  re-emit exactly the update it caused the first time.
- products_by_domain: (domain) -> product_id -> summary, listing a shop's products.
- price_history: (product_id, day) -> scraped_at desc: price and availability whenever either
  changed; day buckets keep partitions small, rows expire after `price_history_ttl_days`.
"""

from __future__ import annotations

from dataclasses import dataclass

from cassandra.cluster import Session

from scrapestream.config import Settings, cassandra_replication_options


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "products, products_by_domain, price_history",
        (
            """CREATE TABLE IF NOT EXISTS products (
                product_id text PRIMARY KEY,
                domain text, url text, sku text, title text, brand text,
                price_minor bigint, currency text, availability text,
                rating float, review_count int, image_url text,
                category_path frozen<list<text>>, attributes frozen<map<text, text>>,
                scraped_at timestamp,
                version bigint, changed_at timestamp, last_changes frozen<list<text>>,
                old_price_minor bigint, old_currency text, old_availability text)""",
            """CREATE TABLE IF NOT EXISTS products_by_domain (
                domain text, product_id text,
                title text, price_minor bigint, currency text, availability text,
                version bigint, changed_at timestamp,
                PRIMARY KEY ((domain), product_id))""",
            """CREATE TABLE IF NOT EXISTS price_history (
                product_id text, day date, scraped_at timestamp,
                price_minor bigint, currency text, availability text,
                PRIMARY KEY ((product_id, day), scraped_at))
                WITH CLUSTERING ORDER BY (scraped_at DESC)""",
        ),
    ),
)


def keyspace_cql(keyspace: str, replication: str) -> str:
    options = ", ".join(
        f"'{key}': '{value}'" for key, value in cassandra_replication_options(replication).items()
    )
    return f"CREATE KEYSPACE IF NOT EXISTS {keyspace} WITH replication = {{{options}}}"


def migrate(session: Session, settings: Settings, keyspace: str | None = None) -> list[Migration]:
    """Bring the keyspace up to the newest migration; returns the migrations applied now (empty if none)."""
    keyspace = keyspace or settings.cassandra_keyspace
    session.execute(keyspace_cql(keyspace, settings.cassandra_replication))
    session.execute(
        f"CREATE TABLE IF NOT EXISTS {keyspace}.schema_migrations "
        "(version int PRIMARY KEY, description text, applied_at timestamp)"
    )
    done = applied_versions(session, keyspace)
    applied = []
    for migration in MIGRATIONS:
        if migration.version in done:
            continue
        session.set_keyspace(keyspace)
        for statement in migration.statements:
            session.execute(statement)
        session.execute(
            f"INSERT INTO {keyspace}.schema_migrations (version, description, applied_at) "
            "VALUES (%s, %s, toTimestamp(now()))",
            (migration.version, migration.description),
        )
        applied.append(migration)
    return applied


def applied_versions(session: Session, keyspace: str) -> set[int]:
    return {row.version for row in session.execute(f"SELECT version FROM {keyspace}.schema_migrations")}
