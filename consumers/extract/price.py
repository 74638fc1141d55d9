# ruff: noqa: RUF002, RUF003  (currency spellings in Cyrillic, Arabic, full-width... are the point here)
"""Price parsing: human price text or a machine value -> Price(minor units, ISO 4217 code or None).

Exact arithmetic only (Decimal, never float). Rules, in the order they apply:

* Currency: an ISO code (USD, CHF...), a sign ($, €, £, ¥, ₹, ₽, R$, US$...) or a local word or
  abbreviation (руб., грн, zł, Kč, Ft, lei, лв, Rp, RM, TL, KD, د.ك, kr, :-, Rs...); the table is
  in `consumers.extract.currencies`. Words count only right next to an amount ('1 299 Kč'), signs
  and ISO codes anywhere; a word ending in a non-ASCII letter also when the page's text ran on
  into the next word ('50 złdo negocjacji'). A marker shared by several currencies ($, kr, ¥,
  Rs, L, Bs, din...) means `default_currency` when that is one of them, else the currency of the
  country the page hints at
  (`tld` such as 'ca' / 'com.au', then the region of `locale` such as 'es-MX' / 'en_IN', then the
  country of the locale's language such as 'sv'), else the usual one (USD, SEK, JPY, INR...).
  Markers chained to the amount narrow each other: '$5 CAD' is CAD, 'kr 100 NOK' is NOK. Else
  the marker nearest the amount wins. With no marker at all, `default_currency` is the currency,
  or None (unknown): the hints only choose among a marker's candidates, they never invent one.
* Number: grouping and decimal separators of many locales: 1,234.56 / 1.234,56 / 1 234,56 /
  1'234.56 / 1,23,456.00 / 12:50 (Swedish). With two kinds of separator the last one is the decimal
  point. With one kind used once, it is a thousands separator when exactly three digits follow and
  the integer part is 1-3 digits not starting with 0 ("1,234" -> 1234, "12.500" -> 12500), unless
  the currency has three decimals (KWD 1.234); else a decimal point ("12,99", "0.500").
  Spaces and apostrophes only ever group. Also: a leading decimal point ("$.75", ".99 €"), spaces
  around the decimal point ("$119. 95", "$ 19 . 99", "19 , 99 €": spans joined with spaces), an
  amount run into its own copy ("379.00379.00": a screen reader's text before the shown one),
  whole amounts written "12,-" / "12.–" / "199:-", cents after the sign ("19€99") or in
  superscript ("19⁹⁹").
* Cents split off by a space ("$19 99", "19 99 €": what a page with <sup>99</sup> cents gives as
  text) are cents only when a currency marker is attached to the amount and the currency has two
  decimals: "$19 99" is 19.99 USD; "19 99" with no marker is 19 (the first number).
* Which amount: the one nearest a currency marker (first on ties), else the first; in text that
  writes markers after the amounts, the first with one ('484,97 zł599,99 zł': the marker glued
  before 599,99 ends 484,97); numbers followed by '%' or '折' (a Chinese discount ratio) are
  ignored. A range "$10 - $20" / "10-20 €" / "10 to 20" gives its low end.
  Leading words such as "from", "ab", "desde" need no handling: the amount after them is taken.
* A magnitude word after an amount multiplies it: "Rp14,9jt" (juta, 10^6), "Rp 25rb" (ribu,
  10^3), "1.5万円" (10^4), "₹2.5 lakh" (10^5), crore (10^7), 億/亿 (10^8). A count of pieces is
  no amount ("5 ks", "124 pcs", "only 5 left").
* UTF-8 text decoded as Windows-1252 ("â‚¬12,99", "Â£5") is read as it was meant.
* Amounts with more decimals than the currency has are rounded half-up ("$0.125" -> 13 cents).
  "99¢" and "99p" are hundredths of the dollar and the pound.
* "Free", "gratis", "kostenlos"... with no amount -> zero in the known (or unknown) currency;
  not when it is the shipping that is free ("Free delivery", "Livraison gratuite": no price).

`parse_price` raises `PriceError` (naming the problem) only for text that holds no usable amount:
no digits, a negative amount, an ambiguous number, an implausibly large one, text longer than
MAX_PRICE_TEXT characters. `parse_price_or_none` returns None instead, for callers that just skip
bad prices.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from consumers.extract.currencies import (
    AFTER,
    BEFORE,
    EXPONENTS,
    ISO_CODES,
    MARKERS,
    WRITTEN_DECIMALS,
    Marker,
    hint_countries,
    resolve,
)

__all__ = [
    "ISO_CODES",
    "MAX_PRICE_TEXT",
    "Price",
    "PriceError",
    "check_currency",
    "exponent",
    "parse_number",
    "parse_price",
    "parse_price_or_none",
    "price_from_value",
]


def _trie_pattern(words: list[str]) -> str:
    """One regex alternative per first character, longer spellings tried first: the regex engine
    skips ahead to a possible first character instead of trying ~700 alternatives everywhere."""
    trie: dict[str, dict] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, dict]) -> str:
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
        return f"(?:{body})?" if "" in node else body

    return emit(trie)


def _bounded(ch: str) -> bool:
    """A letter of a script that separates words ('kr' must not match inside 'kroner'); CJK, Thai
    and Hangul text runs words together, so '99元起' still has its marker."""
    return ch.isalpha() and ch < "\u0e00"


_MARKER = re.compile(_trie_pattern(list(MARKERS)))
# spelling -> (marker, check the character before, check the character after)
_MARKER_INFO = {
    spelling: (m, _bounded(spelling[0]), _bounded(spelling[-1])) for spelling, m in MARKERS.items()
}

_DIGITS = frozenset("0123456789")
_SPACES = " \u00a0\u202f\u2009\u2007\u2008"
_GROUP_ONLY = _SPACES + "'\u2019\u02bc"  # spaces and apostrophes: never a decimal point
_SUPERSCRIPTS = "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079"
_FROM_SUPERSCRIPT = str.maketrans(_SUPERSCRIPTS, "0123456789")
# Digits, with separators only between digits; a space groups when exactly three digits follow, and
# splits off cents when exactly two end the number ("$19 99", decided later). Possessive, so "12.5%"
# is skipped whole instead of backtracking to "12". A leading "." or "," counts unless it follows a
# letter or '/' ("Rs.5", "S/.25": the dot belongs to the marker).
_AMOUNT = re.compile(
    r"(?:(?<![\w.,/])[.,](?=[0-9])|(?<![0-9])(?<![0-9][.,:]))[0-9]"
    rf"(?:[0-9]|[.,](?=[0-9])|:(?=[0-9]{{2}}(?![0-9]))|[{_GROUP_ONLY}](?=[0-9]{{3}}(?![0-9]))"
    rf"|[{_SPACES}]?\.[{_SPACES}](?=[0-9]{{2}}(?![0-9]))|[{_SPACES}]\.(?=[0-9]{{2}}(?![0-9]))"
    rf"|[{_SPACES}],[{_SPACES}]?(?=[0-9]{{2}}(?![0-9]))"
    rf"|[{_SPACES}](?=[0-9]{{2}}(?![0-9]|[{_SPACES}][0-9])))*+"
    rf"(?:[{_SUPERSCRIPTS}]{{2}}(?![{_SUPERSCRIPTS}0-9]))?"
    # Not a percentage, a Chinese discount ratio (5.0折: half the list price) or a count of pieces.
    r"(?!\s?(?:[%\u6298]|(?:ks|pcs?|szt|шт|Stk|Stück|pieces|items|units|left)(?![^\W\d_])))"
)
# Other digit forms and separators shops use, one character for one (positions stay the same).
_NORMALIZE = str.maketrans(
    {
        **{
            chr(base + i): str(i)
            for base in (0x0660, 0x06F0, 0x0966, 0x09E6, 0x0E50, 0xFF10)
            for i in range(10)
        },
        "\u066b": ".",  # Arabic decimal separator
        "\u066c": ",",  # Arabic thousands separator
        "\u060c": ",",  # Arabic comma: some locales group with it ('1،234٫56')
        "\u2e41": ",",  # reversed comma: Adlam's grouping ('1⹁234.56')
        # Direction marks and zero-width spaces around Arabic and Hebrew prices: spaces.
        **dict.fromkeys(("\u200b", "\u200e", "\u200f", "\u061c"), " "),
        "\uff0c": ",",
        "\uff0e": ".",
        "\u3000": " ",
    }
)
# What may stand between an amount and its marker: spaces, brackets, '*', and the dash of "12,-".
_GAP_CHARS = _SPACES + "\t\n()*:.,-\u2013\u2014"
_MAX_GAP = 4
_RANGE_JOINER = re.compile(r"\s*(?:[-\u2013\u2014\u2212~]|to|bis|à|a|al|tot|till|do|до|až)\s*", re.IGNORECASE)
_FREE = re.compile(
    r"\b(?:free|gratis|kostenlos|gratuit|gratuite|gratuito|gratuita|grátis|umsonst|бесплатно|"
    r"безкоштовно|zdarma|darmowy|ücretsiz|ingyenes|ilmainen|δωρεάν)\b",
    re.IGNORECASE,
)
# 'Free delivery', 'Free international postage', 'Livraison gratuite': the shipping is free, no price.
_FREE_SHIPPING = re.compile(
    r"\b(?:delivery|shipping|postage|returns|versand|lieferung|livraison|env[ií]o|spedizione|consegna"
    r"|dostawa|doprava|kargo|frete|verzending|frakt|fragt)\b",
    re.IGNORECASE,
)
# Magnitude words after an amount (Indonesian, Chinese and Japanese, Indian numbering).
_MAGNITUDES = {
    "rb": Decimal(10**3),
    "ribu": Decimal(10**3),
    "jt": Decimal(10**6),
    "juta": Decimal(10**6),
    "\u4e07": Decimal(10**4),  # 万
    "\u842c": Decimal(10**4),  # 萬
    "\u4ebf": Decimal(10**8),  # 亿
    "\u5104": Decimal(10**8),  # 億
    "lakh": Decimal(10**5),
    "lac": Decimal(10**5),
    "crore": Decimal(10**7),
}
# A word ends where the letters do ('5 jtx' holds none); a CJK sign needs no such end ('1.5万円').
_MAGNITUDE = re.compile(
    rf"[ \u00a0]?(?:({'|'.join(word for word in _MAGNITUDES if word.isascii())})(?![^\W\d_])"
    rf"|([{''.join(sign for sign in _MAGNITUDES if not sign.isascii())}]))",
    re.IGNORECASE,
)
_MACHINE_NUMBER = re.compile(r"\s*[0-9]+(?:\.[0-9]+)?\s*")
_GROUPED = re.compile(r"\s*[1-9][0-9]{0,2}(?:\.[0-9]{3})+\s*")  # '19.990', '1.299.000'
_MAX_DIGITS = 15  # integer digits: bounds the Decimal work before the exact check below
_MAX_MINOR = 10**18  # minor units must fit a 64-bit long (Avro), whatever the currency's exponent
# Longer text is no price but a page element chosen too widely; refusing it also bounds the work
# hostile text can cause (2 MB of "$1 $1 ..." took 9 s even once the parser was made linear).
MAX_PRICE_TEXT = 1000
# Digits an amount may have beyond its currency's minor unit and stay exact ('84.0973 €').
MAX_EXTRA_DIGITS = 3

# (start, end, spelling, marker) and (start, end, token, forced fraction digits or None)
_Found = tuple[int, int, str, Marker]
_Num = tuple[int, int, str, "str | None"]


class PriceError(ValueError):
    """The text holds no usable price; the message says why."""


@dataclass(frozen=True, slots=True)
class Price:
    """An exact price: `minor` units (cents, pence, yen...) of ISO 4217 `currency`.

    `currency` is None when the price's currency cannot be told (text with no currency marker and
    no default currency). Such a price counts `minor` in hundredths (exponent 2): Price(1999, None)
    is 19.99 of some currency.

    `exact` is the amount itself when it has digits beyond the minor unit, as unit prices of
    electronic parts and energy do ('84.0973 €', '0,0567 €/kWh'); `minor` is then that amount
    rounded half-up, what a cart charges and what events carry (Money.amount_minor).
    """

    minor: int
    currency: str | None
    exact: Decimal | None = None

    @property
    def amount(self) -> Decimal:
        if self.exact is not None:
            return self.exact
        return Decimal(self.minor).scaleb(-exponent(self.currency))

    @classmethod
    def from_amount(cls, amount: Decimal, currency: str | None) -> Price:
        """`amount` in the currency's minor units (hundredths when None), rounded half-up; kept
        exact too when it has up to MAX_EXTRA_DIGITS digits more (more are a float's noise:
        '210.852001' shown as '210,85 €')."""
        if currency is not None:
            check_currency(currency)
        if not amount.is_finite():
            raise PriceError(f"price amount {amount} is not a number")
        if amount < 0:
            raise PriceError(f"negative price {amount}")
        if amount.adjusted() > _MAX_DIGITS:
            raise PriceError(f"implausibly large price {amount:.3E}")
        places = exponent(currency)
        scaled = amount.scaleb(places)
        minor = int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_UP))
        if minor >= _MAX_MINOR:
            raise PriceError(f"implausibly large price {amount:.3E} {currency}")
        return cls(minor, currency, None if scaled == minor else _beyond_minor_unit(amount, places))

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}" if self.currency else str(self.amount)


def _beyond_minor_unit(amount: Decimal, places: int) -> Decimal | None:
    """`amount` when it has more than `places` digits after the point, at most MAX_EXTRA_DIGITS
    more (trailing zeros aside); else None."""
    normal = amount.normalize()
    digits = -normal.as_tuple().exponent
    return normal if isinstance(digits, int) and places < digits <= places + MAX_EXTRA_DIGITS else None


def exponent(currency: str | None) -> int:
    """Digits after the decimal point in `currency` (2 for most, 0 for JPY, 3 for KWD, 2 for None)."""
    return EXPONENTS.get(currency, 2) if currency else 2


def written_decimals(currency: str | None) -> int:
    """Digits shops write after the decimal point in `currency`: its exponent, or 0 where nobody
    writes the minor units (WRITTEN_DECIMALS: IQD, IDR, COP...)."""
    return WRITTEN_DECIMALS.get(currency, exponent(currency)) if currency else 2


def check_currency(currency: str) -> str:
    if not (isinstance(currency, str) and len(currency) == 3 and currency.isascii() and currency.isupper()):
        raise PriceError(f"currency {currency!r} is not an ISO 4217 code like 'USD'")
    return currency


def parse_price(
    text: str, default_currency: str | None = None, *, locale: str | None = None, tld: str | None = None
) -> Price:
    """Parse human price text such as '$1,234.56', '1.234,56 €' or 'ab 9,99 EUR' (rules above).

    `default_currency` (a site's currency) applies when the text has no currency marker or has an
    ambiguous one that can mean it. `locale` ('de-CH', 'sv', 'en_IN': the page's <html lang> or
    og:locale) and `tld` ('ca', 'com.au') pick among an ambiguous marker's currencies.
    """
    if not isinstance(text, str):
        raise PriceError(f"price text must be a str, got {type(text).__name__}")
    if default_currency is not None:
        check_currency(default_currency)
    if len(text) > MAX_PRICE_TEXT:
        raise PriceError(f"{len(text)} characters of price text, more than {MAX_PRICE_TEXT}")
    if not text.isascii():
        text = _unmangled(text).translate(_NORMALIZE)
    markers = _find_markers(text)
    if any(marker.local for _, _, _, marker in markers):
        countries = hint_countries(locale, tld)
        markers = [found for found in markers if found[3].fits(default_currency, countries)]
    marker_ends = {end for _, end, _, _ in markers}
    nums: list[_Num] = [
        _amount(text, match)
        for match in _AMOUNT.finditer(text)
        if not _glued_to_word(text, match.start(), marker_ends)
    ]
    if markers:
        markers = _usable_markers(text, markers, nums)
        if markers and len(nums) > 1:
            nums = _join_cents_after_sign(nums, markers)
    if not nums:
        if _FREE.search(text) and not _FREE_SHIPPING.search(text):
            currency = _currency(text, markers, None, default_currency, locale, tld)[0]
            return Price(0, currency)
        raise PriceError(f"no amount in {text[:80]!r}")
    chosen = _chosen_amount(text, nums, markers)
    span = _range_around(text, nums, chosen, markers)
    if span[0] is nums[0] and _is_negative(text, span[0][0], markers):
        raise PriceError(f"negative price in {text[:80]!r}")
    currency, scale, attached = _currency(text, markers, chosen, default_currency, locale, tld)
    decimals = written_decimals(currency)
    amount = min(_value(num, decimals, attached and decimals == 2) * _magnitude(text, num[1]) for num in span)
    return Price.from_amount(amount.scaleb(scale) if scale else amount, currency)


def _unmangled(text: str) -> str:
    """UTF-8 text a page or scraper decoded as Windows-1252 ('â‚¬12,99', 'Â£5') as it was meant;
    any other text as it is."""
    if "\u00e2" not in text and "\u00c2" not in text:
        return text
    try:
        return text.encode("cp1252").decode("utf-8")
    except UnicodeError:
        return text


def _magnitude(text: str, end: int) -> Decimal:
    """The factor of a magnitude word right after an amount ('Rp14,9jt': juta, a million;
    '1.5万': ten thousand; '₹2.5 lakh'), else 1."""
    match = _MAGNITUDE.match(text, end)
    return _MAGNITUDES[(match.group(1) or match.group(2)).lower()] if match else Decimal(1)


def parse_price_or_none(
    text: str, default_currency: str | None = None, *, locale: str | None = None, tld: str | None = None
) -> Price | None:
    try:
        return parse_price(text, default_currency, locale=locale, tld=tld)
    except PriceError:
        return None


def price_from_value(
    value: object,
    currency: str | None,
    text_fallback: bool = True,
    *,
    locale: str | None = None,
    tld: str | None = None,
) -> Price:
    """A structured-data price ('1234.56', Decimal('1234.56'), 12): strict, '.' decimal point.

    `currency` is an ISO code, or a sign or word sites put there instead ('€', '$', 'руб.': resolved
    like a marker in text, with the `locale` and `tld` hints); None or an unrecognised one gives a
    price of unknown currency. In a currency without minor units, or whose minor units nobody
    writes (WRITTEN_DECIMALS: IDR, COP...), a dot before three digits groups them ('19.990' CLP,
    quoted or a JSON number, is 19990; '150.000' IDR is 150000: shops' locale formatting in a
    machine field). Sites sometimes put locale text ('1.234,56 €') in machine fields, so a non-numeric
    string falls back to `parse_price` with `currency` as the default.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise PriceError(f"price must be text or a number, got {type(value).__name__}")
    code = _currency_code(currency, locale, tld)
    if code is not None and written_decimals(code) == 0 and _GROUPED.fullmatch(str(value)):
        value = str(value).replace(".", "")  # '19.990' CLP, quoted or not: the shop's grouping
    if isinstance(value, str) and not _MACHINE_NUMBER.fullmatch(value):
        if not text_fallback:
            raise PriceError(f"price {value!r} is not a plain number")
        return parse_price(value, code, locale=locale, tld=tld)
    try:
        return Price.from_amount(Decimal(str(value).strip()), code)
    except InvalidOperation:
        raise PriceError(f"price {value!r} is not a number") from None


def parse_number(token: str, decimals: int = 2) -> Decimal:
    """'1.234,56' -> Decimal('1234.56') by the separator rules in the module docstring.

    `decimals` is the currency's exponent: with 3 (KWD, BHD...) "1.234" is 1.234, not 1234.
    """
    separators = [ch for ch in token if ch not in _DIGITS]
    if not separators:
        return Decimal(token)
    kinds = list(dict.fromkeys(separators))
    last = separators[-1]
    decimal_point: str | None = None
    if len(kinds) > 1:
        if last in _GROUP_ONLY or separators.count(last) > 1:
            raise PriceError(f"ambiguous number {token!r}")
        decimal_point = last
    elif last == ":":
        if len(separators) > 1:
            raise PriceError(f"ambiguous number {token!r}")
        decimal_point = last
    elif last in ".," and separators.count(last) == 1 and (decimals == 3 or not _is_grouping(token, last)):
        decimal_point = last
    integer, _, fraction = token.rpartition(decimal_point) if decimal_point else (token, "", "")
    digits = "".join(ch for ch in integer if ch in _DIGITS)
    if fraction and not (fraction.isascii() and fraction.isdigit()):
        raise PriceError(f"ambiguous number {token!r}")
    if fraction and not digits:
        digits = "0"  # ".75"
    return Decimal(f"{digits}.{fraction}" if fraction else digits)


def _is_grouping(token: str, separator: str) -> bool:
    head, _, tail = token.partition(separator)
    return len(tail) == 3 and 1 <= len(head) <= 3 and not head.startswith("0")


def _grouped_integer(token: str) -> str | None:
    """The digits of a whole number written with one kind of grouping separator ('1,234', '1 234',
    '1,23,456'), else None."""
    if token.isascii() and token.isdigit():
        return token
    groups = re.split(r"[^0-9]", token)
    if len({ch for ch in token if ch not in _DIGITS}) != 1 or not 1 <= len(groups[0]) <= 3:
        return None
    if all(len(group) == 3 for group in groups[1:]) or (
        len(groups[-1]) == 3 and all(len(group) == 2 for group in groups[1:-1])
    ):
        return "".join(groups)
    return None


def _value(num: _Num, decimals: int, cents_ok: bool) -> Decimal:
    """The amount of one number token, with its forced or split-off cents (module docstring)."""
    _, _, token, fraction = num
    half = len(token) // 2
    if len(token) % 2 == 0 and token[:half] == token[half:] and not token[:half].isdigit():
        token = token[:half]  # "379.00379.00": a screen reader's copy run into the shown price
    if fraction is None and len(token) >= 3:
        if token[-1] in _SUPERSCRIPTS:
            token, fraction = token[:-2], token[-2:].translate(_FROM_SUPERSCRIPT)
        elif len(token) >= 4 and token[-3] in _SPACES:
            token, fraction = token[:-3], token[-2:]
            if token[-1] in ".,":  # "$119. 95", "$ 19 . 99", "19 , 99 €" (spans joined with spaces)
                token = token[:-1].rstrip(_SPACES)
            elif not cents_ok:  # "19 99" with no marker: just 19
                return parse_number(token, decimals)
    if fraction is None:
        return parse_number(token, decimals)
    integer = _grouped_integer(token)
    if integer is None:  # "19.99 12": the cents were a second number
        return parse_number(token, decimals)
    return Decimal(f"{integer}.{fraction}")


def _find_markers(text: str) -> list[_Found]:
    found: list[_Found] = []
    end_of_text = len(text)
    for match in _MARKER.finditer(text):
        start, end = match.span()
        spelling = match.group()
        marker, check_before, check_after = _MARKER_INFO[spelling]
        if check_before and start and _bounded(text[start - 1]):
            continue
        if (
            check_after
            and end < end_of_text
            and _bounded(text[end])
            and not _glued_after(spelling, text[end])
        ):
            continue
        found.append((start, end, spelling, marker))
    return found


def _glued_after(spelling: str, following: str) -> bool:
    """Whether a word marker ends where a page's text ran on into the next word: 'zł' in '50
    złdo negocjacji' or '484,97 zł599,99 złrabat' (element texts joined without a space). Only
    for spellings ending in a letter outside ASCII ('zł', 'Kč') before an ASCII one: 'kr' in
    'kroner' stays no marker."""
    return not spelling[-1].isascii() and following.isascii()


def _gap_ok(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is a gap an amount and its marker may have between them (a
    magnitude word may stand in it: '1.5万円')."""
    if not 0 <= end - start <= _MAX_GAP:
        return False
    rest = text[start:end].strip(_GAP_CHARS)
    return not rest or rest.lower() in _MAGNITUDES


def _usable_markers(text: str, markers: list[_Found], nums: list[_Num]) -> list[_Found]:
    """Drop word markers that stand next to no amount ('TRY it', 'AMD Ryzen'), and side-bound ones
    on the wrong side ('99 R', 'p 5')."""
    if all(not marker.adjacent for _, _, _, marker in markers):
        return markers
    starts = [num[0] for num in nums]
    ends = [num[1] for num in nums]
    usable = []
    for found in markers:
        start, end, spelling, marker = found
        if not marker.adjacent:
            usable.append(found)
            continue
        if marker.side != AFTER:  # an amount starts just after the marker
            at = bisect.bisect_left(starts, end)
            if at < len(starts) and _gap_ok(text, end, starts[at]):
                # A lone letter glued to one digit is a code ('Q4', 'R2D2'), not 'R 5'.
                if not (len(spelling) == 1 and starts[at] == end and len(nums[at][2]) == 1):
                    usable.append(found)
                continue
        if marker.side != BEFORE:  # an amount ends just before the marker
            at = bisect.bisect_right(ends, start) - 1
            if at >= 0 and _gap_ok(text, ends[at], start):
                usable.append(found)
    return usable


def _join_cents_after_sign(nums: list[_Num], markers: list[_Found]) -> list[_Num]:
    """'19€99' (French shops): a sign between a whole number and two digits is the decimal point."""
    by_end = {num[1]: i for i, num in enumerate(nums)}
    by_start = {num[0]: i for i, num in enumerate(nums)}
    joined: dict[int, _Num] = {}
    tails: set[int] = set()
    for start, end, _, marker in markers:
        if marker.adjacent or start not in by_end or end not in by_start:
            continue
        head, tail = nums[by_end[start]], nums[by_start[end]]
        if len(tail[2]) == 2 and tail[2].isdigit() and _grouped_integer(head[2]) is not None:
            joined[by_end[start]] = (head[0], tail[1], head[2], tail[2])
            tails.add(by_start[end])
    if not joined:
        return nums
    return [joined.get(i, num) for i, num in enumerate(nums) if i not in tails]


def _amount(text: str, match: re.Match[str]) -> _Num:
    """The amount a match found. A point it starts with that ends a marker in a script with vowel
    signs ('රු.19.99', 'रु.5') is the marker's: _AMOUNT's \\w does not take the sign for a letter."""
    start, token = match.start(), match.group()
    if token[0] in ".," and start and unicodedata.category(text[start - 1]) == "Mn":
        return (start + 1, match.end(), token[1:], None)
    return (start, match.end(), token, None)


def _glued_to_word(text: str, start: int, marker_ends: set[int]) -> bool:
    """Digits right after a letter ('X200', 'SKU-123' is fine) are a model number, not a price."""
    if start == 0 or not _bounded(text[start - 1]):
        return False
    return start not in marker_ends


def _distance_to_marker(num: _Num, markers: list[_Found], starts: list[int], length: int) -> int:
    """Characters between `num` and the nearest marker. Markers do not overlap and come in text
    order, so only the last one starting before the amount ends and the next one can be nearest:
    a bisection, not a scan (a scan per amount made "$1 $1 $1 ..." quadratic: 90,000 characters
    took 550 s)."""
    at = bisect.bisect_left(starts, num[1])
    nearby = markers[max(at - 1, 0) : at + 1]
    return min((max(begin - num[1], num[0] - end, 0) for begin, end, _, _ in nearby), default=length)


def _chosen_amount(text: str, nums: list[_Num], markers: list[_Found]) -> _Num:
    """The amount closest to a currency marker (the first on ties), if one is within two
    characters; else the first with a marker across a gap such as ',- '; else the first."""
    if not markers:
        return nums[0]
    starts = [begin for begin, _, _, _ in markers]
    distances = [_distance_to_marker(num, markers, starts, len(text)) for num in nums]
    nearest = min(range(len(nums)), key=distances.__getitem__)
    if distances[nearest] <= 2:
        if _markers_follow_amounts(text, nums, markers):  # '484,97 zł599,99 zł': the first
            return next(num for num, distance in zip(nums, distances, strict=True) if distance <= 2)
        return nums[nearest]
    for num, distance in zip(nums, distances, strict=True):
        if distance <= _MAX_GAP and _attached(text, markers, starts, num):
            return num
    return nums[0]


def _markers_follow_amounts(text: str, nums: list[_Num], markers: list[_Found]) -> bool:
    """Whether the text writes its markers after the amounts: it starts with an amount and a
    marker, and its last amount has a marker after it. Then a marker glued before the next amount
    ('484,97 zł599,99 zł', '10,99 €15,99 €') ends the amount before it."""
    last = nums[-1][1]
    return (
        len(nums) > 1
        and _gap_ok(text, nums[0][1], markers[0][0])
        and any(_gap_ok(text, last, start) for start, _, _, _ in markers[-2:])
    )


def _attached(text: str, markers: list[_Found], starts: list[int], num: _Num) -> list[_Found]:
    """Markers inside `num` ('19€99') or chained to it across small gaps ('$5 CAD', 'USD $5'),
    nearest first."""
    found: list[tuple[int, _Found]] = []
    at = bisect.bisect_left(starts, num[0])
    position, hops = num[1], 0
    while at < len(markers) and markers[at][0] < num[1]:  # inside
        found.append((0, markers[at]))
        at += 1
    while at < len(markers) and hops < 3 and _gap_ok(text, position, markers[at][0]):  # after
        found.append((markers[at][0] - num[1], markers[at]))
        position, at, hops = markers[at][1], at + 1, hops + 1
    at = bisect.bisect_left(starts, num[0]) - 1
    position, hops = num[0], 0
    while at >= 0 and hops < 3 and _gap_ok(text, markers[at][1], position):
        found.append((num[0] - markers[at][1], markers[at]))
        position, at, hops = markers[at][0], at - 1, hops + 1
    found.sort(key=lambda item: item[0])
    return [item for _, item in found]


def _without_markers(text: str, start: int, end: int, markers: list[_Found]) -> str:
    """text[start:end] with the currency markers in it removed."""
    parts, position = [], start
    at = bisect.bisect_left([begin for begin, _, _, _ in markers], start)
    while at < len(markers) and markers[at][1] <= end:
        parts.append(text[position : markers[at][0]])
        position, at = markers[at][1], at + 1
    parts.append(text[position:end])
    return "".join(parts)


def _range_around(text: str, nums: list[_Num], chosen: _Num, markers: list[_Found]) -> list[_Num]:
    """[low, high] when `chosen` and a neighbour are joined by '-', 'to', 'bis'...; else [chosen]."""
    at = nums.index(chosen)
    for first, second in ((at - 1, at), (at, at + 1)):
        if first >= 0 and second < len(nums):
            between = _without_markers(text, nums[first][1], nums[second][0], markers)
            if len(between) < 20 and _RANGE_JOINER.fullmatch(between):
                return [nums[first], nums[second]]
    return [chosen]


def _is_negative(text: str, start: int, markers: list[_Found]) -> bool:
    """A minus sign before the amount, possibly before its currency marker: '-$5', '$-5', '− 5 €'."""
    ends = {end: begin for begin, end, _, _ in markers}
    position = start
    for _ in range(4):
        while position and text[position - 1] in _SPACES:
            position -= 1
        if position in ends:
            position = ends[position]
        else:
            break
    return position > 0 and text[position - 1] in "-\u2212"


def _currency(
    text: str,
    markers: list[_Found],
    chosen: _Num | None,
    default: str | None,
    locale: str | None,
    tld: str | None,
) -> tuple[str | None, int, bool]:
    """(currency, scale of a cent sign, whether a marker is attached to the amount)."""
    if not markers:
        return default, 0, False
    attached = (
        _attached(text, markers, [begin for begin, _, _, _ in markers], chosen) if chosen is not None else []
    )
    if attached:
        marker = attached[0][3]
        candidates = marker.candidates
        for _, _, _, other in attached[1:]:
            narrowed = tuple(code for code in candidates if code in other.candidates)
            candidates = narrowed or candidates
    else:
        position = chosen[0] if chosen is not None else 0
        marker = min(markers, key=lambda found: abs(found[0] - position))[3]
        candidates = marker.candidates
    currency = resolve(candidates, default, hint_countries(locale, tld))
    return currency, marker.scale, bool(attached)


def _currency_code(currency: str | None, locale: str | None, tld: str | None) -> str | None:
    """An ISO code from a structured-data currency field: 'EUR', ' usd ', '€', 'руб.'; else None
    (also for a code ISO 4217 does not have: 'UAN' for UAH leaves the currency to the page)."""
    if currency is None or not isinstance(currency, str):
        return None
    text = currency.strip()
    if text.upper() in ISO_CODES:
        return text.upper()
    found = MARKERS.get(text)
    if found is None:
        return None
    return resolve(found.candidates, None, hint_countries(locale, tld))
