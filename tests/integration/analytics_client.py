"""Run as a separate process by test_analytics_store: query the owner over HTTP, ask `infra status`
what it sees of the store, print JSON.

Usage: python -m tests.integration.analytics_client <clickhouse_url> <analytics_port> <database>
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys

from scrapestream.config import load_settings
from scrapestream.infra.health_checks import clickhouse_health
from scrapestream.stores.analytics import AnalyticsQueryError, open_reader


async def main(clickhouse_url: str, port: int, database: str) -> dict:
    settings = dataclasses.replace(load_settings(), clickhouse_url=clickhouse_url, analytics_port=port)
    reader = open_reader(settings)
    try:
        answer = await reader.query(
            f"SELECT domain, count() AS n FROM {database}.scrape_events WHERE fetch_ms > {{ms:UInt32}} "
            "GROUP BY domain",
            {"ms": 0},
        )
        try:
            await reader.query(f"DROP DATABASE {database}")
            refused = "not refused"
        except AnalyticsQueryError as error:
            refused = str(error)
    finally:
        await reader.close()
    health = clickhouse_health(settings)
    return {
        "reader": type(reader).__name__,
        "answer": answer.to_json(),
        "refused": refused,
        "health": [health.healthy, health.detail, list(health.pids)],
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))))
