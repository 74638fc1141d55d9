"""Price strings and what the price parser must make of them: one case a string, the loader of the
TSV sets and the check of one case against our parser and price-parser 0.5.1 (the baseline the
issue names). Read by bench.extraction_score (which scores every set) and bench.cldr_prices (which
writes CLDR's formats as cases).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from price_parser import Price as BaselinePrice

from bench.corpus import FIXTURES
from consumers.extract import parse_price_or_none
from consumers.extract.values import currency_code

DEFAULT_PRICE_STRINGS = FIXTURES / "price_strings.tsv"
DEFAULT_REAL_PRICE_STRINGS = FIXTURES / "price_strings_real.tsv"

_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
HINT_KEYS = ("locale", "tld", "default")


@dataclass(frozen=True, slots=True)
class PriceCase:
    """One price string and what parse_price must make of it.

    `hints` are parse_price's keyword hints (`locale`, `tld`); `default` is its default_currency
    (the site's own currency), the TSV's `default=` hint."""

    source: str  # '<tsv file>:<line>' or the corpus page
    text: str
    amount: str | None
    currency: str | None
    hints: dict[str, str]
    default: str | None = None
    note: str = ""

    def expected(self) -> tuple[Decimal, str | None] | None:
        """(amount, currency), or None for a text without a price. Amounts compare as numbers
        ('12.5' is '12.50'), every digit counting: '84.0973' is not 84.10."""
        if self.amount is None:
            return None
        return Decimal(self.amount), self.currency

    def parse(self) -> tuple[Decimal, str | None] | None:
        """What parse_price gives with this case's hints: (amount, currency), None when it finds no price."""
        price = parse_price_or_none(self.text, self.default, **self.hints)
        return None if price is None else (price.amount, price.currency)

    def parse_with_price_parser(self) -> tuple[Decimal, str | None] | None:
        """The baseline: what price-parser 0.5.1 gives (its default currency hint) with its currency
        sign read as an ISO code the way structured data is read, so that only the parsing differs."""
        found = BaselinePrice.fromstring(self.text, currency_hint=self.default)
        if found.amount is None:
            return None
        currency = currency_code(found.currency, self.hints) if found.currency else None
        return found.amount, currency


def decode_escapes(text: str) -> str:
    """The TSV's `\\uXXXX` escapes (no-break spaces and other invisible characters) as characters."""
    return _ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), text)


def read_price_strings(path: Path, label: str = "tsv") -> list[PriceCase]:
    """Rows of the price-strings TSV; none if the file is missing. The one loader of that file:
    tests/unit/test_price_strings.py reads it through here too.

    Columns: text (`\\uXXXX` stands for an invisible character), amount (empty: no price),
    currency, hint ('locale=..;tld=..;default=..', any subset; an unknown key is an error), note.
    A first row starting with 'text' is a header; rows starting with '#' are comments."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    cases = []
    for number, row in enumerate(csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE), start=1):
        if not row or row[0].startswith("#") or (number == 1 and row[0].strip().lower() == "text"):
            continue
        cells = [*row, "", "", "", ""]
        hints = parse_hints(cells[3], f"{path.name}:{number}")
        default = hints.pop("default", None)
        cases.append(
            PriceCase(
                f"{label}:{number}",
                decode_escapes(cells[0]),
                cells[1].strip() or None,
                cells[2].strip() or None,
                hints,
                default,
                cells[4].strip(),
            )
        )
    return cases


def parse_hints(text: str, where: str = "hint") -> dict[str, str]:
    """'locale=en-CA;tld=ca;default=CAD' as a dict; empty values are left out."""
    hints = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        key, equals, value = part.partition("=")
        if not equals or key.strip() not in HINT_KEYS:
            raise ValueError(f"{where}: unknown hint {part.strip()!r} (expected {', '.join(HINT_KEYS)})")
        if value.strip():
            hints[key.strip()] = value.strip()
    return hints


def price_case_result(case: PriceCase) -> tuple[bool, str, bool]:
    """(amount and currency both right, what the parser gave, whether price-parser got both right)."""
    expected = case.expected() if case.amount is None or _is_decimal(case.amount) else ("bad", None)
    got = case.parse()
    return (
        got == expected,
        "None" if got is None else f"{got[0]} {got[1]}",
        case.parse_with_price_parser() == expected,
    )


def _is_decimal(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return True
