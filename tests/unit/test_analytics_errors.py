"""ClickHouse errors: a store that cannot write now is retried, a bad statement is not; a server that is
down is a StoreUnavailable for readers."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from clickhouse_connect.driver.exceptions import DatabaseError

from scrapestream.config import Settings
from scrapestream.infra.service_process import free_port
from scrapestream.stores.analytics import QueryRefused, ServerReader, is_transient, open_reader
from scrapestream.stores.errors import StoreUnavailable

# Messages as the embedded engine words them (the first one seen with its table directory unwritable).
UNWRITABLE = (
    "Code: 1001. DB::Exception: std::__1::filesystem::filesystem_error: filesystem error: in "
    'create_directories: Operation not permitted ["/data/store/9c8/tmp_insert_all_2_2_1"]. (STD_EXCEPTION)'
)
DISK_FULL = "Code: 243. DB::Exception: Cannot reserve 1.00 MiB, not enough space. (NOT_ENOUGH_SPACE)"
TOO_MANY_PARTS = (
    "Code: 252. DB::Exception: Too many parts (300). Merges are processing slower. (TOO_MANY_PARTS)"
)
UNKNOWN_TABLE = "Code: 60. DB::Exception: Table scrapestream.nope does not exist. (UNKNOWN_TABLE)"
OTHER_STD = "Code: 1001. DB::Exception: std::out_of_range: vector. (STD_EXCEPTION)"


@pytest.mark.parametrize("message", [UNWRITABLE, DISK_FULL, TOO_MANY_PARTS])
def test_disk_and_merge_pressure_are_worth_retrying(message: str) -> None:
    assert is_transient(DatabaseError(message))


@pytest.mark.parametrize("message", [UNKNOWN_TABLE, OTHER_STD, "no code at all"])
def test_a_refused_statement_is_not(message: str) -> None:
    assert not is_transient(DatabaseError(message))


def test_a_server_reader_connects_at_the_first_query_and_a_server_down_is_unavailable() -> None:
    reader = open_reader(dataclasses.replace(Settings(), clickhouse_url=f"http://127.0.0.1:{free_port()}"))
    assert isinstance(reader, ServerReader)  # made without connecting: a gateway starts without it

    async def ask(sql: str) -> None:
        try:
            await reader.query(sql)
        finally:
            await reader.close()

    with pytest.raises(QueryRefused):
        asyncio.run(ask("DROP TABLE scrape_events"))  # refused before anything is opened
    with pytest.raises(StoreUnavailable, match="clickhouse unavailable"):
        asyncio.run(ask("SELECT 1"))
