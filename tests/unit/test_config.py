"""Settings load from defaults, a TOML file and the environment; bad values name the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from scrapestream.config import ConfigError, load_settings


def test_defaults_point_at_the_local_stack_and_embedded_clickhouse(tmp_path: Path) -> None:
    settings = load_settings({"SCRAPESTREAM_DATA_DIR": str(tmp_path)})
    assert settings.kafka_bootstrap == "127.0.0.1:9092"
    assert settings.cassandra_hosts == ("127.0.0.1",)
    assert settings.clickhouse_embedded
    assert settings.clickhouse_path == tmp_path.resolve() / "clickhouse"


def test_environment_overrides_the_toml_file_which_overrides_defaults(tmp_path: Path) -> None:
    config = tmp_path / "scrapestream.toml"
    config.write_text(
        '[kafka]\nbootstrap = "k1:9092,k2:9092"\npartitions = 12\n'
        '[cassandra]\nhosts = ["c1", "c2"]\n'
        '[clickhouse]\nurl = "https://ch.example:8443"\n'
    )
    settings = load_settings({"SCRAPESTREAM_CONFIG": str(config), "SCRAPESTREAM_KAFKA_PARTITIONS": "24"})
    assert settings.kafka_bootstrap == "k1:9092,k2:9092"
    assert settings.kafka_partitions == 24
    assert settings.cassandra_hosts == ("c1", "c2")
    assert not settings.clickhouse_embedded


def test_comma_separated_environment_lists() -> None:
    assert load_settings({"SCRAPESTREAM_CASSANDRA_HOSTS": "a, b,c"}).cassandra_hosts == ("a", "b", "c")


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"SCRAPESTREAM_KAFKA_BOOTSTRAP": "localhost"}, "SCRAPESTREAM_KAFKA_BOOTSTRAP"),
        ({"SCRAPESTREAM_KAFKA_BOOTSTRAP": "a:9092,b:notaport"}, "SCRAPESTREAM_KAFKA_BOOTSTRAP"),
        ({"SCRAPESTREAM_KAFKA_PARTITIONS": "six"}, "SCRAPESTREAM_KAFKA_PARTITIONS"),
        ({"SCRAPESTREAM_KAFKA_PARTITIONS": "0"}, "SCRAPESTREAM_KAFKA_PARTITIONS"),
        ({"SCRAPESTREAM_CASSANDRA_PORT": "70000"}, "SCRAPESTREAM_CASSANDRA_PORT"),
        ({"SCRAPESTREAM_CASSANDRA_KEYSPACE": "bad-name"}, "SCRAPESTREAM_CASSANDRA_KEYSPACE"),
        ({"SCRAPESTREAM_CLICKHOUSE_URL": "ftp://ch"}, "SCRAPESTREAM_CLICKHOUSE_URL"),
        ({"SCRAPESTREAM_CLICKHOUSE_URL": "http://ch:port"}, "SCRAPESTREAM_CLICKHOUSE_URL"),
        ({"SCRAPESTREAM_SCHEMA_REGISTRY_URL": "registry:8081"}, "SCRAPESTREAM_SCHEMA_REGISTRY_URL"),
        ({"SCRAPESTREAM_CONFIG": "/nonexistent/scrapestream.toml"}, "SCRAPESTREAM_CONFIG"),
    ],
)
def test_bad_values_raise_an_error_naming_the_setting(environ: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load_settings(environ)


def test_unknown_and_malformed_toml_is_reported_with_the_file(tmp_path: Path) -> None:
    config = tmp_path / "scrapestream.toml"
    config.write_text("[kafka]\nbootstrapp = 'x:1'\n")
    with pytest.raises(ConfigError, match=r"unknown setting.*kafka_bootstrapp"):
        load_settings({"SCRAPESTREAM_CONFIG": str(config)})
    config.write_text("[kafka\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings({"SCRAPESTREAM_CONFIG": str(config)})
