"""ClickHouse clients through clickhouse-connect: embedded chdb by default, a server by URL.

The same code runs against both; only `settings.clickhouse_url` differs. An embedded data
directory can be open in one process only, so in embedded mode the process that calls
`connect` owns the store for as long as it lives.
"""

from __future__ import annotations

from typing import Any

import clickhouse_connect
from clickhouse_connect.driver.client import Client

from scrapestream.config import Settings


def connect(settings: Settings, **kwargs: Any) -> Client:
    if settings.clickhouse_embedded:
        settings.clickhouse_path.mkdir(parents=True, exist_ok=True)
    return clickhouse_connect.get_client(dsn=settings.clickhouse_url, **kwargs)


def describe(settings: Settings) -> str:
    """A short description when the engine answers a query; raises when it does not."""
    client = connect(settings)
    try:
        version = client.query("SELECT version()").result_rows[0][0]
    finally:
        client.close()
    mode = "embedded chdb" if settings.clickhouse_embedded else "server"
    return f"ClickHouse {version} ({mode})"
