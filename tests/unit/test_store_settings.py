"""Store settings: keyspace replication specs are parsed into CQL or refused by name."""

from __future__ import annotations

import pytest

from scrapestream.config import ConfigError, load_settings
from scrapestream.stores.cassandra_schema import keyspace_cql


def test_a_factor_means_simple_strategy_and_pairs_mean_network_topology() -> None:
    assert keyspace_cql("ks", "1") == (
        "CREATE KEYSPACE IF NOT EXISTS ks WITH replication = "
        "{'class': 'SimpleStrategy', 'replication_factor': '1'}"
    )
    assert keyspace_cql("ks", "dc1:3, dc2:2") == (
        "CREATE KEYSPACE IF NOT EXISTS ks WITH replication = "
        "{'class': 'NetworkTopologyStrategy', 'dc1': '3', 'dc2': '2'}"
    )


@pytest.mark.parametrize("spec", ["0", "dc1", "dc1:0", "dc1:three", "dc 1:3", ""])
def test_a_bad_replication_spec_names_the_setting(spec: str) -> None:
    with pytest.raises(ConfigError, match="SCRAPESTREAM_CASSANDRA_REPLICATION"):
        load_settings({"SCRAPESTREAM_CASSANDRA_REPLICATION": spec})


def test_sink_buffer_must_hold_at_least_one_batch() -> None:
    with pytest.raises(ConfigError, match="SCRAPESTREAM_SINK_MAX_BUFFERED_ROWS"):
        load_settings({"SCRAPESTREAM_SINK_BATCH_ROWS": "500", "SCRAPESTREAM_SINK_MAX_BUFFERED_ROWS": "100"})
