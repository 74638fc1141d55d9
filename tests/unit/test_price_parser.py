"""The price parser against real-world price strings, its typed errors, and random text."""

from __future__ import annotations

import contextlib
import time
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consumers.extract.price import (
    MAX_PRICE_TEXT,
    Price,
    PriceError,
    parse_number,
    parse_price,
    price_from_value,
)
from tests.unit.hostile_input import fuzz_settings, mutated_text, no_hang

# (text, default currency, expected minor units, expected currency)
PRICES = [
    ("$1,234.56", None, 123456, "USD"),
    ("$19.99", None, 1999, "USD"),
    ("US$ 5", None, 500, "USD"),
    ("USD 1,000", None, 100000, "USD"),
    ("12.99 USD", None, 1299, "USD"),
    ("$ 1 000 000", None, 100000000, "USD"),
    ("$5", "CAD", 500, "CAD"),
    ("C$ 24.95", None, 2495, "CAD"),
    ("AU$1,299.00", None, 129900, "AUD"),
    ("1.234,56 €", None, 123456, "EUR"),
    ("1 234,56 €", None, 123456, "EUR"),
    ("42,99\u00a0€", None, 4299, "EUR"),
    ("1\u202f234,50\u00a0€", None, 123450, "EUR"),
    ("€ 1.234.567,89", None, 123456789, "EUR"),
    ("EUR12.00", None, 1200, "EUR"),
    ("ab 9,99 €", None, 999, "EUR"),
    ("2.499,- €", None, 249900, "EUR"),
    ("0,99 €", None, 99, "EUR"),
    ("12.345,6 €", None, 1234560, "EUR"),
    ("12.500 €", None, 1250000, "EUR"),
    ("1,5 €", None, 150, "EUR"),
    ("£1,234.99", None, 123499, "GBP"),
    ("£12", None, 1200, "GBP"),
    ("Model X200 £49", None, 4900, "GBP"),
    ("CHF 1'234.50", None, 123450, "CHF"),
    ("CHF 1\u2019234.50", None, 123450, "CHF"),
    ("49.90 CHF", None, 4990, "CHF"),
    ("Fr. 12.50", None, 1250, "CHF"),
    ("¥1,234", None, 1234, "JPY"),
    ("￥12,800", None, 12800, "JPY"),
    ("1,280円", None, 1280, "JPY"),
    ("¥88.50", "CNY", 8850, "CNY"),
    ("₹1,23,456.00", None, 12345600, "INR"),
    ("Rs. 1,499", None, 149900, "INR"),
    ("R$ 1.234,56", None, 123456, "BRL"),
    ("12,50 zł", None, 1250, "PLN"),
    ("kr 1 234", None, 123400, "SEK"),
    ("1.234 kr.", None, 123400, "DKK"),
    ("199,00 kr", "NOK", 19900, "NOK"),
    ("1 299 Kč", None, 129900, "CZK"),
    ("₩15,000", None, 15000, "KRW"),
    ("R 1 299,00", None, 129900, "ZAR"),
    ("KWD 1.234", None, 1234, "KWD"),
    ("$10 - $20", None, 1000, "USD"),
    ("10\u201320 €", None, 1000, "EUR"),  # en dash
    ("$20 - $10", None, 1000, "USD"),
    ("10 to 20 USD", None, 1000, "USD"),
    ("from $9.99", None, 999, "USD"),
    ("Starting at $1,099", None, 109900, "USD"),
    ("desde 15,90 €", None, 1590, "EUR"),
    ("Save 20% now $15.99", None, 1599, "USD"),
    ("12.5% off: $20", None, 2000, "USD"),
    ("SKU-123 $5.00", None, 500, "USD"),
    ("Was $20 now $15", None, 2000, "USD"),
    ("$0.125", None, 13, "USD"),
    ("$1.999", None, 199900, "USD"),
    ("19.99", "USD", 1999, "USD"),
    ("Price: 7", "GBP", 700, "GBP"),
    ("Free", "EUR", 0, "EUR"),
    ("$0.00", None, 0, "USD"),
]


@pytest.mark.parametrize(("text", "default", "minor", "currency"), PRICES)
def test_real_world_prices(text: str, default: str | None, minor: int, currency: str) -> None:
    assert parse_price(text, default) == Price(minor, currency)


@pytest.mark.parametrize(
    ("text", "default", "reason"),
    [
        ("", None, "no amount"),
        ("Call for price", "USD", "no amount"),
        ("Price on request", None, "no amount"),
        ("-$5.00", None, "negative"),
        ("$-5", None, "negative"),
        ("\u22125,00 €", None, "negative"),
        ("19.99", None, "no currency"),
        ("FREE", None, "no currency"),
        ("1.234.5,6,7 €", None, "ambiguous"),
        ("$" + "9" * 30, None, "implausibly large"),
        ("5 €", "euro", "not an ISO 4217 code"),
    ],
)
def test_unusable_price_text_raises_typed_error(text: str, default: str | None, reason: str) -> None:
    with pytest.raises(PriceError, match=reason):
        parse_price(text, default)


def test_price_amount_and_exponents() -> None:
    assert Price(123456, "USD").amount == Decimal("1234.56")
    assert Price(1234, "JPY").amount == Decimal("1234")
    assert Price(1234, "KWD").amount == Decimal("1.234")
    assert str(Price(1999, "EUR")) == "19.99 EUR"


@pytest.mark.parametrize(
    ("value", "currency", "minor"),
    [
        ("1234.56", "USD", 123456),
        (Decimal("19.990"), "EUR", 1999),
        (12, "GBP", 1200),
        ("1.234,56 €", "EUR", 123456),
    ],
)
def test_machine_values(value: object, currency: str, minor: int) -> None:
    assert price_from_value(value, currency) == Price(minor, currency)


@pytest.mark.parametrize(
    ("value", "currency"), [(19.99, "USD"), ("19.99", None), (True, "USD"), ("n/a", "USD")]
)
def test_machine_values_reject_floats_missing_currency_and_garbage(
    value: object, currency: str | None
) -> None:
    with pytest.raises(PriceError):
        price_from_value(value, currency)


def test_number_separators_follow_the_documented_rules() -> None:
    assert parse_number("1,234") == Decimal("1234")
    assert parse_number("0,500") == Decimal("0.500")
    assert parse_number("1234.567") == Decimal("1234.567")
    assert parse_number("1.234", decimals=3) == Decimal("1.234")


@given(st.text(max_size=60), st.sampled_from([None, "USD", "EUR", "JPY"]))
def test_random_text_gives_a_price_or_a_price_error(text: str, default: str | None) -> None:
    try:
        price = parse_price(text, default)
    except PriceError:
        return
    assert price.minor >= 0 and len(price.currency) == 3


price_like = st.builds(
    lambda prefix, digits, separator, tail, suffix: f"{prefix}{digits}{separator}{tail}{suffix}",
    st.sampled_from(["", "$", "€ ", "-", "from ", "CHF ", "kr ", "R$"]),
    st.integers(0, 10**9).map(str),
    st.sampled_from(["", ".", ",", " ", "'", "\u00a0"]),
    st.integers(0, 999).map(str),
    st.sampled_from(["", " €", " USD", "%", " - $20", " zł", "円"]),
)


@given(price_like)
def test_price_shaped_text_gives_a_price_or_a_price_error(text: str) -> None:
    try:
        price = parse_price(text, "USD")
    except PriceError:
        return
    assert isinstance(price.minor, int) and price.minor >= 0


# -- hostile input --------------------------------------------------------------------------------
@fuzz_settings(max_examples=1000)
@given(
    st.sampled_from(PRICES).flatmap(lambda case: mutated_text(case[0])), st.sampled_from([None, "USD", "KWD"])
)
def test_mutated_real_world_prices_give_a_price_or_a_price_error(text: str, default: str | None) -> None:
    with no_hang():
        try:
            price = parse_price(text, default)
        except PriceError:
            return
    assert 0 <= price.minor < 10**18 and len(price.currency) == 3


@pytest.mark.parametrize(
    "text",
    [
        "$1 " * 330,  # as many markers as amounts (the nearest-marker search used to be quadratic)
        "1,2" * 333,
        "kr1 " * 250,
        "9" * 1000,
        "$ " + "1 000 " * 166,
    ],
)
def test_price_text_at_the_length_limit_is_parsed_quickly(text: str) -> None:
    started = time.perf_counter()
    with no_hang(), contextlib.suppress(PriceError):
        parse_price(text, "USD")
    assert time.perf_counter() - started < 0.1


def test_text_too_long_to_be_a_price_is_refused() -> None:
    with pytest.raises(PriceError, match=f"more than {MAX_PRICE_TEXT}"):
        parse_price("$1 " * 700_000)  # 2 MB: quadratic, this took hours before the limit


def test_a_price_whose_minor_units_overflow_a_long_is_refused_for_three_decimal_currencies() -> None:
    assert parse_price("9,999,999,999,999 USD").minor == 999_999_999_999_900
    with pytest.raises(PriceError, match="implausibly large"):
        parse_price("2,000,000,000,000,000 KWD")  # 2e18 fils: past what the contract's long holds
