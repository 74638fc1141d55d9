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
must be right. `pytest -s` prints the share for parse_price and, for comparison, for price-parser
(its currency text mapped to an ISO code by our own currency table and hints).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

import pytest

from bench.extraction_score import DEFAULT_PRICE_STRINGS, PriceCase, read_price_strings
from consumers.extract.currencies import MARKERS, hint_countries, resolve
from consumers.extract.price import ISO_CODES, exponent

# One loader for the TSV, shared with bench/extraction_score.py: the same escapes, the same hints.
ROWS = read_price_strings(DEFAULT_PRICE_STRINGS)


def ours(row: PriceCase) -> tuple[Decimal, str | None] | None:
    return row.parse()


def wrong_rows(parse: Callable[[PriceCase], tuple[Decimal, str | None] | None]) -> list[str]:
    wrong = []
    for row in ROWS:
        got = parse(row)
        if got != row.expected():
            wrong.append(f"{row.text!r} [{row.note}]: expected {row.expected()}, got {got}")
    return wrong


def test_the_dev_set_is_large_and_well_formed() -> None:
    assert len(ROWS) >= 400
    for row in ROWS:
        assert row.amount is None or Decimal(row.amount).is_finite(), row
        assert row.currency is None or row.currency in ISO_CODES, row
        assert row.default is None or row.default in ISO_CODES, row
        assert row.amount is not None or row.currency is None, row


def test_every_price_string_of_the_dev_set_parses_right() -> None:
    wrong = wrong_rows(ours)
    share = 1 - len(wrong) / len(ROWS)
    print(f"\nparse_price: {share:.1%} of {len(ROWS)} rows right")
    assert not wrong, f"{len(wrong)} of {len(ROWS)} rows wrong:\n" + "\n".join(wrong)


def test_comparison_with_price_parser() -> None:
    """Not a check: prints price-parser's share on the same rows (`pytest -s`)."""
    price_parser = pytest.importorskip("price_parser")

    def theirs(row: PriceCase) -> tuple[Decimal, str | None] | None:
        parsed = price_parser.Price.fromstring(row.text, currency_hint=row.default)
        if parsed.amount is None:
            return None
        code = (parsed.currency or "").strip()
        if code.upper() in ISO_CODES:
            currency: str | None = code.upper()
        elif code in MARKERS:
            currency = resolve(
                MARKERS[code].candidates,
                row.default,
                hint_countries(row.hints.get("locale"), row.hints.get("tld")),
            )
        else:
            currency = row.default
        unit = Decimal(1).scaleb(-exponent(currency))
        return parsed.amount.quantize(unit, rounding=ROUND_HALF_UP), currency

    wrong = wrong_rows(theirs)
    print(f"\nprice-parser: {1 - len(wrong) / len(ROWS):.1%} of {len(ROWS)} rows right")
