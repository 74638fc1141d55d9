"""Store sinks of the results fan-out: the sink base (base.py), change detection (changes.py), the
Cassandra product sink (cassandra.py), the ClickHouse analytics sink (clickhouse.py) and the
facade the fan-out agent calls (fanout.py)."""
