"""Small coercions shared by every source: loose structured-data values -> clean Python values."""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborNode

_SPACES = re.compile(r"\s+")
_NUMBER = re.compile(r"[0-9]+(?:[.,][0-9]+)?")
_COUNT = re.compile(r"[0-9][0-9,.\u00a0\u202f ]*")
_HOME_CRUMBS = frozenset({"home", "start", "startseite", "accueil", "inicio", "homepage", "home page"})


def clean_text(value: object) -> str | None:
    """A one-line string, or None for empty values; dicts give their 'name', lists their first."""
    if isinstance(value, list):
        return next((text for text in map(clean_text, value) if text), None)
    if isinstance(value, dict):
        return clean_text(value.get("name"))
    if value is None or isinstance(value, bool):
        return None
    text = _SPACES.sub(" ", str(value)).strip()
    return text or None


def node_text(node: LexborNode) -> str | None:
    return clean_text(node.text(deep=True, separator=" "))


def to_float(value: object) -> float | None:
    """4.5, '4,5', '4.5 out of 5' -> 4.5. (Ratings only: prices never go through float.)"""
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        number = float(Decimal(value))  # float(int) overflows beyond 1e308; via Decimal it is inf
        return number if math.isfinite(number) else None
    text = clean_text(value)
    match = _NUMBER.search(text) if text else None
    if match is None:
        return None
    try:
        number = float(Decimal(match.group().replace(",", ".")))
    except InvalidOperation:
        return None
    return number if math.isfinite(number) else None  # 400 digits of "rating" are no rating


def to_count(value: object) -> int | None:
    """12, '1,234 reviews', '(1.234)' -> a non-negative int."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value >= 0 else None
    if isinstance(value, Decimal):
        return int(value) if value.is_finite() and value >= 0 else None
    text = clean_text(value)
    match = _COUNT.search(text) if text else None
    if match is None:
        return None
    digits = "".join(ch for ch in match.group() if ch.isdigit())
    return int(digits) if len(digits) <= 18 else None


def absolute_url(value: object, base_url: str) -> str | None:
    """An http(s) URL resolved against the page; anything else (data:, javascript:) -> None."""
    href = clean_text(value.get("url") or value.get("contentUrl") if isinstance(value, dict) else value)
    if not href:
        return None
    try:
        resolved = urljoin(base_url, href)
        parts = urlsplit(resolved)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return parts._replace(fragment="").geturl()


def first(value: object) -> object:
    return value[0] if isinstance(value, list) and value else value


def as_list(value: object) -> list[object]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def clean_category_path(names: list[str | None], title: str | None) -> tuple[str, ...]:
    """Breadcrumb names without the leading 'Home' and a trailing crumb that is the product itself."""
    path = [name for name in names if name]
    if path and path[0].lower() in _HOME_CRUMBS:
        path = path[1:]
    if path and title and path[-1].casefold() == title.casefold():
        path = path[:-1]
    return tuple(path)


def split_category(text: str | None) -> list[str | None]:
    """'Electronics > Audio > Headphones' (also '/', '|' and angle-quote separators) -> its parts."""
    if not text:
        return []
    return [clean_text(part) for part in re.split(r"\s*[>/|\u203a\u00bb]\s*", text)]
