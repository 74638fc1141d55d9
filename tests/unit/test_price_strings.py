"""The price parser against the development set tests/fixtures/extraction/price_strings.tsv.

The set holds price strings as shops display them, in many languages and formats, one a row, in
tab-separated columns:

    text      the price text; \\uXXXX stands for an invisible character (no-break spaces)
    amount    the amount shown, as a decimal string; empty when the text holds no price
    currency  ISO 4217 code; empty when the text does not tell the currency
    hint      optional 'locale=..;tld=..;default=..': the page's language, its domain's TLD and
              the site's own currency (parse_price's locale, tld and default_currency)
    note      the category, and what the row shows

A row is right when parse_price gives the amount (rounded half-up to the currency's minor unit, as
Price stores it) and the currency both, or raises PriceError for a row without a price. Every row
must be right. `pytest -s` prints the share; bench/extraction_score.py prints price-parser's
beside it, and scores tests/fixtures/extraction/price_strings_real.tsv (strings copied from real
shops' scraped output), whose form alone is checked here.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from bench.price_strings import (
    DEFAULT_PRICE_STRINGS,
    DEFAULT_REAL_PRICE_STRINGS,
    PriceCase,
    read_price_strings,
)
from consumers.extract.price import ISO_CODES

# One loader for the TSV, shared with bench/extraction_score.py: the same escapes, the same hints.
ROWS = read_price_strings(DEFAULT_PRICE_STRINGS)
# Strings copied from real shops' scraped output: a measurement (bench/extraction_score.py scores
# it, dev and holdout apart), so only its form is checked here.
REAL_ROWS = read_price_strings(DEFAULT_REAL_PRICE_STRINGS, "real")


def wrong_rows() -> list[str]:
    wrong = []
    for row in ROWS:
        got = row.parse()
        if got != row.expected():
            wrong.append(f"{row.text!r} [{row.note}]: expected {row.expected()}, got {got}")
    return wrong


@pytest.mark.parametrize(("rows", "least"), [(ROWS, 400), (REAL_ROWS, 400)], ids=["dev set", "real set"])
def test_the_sets_are_large_and_well_formed(rows: list[PriceCase], least: int) -> None:
    assert len(rows) >= least
    for row in rows:
        assert row.amount is None or Decimal(row.amount).is_finite(), row
        assert row.currency is None or row.currency in ISO_CODES, row
        assert row.default is None or row.default in ISO_CODES, row
        assert row.amount is not None or row.currency is None, row


def test_every_real_string_names_its_source_repository() -> None:
    sources = {row.note.split("@", 1)[0] for row in REAL_ROWS}
    assert all("/" in source and " " not in source for source in sources)
    assert len(sources) >= 60  # many shops' formats, not a few


def test_every_price_string_of_the_dev_set_parses_right() -> None:
    wrong = wrong_rows()
    share = 1 - len(wrong) / len(ROWS)
    print(f"\nparse_price: {share:.1%} of {len(ROWS)} rows right")
    assert not wrong, f"{len(wrong)} of {len(ROWS)} rows wrong:\n" + "\n".join(wrong)
