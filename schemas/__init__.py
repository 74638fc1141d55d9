"""ScrapeStream event contracts: Avro schemas (*.avsc), their loader, codec, record builders
(records.py) and compatibility check."""
