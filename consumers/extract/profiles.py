"""Per-site extraction profiles: CSS selectors per field, from a TOML file (see profiles.toml).

Profiles are validated when loaded (unknown fields, bad selectors, bad regexes raise
ProfileError naming the site and field), so a typo fails at start-up, not on every page.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from consumers.extract.availability import normalise_availability
from consumers.extract.model import PRODUCT_FIELDS
from consumers.extract.price import PriceError, check_currency, parse_price_or_none
from consumers.extract.values import absolute_url, clean_text, node_text, split_category, to_count, to_float

DEFAULT_PROFILES = Path(__file__).with_name("profiles.toml")
_SITE_KEYS = {"name", "currency", "product_links", "next_page", "fields", "aliases", "sku_from_url"}
_PROFILE_FIELDS = set(PRODUCT_FIELDS) - {"attributes"}
_RULE_KEYS = {"css", "attr", "regex", "all"}
_EMPTY_DOCUMENT = LexborHTMLParser("<html></html>")


class ProfileError(ValueError):
    """A site profile is malformed; the message names the site and the field."""


@dataclass(frozen=True, slots=True)
class FieldRule:
    css: str
    attr: str | None = None
    regex: re.Pattern[str] | None = None
    all: bool = False

    def values(self, tree: LexborHTMLParser) -> list[str]:
        nodes = tree.css(self.css) if self.all else [node for node in [tree.css_first(self.css)] if node]
        return [value for value in map(self._value, nodes) if value]

    def _value(self, node: LexborNode) -> str | None:
        raw = node.attributes.get(self.attr) if self.attr else node_text(node)
        if raw is None or self.regex is None:
            return clean_text(raw)
        match = self.regex.search(raw)
        if match is None:
            return None
        return clean_text(match.group(1) if self.regex.groups else match.group())


@dataclass(frozen=True, slots=True)
class SiteProfile:
    site: str
    name: str = ""
    currency: str | None = None
    product_links: str | None = None
    next_page: str | None = None
    fields: Mapping[str, FieldRule] = field(default_factory=dict)
    # The SKU as the product URL spells it (group 1), for the visible-markup fallback (visible/codes.py).
    sku_from_url: re.Pattern[str] | None = None


class Profiles:
    """Site profiles by host[:port]; lookup tries host:port, then host, then host without 'www.'."""

    def __init__(self, profiles: Mapping[str, SiteProfile] | None = None) -> None:
        self._by_site = {site.lower(): profile for site, profile in (profiles or {}).items()}

    @classmethod
    def load(cls, path: Path = DEFAULT_PROFILES) -> Profiles:
        try:
            return cls.parse(path.read_text(encoding="utf-8"), str(path))
        except OSError as error:
            raise ProfileError(f"{path}: cannot read profiles: {error}") from None

    @classmethod
    def parse(cls, text: str, origin: str = "<profiles>") -> Profiles:
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise ProfileError(f"{origin}: not valid TOML: {error}") from None
        profiles: dict[str, SiteProfile] = {}
        for site, table in document.items():
            profile = _site_profile(site, table, origin)
            for key in [site, *_aliases(site, table, origin)]:
                profiles[key] = profile
        return cls(profiles)

    def for_url(self, url: str) -> SiteProfile | None:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        for key in (parts.netloc.lower(), host, host.removeprefix("www.")):
            if key in self._by_site:
                return self._by_site[key]
        return None

    def sites(self) -> list[str]:
        return sorted(self._by_site)

    def __getitem__(self, site: str) -> SiteProfile:
        return self._by_site[site.lower()]


def profile_fields(profile: SiteProfile, tree: LexborHTMLParser, base_url: str) -> dict[str, object]:
    """The fields the profile's rules find on this page, converted to ProductData types."""
    found: dict[str, object] = {}
    for name, rule in profile.fields.items():
        values = rule.values(tree)
        if values:
            found[name] = _convert(name, values, profile, base_url)
    return found


def _convert(name: str, values: list[str], profile: SiteProfile, base_url: str) -> object:
    text = values[0]
    if name == "price":
        return parse_price_or_none(text, profile.currency)
    if name == "availability":
        return normalise_availability(text)
    if name == "rating":
        return to_float(text)
    if name == "review_count":
        return to_count(text)
    if name == "image_url":
        return absolute_url(text, base_url)
    if name == "category_path":
        return values if len(values) > 1 else split_category(text)
    return text


def _site_profile(site: str, table: object, origin: str) -> SiteProfile:
    where = f"{origin}: site {site!r}"
    if not isinstance(table, dict):
        raise ProfileError(f"{where}: expected a table of settings")
    unknown = set(table) - _SITE_KEYS
    if unknown:
        raise ProfileError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))}; allowed: {sorted(_SITE_KEYS)}"
        )
    currency = table.get("currency")
    if currency is not None:
        try:
            check_currency(currency)
        except PriceError as error:
            raise ProfileError(f"{where}: {error}") from None
    fields_table = table.get("fields", {})
    if not isinstance(fields_table, dict):
        raise ProfileError(f"{where}: 'fields' must be a table")
    return SiteProfile(
        site=site,
        name=str(table.get("name", "")),
        currency=currency,
        product_links=_selector(table.get("product_links"), f"{where} product_links"),
        next_page=_selector(table.get("next_page"), f"{where} next_page"),
        fields={name: _rule(name, spec, where) for name, spec in fields_table.items()},
        sku_from_url=_url_regex(table.get("sku_from_url"), f"{where} sku_from_url"),
    )


def _aliases(site: str, table: dict[str, object], origin: str) -> list[str]:
    aliases = table.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(alias, str) for alias in aliases):
        raise ProfileError(f"{origin}: site {site!r}: aliases must be a list of host[:port] strings")
    return aliases


def _rule(name: str, spec: object, where: str) -> FieldRule:
    where = f"{where} field {name!r}"
    if name not in _PROFILE_FIELDS:
        raise ProfileError(f"{where}: unknown field; profiles may set {', '.join(sorted(_PROFILE_FIELDS))}")
    if isinstance(spec, str):
        spec = {"css": spec}
    if not isinstance(spec, dict) or not isinstance(spec.get("css"), str):
        raise ProfileError(f"{where}: give a CSS selector string or a table with 'css'")
    unknown = set(spec) - _RULE_KEYS
    if unknown:
        raise ProfileError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))}; allowed: {sorted(_RULE_KEYS)}"
        )
    return FieldRule(
        css=_selector(spec["css"], where) or "",
        attr=spec.get("attr"),
        regex=_regex(spec.get("regex"), where),
        all=bool(spec.get("all", False)),
    )


def _selector(css: object, where: str) -> str | None:
    if css is None:
        return None
    if not isinstance(css, str) or not css.strip():
        raise ProfileError(f"{where}: CSS selector must be a non-empty string")
    try:
        _EMPTY_DOCUMENT.css(css)
    except SelectolaxError:
        raise ProfileError(f"{where}: invalid CSS selector {css!r}") from None
    return css


def _regex(pattern: object, where: str) -> re.Pattern[str] | None:
    if pattern is None:
        return None
    if not isinstance(pattern, str):
        raise ProfileError(f"{where}: regex must be a string")
    try:
        compiled = re.compile(pattern)
    except re.error as error:
        raise ProfileError(f"{where}: invalid regex {pattern!r}: {error}") from None
    if compiled.groups > 1:
        raise ProfileError(f"{where}: regex {pattern!r} has {compiled.groups} groups; use at most one")
    return compiled


def _url_regex(pattern: object, where: str) -> re.Pattern[str] | None:
    """A regex with exactly one group: the value is that group, so a pattern without one is a typo."""
    compiled = _regex(pattern, where)
    if compiled is not None and compiled.groups != 1:
        raise ProfileError(f"{where}: regex {compiled.pattern!r} needs exactly one group (the SKU)")
    return compiled
