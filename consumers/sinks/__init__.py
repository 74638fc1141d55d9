"""Store sinks of the results fan-out: the sink base (base.py), change detection (changes.py), the
Cassandra product sink (cassandra_sink.py), the ClickHouse analytics sink (clickhouse_sink.py) and the
facade the fan-out agent calls (result_stores.py)."""
