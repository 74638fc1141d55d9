"""URLs as ScrapeStream sees them: one canonical spelling, a fingerprint, and an SSRF guard.

Every component that accepts a URL (request publisher, HTTP gateway, scrapers following links and
redirects) goes through `canonicalize`, so the same page always has the same Kafka key
(`fingerprint`) and dedup works across spellings.

Canonical form (RFC 3986 normalisation plus a few web conventions):
- only http and https; scheme and host lowercased; non-ASCII hosts to IDNA punycode (UTS #46,
  as browsers do); one trailing dot of the host dropped; default ports (80/443) dropped;
- numeric IPv4 spellings that the C resolver would accept (2130706433, 0177.0.0.1, 0x7f.1, 127.1)
  rewritten as a dotted quad, IPv6 literals compressed - so the SSRF guard sees the address the
  fetch would really connect to;
- percent-escapes with uppercase hex, escaped unreserved characters decoded, every other
  character outside the RFC 3986 set escaped as UTF-8; dot segments resolved; empty path -> "/";
- fragment removed; tracking parameters (`TRACKING_PARAMS`) removed; query parameters sorted by
  name, stable for repeated names; an empty query (trailing "?") removed.

Rejected with `InvalidURL` (message names the problem): non-strings aside, empty or over-long
(> `MAX_URL_LENGTH`) input, whitespace or control characters anywhere (callers strip href
attributes first, as browsers do), relative URLs (resolve them with urljoin first), a scheme other
than http(s), no host, a bad port, and userinfo ("user:pass@host"): credentials never belong in a
scrape request, and "http://shop.example@10.0.0.1/" is a classic way to disguise a target.
"""

from __future__ import annotations

import asyncio
import fnmatch
import hashlib
import ipaddress
import re
import socket
import time
import unicodedata
from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from typing import NamedTuple
from urllib.parse import quote, urlsplit

import idna

MAX_URL_LENGTH = 2048
DEFAULT_PORTS = {"http": 80, "https": 443}

# Query parameters that only say how a visitor arrived, never what page they see. Glob patterns,
# matched case-insensitively against the parameter name. "ref" is deliberately absent: shops and
# code hosts use it for real content (?ref=main, referral ids that change prices).
TRACKING_PARAMS = (
    "utm_*",  # Google Analytics campaign tags
    "gclid", "gbraid", "wbraid", "dclid",  # Google Ads click ids
    "fbclid", "igshid",  # Meta
    "msclkid",  # Microsoft Ads
    "yclid",  # Yandex
    "twclid", "ttclid", "li_fat_id",  # X, TikTok, LinkedIn
    "mc_cid", "mc_eid",  # Mailchimp
    "_ga", "_gl",  # Google Analytics cross-domain linker
    "_hsenc", "_hsmi",  # HubSpot
    "mkt_tok",  # Marketo
)  # fmt: skip
_TRACKING = re.compile("|".join(fnmatch.translate(pattern) for pattern in TRACKING_PARAMS))

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PATH_LITERALS = _UNRESERVED | frozenset("!$&'()*+,;=:@/")
_QUERY_LITERALS = _PATH_LITERALS | {"?"}
_ESCAPE_OR_CHAR = re.compile(r"%[0-9A-Fa-f]{2}|.", re.DOTALL)
_HOSTNAME = re.compile(r"(?:[a-z0-9_-]{1,63}\.)*[a-z0-9_-]{1,63}")
_IPV4_PART = re.compile(r"0x[0-9a-f]*|0[0-7]*|[1-9][0-9]*")


class InvalidURL(ValueError):
    """A URL ScrapeStream will not handle; the message names the problem."""


class BlockedURL(InvalidURL):
    """A well-formed URL the SSRF guard refuses to fetch; the message names what was blocked."""


class _Target(NamedTuple):
    """A canonical URL, split. `port` is None for the scheme's default port."""

    scheme: str
    host: str  # lowercase name, dotted-quad IPv4 or compressed IPv6 (no brackets)
    port: int | None
    path: str
    query: str

    @property
    def effective_port(self) -> int:
        return self.port or DEFAULT_PORTS[self.scheme]

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = f":{self.port}" if self.port else ""
        query = f"?{self.query}" if self.query else ""
        return f"{self.scheme}://{host}{port}{self.path}{query}"


def canonicalize(url: str) -> str:
    """The canonical spelling of an absolute http(s) URL (see the module docstring)."""
    return _parse(url).url


def fingerprint(canonical_url: str) -> str:
    """A 32-hex-digit key for a URL already passed through `canonicalize` (the scrape.requests key).

    Hashes the string as given, so equivalent URLs share a fingerprint only once canonicalised.
    """
    return hashlib.blake2b(canonical_url.encode(), digest_size=16).hexdigest()


def domain_of(url: str) -> str:
    """The politeness key of a URL: its canonical host, and its port when not the scheme's default.

    Per server (host and port) rather than per registrable domain (eTLD+1): robots.txt and crawl
    limits are per server, and it needs no public-suffix list. Written as in a URL's authority
    (`shop.example:8080`, `[::1]:9000`), so it equals the netloc of the canonical URL.
    """
    target = _parse(url)
    host = f"[{target.host}]" if ":" in target.host else target.host
    return host if target.port is None else f"{host}:{target.port}"


def _parse(url: str) -> _Target:
    if not isinstance(url, str):
        raise TypeError(f"url: expected str, got {type(url).__name__}")
    _check_characters(url)
    try:
        parts = urlsplit(url)
    except ValueError as error:  # unbalanced brackets, suspicious Unicode in the host
        raise InvalidURL(f"url: {error}") from None
    if not parts.scheme:
        raise InvalidURL("url: no scheme (expected an absolute http:// or https:// URL)")
    if parts.scheme not in DEFAULT_PORTS:
        raise InvalidURL(f"url: scheme {parts.scheme!r} is not http or https")
    try:
        host, port = split_authority(parts.netloc)
    except InvalidURL as error:
        raise InvalidURL(f"url: {error}") from None
    target = _Target(
        scheme=parts.scheme,
        host=host,
        port=None if port == DEFAULT_PORTS[parts.scheme] else port,
        path=_remove_dot_segments(_normalise_escapes(parts.path or "/", _PATH_LITERALS)),
        query=_canonical_query(parts.query),
    )
    if len(target.url) > MAX_URL_LENGTH:  # escaping can lengthen a URL; keeps canonicalize idempotent
        raise InvalidURL(f"url: canonical form is longer than {MAX_URL_LENGTH} characters")
    return target


def _check_characters(url: str) -> None:
    if not url:
        raise InvalidURL("url: is empty")
    if len(url) > MAX_URL_LENGTH:
        raise InvalidURL(f"url: {len(url)} characters, longer than {MAX_URL_LENGTH}")
    for position, char in enumerate(url):
        if char.isspace():
            raise InvalidURL(f"url: whitespace {char!r} at position {position}")
        if unicodedata.category(char) in ("Cc", "Cs"):  # control characters, lone surrogates
            raise InvalidURL(f"url: control character {char!r} at position {position}")


def split_authority(authority: str) -> tuple[str, int | None]:
    """Canonical (host, explicit port or None) of 'host', 'host:port' or '[ipv6]:port'.

    Raises InvalidURL (message without a "url:" prefix) for userinfo, a bad host or a bad port.
    """
    if "@" in authority:
        raise InvalidURL("userinfo ('user:password@' before the host) is not allowed")
    if authority.startswith("["):
        literal, bracket, rest = authority[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise InvalidURL(f"host {authority!r} is not a bracketed IPv6 address")
        return _ipv6_host(literal), _port(rest[1:])
    name, _, port = authority.partition(":")
    return _hostname(name), _port(port)


def _port(text: str) -> int | None:
    if not text:
        return None  # "http://host:/" means the default port
    if not (text.isascii() and text.isdigit()):
        raise InvalidURL(f"port {text!r} is not a number")
    if not 0 < int(text) < 65536:
        raise InvalidURL(f"port {int(text)} is outside 1-65535")
    return int(text)


def _ipv6_host(literal: str) -> str:
    try:
        if "%" in literal:  # zone ids name a local interface: meaningless outside this machine
            raise ValueError
        return ipaddress.IPv6Address(literal).compressed
    except ValueError:
        raise InvalidURL(f"host [{literal}] is not a valid IPv6 address") from None


def _hostname(name: str) -> str:
    if not name:
        raise InvalidURL("no host")
    host = name.removesuffix(".")
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except UnicodeError as error:  # idna.IDNAError is a UnicodeError
            raise InvalidURL(f"host {name!r} is not a valid internationalised name ({error})") from None
    host = host.lower()
    if len(host) > 253 or not _HOSTNAME.fullmatch(host):
        raise InvalidURL(f"host {name!r} is not a valid hostname")
    address = _loose_ipv4(host)
    return str(address) if address else host


def _loose_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The address inet_aton() would read from `host` (what getaddrinfo connects to), if any.

    1-4 dot-separated numbers, each decimal, octal (leading 0) or hex (0x); the last one fills
    the remaining bytes, so 127.1 is 127.0.0.1 and 2130706433 is 127.0.0.1 too.
    """
    parts = host.split(".")
    if len(parts) > 4 or not all(_IPV4_PART.fullmatch(part) for part in parts):
        return None
    *leading, last = [_ipv4_number(part) for part in parts]
    if any(number > 255 for number in leading) or last >= 256 ** (4 - len(leading)):
        return None
    value = last
    for index, number in enumerate(leading):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def _ipv4_number(part: str) -> int:
    if part.startswith("0x"):
        return int(part[2:] or "0", 16)  # a bare "0x" is 0, as in inet_aton
    return int(part, 8 if part.startswith("0") else 10)


def _normalise_escapes(text: str, literals: frozenset[str]) -> str:
    """Uppercase escapes, decode escaped unreserved characters, escape everything not allowed."""
    pieces = []
    for token in _ESCAPE_OR_CHAR.findall(text):
        if len(token) == 3:
            decoded = chr(int(token[1:], 16))
            pieces.append(decoded if decoded in _UNRESERVED else token.upper())
        else:
            pieces.append(token if token in literals else quote(token, safe=""))
    return "".join(pieces)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4 for an absolute path: '/a/./b/../c' -> '/a/c'."""
    segments = path.split("/")[1:]
    kept: list[str] = []
    for segment in segments:
        if segment == "..":
            if kept:
                kept.pop()
        elif segment != ".":
            kept.append(segment)
    trailing_slash = "/" if segments[-1] in (".", "..") else ""
    return "/" + "/".join(kept) + trailing_slash


def _canonical_query(query: str) -> str:
    pairs = [_normalise_escapes(pair, _QUERY_LITERALS) for pair in query.split("&") if pair]
    kept = [pair for pair in pairs if not _TRACKING.match(pair.partition("=")[0].lower())]
    return "&".join(sorted(kept, key=lambda pair: pair.partition("=")[0]))


# --- SSRF guard -----------------------------------------------------------------------------

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[Iterable[str]]]

_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# First match names the reason; the last entry catches every other special-purpose range
# (documentation, benchmarking, 6to4 relays, ...).
_BLOCKED_KINDS: tuple[tuple[str, Callable[[IPAddress], bool]], ...] = (
    ("a loopback address", lambda ip: ip.is_loopback),
    ("an unspecified address", lambda ip: ip.is_unspecified),
    ("a link-local address (this includes cloud metadata at 169.254.169.254)", lambda ip: ip.is_link_local),
    ("a multicast address", lambda ip: ip.is_multicast),
    ("a shared (CGNAT) address", lambda ip: ip.version == 4 and ip in _CGNAT),
    ("a private address", lambda ip: ip.is_private),
    ("a site-local address", lambda ip: ip.version == 6 and ip.is_site_local),
    ("a reserved address", lambda ip: ip.is_reserved),
    ("not a globally routable address", lambda ip: not ip.is_global),
)


def blocked_reason(address: str | IPAddress) -> str | None:
    """Why a scraper must not connect to `address`, or None for a public address.

    IPv6 forms that carry an IPv4 address (mapped ::ffff:a.b.c.d, compatible ::a.b.c.d, 6to4,
    NAT64) are judged by that IPv4 address too; mapped ones by the IPv4 address alone.
    """
    ip = ipaddress.ip_address(address.split("%")[0] if isinstance(address, str) else address)
    for inner in _embedded_ipv4(ip):
        reason = blocked_reason(inner)
        if reason:
            return f"{inner} in IPv6 form, {reason}"
    if ip.version == 6 and ip.ipv4_mapped:
        return None  # ::ffff:a.b.c.d is only another spelling of a public IPv4 address
    return next((reason for reason, applies in _BLOCKED_KINDS if applies(ip)), None)


def _embedded_ipv4(ip: IPAddress) -> list[ipaddress.IPv4Address]:
    if ip.version == 4:
        return []
    candidates = [ip.ipv4_mapped, ip.sixtofour]
    if 1 < int(ip) < 2**32:  # IPv4-compatible ::a.b.c.d (but not :: or ::1)
        candidates.append(ipaddress.IPv4Address(int(ip)))
    if ip in _NAT64:
        candidates.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return [candidate for candidate in candidates if candidate is not None]


async def system_lookup(host: str, port: int) -> list[str]:
    """The addresses getaddrinfo gives for a name, each once; OSError (socket.gaierror) when it
    does not resolve."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(sockaddr[0]) for *_, sockaddr in infos))


DNS_TTL = 60.0  # seconds CachingResolver answers a name from its cache
DNS_CACHE_SIZE = 10_000  # names it remembers at most; it is emptied when full


class CachingResolver:
    """UrlGuard's name resolution, cached per (host, port) for `ttl` seconds (a look-up per request
    or fetch is slow); the gateway and the scrapers both resolve through it. Concurrent look-ups of
    one name share a single `lookup`.

    A failed look-up is never an answer: it raises (OSError, as getaddrinfo does) to every caller
    waiting for it, so `UrlGuard.check` approves nothing it could not check. The failure is raised
    again for `failure_ttl` seconds without a new look-up (a failing look-up can take seconds), and
    looked up anew after that; by default (0) at once, so a scraper's retry resolves again. Caching
    widens the DNS-rebinding window UrlGuard documents by at most `ttl`.
    """

    def __init__(
        self,
        lookup: Resolver = system_lookup,
        ttl: float = DNS_TTL,
        clock: Callable[[], float] = time.monotonic,
        *,
        failure_ttl: float = 0.0,
    ) -> None:
        self._lookup = lookup
        self._ttl = ttl
        self._failure_ttl = failure_ttl
        self._clock = clock
        self._entries: dict[tuple[str, int], tuple[float, asyncio.Future[Iterable[str]]]] = {}

    async def __call__(self, host: str, port: int) -> Iterable[str]:
        now = self._clock()
        key = (host, port)
        entry = self._entries.get(key)
        if entry is None or entry[0] <= now:
            if len(self._entries) >= DNS_CACHE_SIZE:
                self._entries.clear()
            entry = (now + self._ttl, asyncio.ensure_future(self._lookup(host, port)))
            self._entries[key] = entry
            entry[1].add_done_callback(partial(self._keep_failure, key))
        return await asyncio.shield(entry[1])  # one caller going away must not cancel the others' look-up

    def _keep_failure(self, key: tuple[str, int], lookup: asyncio.Future[Iterable[str]]) -> None:
        """A failed look-up stays in the cache for `failure_ttl` seconds from its failure, not `ttl`."""
        # exception() marks it retrieved: no "exception was never retrieved" when nobody waits any more
        failed = lookup.cancelled() or lookup.exception() is not None
        if failed and key in self._entries and self._entries[key][1] is lookup:
            self._entries[key] = (self._clock() + self._failure_ttl, lookup)


class UrlGuard:
    """Decides whether a scraper may fetch a URL (server-side request forgery protection).

    Refuses non-http(s) URLs and any host that is, or resolves to, a non-public address (see
    `blocked_reason`), unless the host or host:port is on the allowlist (settings.ssrf_allowlist;
    the demo lists its own shop on 127.0.0.1). The allowlist matches the URL's host as written
    (canonicalised), not the addresses a name resolves to. An entry may also be an IP network in
    CIDR notation (127.20.0.0/16, fd00::/8): it lets through IP-literal hosts inside it, on any
    port; names never match a network.

    Both checks return the canonical URL they approved: fetch exactly that string, so the fetch
    cannot parse the URL differently from the guard. Callers must check EVERY redirect hop (fetch
    with allow_redirects=False, urljoin the Location, check it again), or a public page could
    redirect the scraper into the private network. A name may resolve differently at fetch time
    (DNS rebinding); to close that too, connect to the addresses checked here.
    """

    def __init__(self, allowlist: Iterable[str] = (), resolve: Resolver = system_lookup) -> None:
        self._allowed: set[tuple[str, int | None]] = set()
        self._networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in allowlist:
            if entry.strip():
                try:
                    self._allow(entry.strip())
                except ValueError as error:  # InvalidURL, or ipaddress's message for a bad network
                    raise InvalidURL(f"ssrf_allowlist: entry {entry!r}: {error}") from None
        self._resolve = resolve

    def _allow(self, entry: str) -> None:
        if "/" in entry:
            self._networks.append(ipaddress.ip_network(entry))
        else:
            self._allowed.add(split_authority(entry))

    def check_literal(self, url: str) -> str:
        """The canonical URL, unless it is invalid or its host is a blocked IP literal (no DNS)."""
        return self._check_literal(url).url

    async def check(self, url: str) -> str:
        """Like `check_literal`, and also refuses a name if ANY address it resolves to is blocked.

        Name-resolution failures propagate as OSError (socket.gaierror), like any fetch network
        error: a name that does not resolve is never approved.
        """
        target = self._check_literal(url)
        if self._is_allowlisted(target) or _is_ip(target.host):
            return target.url
        for address in await self._resolve(target.host, target.effective_port):
            reason = blocked_reason(address)
            if reason:
                raise BlockedURL(f"url: host {target.host!r} resolves to {address}, {reason}")
        return target.url

    def _check_literal(self, url: str) -> _Target:
        target = _parse(url)
        if not self._is_allowlisted(target) and _is_ip(target.host):
            reason = blocked_reason(target.host)
            if reason:
                raise BlockedURL(f"url: host {target.host!r} is {reason}")
        return target

    def _is_allowlisted(self, target: _Target) -> bool:
        if {(target.host, None), (target.host, target.effective_port)} & self._allowed:
            return True
        return bool(self._networks) and self._in_allowed_network(target.host)

    def _in_allowed_network(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False  # a name: networks match IP literals only
        return any(address in network for network in self._networks)


def _is_ip(host: str) -> bool:
    """Whether a canonical host is an IP literal (else it is a name to resolve)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
