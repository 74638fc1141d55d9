"""Every ClickHouse table and view of the analytics database, in one place.

`apply(store)` runs the statements below in order; each is CREATE ... IF NOT EXISTS, so applying
them again changes nothing. The owner of an embedded store applies them when it opens it (no
other process can), and `scrapestream db migrate` applies them to a server. Append new
statements; never edit one that has shipped.

Tables
- scrape_events: every ScrapeResult. ReplacingMergeTree on (domain, scraped_at, request_id), so
  a replayed result collapses into one row after FINAL / merges.
- product_prices: one row per priced product observation, ReplacingMergeTree on
  (product_id, scraped_at): a replay adds nothing after FINAL.
- domain_minute_stats: AggregatingMergeTree fed by a materialized view on scrape_events inserts:
  per domain and minute the result count, OK count, fetch-latency quantile state (results that got
  an HTTP answer) and bytes.

Insert deduplication: both tables and the view target keep a window of recent block tokens
(`non_replicated_deduplication_window`); the sink sends a token per batch, so a retried batch is
dropped whole, including what it would have added to domain_minute_stats. A replay whose batches
are cut differently is not caught by tokens: scrape_events/product_prices still collapse under
FINAL, but domain_minute_stats would count it twice (rebuild it from scrape_events if needed).

Views (read these)
- domain_health_per_minute: success_rate and p50/p95 fetch latency per domain and minute.
- throughput_per_minute: results, OK results and bytes per minute over all domains.
- price_changes: every change of a product's price or currency, computed with lagInFrame over
  product_prices FINAL (exact under replays; works the same in chdb and on a server).
"""

from __future__ import annotations

from scrapestream.stores.analytics import DirectAnalyticsStore

DEDUP_WINDOW = 1000  # recent block tokens remembered per table


def statements(database: str) -> list[str]:
    db = database
    dedup = f"SETTINGS non_replicated_deduplication_window = {DEDUP_WINDOW}"
    return [
        f"CREATE DATABASE IF NOT EXISTS {db}",
        f"""CREATE TABLE IF NOT EXISTS {db}.scrape_events (
            scraped_at DateTime64(3, 'UTC'),
            request_id UUID,
            task_id Nullable(UUID),
            domain LowCardinality(String),
            url String,
            status LowCardinality(String),
            http_status Nullable(UInt16),
            fetch_ms UInt32,
            render_ms UInt32,
            bytes UInt64,
            scraper_id LowCardinality(String),
            priority LowCardinality(String),
            product_id String,
            price_minor Nullable(Int64),
            currency LowCardinality(String),
            availability LowCardinality(String),
            error String,
            stored_at DateTime64(3, 'UTC') DEFAULT now64(3)  -- when the fan-out stored it (latency)
        ) ENGINE = ReplacingMergeTree
        PARTITION BY toYYYYMM(scraped_at)
        ORDER BY (domain, scraped_at, request_id)
        {dedup}""",
        # Stores created before stored_at existed get it too.
        f"ALTER TABLE {db}.scrape_events "
        "ADD COLUMN IF NOT EXISTS stored_at DateTime64(3, 'UTC') DEFAULT now64(3)",
        f"""CREATE TABLE IF NOT EXISTS {db}.product_prices (
            product_id String,
            domain LowCardinality(String),
            scraped_at DateTime64(3, 'UTC'),
            price_minor Int64,
            currency LowCardinality(String),
            availability LowCardinality(String)
        ) ENGINE = ReplacingMergeTree
        PARTITION BY toYYYYMM(scraped_at)
        ORDER BY (product_id, scraped_at)
        {dedup}""",
        f"""CREATE TABLE IF NOT EXISTS {db}.domain_minute_stats (
            domain LowCardinality(String),
            minute DateTime('UTC'),
            results AggregateFunction(count),
            ok AggregateFunction(countIf, UInt8),
            fetch_ms AggregateFunction(quantilesIf(0.5, 0.95), UInt32, UInt8),
            bytes AggregateFunction(sum, UInt64)
        ) ENGINE = AggregatingMergeTree
        ORDER BY (domain, minute)
        {dedup}""",
        f"""CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.domain_minute_stats_mv
        TO {db}.domain_minute_stats AS
        SELECT domain,
               toStartOfMinute(scraped_at) AS minute,
               countState() AS results,
               countIfState(status = 'OK') AS ok,
               quantilesIfState(0.5, 0.95)(fetch_ms, http_status IS NOT NULL) AS fetch_ms,
               sumState(bytes) AS bytes
        FROM {db}.scrape_events
        GROUP BY domain, minute""",
        f"""CREATE VIEW IF NOT EXISTS {db}.domain_health_per_minute AS
        SELECT domain, minute, results, ok, ok / results AS success_rate,
               fetch_ms_quantiles[1] AS fetch_ms_p50, fetch_ms_quantiles[2] AS fetch_ms_p95
        FROM (
            SELECT domain, minute, countMerge(results) AS results, countIfMerge(ok) AS ok,
                   quantilesIfMerge(0.5, 0.95)(fetch_ms) AS fetch_ms_quantiles
            FROM {db}.domain_minute_stats
            GROUP BY domain, minute
        )""",
        f"""CREATE VIEW IF NOT EXISTS {db}.throughput_per_minute AS
        SELECT minute, countMerge(results) AS results, countIfMerge(ok) AS ok, sumMerge(bytes) AS bytes
        FROM {db}.domain_minute_stats
        GROUP BY minute""",
        f"""CREATE VIEW IF NOT EXISTS {db}.price_changes AS
        SELECT product_id, domain, scraped_at AS changed_at,
               previous_price_minor AS old_price_minor, previous_currency AS old_currency,
               price_minor AS new_price_minor, currency AS new_currency
        FROM (
            SELECT product_id, domain, scraped_at, price_minor, currency,
                   lagInFrame(price_minor) OVER observations AS previous_price_minor,
                   lagInFrame(currency) OVER observations AS previous_currency,
                   row_number() OVER observations AS observation
            FROM {db}.product_prices FINAL
            WINDOW observations AS (
                PARTITION BY product_id ORDER BY scraped_at ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
        )
        WHERE observation > 1 AND (price_minor != previous_price_minor OR currency != previous_currency)""",
    ]


async def apply(store: DirectAnalyticsStore) -> int:
    """Create whatever is missing; returns how many statements ran (all of them, idempotently)."""
    ddl = statements(store.database)
    for statement in ddl:
        await store.command(statement)
    return len(ddl)
