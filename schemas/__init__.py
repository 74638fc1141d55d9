"""ScrapeStream event contracts: Avro schemas (*.avsc), their loader, codec and compatibility check."""
