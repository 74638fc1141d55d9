"""Price parsing: human price text or a machine value -> Price(minor units, ISO 4217 code).

Exact arithmetic only (Decimal, never float). Rules, in the order they apply:

* Currency: an ISO code (USD, CHF...) or a symbol ($, €, £, ¥, ₹, kr, zł, R$, Kč...). A symbol
  shared by several currencies ($, ¥, kr, Rs) means `default_currency` when that is one of them,
  else the most common one (USD, JPY, SEK, INR). With no marker, `default_currency` is used.
  When several markers appear, the one nearest the chosen amount wins.
* Number: grouping and decimal separators of many locales: 1,234.56 / 1.234,56 / 1 234,56 /
  1'234.56 / 1,23,456.00. With two kinds of separator the last one is the decimal point. With
  one kind used once, it is a thousands separator when exactly three digits follow and the
  integer part is 1-3 digits not starting with 0 ("1,234" -> 1234, "12.500" -> 12500), unless
  the currency has three decimals (KWD 1.234); else a decimal point ("12,99", "0.500").
  Spaces and apostrophes only ever group.
* Which amount: the one nearest a currency marker (first on ties), else the first; numbers
  followed by '%' are ignored. A range "$10 - $20" / "10-20 €" / "10 to 20" gives its low end.
  Leading words such as "from", "ab", "desde" need no handling: the amount after them is taken.
* Amounts with more decimals than the currency has are rounded half-up ("$0.125" -> 13 cents).
* "Free", "gratis", "kostenlos"... with no amount -> zero in the known currency.

`parse_price` raises `PriceError` (naming the problem) for text that holds no usable price:
no digits, negative amounts, no currency known, an ambiguous number, text longer than
MAX_PRICE_TEXT characters. `parse_price_or_none` returns None instead, for callers that just
skip bad prices.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# ISO 4217 minor-unit exponents that differ from the usual 2.
_EXPONENTS = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX"), 0),
    **dict.fromkeys(("VND", "VUV", "XAF", "XOF", "XPF", "HUF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}
_ISO_CODE_LIST = (
    "AED ARS AUD BGN BHD BRL CAD CHF CLP CNY COP CZK DKK EGP EUR GBP HKD HUF IDR ILS INR ISK JOD JPY KRW "
    "KWD MAD MXN MYR NGN NOK NZD OMR PEN PHP PKR PLN QAR RON RSD RUB SAR SEK SGD THB TND TRY TWD UAH USD "
    "VND ZAR"
)
ISO_CODES = frozenset(_ISO_CODE_LIST.split())
# symbol -> currencies it may mean, the usual one first.
_SYMBOLS: dict[str, tuple[str, ...]] = {
    "US$": ("USD",),
    "CA$": ("CAD",),
    "C$": ("CAD",),
    "AU$": ("AUD",),
    "A$": ("AUD",),
    "NZ$": ("NZD",),
    "HK$": ("HKD",),
    "S$": ("SGD",),
    "MX$": ("MXN",),
    "NT$": ("TWD",),
    "R$": ("BRL",),
    "$": ("USD", "CAD", "AUD", "NZD", "HKD", "SGD", "MXN", "TWD", "ARS", "CLP", "COP"),
    "€": ("EUR",),
    "£": ("GBP",),
    "¥": ("JPY", "CNY"),
    "￥": ("JPY", "CNY"),
    "円": ("JPY",),
    "元": ("CNY",),
    "₹": ("INR",),
    "₩": ("KRW",),
    "₽": ("RUB",),
    "₺": ("TRY",),
    "₪": ("ILS",),
    "฿": ("THB",),
    "₫": ("VND",),
    "₱": ("PHP",),
    "₴": ("UAH",),
    "₦": ("NGN",),
    "zł": ("PLN",),
    "Kč": ("CZK",),
    "Ft": ("HUF",),
    "lei": ("RON",),
    "kr.": ("DKK", "SEK", "NOK", "ISK"),
    "kr": ("SEK", "NOK", "DKK", "ISK"),
    "Rs.": ("INR", "PKR", "LKR", "NPR"),
    "Rs": ("INR", "PKR", "LKR", "NPR"),
    "SFr.": ("CHF",),
    "Fr.": ("CHF",),
    "R": ("ZAR",),
}
_LETTER_SYMBOLS = {symbol for symbol in _SYMBOLS if symbol[0].isalpha() and "$" not in symbol}
_SIGN_SYMBOLS = sorted(set(_SYMBOLS) - _LETTER_SYMBOLS - {"R"}, key=len, reverse=True)

_MARKER = re.compile(
    "|".join(
        [
            rf"(?<![A-Za-z])(?:{'|'.join(sorted(ISO_CODES))})(?![A-Za-z])",
            *(re.escape(symbol) for symbol in _SIGN_SYMBOLS),
            # Letter symbols must stand alone ('kr' but not 'kroner'); a bare 'R' only before a number.
            rf"(?<![^\W\d_])(?:{'|'.join(map(re.escape, sorted(_LETTER_SYMBOLS, key=len, reverse=True)))})"
            r"(?![^\W\d_])",
            r"(?<![^\W\d_])R(?=\s?\d)",
        ]
    )
)
_GROUP_ONLY = " \u00a0\u202f\u2009'\u2019"  # spaces and apostrophes: never a decimal point
_DASHES = "-\u2013\u2014\u2212"
# Digits, with separators only between digits; a space groups only when exactly three digits follow.
# Possessive, so "12.5%" is skipped whole instead of backtracking to "12".
_AMOUNT = re.compile(
    rf"(?<![0-9.,])[0-9](?:[0-9]|[.,](?=[0-9])|[{_GROUP_ONLY}](?=[0-9]{{3}}(?![0-9])))*+(?!\s?%)"
)
_RANGE_JOINER = re.compile(rf"\s*(?:[{_DASHES}~]|to|bis|à|a|al|tot)\s*", re.IGNORECASE)
_NEGATIVE_PREFIX = re.compile(r"[-\u2212]\s*$")
_FREE = re.compile(r"\b(?:free|gratis|kostenlos|gratuit|gratuito|umsonst)\b", re.IGNORECASE)
_MACHINE_NUMBER = re.compile(r"\s*[0-9]+(?:\.[0-9]+)?\s*")
_MAX_DIGITS = 15  # integer digits: bounds the Decimal work before the exact check below
_MAX_MINOR = 10**18  # minor units must fit a 64-bit long (Avro), whatever the currency's exponent
# Longer text is no price but a page element chosen too widely; refusing it also bounds the work
# hostile text can cause (2 MB of "$1 $1 ..." took 9 s even once the parser was made linear).
MAX_PRICE_TEXT = 1000


class PriceError(ValueError):
    """The text holds no usable price; the message says why."""


@dataclass(frozen=True, slots=True)
class Price:
    """An exact price: `minor` units (cents, pence, yen...) of ISO 4217 `currency`."""

    minor: int
    currency: str

    @property
    def amount(self) -> Decimal:
        return Decimal(self.minor).scaleb(-exponent(self.currency))

    @classmethod
    def from_amount(cls, amount: Decimal, currency: str) -> Price:
        """Round `amount` half-up to the currency's minor unit."""
        check_currency(currency)
        if not amount.is_finite():
            raise PriceError(f"price amount {amount} is not a number")
        if amount < 0:
            raise PriceError(f"negative price {amount}")
        if amount.adjusted() > _MAX_DIGITS:
            raise PriceError(f"implausibly large price {amount:.3E}")
        minor = int(amount.scaleb(exponent(currency)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        if minor >= _MAX_MINOR:
            raise PriceError(f"implausibly large price {amount:.3E} {currency}")
        return cls(minor, currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def exponent(currency: str) -> int:
    """Digits after the decimal point in `currency` (2 for most, 0 for JPY, 3 for KWD)."""
    return _EXPONENTS.get(currency, 2)


def check_currency(currency: str) -> str:
    if not (isinstance(currency, str) and len(currency) == 3 and currency.isascii() and currency.isupper()):
        raise PriceError(f"currency {currency!r} is not an ISO 4217 code like 'USD'")
    return currency


def parse_price(text: str, default_currency: str | None = None) -> Price:
    """Parse human price text such as '$1,234.56', '1.234,56 €' or 'ab 9,99 EUR' (rules above)."""
    if not isinstance(text, str):
        raise PriceError(f"price text must be a str, got {type(text).__name__}")
    if default_currency is not None:
        check_currency(default_currency)
    if len(text) > MAX_PRICE_TEXT:
        raise PriceError(f"{len(text)} characters of price text, more than {MAX_PRICE_TEXT}")
    markers = [(match.start(), match.end(), match.group()) for match in _MARKER.finditer(text)]
    marker_ends = {end for _, end, _ in markers}
    amounts = [
        match for match in _AMOUNT.finditer(text) if not _glued_to_word(text, match.start(), marker_ends)
    ]
    if not amounts:
        if _FREE.search(text):
            return Price(0, _currency(markers, 0, default_currency, text))
        raise PriceError(f"no amount in {text[:80]!r}")
    chosen = _chosen_amount(amounts, markers)
    span = _range_around(text, amounts, chosen)
    if span[0] is amounts[0] and _is_negative(text[: span[0].start()]):
        raise PriceError(f"negative price in {text[:80]!r}")
    currency = _currency(markers, chosen.start(), default_currency, text)
    return Price.from_amount(
        min(parse_number(amount.group(), exponent(currency)) for amount in span), currency
    )


def parse_price_or_none(text: str, default_currency: str | None = None) -> Price | None:
    try:
        return parse_price(text, default_currency)
    except PriceError:
        return None


def price_from_value(value: object, currency: str | None, text_fallback: bool = True) -> Price:
    """A structured-data price ('1234.56', 1234.56 as Decimal, 12): strict, '.' decimal point.

    Sites sometimes put locale text ('1.234,56 €') in machine fields, so a non-numeric string
    falls back to `parse_price` with `currency` as the default.
    """
    if currency is None:
        raise PriceError(f"price {value!r} comes with no currency")
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise PriceError(f"price must be text or a number, got {type(value).__name__}")
    if isinstance(value, str) and not _MACHINE_NUMBER.fullmatch(value):
        if not text_fallback:
            raise PriceError(f"price {value!r} is not a plain number")
        return parse_price(value, check_currency(currency.strip().upper()))
    try:
        return Price.from_amount(Decimal(str(value).strip()), check_currency(currency.strip().upper()))
    except InvalidOperation:
        raise PriceError(f"price {value!r} is not a number") from None


def parse_number(token: str, decimals: int = 2) -> Decimal:
    """'1.234,56' -> Decimal('1234.56') by the separator rules in the module docstring.

    `decimals` is the currency's exponent: with 3 (KWD, BHD...) "1.234" is 1.234, not 1234.
    """
    separators = [ch for ch in token if not ch.isdigit()]
    if not separators:
        return Decimal(token)
    kinds = list(dict.fromkeys(separators))
    last = separators[-1]
    decimal_point: str | None = None
    if len(kinds) > 1:
        if last in _GROUP_ONLY or separators.count(last) > 1:
            raise PriceError(f"ambiguous number {token!r}")
        decimal_point = last
    elif last in ".," and separators.count(last) == 1 and (decimals == 3 or not _is_grouping(token, last)):
        decimal_point = last
    integer, _, fraction = token.rpartition(decimal_point) if decimal_point else (token, "", "")
    digits = "".join(ch for ch in integer if ch.isdigit())
    return Decimal(f"{digits}.{fraction}" if fraction else digits)


def _is_grouping(token: str, separator: str) -> bool:
    head, _, tail = token.partition(separator)
    return len(tail) == 3 and 1 <= len(head) <= 3 and not head.startswith("0")


def _glued_to_word(text: str, start: int, marker_ends: set[int]) -> bool:
    """Digits right after a letter ('X200', 'SKU-123' is fine) are a model number, not a price."""
    if start == 0 or not text[start - 1].isalpha():
        return False
    return start not in marker_ends


def _distance_to_marker(match: re.Match[str], markers: list[tuple[int, int, str]], starts: list[int]) -> int:
    """Characters between `match` and the nearest marker. Markers do not overlap and come in text
    order, so only the last one starting before the amount ends and the next one can be nearest:
    a bisection, not a scan (a scan per amount made "$1 $1 $1 ..." quadratic: 90,000 characters
    took 550 s)."""
    at = bisect.bisect_left(starts, match.end())
    nearby = markers[max(at - 1, 0) : at + 1]
    return min(
        (max(begin - match.end(), match.start() - end, 0) for begin, end, _ in nearby),
        default=len(match.string),
    )


def _chosen_amount(amounts: list[re.Match[str]], markers: list[tuple[int, int, str]]) -> re.Match[str]:
    """The amount closest to a currency marker (the first on ties), if one is within two characters."""
    starts = [begin for begin, _, _ in markers]
    distances = [_distance_to_marker(amount, markers, starts) for amount in amounts]
    nearest = min(range(len(amounts)), key=distances.__getitem__)
    return amounts[nearest] if distances[nearest] <= 2 else amounts[0]


def _range_around(text: str, amounts: list[re.Match[str]], chosen: re.Match[str]) -> list[re.Match[str]]:
    """[low, high] when `chosen` and a neighbour are joined by '-', 'to', 'bis'...; else [chosen]."""
    at = amounts.index(chosen)
    for first, second in ((at - 1, at), (at, at + 1)):
        if first >= 0 and second < len(amounts):
            between = _MARKER.sub("", text[amounts[first].end() : amounts[second].start()])
            if _RANGE_JOINER.fullmatch(between):
                return [amounts[first], amounts[second]]
    return [chosen]


def _is_negative(prefix: str) -> bool:
    return bool(_NEGATIVE_PREFIX.search(_MARKER.sub("", prefix[-12:])))


def _currency(markers: list[tuple[int, int, str]], position: int, default: str | None, text: str) -> str:
    if not markers:
        if default is None:
            raise PriceError(f"no currency in {text[:80]!r} and no default currency")
        return default
    _, _, symbol = min(markers, key=lambda marker: abs(marker[0] - position))
    if symbol in ISO_CODES:
        return symbol
    candidates = _SYMBOLS[symbol]
    return default if default in candidates else candidates[0]
