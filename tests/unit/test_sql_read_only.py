"""check_read_only: the read statements it answers (SELECT, SHOW, DESCRIBE, EXPLAIN) and the tricks it
refuses. The engine runs every query with readonly=1 too; this check is the first line, and the only
one for what readonly=1 lets through (several statements, INTO OUTFILE, DESCRIBE of a table function)."""

from __future__ import annotations

import pytest

from scrapestream.stores.analytics import QueryRefused, _result_of, check_read_only


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT count() FROM scrape_events",
        "select 1;",
        "(SELECT 1) UNION ALL (SELECT 2)",
        "WITH 1 AS x SELECT x",
        "SELECT 'DROP TABLE x; INSERT' AS text",  # keywords inside a literal are text
        "SELECT `SETTINGS` FROM t",  # ... and inside a quoted name
        "SHOW TABLES",
        "show tables;",
        "SHOW FULL TABLES FROM scrapestream LIKE 'price%' LIMIT 3",
        "SHOW TABLES NOT ILIKE '%mv'",
        "SHOW DATABASES",
        "SHOW COLUMNS FROM scrape_events",
        "SHOW CREATE TABLE scrapestream.product_prices",
        "SHOW CREATE VIEW `price_changes`",
        "DESCRIBE scrape_events",
        "DESC TABLE scrapestream.scrape_events",
        'describe table "scrape_events"',
        "EXPLAIN SELECT count() FROM product_prices FINAL",
        "EXPLAIN AST SELECT 1",
        "EXPLAIN SYNTAX WITH 1 AS x SELECT x",
        "EXPLAIN QUERY TREE SELECT 1",
        "EXPLAIN PLAN actions = 1, header=1 SELECT 1",
        "EXPLAIN PIPELINE (SELECT 1)",
        "EXPLAIN ESTIMATE SELECT * FROM scrape_events",
        "/* a comment */ SHOW DATABASES -- and another",
    ],
)
def test_read_statements_are_answered(sql: str) -> None:
    check_read_only(sql)


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        # writes and DDL, as before
        ("INSERT INTO product_prices (product_id) VALUES ('x')", "INSERT is refused"),
        ("DROP TABLE product_prices", "DROP is refused"),
        ("ALTER TABLE scrape_events DELETE WHERE 1", "ALTER is refused"),
        ("SET readonly = 0", "SET is refused"),
        ("USE system", "USE is refused"),
        ("SYSTEM SHUTDOWN", "SYSTEM is refused"),
        ("OPTIMIZE TABLE scrape_events FINAL", "OPTIMIZE is refused"),
        ("", "empty query"),
        (";", "empty query"),
        ("-- only a comment", "empty query"),
        # several statements, whatever the first one is
        ("SHOW TABLES; DROP TABLE scrape_events", "multiple statements"),
        ("DESCRIBE scrape_events; DROP TABLE scrape_events", "multiple statements"),
        ("EXPLAIN SELECT 1; INSERT INTO t VALUES (1)", "multiple statements"),
        ("SELECT 1; SELECT 2", "multiple statements"),
        # EXPLAIN of anything but a SELECT
        ("EXPLAIN INSERT INTO product_prices SELECT * FROM product_prices", "EXPLAIN of INSERT is refused"),
        ("EXPLAIN PIPELINE INSERT INTO t SELECT 1", "EXPLAIN of INSERT is refused"),
        ("EXPLAIN AST DROP TABLE scrape_events", "EXPLAIN of DROP is refused"),
        ("EXPLAIN SYNTAX ALTER TABLE t DELETE WHERE 1", "EXPLAIN of ALTER is refused"),
        ("EXPLAIN SHOW TABLES", "EXPLAIN of SHOW is refused"),
        ("EXPLAIN EXPLAIN SELECT 1", "EXPLAIN of EXPLAIN is refused"),
        ("EXPLAIN TABLE OVERRIDE mysql('h', 'db', 't', 'u', 'p') PARTITION BY a", "EXPLAIN of TABLE"),
        ("EXPLAIN", "EXPLAIN of nothing is refused"),
        ("EXPLAIN readonly = 0 SELECT 1", "EXPLAIN readonly"),
        # settings and files, whatever the statement
        ("SELECT count() FROM product_prices SETTINGS readonly=0", "SETTINGS readonly"),
        ("SHOW TABLES SETTINGS readonly = 0", "SETTINGS readonly"),
        ("EXPLAIN SELECT 1 SETTINGS max_result_rows = 0", "SETTINGS clauses"),
        ("SELECT * FROM product_prices INTO OUTFILE '/tmp/out.csv'", "INTO OUTFILE"),
        ("SHOW TABLES INTO OUTFILE '/tmp/tables'", "INTO OUTFILE"),
        # DESCRIBE reads a table function's data to infer its columns, even with readonly=1
        ("DESCRIBE file('/etc/passwd', 'CSVWithNames')", "DESCRIBE is answered for a named table"),
        ("DESC TABLE url('http://169.254.169.254/latest/meta-data', 'LineAsString')", "named table"),
        ("DESCRIBE (SELECT * FROM file('/etc/passwd'))", "named table"),
        ("DESCRIBE scrape_events SETTINGS readonly = 0", "SETTINGS readonly"),
        # SHOW forms other than the schema-browsing ones
        ("SHOW GRANTS", "SHOW is answered as"),
        ("SHOW CREATE USER", "SHOW is answered as"),
        ("SHOW USERS", "SHOW is answered as"),
        ("SHOW PROCESSLIST", "SHOW is answered as"),
        ("SHOW TABLES FROM system; KILL QUERY WHERE 1", "multiple statements"),
        ("SHOW TABLES LIKE 'x' OR 1 = 1", "SHOW is answered as"),
        # keywords hidden from a naive scan
        ("SELECT 1 /* ; */ ; DROP TABLE t", "multiple statements"),
        ("SELECT 'it''s' ; DROP TABLE t", "multiple statements"),
        ('SELECT "a;b" FROM t; DROP TABLE t', "multiple statements"),
        ("/* SELECT */ DROP TABLE t", "DROP is refused"),
        ("-- SELECT\nDROP TABLE t", "DROP is refused"),
    ],
)
def test_writes_tricks_and_other_statements_are_refused(sql: str, reason: str) -> None:
    with pytest.raises(QueryRefused, match=reason):
        check_read_only(sql)


def test_the_refusal_of_a_write_names_what_is_answered() -> None:
    with pytest.raises(QueryRefused) as refused:
        check_read_only("TRUNCATE TABLE scrape_events")
    message = str(refused.value)
    assert message.startswith("only read queries (SELECT, WITH ... SELECT) are answered")
    assert "SHOW, DESCRIBE and EXPLAIN" in message and message.endswith("TRUNCATE is refused")


def test_a_plain_text_answer_becomes_one_column_of_lines() -> None:
    """EXPLAIN AST answers text whatever format is asked for."""
    result = _result_of(b"SelectWithUnionQuery (children 1)\n ExpressionList (children 1)\n")
    assert result.columns == ["explain"] and result.types == ["String"]
    assert result.rows == [["SelectWithUnionQuery (children 1)"], [" ExpressionList (children 1)"]]


def test_a_json_answer_is_decoded() -> None:
    raw = b'{"meta": [{"name": "n", "type": "UInt8"}], "data": [[1]], "rows": 1}'
    result = _result_of(raw)
    assert (result.columns, result.types, result.rows) == (["n"], ["UInt8"], [[1]])
