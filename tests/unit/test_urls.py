"""URL canonicalisation, fingerprints and the SSRF guard (scrapestream.urls)."""

import asyncio
import contextlib
import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import given, reject
from hypothesis import strategies as st

from scrapestream.config import load_settings
from scrapestream.urls import (
    MAX_URL_LENGTH,
    BlockedURL,
    CachingResolver,
    InvalidURL,
    UrlGuard,
    blocked_reason,
    canonicalize,
    domain_of,
    fingerprint,
)
from tests.unit.hostile_input import fuzz_settings, mutated_text, no_hang

CANONICAL_CASES = [
    ("HTTP://Example.COM/Path", "http://example.com/Path"),
    ("http://example.com", "http://example.com/"),
    ("http://example.com:80/a", "http://example.com/a"),
    ("https://example.com:443/a", "https://example.com/a"),
    ("http://example.com:443/a", "http://example.com:443/a"),
    ("https://example.com:0080/a", "https://example.com:80/a"),
    ("http://example.com:/a", "http://example.com/a"),
    ("http://example.com./a", "http://example.com/a"),
    ("http://bücher.de/", "http://xn--bcher-kva.de/"),
    ("http://BÜCHER.de/", "http://xn--bcher-kva.de/"),
    (
        "http://\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45\uff0e\uff43\uff4f\uff4d/",
        "http://example.com/",
    ),  # fullwidth
    ("http://example.com/a/./b/../c", "http://example.com/a/c"),
    ("http://example.com/../../a", "http://example.com/a"),
    ("http://example.com/a/b/..", "http://example.com/a/"),
    ("http://example.com/a/%2E%2e/b", "http://example.com/b"),
    ("http://example.com/%7euser/%41", "http://example.com/~user/A"),
    ("http://example.com/a%2fb%3f", "http://example.com/a%2Fb%3F"),
    ("http://example.com/caf%c3%a9", "http://example.com/caf%C3%A9"),
    ("http://example.com/café", "http://example.com/caf%C3%A9"),
    ("http://example.com/100%", "http://example.com/100%25"),
    ('http://example.com/a"b<c>', "http://example.com/a%22b%3Cc%3E"),
    ("http://example.com/a#section", "http://example.com/a"),
    ("http://example.com/a?", "http://example.com/a"),
    ("http://example.com/?b=2&a=1", "http://example.com/?a=1&b=2"),
    ("http://example.com/?b=1&a=9&b=0&a=3", "http://example.com/?a=9&a=3&b=1&b=0"),
    ("http://example.com/?utm_source=x&UTM_Medium=y&id=7", "http://example.com/?id=7"),
    (
        "http://example.com/p?gclid=1&fbclid=2&msclkid=3&mc_cid=4&mc_eid=5&_ga=6&yclid=7",
        "http://example.com/p",
    ),
    ("http://example.com/?ref=main&utm%5Fcampaign=z", "http://example.com/?ref=main"),
    ("http://example.com/?a=1&&b=2&", "http://example.com/?a=1&b=2"),
    ("http://example.com/?q=a+b&q2=caf%c3%a9", "http://example.com/?q=a+b&q2=caf%C3%A9"),
    ("http://example.com/?next=/a?b", "http://example.com/?next=/a?b"),
    ("http://example.com/?x=%26%3d", "http://example.com/?x=%26%3D"),
    ("http://2130706433/", "http://127.0.0.1/"),
    ("http://0177.0.0.1/", "http://127.0.0.1/"),
    ("http://0x7f.1/", "http://127.0.0.1/"),
    ("http://127.1:8080/", "http://127.0.0.1:8080/"),
    ("http://1.2.3.4.5/", "http://1.2.3.4.5/"),
    ("http://[::FFFF:127.0.0.1]/", "http://[::ffff:7f00:1]/"),
    ("http://[2001:DB8:0:0::1]:8443/", "http://[2001:db8::1]:8443/"),
]


@pytest.mark.parametrize(("url", "expected"), CANONICAL_CASES)
def test_canonicalize(url: str, expected: str) -> None:
    assert canonicalize(url) == expected
    assert canonicalize(expected) == expected


def test_fingerprint_is_short_stable_hex() -> None:
    key = fingerprint("http://example.com/")
    assert re.fullmatch(r"[0-9a-f]{32}", key)
    assert key == fingerprint("http://example.com/")
    assert key != fingerprint("http://example.com/a")


def test_equivalent_urls_share_a_fingerprint() -> None:
    spellings = [
        "HTTP://EXAMPLE.com:80/shop/./item/%7e1?utm_source=mail&b=2&a=1#reviews",
        "http://example.com/shop/x/../item/~1?a=1&b=2",
        "http://example.com./shop/item/%7E1?a=1&fbclid=abc&b=2",
    ]
    assert len({fingerprint(canonicalize(url)) for url in spellings}) == 1


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://Shop.Example.com:8080/a", "shop.example.com:8080"),
        ("http://Shop.Example.com:80/a", "shop.example.com"),
        ("https://bücher.de/", "xn--bcher-kva.de"),
        ("http://[::1]:9000/", "[::1]:9000"),
        ("http://[::1]/", "[::1]"),
        ("http://0x7f.1/", "127.0.0.1"),
    ],
)
def test_domain_of(url: str, expected: str) -> None:
    assert domain_of(url) == expected
    assert urlsplit(canonicalize(url)).netloc == expected


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("", "is empty"),
        ("example.com/a", "no scheme"),
        ("/relative/path", "no scheme"),
        ("ftp://example.com/", "scheme 'ftp' is not http or https"),
        ("javascript:alert(1)", "scheme 'javascript' is not http or https"),
        ("http:///path", "no host"),
        ("http://:80/", "no host"),
        ("http://example.com:99999/", "port 99999 is outside 1-65535"),
        ("http://example.com:0/", "port 0 is outside 1-65535"),
        ("http://example.com:8_0/", "port '8_0' is not a number"),
        ("http://example.com:\uff18\uff10/", "port '\uff18\uff10' is not a number"),  # fullwidth digits
        ("http://user:secret@example.com/", "userinfo"),
        ("http://example.com\\@10.0.0.1/", "userinfo"),
        ("http://example.com/" + "a" * MAX_URL_LENGTH, "longer than 2048"),
        ("http://example.com/" + "é" * 500, "canonical form is longer than 2048"),
        ("http://exa mple.com/", "whitespace ' ' at position 10"),
        (" http://example.com/", "whitespace ' ' at position 0"),
        ("http://example.com/\ta", "whitespace '\\t'"),
        ("http://example.com/\x00", "control character '\\x00'"),
        ("http://exa%6dple.com/", "is not a valid hostname"),
        ("http://a..b/", "is not a valid hostname"),
        ("http://[::1/", "Invalid IPv6 URL"),
        ("http://[::1]x/", "is not a bracketed IPv6 address"),
        ("http://[fe80::1%25eth0]/", "is not a valid IPv6 address"),
    ],
)
def test_invalid_urls_name_the_problem(url: str, problem: str) -> None:
    with pytest.raises(InvalidURL, match=re.escape(problem)) as raised:
        canonicalize(url)
    assert str(raised.value).startswith("url: ")


# --- SSRF guard -----------------------------------------------------------------------------

BLOCKED_LITERALS = [
    ("http://127.0.0.1/", "loopback"),
    ("http://127.8.9.10:8080/", "loopback"),
    ("http://10.1.2.3/", "private"),
    ("http://172.16.0.1/", "private"),
    ("http://172.31.255.255/", "private"),
    ("http://192.168.1.1/", "private"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://100.64.0.1/", "CGNAT"),
    ("http://0.0.0.0/", "unspecified"),
    ("http://224.0.0.1/", "multicast"),
    ("http://240.0.0.1/", "private"),
    ("http://[::1]/", "loopback"),
    ("http://[::]/", "unspecified"),
    ("http://[fd00::1]/", "private"),
    ("http://[fe80::1]/", "link-local"),
    ("http://[ff02::1]/", "multicast"),
    ("http://[::ffff:127.0.0.1]/", "127.0.0.1 in IPv6 form, a loopback"),
    ("http://[::ffff:7f00:1]/", "127.0.0.1 in IPv6 form, a loopback"),
    ("http://[::ffff:a9fe:a9fe]/", "169.254.169.254 in IPv6 form, a link-local"),
    ("http://[::7f00:1]/", "127.0.0.1 in IPv6 form, a loopback"),
    ("http://[2002:c0a8:101::1]/", "192.168.1.1 in IPv6 form, a private"),
    ("http://[64:ff9b::a00:1]/", "10.0.0.1 in IPv6 form, a private"),
    ("http://2130706433/", "'127.0.0.1' is a loopback"),
    ("http://0177.0.0.1/", "'127.0.0.1' is a loopback"),
    ("http://0x7f.1/", "'127.0.0.1' is a loopback"),
    ("http://127.1/", "'127.0.0.1' is a loopback"),
    ("http://0xa9fea9fe/", "'169.254.169.254' is a link-local"),
]


@pytest.mark.parametrize(("url", "reason"), BLOCKED_LITERALS)
def test_guard_blocks_non_public_literals(url: str, reason: str) -> None:
    guard = UrlGuard()
    with pytest.raises(BlockedURL, match=re.escape(reason)):
        guard.check_literal(url)
    with pytest.raises(BlockedURL, match=re.escape(reason)):
        asyncio.run(guard.check(url))


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("file:///etc/passwd", "scheme 'file'"),
        ("gopher://127.0.0.1:6379/_INFO", "scheme 'gopher'"),
        ("dict://127.0.0.1:11211/", "scheme 'dict'"),
        ("http://shop.example@127.0.0.1/", "userinfo"),
    ],
)
def test_guard_rejects_what_is_not_a_plain_http_url(url: str, problem: str) -> None:
    with pytest.raises(InvalidURL, match=re.escape(problem)):
        UrlGuard().check_literal(url)


def test_guard_blocks_a_name_resolving_to_loopback() -> None:
    with pytest.raises(
        BlockedURL, match=r"host 'localhost' resolves to (127\.0\.0\.1|::1), a loopback address"
    ):
        asyncio.run(UrlGuard().check("http://localhost:8000/"))


def test_guard_blocks_a_name_if_any_address_is_blocked() -> None:
    async def resolve(host: str, port: int) -> list[str]:
        assert (host, port) == ("shop.example", 443)
        return ["93.184.216.34", "10.0.0.7"]

    guard = UrlGuard(resolve=resolve)
    assert guard.check_literal("https://shop.example/") == "https://shop.example/"  # no DNS here
    with pytest.raises(BlockedURL, match=r"'shop.example' resolves to 10\.0\.0\.7, a private address"):
        asyncio.run(guard.check("https://shop.example/"))


def test_guard_allows_public_addresses_and_returns_the_canonical_url() -> None:
    async def resolve(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]

    guard = UrlGuard(resolve=resolve)
    assert guard.check_literal("http://93.184.216.34/a/../b#x") == "http://93.184.216.34/b"
    assert guard.check_literal("http://[2606:2800:220:1:248:1893:25c8:1946]/") == (
        "http://[2606:2800:220:1:248:1893:25c8:1946]/"
    )
    assert asyncio.run(guard.check("HTTPS://Shop.Example/?utm_source=x")) == "https://shop.example/"


def test_allowlisted_host_port_is_allowed_only_on_that_port() -> None:
    guard = UrlGuard(["127.0.0.1:8000"])
    assert guard.check_literal("http://127.0.0.1:8000/products") == "http://127.0.0.1:8000/products"
    assert asyncio.run(guard.check("http://127.1:8000/")) == "http://127.0.0.1:8000/"
    with pytest.raises(BlockedURL, match="loopback"):
        guard.check_literal("http://127.0.0.1:8001/")


def test_allowlisted_host_is_allowed_on_any_port_without_resolving() -> None:
    async def resolve(host: str, port: int) -> list[str]:
        raise AssertionError("an allowlisted name must not be resolved")

    guard = UrlGuard(["Shop.Internal", "[::1]:9000", " "], resolve=resolve)
    assert asyncio.run(guard.check("http://shop.internal:81/")) == "http://shop.internal:81/"
    assert guard.check_literal("http://[::1]:9000/") == "http://[::1]:9000/"


def test_allowlist_comes_from_settings() -> None:
    settings = load_settings({"SCRAPESTREAM_SSRF_ALLOWLIST": "127.0.0.1:8000, shop.internal"})
    assert settings.ssrf_allowlist == ("127.0.0.1:8000", "shop.internal")
    assert (
        UrlGuard(settings.ssrf_allowlist).check_literal("http://127.0.0.1:8000/") == "http://127.0.0.1:8000/"
    )


def test_bad_allowlist_entry_is_named() -> None:
    with pytest.raises(
        InvalidURL, match=r"ssrf_allowlist: entry '127\.0\.0\.1:http': port 'http' is not a number"
    ):
        UrlGuard(["127.0.0.1:http"])


def test_allowlisted_network_lets_ip_literals_inside_it_through_on_any_port() -> None:
    async def resolve(host: str, port: int) -> list[str]:
        raise AssertionError("an IP literal must not be resolved")

    guard = UrlGuard(["127.20.0.0/16", " fd00::/8 "], resolve=resolve)
    assert guard.check_literal("http://127.20.0.1:8080/p/1") == "http://127.20.0.1:8080/p/1"
    assert asyncio.run(guard.check("http://127.20.255.254:1/")) == "http://127.20.255.254:1/"
    assert guard.check_literal("http://0x7f140001/") == "http://127.20.0.1/"  # judged as canonicalised
    assert guard.check_literal("http://[fd12::1]:9000/") == "http://[fd12::1]:9000/"
    with pytest.raises(BlockedURL, match=r"'127\.21\.0\.1' is a loopback address"):
        guard.check_literal("http://127.21.0.1:8080/")
    with pytest.raises(BlockedURL, match=r"'::ffff:7f14:1' is 127\.20\.0\.1 in IPv6 form"):
        guard.check_literal("http://[::ffff:127.20.0.1]/")  # an IPv4 network matches IPv4 literals only


def test_allowlisted_network_does_not_match_names() -> None:
    async def resolve(host: str, port: int) -> list[str]:
        return ["127.20.0.1"]

    guard = UrlGuard(["127.20.0.0/16"], resolve=resolve)
    with pytest.raises(BlockedURL, match=r"'shop\.internal' resolves to 127\.20\.0\.1, a loopback address"):
        asyncio.run(guard.check("http://shop.internal/"))


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("127.20.0.0/33", "'127.20.0.0/33' does not appear to be an IPv4 or IPv6 network"),
        ("127.20.0.1/16", "127.20.0.1/16 has host bits set"),
        ("shop.internal/8", "'shop.internal/8' does not appear to be an IPv4 or IPv6 network"),
    ],
)
def test_bad_allowlist_network_is_named(entry: str, problem: str) -> None:
    with pytest.raises(InvalidURL, match=re.escape(f"ssrf_allowlist: entry {entry!r}: {problem}")):
        UrlGuard([entry])


def test_name_lookups_are_shared_cached_and_expire() -> None:
    calls: list[str] = []

    async def lookup(host: str, port: int) -> list[str]:
        calls.append(host)
        await asyncio.sleep(0.01)
        return ["93.184.215.14"]

    now = [1000.0]
    resolver = CachingResolver(lookup, ttl=60, clock=lambda: now[0])

    async def scenario() -> None:
        answers = await asyncio.gather(*(resolver("shop.example", 443) for _ in range(50)))
        assert all(answer == ["93.184.215.14"] for answer in answers)
        assert calls == ["shop.example"]
        now[0] += 59
        await resolver("shop.example", 443)
        assert len(calls) == 1
        now[0] += 2
        await resolver("shop.example", 443)
        assert len(calls) == 2

    asyncio.run(scenario())


@pytest.mark.parametrize("failure_ttl", [0, 30])
def test_a_failed_lookup_approves_nothing_and_is_looked_up_again_after_its_failure_ttl(
    failure_ttl: float,
) -> None:
    calls: list[str] = []

    async def lookup(host: str, port: int) -> list[str]:
        calls.append(host)
        await asyncio.sleep(0.01)
        if len(calls) == 1:
            raise OSError(-2, "Name or service not known")
        return ["10.0.0.7"]

    now = [1000.0]
    guard = UrlGuard(resolve=CachingResolver(lookup, ttl=60, clock=lambda: now[0], failure_ttl=failure_ttl))
    url = "https://shop.example/p/1"

    async def scenario() -> None:
        outcomes = await asyncio.gather(*(guard.check(url) for _ in range(20)), return_exceptions=True)
        assert all(isinstance(outcome, OSError) for outcome in outcomes)  # every waiter, one look-up
        assert calls == ["shop.example"]
        if failure_ttl:
            now[0] += failure_ttl - 1
            with pytest.raises(OSError):  # the failure again, without a look-up
                await guard.check(url)
            assert len(calls) == 1
            now[0] += 2
        with pytest.raises(BlockedURL, match=r"resolves to 10\.0\.0\.7"):  # looked up anew
            await guard.check(url)
        assert len(calls) == 2

    asyncio.run(scenario())


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:93.184.216.34"])
def test_public_addresses_have_no_block_reason(address: str) -> None:
    assert blocked_reason(address) is None


# --- properties -----------------------------------------------------------------------------

_hosts = st.one_of(
    st.from_regex(r"[a-zA-Z0-9]{1,10}(\.[a-zA-Z0-9-]{1,10}){0,3}\.?", fullmatch=True),
    st.sampled_from(["bücher.de", "ÉCOLE.fr", "例え.jp", "[::1]", "[2001:DB8::1]", "0x7f.1", "10.0.0.1"]),
)
_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp")), max_size=12)
_path_segments = st.lists(st.one_of(st.sampled_from([".", "..", "", "%2e", "%7E", "%zz"]), _text), max_size=6)
_query_pairs = st.lists(
    st.tuples(st.sampled_from(["a", "B", "utm_source", "gclid", "q", "%41", ""]), _text), max_size=5
)


@st.composite
def _urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "Https"]))
    port = draw(st.sampled_from(["", ":", ":80", ":443", ":8080", ":065535"]))
    path = "/".join(draw(_path_segments))
    query = "&".join(f"{key}={value}" for key, value in draw(_query_pairs))
    fragment = draw(st.sampled_from(["", "#", "#top"]))
    return f"{scheme}://{draw(_hosts)}{port}/{path}?{query}{fragment}"


@given(_urls())
def test_canonicalize_is_idempotent(url: str) -> None:
    try:
        canonical = canonicalize(url)
    except InvalidURL:
        reject()
    assert canonical.isascii()
    assert canonicalize(canonical) == canonical
    assert fingerprint(canonicalize(canonical)) == fingerprint(canonical)


@given(st.one_of(st.text(), st.text().map(lambda text: "http://" + text), _urls().map(lambda url: url[:40])))
def test_any_text_is_canonical_or_invalid(text: str) -> None:
    with contextlib.suppress(InvalidURL):
        assert isinstance(canonicalize(text), str)


# --- hostile input --------------------------------------------------------------------------

SEED_URLS = [url for url, _ in CANONICAL_CASES] + [url for url, _ in BLOCKED_LITERALS]


@fuzz_settings(max_examples=1000)
@given(st.sampled_from(SEED_URLS).flatmap(mutated_text))
def test_mutated_urls_are_canonical_or_invalid_and_the_guard_decides(url: str) -> None:
    with no_hang():
        try:
            canonical = canonicalize(url)
        except InvalidURL:
            return
        assert canonicalize(canonical) == canonical
        try:
            assert UrlGuard().check_literal(url) == canonical
        except BlockedURL as error:
            assert str(error).startswith("url: host ")


BLOCKED_NETWORKS = [
    "127.0.0.0/8",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "169.254.0.0/16",
    "0.0.0.0/8",
]


def _ipv4_in(network: str) -> st.SearchStrategy[ipaddress.IPv4Address]:
    net = ipaddress.IPv4Network(network)
    return st.integers(int(net.network_address), int(net.broadcast_address)).map(ipaddress.IPv4Address)


_NUMBER_STYLES = {
    "decimal": str,
    "octal": lambda value: f"0{value:o}",
    "hex": lambda value: f"0x{value:x}",
    "HEX": lambda value: f"0X{value:X}",
}


@st.composite
def _spellings(draw: st.DrawFn, address: ipaddress.IPv4Address) -> str:
    """`address` as a URL host the way inet_aton (1-4 parts, each decimal, octal or hex; the last
    fills the remaining bytes) or an IPv6 literal carrying it can spell it."""
    value = int(address)
    form = draw(st.sampled_from([1, 2, 3, 4, "mapped", "compatible", "nat64", "6to4"]))
    if isinstance(form, int):
        parts = [*value.to_bytes(4, "big")[: form - 1], value & (2 ** (8 * (5 - form)) - 1)]
        styles = draw(st.lists(st.sampled_from(list(_NUMBER_STYLES)), min_size=form, max_size=form))
        return ".".join(_NUMBER_STYLES[style](part) for part, style in zip(parts, styles, strict=True))
    ipv6 = {
        "mapped": f"::ffff:{address}",
        "compatible": f"::{address}",
        "nat64": f"64:ff9b::{address}",
        "6to4": f"2002:{value >> 16:x}:{value & 0xFFFF:x}::1",
    }[form]
    return f"[{draw(st.sampled_from([ipv6, ipv6.upper()]))}]"


@fuzz_settings(max_examples=1000)
@given(
    address=st.sampled_from(BLOCKED_NETWORKS).flatmap(_ipv4_in),
    data=st.data(),
    port=st.sampled_from(["", ":80", ":8080"]),
)
def test_every_spelling_of_a_non_public_ipv4_address_is_blocked(
    address: ipaddress.IPv4Address, data: st.DataObject, port: str
) -> None:
    url = f"http://{data.draw(_spellings(address))}{port}/admin"
    with pytest.raises(BlockedURL) as blocked:
        UrlGuard().check_literal(url)
    if int(address) > 1:  # IPv4-compatible 0.0.0.0 and 0.0.0.1 are "::" and "::1", named as such
        assert str(address) in str(blocked.value)


PRIVATE_ANSWERS = ["10.0.0.7", "127.0.0.1", "::1", "169.254.169.254", "::ffff:192.168.0.1", "fd00::5"]


@fuzz_settings(max_examples=300)
@given(
    public=st.lists(st.sampled_from(["93.184.216.34", "8.8.8.8", "2606:4700::1111"]), max_size=3),
    private=st.lists(
        st.sampled_from(["10.0.0.7", "127.0.0.1", "::1", "169.254.169.254", "::ffff:192.168.0.1", "fd00::5"]),
        max_size=2,
    ),
    order=st.randoms(use_true_random=False),
)
def test_a_name_is_blocked_if_any_address_it_resolves_to_is_not_public(
    public: list[str], private: list[str], order: Any
) -> None:
    addresses = public + private
    order.shuffle(addresses)

    async def resolve(host: str, port: int) -> list[str]:
        return addresses

    check = UrlGuard(resolve=resolve).check("https://shop.example/p")
    if private:
        with pytest.raises(BlockedURL, match=re.escape("'shop.example' resolves to")):
            asyncio.run(check)
    else:
        assert asyncio.run(check) == "https://shop.example/p"
