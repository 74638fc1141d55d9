# ruff: noqa: RUF001, SIM905  (currency spellings in Cyrillic, Arabic, full-width... are the point here)
"""The price parser against real-world price strings, its typed errors, and random text."""

from __future__ import annotations

import contextlib
import time
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consumers.extract.currencies import ISO_CODES, MARKERS, hint_countries
from consumers.extract.price import (
    MAX_PRICE_TEXT,
    Price,
    PriceError,
    parse_number,
    parse_price,
    parse_price_or_none,
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
    price = parse_price(text, default)
    assert (price.minor, price.currency) == (minor, currency)


@pytest.mark.parametrize(
    ("text", "default", "reason"),
    [
        ("", None, "no amount"),
        ("Call for price", "USD", "no amount"),
        ("Price on request", None, "no amount"),
        ("-$5.00", None, "negative"),
        ("$-5", None, "negative"),
        ("\u22125,00 €", None, "negative"),
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


@pytest.mark.parametrize(("value", "currency"), [(19.99, "USD"), (True, "USD"), ("n/a", "USD"), ("-5", None)])
def test_machine_values_reject_floats_and_garbage(value: object, currency: str | None) -> None:
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
    assert price.minor >= 0 and (price.currency is None or len(price.currency) == 3)


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
    assert 0 <= price.minor < 10**18 and (price.currency is None or len(price.currency) == 3)


@pytest.mark.parametrize(
    "text",
    [
        "$1 " * 330,  # as many markers as amounts (the nearest-marker search used to be quadratic)
        "1,2" * 333,
        "kr1 " * 250,
        "9" * 1000,
        "$ " + "1 000 " * 166,
        "Rs.1 " * 200,  # word markers: each checked for an adjacent amount
        "1 р " * 250,
        "19 99 " * 166,  # cents split off by a space
        "19€99 " * 166,  # cents after the sign
        ".5 " * 333,
        "$119. 95 " * 111,
        "USD $1 CAD " * 90,  # chained markers
        "US " * 333,  # a marker prefix over and over
        "\u0661\u066c" * 500,  # Arabic-Indic digits and separators
    ],
)
def test_price_text_at_the_length_limit_is_parsed_quickly(text: str) -> None:
    started = time.process_time()  # CPU time: a loaded machine does not inflate it, as it does wall time
    with no_hang(), contextlib.suppress(PriceError):
        parse_price(text, "USD")
    assert time.process_time() - started < 0.25  # linear work is ~1 ms; quadratic work took seconds


def test_text_too_long_to_be_a_price_is_refused() -> None:
    with pytest.raises(PriceError, match=f"more than {MAX_PRICE_TEXT}"):
        parse_price("$1 " * 700_000)  # 2 MB: quadratic, this took hours before the limit


def test_a_price_whose_minor_units_overflow_a_long_is_refused_for_three_decimal_currencies() -> None:
    assert parse_price("9,999,999,999,999 USD").minor == 999_999_999_999_900
    with pytest.raises(PriceError, match="implausibly large"):
        parse_price("2,000,000,000,000,000 KWD")  # 2e18 fils: past what the contract's long holds


# -- currencies: local words, hints, unknown currency ----------------------------------------------
@pytest.mark.parametrize(
    ("text", "minor", "currency"),
    [
        ("1 299 руб.", 129900, "RUB"),
        ("3 490 ₽", 349000, "RUB"),
        ("1299 р.", 129900, "RUB"),
        ("199 грн", 19900, "UAH"),
        ("1 299,00 ₴", 129900, "UAH"),
        ("Rp 1.250.000", 125000000, "IDR"),
        ("299,99 TL", 29999, "TRY"),
        ("25,90 лв.", 2590, "BGN"),
        ("KD 12.500", 12500, "KWD"),
        ("12.500 د.ك", 12500, "KWD"),
        ("RM 1,299.00", 129900, "MYR"),
        ("12,50 zł", 1250, "PLN"),
        ("1 299 Kč", 129900, "CZK"),
        ("12 990 Ft", 12990, "HUF"),
        ("49,99 lei", 4999, "RON"),
        ("199,99 kn", 19999, "HRK"),
        ("2.499 din", 249900, "RSD"),
        ("1.299 ден", 129900, "MKD"),
        ("12 990 тг", 1299000, "KZT"),
        ("1 500 сом", 150000, "KGS"),
        ("49,90 ₼", 4990, "AZN"),
        ("89,00 ₾", 8900, "GEL"),
        ("৳ 1,250", 125000, "BDT"),
        ("₨ 2,499", 249900, "PKR"),
        ("99元", 9900, "CNY"),
        ("15,000원", 15000, "KRW"),
        ("1.290.000đ", 1290000, "VND"),
        ("1,290 บาท", 129000, "THB"),
        ("₱ 499", 49900, "PHP"),
        ("S/ 129.90", 12990, "PEN"),
        ("Q 150.00", 15000, "GTQ"),
        ("AED 1,299.00", 129900, "AED"),
        ("199 ر.س", 19900, "SAR"),
        ("1,299 ج.م", 129900, "EGP"),
        ("199 د.م.", 19900, "MAD"),
        ("₦12,500", 1250000, "NGN"),
        ("KSh 1,499", 149900, "KES"),
        ("R 499", 49900, "ZAR"),
        ("49.90 Euro", 4990, "EUR"),
        ("Price: 120 US dollars", 12000, "USD"),
    ],
)
def test_local_currency_words_and_signs_map_to_iso_codes(text: str, minor: int, currency: str) -> None:
    assert parse_price(text) == Price(minor, currency)


@pytest.mark.parametrize(
    ("text", "hints", "minor", "currency"),
    [
        ("1 200,50 zlotych", {}, 120050, "PLN"),  # written without the Polish letter
        ("120 leva", {}, 12000, "BGN"),
        ("50 francs", {"locale": "fr-CH"}, 5000, "CHF"),
        ("5 000 francs", {"locale": "fr-SN"}, 5000, "XOF"),  # no minor unit
        ("100 shekels", {}, 10000, "ILS"),
        ("250 liras", {}, 25000, "TRY"),
        ("100 долларов", {}, 10000, "USD"),
        ("700 юаней", {}, 70000, "CNY"),
        ("35 манат", {}, 3500, "AZN"),
        ("1.500 dinara", {"tld": "rs"}, 150000, "RSD"),
        ("25 Australian dollars", {}, 2500, "AUD"),
        ("1,234.56 Singapore dollars", {}, 123456, "SGD"),
        ("12.990 pesos chilenos", {}, 12990, "CLP"),
    ],
)
def test_currency_names_in_plural_and_with_a_nationality(
    text: str, hints: dict[str, str], minor: int, currency: str
) -> None:
    assert parse_price(text, **hints) == Price(minor, currency)


def test_the_marker_table_covers_the_most_traded_currencies_with_local_spellings() -> None:
    most_traded = (
        "USD EUR JPY GBP CNY AUD CAD CHF HKD SGD SEK KRW NOK NZD INR MXN TWD ZAR BRL DKK PLN THB ILS IDR "
        "CZK AED TRY HUF CLP SAR PHP MYR COP RUB RON PEN BHD BGN ARS KWD QAR OMR EGP NGN KES PKR VND UAH "
        "KZT MAD LKR BDT ISK JOD TND GEL AZN RSD UYU DOP GTQ CRC"
    ).split()
    for code in most_traded:
        assert code in ISO_CODES
        assert any(code in m.candidates for spelling, m in MARKERS.items() if spelling.upper() != code), code


@pytest.mark.parametrize(
    ("text", "hints", "currency"),
    [
        ("$24.95", {"tld": "ca"}, "CAD"),
        ("$24.95", {"locale": "es-MX"}, "MXN"),
        ("$24.95", {"locale": "en_AU"}, "AUD"),
        ("$24.95", {"tld": "com.sg"}, "SGD"),
        ("$24.95", {"locale": "en-US", "tld": "ca"}, "CAD"),  # the domain beats the page language
        ("$24.95", {"locale": "de-DE"}, "USD"),  # a country without dollars: the usual one
        ("$24.95", {"tld": "io"}, "USD"),  # a vanity domain tells nothing
        ("$ 12.990", {"tld": "cl"}, "CLP"),
        ("kr 99", {"tld": "dk"}, "DKK"),
        ("99 kr", {"locale": "nb"}, "NOK"),
        ("99 kr", {"locale": "sv"}, "SEK"),
        ("12.990 kr.", {"tld": "is"}, "ISK"),
        ("¥500", {"locale": "zh-CN"}, "CNY"),
        ("¥500", {"locale": "ja"}, "JPY"),
        ("1,299 元", {"locale": "zh-Hant-TW"}, "TWD"),
        ("Rs. 2,499", {"tld": "pk"}, "PKR"),
        ("Rs 500", {"locale": "si-LK"}, "LKR"),
        ("L 1 500", {"tld": "al"}, "ALL"),
        ("Bs 120", {"locale": "es-VE"}, "VES"),
        ("29,90 р.", {"tld": "by"}, "BYN"),
        ("199 Dhs", {"tld": "ma"}, "MAD"),
        ("15 000 FCFA", {"tld": "cm"}, "XAF"),
        ("£499", {"tld": "com.eg"}, "EGP"),
    ],
)
def test_ambiguous_markers_follow_the_locale_and_tld_hints(
    text: str, hints: dict[str, str], currency: str
) -> None:
    assert parse_price(text, **hints).currency == currency


def test_without_hints_an_ambiguous_marker_means_its_usual_currency() -> None:
    assert [parse_price(text).currency for text in ("$5", "kr 5", "5 kr.", "¥5", "Rs 5", "£5")] == [
        "USD",
        "SEK",
        "DKK",
        "JPY",
        "INR",
        "GBP",
    ]


def test_the_default_currency_wins_over_hints_when_it_is_a_candidate() -> None:
    assert parse_price("$25", "USD", tld="ca").currency == "USD"
    assert parse_price("$25", "EUR", tld="ca").currency == "CAD"  # EUR is no dollar: the hint decides
    assert parse_price("€25", "USD").currency == "EUR"  # an unambiguous marker beats the default


def test_markers_chained_to_the_amount_narrow_each_other() -> None:
    assert parse_price("$5 CAD") == Price(500, "CAD")
    assert parse_price("CAD $5") == Price(500, "CAD")
    assert parse_price("kr 100 NOK") == Price(10000, "NOK")
    assert parse_price("¥100 (CNY)") == Price(10000, "CNY")


def test_hints_never_invent_a_currency_for_text_without_a_marker() -> None:
    assert parse_price("19.99", locale="en-US", tld="com") == Price(1999, None)
    assert parse_price("19.99", "USD", locale="de-DE") == Price(1999, "USD")


def test_a_price_of_unknown_currency_keeps_its_amount_in_hundredths() -> None:
    assert parse_price("19.99") == Price(1999, None)
    assert parse_price("1.299,00") == Price(129900, None)
    assert parse_price("0.125") == Price(13, None, Decimal("0.125"))
    assert parse_price("FREE") == Price(0, None)
    assert parse_price_or_none("12,-") == Price(1200, None)
    assert Price(1999, None).amount == Decimal("19.99")
    assert str(Price(1999, None)) == "19.99"


def test_word_markers_count_only_next_to_an_amount() -> None:
    assert parse_price("AMD Ryzen 5 5600X 199.99") == Price(500, None)
    assert parse_price("TRY IT: 49.99 $") == Price(4999, "USD")
    assert parse_price("Größe L 42,00 €") == Price(4200, "EUR")
    assert parse_price("49,99 kroner").currency == "SEK"  # a currency word, not 'kr' inside it
    assert parse_price("Set of 3: 10 kr") == Price(1000, "SEK")
    assert parse_price("Q4 deal: $5") == Price(500, "USD")  # a lone letter glued to one digit is a code
    assert parse_price("R2D2 figure $25") == Price(2500, "USD")


def test_hint_countries_read_tlds_and_locales() -> None:
    assert hint_countries("de-CH", "ch") == ("CH", "DE")
    assert hint_countries("en_IN.UTF-8", None) == ("IN",)
    assert hint_countries("sv", "co.uk") == ("GB", "SE")
    assert hint_countries(None, "com.co") == ("CO",)
    assert hint_countries(None, "co") == ()
    assert hint_countries("es-419", "com") == ()


# -- number formats --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "minor", "currency"),
    [
        ("$.75", 75, "USD"),
        (".99 €", 99, "EUR"),
        ("Only $.50", 50, "USD"),
        ("Rs.5", 500, "INR"),  # the dot belongs to the marker
        ("S/.25", 2500, "PEN"),
    ],
)
def test_a_leading_decimal_point_starts_an_amount(text: str, minor: int, currency: str) -> None:
    assert parse_price(text) == Price(minor, currency)


def test_spaces_around_the_decimal_point_are_ignored() -> None:
    assert parse_price("$119. 95") == Price(11995, "USD")
    assert parse_price("$ 1,299. 00") == Price(129900, "USD")
    assert parse_price("$ 19 . 99") == Price(1999, "USD")  # <span>19</span>.<span>99</span>
    assert parse_price("19 .99 €") == Price(1999, "EUR")


def test_an_amount_run_into_its_own_copy_counts_once() -> None:
    assert parse_price("€379.00379.00") == Price(37900, "EUR")
    assert parse_price("1.299,001.299,00 €") == Price(129900, "EUR")
    assert parse_price("1212 €") == Price(121200, "EUR")  # digits alone are one number


def test_three_decimal_currencies_read_three_decimals() -> None:
    assert parse_price("423.923 KD") == Price(423923, "KWD")
    assert parse_price("1.250 BHD") == Price(1250, "BHD")
    assert parse_price("KD 12.5") == Price(12500, "KWD")
    assert parse_price("49,900 DT") == Price(49900, "TND")
    assert parse_price("IQD 25,000") == Price(25000000, "IQD")  # nobody writes fils: thousands


def test_zero_decimal_currencies_count_whole_units() -> None:
    assert parse_price("¥1,980") == Price(1980, "JPY")
    assert parse_price("1.980 Ft") == Price(1980, "HUF")
    assert parse_price("₩15,000") == Price(15000, "KRW")
    assert parse_price("1.290.000 ₫") == Price(1290000, "VND")
    assert parse_price("¥1,234.5") == Price(1235, "JPY", Decimal("1234.5"))  # rounded half-up, exact kept


def test_indian_grouping_and_swiss_apostrophes() -> None:
    assert parse_price("₹1,23,456.00") == Price(12345600, "INR")
    assert parse_price("INR 12,34,567") == Price(123456700, "INR")
    assert parse_price("CHF 1'234.50") == Price(123450, "CHF")


@pytest.mark.parametrize(
    ("text", "minor", "currency"),
    [
        ("12,- €", 1200, "EUR"),
        ("€ 1.299,-", 129900, "EUR"),
        ("1.299,– €", 129900, "EUR"),
        ("CHF 12.–", 1200, "CHF"),
        ("1 299,- Kč", 129900, "CZK"),
        ("199:-", 19900, "SEK"),
        ("9,99 €*", 999, "EUR"),
    ],
)
def test_whole_amounts_written_with_a_dash(text: str, minor: int, currency: str) -> None:
    assert parse_price(text) == Price(minor, currency)


def test_swedish_colon_is_a_decimal_point() -> None:
    assert parse_price("49:90 kr") == Price(4990, "SEK")


def test_cents_split_off_by_a_space_count_only_next_to_a_marker() -> None:
    """'$19 99' is what a page with superscript cents gives as text: with a currency marker
    attached it is 19.99; without one it is two numbers, and the first (19) is taken."""
    assert parse_price("$19 99") == Price(1999, "USD")
    assert parse_price("24 99 €") == Price(2499, "EUR")
    assert parse_price("19 99") == Price(1900, None)
    assert parse_price("¥19 99") == Price(19, "JPY")  # no cents in yen
    assert parse_price("$19.99 12 pack") == Price(1999, "USD")


def test_superscript_cents_and_cents_after_the_sign() -> None:
    assert parse_price("$19⁹⁹") == Price(1999, "USD")
    assert parse_price("19€99") == Price(1999, "EUR")
    assert parse_price("1 299€99") == Price(129999, "EUR")


def test_cent_signs_are_hundredths() -> None:
    assert parse_price("99¢") == Price(99, "USD")
    assert parse_price("99p") == Price(99, "GBP")


def test_non_latin_digits_are_read() -> None:
    assert parse_price("٤٢٣٫٩٢٣ د.ك") == Price(423923, "KWD")
    assert parse_price("￥１２，８００") == Price(12800, "JPY")


def test_arabic_and_adlam_grouping_and_direction_marks() -> None:
    assert parse_price("OMR\u00a01\u060c234\u066b560") == Price(1234560, "OMR")  # Arabic comma groups
    assert parse_price("\u20b91\u060c234\u060c567.89") == Price(123456789, "INR")
    assert parse_price("GH\u20b5\u00a01\u2e41234.56") == Price(123456, "GHS")
    assert parse_price("\u200f1.234,560\u00a0\u062f.\u0644.\u200f") == Price(1234560, "LYD")
    assert parse_price("\u062f.\u0639.\u200f\u00a01,235") == Price(1235000, "IQD")
    assert parse_price("\u200f20\u00a0\u0631.\u064a.\u200f") == Price(2000, "YER")


def test_a_point_ending_a_marker_with_a_vowel_sign_is_the_marker_s() -> None:
    assert parse_price("\u0dbb\u0dd4.19.99") == Price(1999, "LKR")  # රු.19.99
    assert parse_price("\u0930\u0941.1,234.56") == Price(123456, "INR")  # रु.1,234.56


@pytest.mark.parametrize(
    ("text", "locale", "minor", "currency"),
    [
        ("K1,234.56", "en-PG", 123456, "PGK"),
        ("K19.99", "bem-ZM", 1999, "ZMW"),
        ("20\u00a0K", "my-MM", 2000, "MMK"),
        ("Le 5.00", "en-SL", 500, "SLE"),
        ("1 234,56 L", "ro-MD", 123456, None),  # 'L' counts before the amount only (Honduran lempiras)
        ("19,99\u00a0G", "fr-HT", 1999, "HTG"),
        ("E19.99", "en-SZ", 1999, "SZL"),
        ("D5.00", "en-GM", 500, "GMD"),
        ("FC 1.234,56", "fr-CD", 123456, "CDF"),
        ("1.234,56FC", "lu-CD", 123456, "CDF"),
        ("5,00\u00a0den", "sq-MK", 500, "MKD"),
    ],
)
def test_local_letters_mean_the_money_of_the_country_the_page_hints_at(
    text: str, locale: str, minor: int, currency: str | None
) -> None:
    assert parse_price(text, locale=locale) == Price(minor, currency)


@pytest.mark.parametrize("text", ["K1,234.56", "Le 20 mai", "D5.00", "S 20", "E19.99", "den 20."])
def test_local_letters_mean_nothing_on_a_page_of_another_country(text: str) -> None:
    for hints in ({}, {"locale": "fr-FR"}, {"tld": "de"}, {"locale": "en-US", "tld": "com"}):
        found = parse_price_or_none(text, **hints)  # (digits glued to a letter that is no marker: a code)
        assert found is None or found.currency is None, (text, hints)
        found = parse_price_or_none(text, "EUR", **hints)
        assert found is None or found.currency == "EUR", (text, hints)  # the site's own currency


def test_signs_and_abbreviations_of_smaller_currencies() -> None:
    assert parse_price("T$19.99") == Price(1999, "TOP")  # not US dollars
    assert parse_price("Nfk1,234.56") == Price(123456, "ERN")
    assert parse_price("Cg.\u00a01,234.56") == Price(123456, "XCG")
    assert parse_price("Afl.\u00a05,00") == Price(500, "AWG")
    assert parse_price("1\u202f235\u00a0F\u202fCFA") == Price(1235, "XOF")
    assert parse_price("20\u00a0FCFP") == Price(20, "XPF")
    assert parse_price("SR19.99") == Price(1999, "SAR")  # Saudi shops' riyal...
    assert parse_price("SR19.99", locale="en-SC") == Price(1999, "SCR")  # ...and the Seychelles rupee


def test_machine_values_with_unknown_or_symbolic_currency() -> None:
    assert price_from_value("12.50", None) == Price(1250, None)
    assert price_from_value("12.50", "") == Price(1250, None)
    assert price_from_value("12.50", "Monopoly money") == Price(1250, None)
    assert price_from_value("12.50", " usd ") == Price(1250, "USD")
    assert price_from_value("12.50", "€") == Price(1250, "EUR")
    assert price_from_value("12.50", "$", tld="com.au") == Price(1250, "AUD")
    assert price_from_value("1 299 руб.", None) == Price(129900, "RUB")
    assert price_from_value("$24.95", None, locale="en-CA") == Price(2495, "CAD")


@pytest.mark.parametrize(
    ("text", "minor", "currency"),
    [
        # element texts joined without spaces: the marker after each amount still counts
        ("50 złdo negocjacji", 5000, "PLN"),
        ("484,97\u00a0zł599,99\u00a0złrabat 19%", 48497, "PLN"),  # now, was, discount: the first
        ("10,99 €15,99 €", 1099, "EUR"),
        # still: a marker before the amount when the text does not write them after
        ("$10.99$15.99", 1099, "USD"),
        ("2 for $5", 500, "USD"),
    ],
)
def test_markers_after_amounts_in_glued_text(text: str, minor: int, currency: str) -> None:
    assert parse_price(text) == Price(minor, currency)


def test_an_ascii_marker_glued_to_a_word_is_no_marker() -> None:
    assert parse_price("5 krabic").currency is None  # 'kr' in 'krabic' (boxes) is no krona


def test_spanish_dollars_are_us_dollars_even_on_a_peso_country_s_page() -> None:
    assert parse_price("250 dólares", tld="com.ec") == Price(25000, "USD")
    assert parse_price("Dólares 12,50", tld="com.mx") == Price(1250, "USD")


def test_a_chinese_discount_ratio_is_no_price() -> None:
    assert parse_price_or_none("5.0折") is None
    assert parse_price("¥199 8折", locale="zh-CN") == Price(19900, "CNY")


@pytest.mark.parametrize(
    ("value", "currency", "minor"),
    [
        ("19.990", "CLP", 19990),
        (Decimal("19.990"), "CLP", 19990),  # a JSON number, read as Decimal
        ("1.280", "JPY", 1280),
        ("1280.0", "JPY", 1280),
        ("150.000", "IDR", 15000000),  # rupiah have sen that nobody writes: 150,000 rupiah
        ("19.990", "COP", 1999000),
        ("1.235", "LBP", 123500),
        ("19.99", "IDR", 1999),  # not three digits after the dot: a decimal point
        ("19.990", "USD", 1999),
    ],
)
def test_a_machine_value_s_dot_groups_in_a_currency_without_minor_units(
    value: str | Decimal, currency: str, minor: int
) -> None:
    assert price_from_value(value, currency) == Price(minor, currency)


@pytest.mark.parametrize(
    ("text", "minor", "currency"),
    [("€ 19 , 99", 1999, "EUR"), ("1 299 , 00 zł", 129900, "PLN"), ("19 ,99 €", 1999, "EUR")],
)
def test_a_decimal_comma_between_spans_joined_with_spaces(text: str, minor: int, currency: str) -> None:
    assert parse_price(text) == Price(minor, currency)


def test_a_comma_list_is_no_decimal_comma() -> None:
    assert parse_price("Sizes 38, 40, 42 from 19,99 €") == Price(1999, "EUR")


@pytest.mark.parametrize(
    ("text", "minor", "currency"),
    [
        ("â‚¬12,99", 1299, "EUR"),  # UTF-8 read as Windows-1252
        ("Â£12.99", 1299, "GBP"),
        ("C $ 12.99", 1299, "CAD"),  # eBay's Canadian dollars
        ("Rp14,9jt", 1_490_000_000, "IDR"),  # juta: a million
        ("Rp 25rb", 2_500_000, "IDR"),  # ribu: a thousand
        ("1.5万円", 15000, "JPY"),  # 万: ten thousand, the yen sign after it
        ("₹2.5 lakh", 25_000_000, "INR"),
        ("5 ks za 99 Kč", 9900, "CZK"),  # '5 ks' is a count of pieces
    ],
)
def test_mangled_signs_magnitude_words_and_counts(text: str, minor: int, currency: str) -> None:
    assert parse_price(text) == Price(minor, currency)


@pytest.mark.parametrize("text", ["Posledních 124 ks", "Skladem > 5 ks", "only 5 left", "pâte"])
def test_a_count_of_pieces_is_no_price(text: str) -> None:
    assert parse_price_or_none(text) is None


def test_digits_beyond_the_minor_unit_stay_exact_and_round_in_minor_units() -> None:
    unit_price = parse_price("84,0973 €")
    assert (unit_price.minor, unit_price.amount, str(unit_price)) == (8410, Decimal("84.0973"), "84.0973 EUR")
    assert parse_price("$0.0029").amount == Decimal("0.0029")
    assert parse_price("19,990 €").amount == Decimal("19990")  # a thousands mark, as before
    assert parse_price("12,500 KD").amount == Decimal("12.5")  # within the dinar's three digits
    assert parse_price("1,2345678 €") == Price(123, "EUR")  # more digits than a price shows: rounded
    assert Price.from_amount(Decimal("19.989999999"), "EUR") == Price(1999, "EUR")  # a float's noise
    assert Price.from_amount(Decimal("19.9900"), "EUR") == Price(1999, "EUR")  # zeros are no digits
