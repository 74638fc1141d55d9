# ruff: noqa: RUF002  (the formats of other scripts are the point here)
"""Price strings as CLDR writes them for every territory: a check of the price parser beyond our samples.

Each locale of the Unicode CLDR (through Babel) that names a territory formats a few amounts in
that territory's legal tender, the way the locale's convention says: '1.234,56 €' (de_DE),
'CHF 1'234.56' (de_CH), '₹1,234.56' (en_IN), 'OMR 1،234٫560' (bgn_OM), 'K1,234.56' (en_PG), in
Latin digits and in the locale's own ('١٬٢٣٤٫٥٦ ج.م.' in ar_EG). The parser gets the locale as
its page hint (what a page's <html lang="en-PG"> gives) and must read back the amount, at the
precision CLDR rounded it to, and the ISO code. A shop may not write a price the way its
locale's CLDR data does, so this measures coverage of conventions (separators, signs, local
abbreviations), not of real pages; extraction_score prints it beside the real strings.

Run: .venv/bin/python -m bench.extraction_score (the group 'price strings (CLDR formats)').
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from itertools import product

from babel import Locale, UnknownLocaleError, localedata
from babel.numbers import format_currency, get_currency_precision, get_territory_currencies

from bench.price_strings import PriceCase

AMOUNTS = (Decimal("1234.56"), Decimal("19.99"), Decimal("1234567.89"), Decimal(5))
LABEL = "cldr"


def cldr_price_cases(amounts: tuple[Decimal, ...] = AMOUNTS) -> list[PriceCase]:
    """One case per distinct (text, currency) of every territorial locale and amount, in Latin
    digits and in the locale's own where they differ ('١٬٢٣٤٫٥٦ ج.م.' in ar_EG)."""
    cases: dict[tuple[str, str], PriceCase] = {}
    for identifier in sorted(localedata.locale_identifiers()):
        currency = _tender(identifier)
        if currency is None:
            continue
        places = Decimal(1).scaleb(-get_currency_precision(currency))
        hints = {"locale": identifier.replace("_", "-")}
        for amount, digits in product(amounts, ("latn", "default")):  # Latin digits, the locale's own
            text = format_currency(amount, currency, locale=identifier, numbering_system=digits)
            expected = amount.quantize(places, rounding=ROUND_HALF_EVEN)
            cases.setdefault(
                (text, currency),
                PriceCase(f"{LABEL}:{identifier}", text, str(expected), currency, hints),
            )
    return list(cases.values())


def _tender(identifier: str) -> str | None:
    """The legal tender of the locale's territory today, or None for a locale of no territory."""
    try:
        territory = Locale.parse(identifier).territory
    except (UnknownLocaleError, ValueError):
        return None
    currencies = get_territory_currencies(territory, tender=True) if territory else []
    return currencies[0] if currencies else None
