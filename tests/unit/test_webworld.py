"""The web world fixture: addressing, seeded profiles, robots.txt ground truth, pages, limits, stats.

Nothing here depends on timing: worlds answer at once (latency_scale=0) and arrivals are timed
by a fake clock the test moves.
"""

from __future__ import annotations

import http.client
import json
import re
import resource
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from protego import Protego

import webworld.process
from consumers.extract import extract_links, extract_product
from tests.unit.shop_runner import Fetched, fetch
from webworld import (
    VIOLATION_KINDS,
    DomainProfile,
    RunningWorld,
    WebWorld,
    WorldConfig,
    WorldConfigError,
    WorldProcess,
    politeness_ceiling,
    profiles_from_json,
)
from webworld.answers import answer, refusals
from webworld.config import ROBOTS_VARIANTS
from webworld.ledger import DomainLedger
from webworld.profiles import build_profiles
from webworld.robots import disallows

REPO = Path(__file__).resolve().parents[2]
OUR_AGENT = "ScrapeStreamBot/0.1"  # as the scraper sends it (settings.scraper_user_agent)


class FakeClock:
    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def robots_only(variant: str) -> dict[str, float]:
    return {f"robots_{name}_share": float(name == variant) for name in ROBOTS_VARIANTS}


def quiet_config(**overrides: Any) -> WorldConfig:
    """A small world that answers at once: every domain fast, reliable and lenient unless overridden."""
    settings: dict[str, Any] = {
        "seed": 7,
        "domains": 8,
        "products_per_domain": 12,
        "latency_scale": 0.0,
        "slow_share": 0.0,
        "tarpit_share": 0.0,
        "flaky_share": 0.0,
        "strict_share": 0.0,
    }
    return WorldConfig(**{**settings, **overrides})


StartWorld = Callable[..., WebWorld]


@pytest.fixture
def start_world() -> Iterator[StartWorld]:
    """start_world(clock=None, **config overrides) -> a started WebWorld, stopped after the test."""
    with ExitStack() as stack:

        def start(clock: Callable[[], float] = time.monotonic, **overrides: Any) -> WebWorld:
            return stack.enter_context(RunningWorld(quiet_config(**overrides), clock=clock))

        yield start


def get_at(clock: FakeClock, now: float, url: str) -> Fetched:
    clock.now = now
    return fetch(url)


def domain_stats(world: WebWorld, profile: DomainProfile) -> dict[str, Any]:
    return world.stats().to_json()["domains"][profile.index]


# -- the world's shape ------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_profiles_and_another_seed_other_ones() -> None:
    profiles = build_profiles(WorldConfig(seed=3, domains=50), 8000)
    assert build_profiles(WorldConfig(seed=3, domains=50), 8000) == profiles
    other = build_profiles(WorldConfig(seed=4, domains=50), 8000)
    for field in ("products", "robots", "strict", "currency", "crawl_delay"):
        assert [getattr(profile, field) for profile in other] != [
            getattr(profile, field) for profile in profiles
        ]


def test_shares_of_domain_kinds_are_exact() -> None:
    config = WorldConfig(domains=200, tarpit_share=0.05, flaky_share=0.1, strict_share=0.25)
    profiles = build_profiles(config, 8000)
    assert sum(profile.tarpit for profile in profiles) == 10
    assert sum(profile.flaky for profile in profiles) == 20
    assert sum(profile.strict for profile in profiles) == 50
    assert Counter(profile.robots for profile in profiles) == {
        variant: round(share * 200) for variant, share in config.robots_shares().items()
    }
    untarpitted = build_profiles(WorldConfig(domains=200, tarpit_share=0.0), 8000)  # a tarpit is never slow
    assert sum(profile.median_latency_ms == 400.0 for profile in untarpitted) == 20
    assert {profile.median_latency_ms for profile in profiles if profile.tarpit} == {6500.0}


def test_every_domain_has_its_own_address_on_one_port(start_world: StartWorld) -> None:
    world = start_world(domains=5, network="127.21.3.0/24")
    assert [profile.host for profile in world.profiles] == [f"127.21.3.{n}" for n in range(1, 6)]
    assert {profile.port for profile in world.profiles} == {world.port}
    assert world.allowlist == world.network == "127.21.3.0/24"
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert soft == hard
    for profile in world.profiles:
        assert f"<h1>Shop at {profile.domain}</h1>" in fetch(profile.base_url + "/").text


def test_the_socket_address_decides_the_domain_not_the_host_header(start_world: StartWorld) -> None:
    world = start_world(domains=2)
    first, second = world.profiles
    connection = http.client.HTTPConnection(second.host, world.port, timeout=10)
    try:
        connection.request("GET", "/", headers={"Host": first.domain})
        assert f"Shop at {second.domain}" in connection.getresponse().read().decode()
    finally:
        connection.close()
    assert [row["requests"] for row in world.stats().to_json()["domains"]] == [0, 1]


# -- robots.txt -------------------------------------------------------------------------------

PROBE_PATHS = [
    "/",
    "/p/x-1",
    "/p/x-1-private",
    "/p/x-private-1",
    "/p/x-1-private?page=2",
    "/p/x-1-private/",
    "/p/archive-x-1",
    "/p/archive-current-x-1",
    "/p/archive-current-x-1-private",
    "/p/archive-x-1-private",
    "/p/archive",
    "/cart/1",
]


def test_robots_ground_truth_agrees_with_an_rfc_9309_parser() -> None:
    profiles = build_profiles(WorldConfig(seed=5, domains=40, products_per_domain=30), 8000)
    for profile in profiles:
        if profile.robots_txt is None:
            assert profile.robots == "missing"
            continue
        parser = Protego.parse(profile.robots_txt)
        for path in profile.products:
            allowed = parser.can_fetch(profile.base_url + path, OUR_AGENT)
            assert allowed == (path not in profile.disallowed), (profile.robots, path)
        for path in PROBE_PATHS:
            assert parser.can_fetch(profile.base_url + path, OUR_AGENT) != disallows(profile.robots, path)
        assert parser.crawl_delay(OUR_AGENT) == profile.crawl_delay


def test_robots_rules_exercise_groups_anchors_and_the_longest_match() -> None:
    profiles = build_profiles(WorldConfig(seed=5, domains=40, products_per_domain=30), 8000)
    disallowing = [profile for profile in profiles if profile.robots == "disallow"]
    disallowed = {path for profile in disallowing for path in profile.disallowed}
    allowed = {path for profile in disallowing for path in profile.allowed_products}
    assert any(path.endswith("-private") for path in disallowed), "none behind the wildcard and end anchor"
    assert any(path.startswith("/p/archive-") for path in disallowed)
    assert any("-private-" in path for path in allowed), "no look-alike of a private path"
    assert any(path.startswith("/p/archive-current-") for path in allowed), "no longer Allow wins"
    parser = Protego.parse(disallowing[0].robots_txt or "")
    private = disallowing[0].base_url + "/p/x-1-private"
    assert not parser.can_fetch(private, OUR_AGENT)
    assert parser.can_fetch(private, "SomeOtherCrawler/1.0")  # the * group is another one
    delays = [profile.crawl_delay for profile in profiles if profile.robots == "crawl_delay"]
    assert delays and all(delay is not None and 0.75 <= delay <= 1.5 for delay in delays)  # 1.5-3x of 1/rate
    assert all(profile.interval == profile.crawl_delay for profile in profiles if profile.crawl_delay)


def test_robots_txt_is_served_or_missing(start_world: StartWorld) -> None:
    world = start_world(domains=12)
    for profile in world.profiles:
        response = fetch(profile.base_url + "/robots.txt")
        if profile.robots_txt is None:
            assert response.status == 404
        else:
            assert (response.status, response.text) == (200, profile.robots_txt)
            assert response.headers["content-type"].startswith("text/plain")


# -- pages ------------------------------------------------------------------------------------


def test_the_extractor_reads_every_product_as_expected(start_world: StartWorld) -> None:
    world = start_world(domains=16, products_per_domain=6)
    assert {profile.currency for profile in world.profiles} == {"USD", "EUR", "GBP", "JPY"}
    for url in world.product_urls():
        response = fetch(url)
        assert response.status == 200
        product = extract_product(response.text, url)
        expected = world.expected(url)
        assert product is not None and product.price is not None
        assert (product.title, product.price.amount, product.price.currency) == expected
        assert f"<h1>{expected.title}</h1>" in response.text
        assert isinstance(expected.price, Decimal)


def test_the_home_page_links_every_product(start_world: StartWorld) -> None:
    world = start_world(domains=3)
    for profile in world.profiles:
        links = extract_links(fetch(profile.base_url + "/").text, profile.base_url + "/")
        assert links.product_urls == tuple(profile.base_url + path for path in profile.products)
    assert len(world.product_urls()) == 3 * 12


def test_expected_refuses_what_is_not_a_product_page(start_world: StartWorld) -> None:
    world = start_world(domains=2)
    profile = world.profiles[0]
    for url in (
        profile.base_url + "/",
        f"http://{profile.host}:1{profile.products[0]}",
        "http://x.example/p/1",
    ):
        with pytest.raises(KeyError, match="is not a product page of this world"):
            world.expected(url)


# -- limits: counted everywhere, enforced by strict domains -----------------------------------


def test_arrivals_too_early_count_as_rate_violations(start_world: StartWorld) -> None:
    clock = FakeClock()
    world = start_world(clock=clock, **robots_only("allow_all"))
    profile = world.profiles[0]  # interval 0.5 s, an arrival may come 0.05 s early
    assert get_at(clock, 100.0, profile.base_url + "/robots.txt").status == 200
    assert get_at(clock, 100.25, profile.base_url + profile.products[0]).status == 200  # too early
    assert get_at(clock, 100.75, profile.base_url + profile.products[1]).status == 200  # in time
    assert get_at(clock, 101.25, profile.base_url + "/nowhere").status == 404  # in time, counted too
    row = domain_stats(world, profile)
    assert row["violations"] == {**dict.fromkeys(VIOLATION_KINDS, 0), "rate": 1}
    assert (row["requests"], row["pages"], row["max_in_flight"]) == (4, 2, 1)
    assert (row["first_arrival"], row["last_arrival"]) == (100.0, 101.25)


def test_a_longer_crawl_delay_is_counted_as_crawl_delay(start_world: StartWorld) -> None:
    clock = FakeClock()
    world = start_world(clock=clock, **robots_only("crawl_delay"))
    profile = world.profiles[0]
    assert profile.crawl_delay is not None and profile.interval == profile.crawl_delay > 0.5
    get_at(clock, 100.0, profile.base_url + "/robots.txt")
    get_at(clock, 100.5, profile.base_url + profile.products[0])  # fine for rate, early for Crawl-delay
    get_at(clock, 100.5 + profile.crawl_delay, profile.base_url + profile.products[1])
    assert domain_stats(world, profile)["violations"] == {
        **dict.fromkeys(VIOLATION_KINDS, 0),
        "crawl_delay": 1,
    }


def test_a_strict_domain_answers_violations_429_and_counts_arrivals_in_its_retry_after_window(
    start_world: StartWorld,
) -> None:
    clock = FakeClock()
    world = start_world(clock=clock, strict_share=1.0, **robots_only("allow_all"))
    url = world.profiles[0].base_url + world.profiles[0].products[0]
    assert get_at(clock, 100.0, url).status == 200
    refused = get_at(clock, 100.25, url)  # too early
    assert (refused.status, refused.headers["retry-after"]) == (429, "1")
    assert get_at(clock, 100.75, url).status == 429  # in time for the rate, not after Retry-After
    assert get_at(clock, 101.75, url).status == 200  # that 429 said 1 s again
    row = domain_stats(world, world.profiles[0])
    assert row["violations"] == {**dict.fromkeys(VIOLATION_KINDS, 0), "rate": 1, "retry_after": 1}
    assert (row["requests"], row["pages"], row["sent_429"]) == (4, 2, 2)


def test_robots_violations_are_served_by_lenient_domains_and_refused_by_strict_ones(
    start_world: StartWorld,
) -> None:
    clock = FakeClock()
    world = start_world(clock=clock, domains=20, strict_share=0.5, **robots_only("disallow"))
    lenient = next(profile for profile in world.profiles if not profile.strict and profile.disallowed)
    strict = next(profile for profile in world.profiles if profile.strict and profile.disallowed)
    assert get_at(clock, 100.0, lenient.base_url + lenient.disallowed[0]).status == 200
    assert get_at(clock, 101.0, lenient.base_url + lenient.allowed_products[0]).status == 200
    refused = get_at(clock, 100.0, strict.base_url + strict.disallowed[0])
    assert (refused.status, refused.headers["retry-after"]) == (429, "1")
    for profile, pages in ((lenient, 2), (strict, 0)):
        row = domain_stats(world, profile)
        assert row["violations"] == {**dict.fromkeys(VIOLATION_KINDS, 0), "robots": 1}
        assert row["pages"] == pages


def test_a_flaky_domain_answers_503_with_retry_after(start_world: StartWorld) -> None:
    clock = FakeClock()
    world = start_world(clock=clock, flaky_share=1.0, flaky_error_share=1.0, **robots_only("allow_all"))
    url = world.profiles[0].base_url + "/"
    first = get_at(clock, 100.0, url)
    assert first.status == 503 and first.headers["retry-after"] in ("1", "2")
    window_end = 100.0 + int(first.headers["retry-after"])
    assert get_at(clock, window_end - 0.25, url).status == 503  # lenient: served, though early
    row = domain_stats(world, world.profiles[0])
    assert row["violations"] == {**dict.fromkeys(VIOLATION_KINDS, 0), "retry_after": 1}
    assert (row["sent_503"], row["sent_429"]) == (2, 0)


def test_per_request_answers_are_reproducible(start_world: StartWorld) -> None:
    def statuses(world: WebWorld) -> list[int]:
        profile = world.profiles[0]
        return [fetch(profile.base_url + path).status for path in profile.products * 3]

    config = {"flaky_share": 1.0, "flaky_error_share": 0.5, "network": "127.22.0.0/24"}
    first = statuses(start_world(**config))
    assert 200 in first and 503 in first
    assert statuses(start_world(**{**config, "network": "127.23.0.0/24"})) == first


def test_a_crawl_delay_binds_only_once_robots_txt_was_served() -> None:
    config = quiet_config(rate=1.0, **robots_only("crawl_delay"))
    profile = build_profiles(config, 8000)[0]
    assert profile.crawl_delay and profile.crawl_delay > 1.0
    ledger = DomainLedger(profile, tolerance=0.0, rate_interval=1.0)
    assert ledger.arrive("/robots.txt", 100.0).violations == ()
    ledger.answered(503, product_page=False, retry_after=None, now=100.0, robots_txt=True)
    ledger.depart()
    assert ledger.arrive("/robots.txt", 101.0).violations == ()  # its Crawl-delay is unknown yet
    ledger.answered(200, product_page=False, retry_after=None, now=101.0, robots_txt=True)
    ledger.depart()
    assert ledger.arrive(profile.products[0], 102.0).violations == ("crawl_delay",)


def test_concurrency_counts_arrivals_while_the_limit_is_in_flight() -> None:
    profile = build_profiles(quiet_config(concurrency=2, **robots_only("allow_all")), 8000)[0]
    ledger = DomainLedger(profile, tolerance=0.1)
    assert [ledger.arrive("/", now).violations for now in (100.0, 101.0)] == [(), ()]
    assert ledger.arrive("/", 102.0).violations == ("concurrency",)
    ledger.depart()
    assert ledger.arrive("/", 103.0).violations == ("concurrency",)  # still two in flight before it
    ledger.depart()
    ledger.depart()
    assert ledger.arrive("/", 104.0).violations == ()
    stats = ledger.stats()
    assert (stats.violations["concurrency"], stats.max_in_flight, stats.requests) == (2, 3, 5)


# -- stats, profiles, reset -------------------------------------------------------------------


def test_admin_endpoint_serves_stats_profiles_and_reset(start_world: StartWorld) -> None:
    clock = FakeClock()
    world = start_world(clock=clock, domains=4, **robots_only("allow_all"))
    for profile in world.profiles:
        get_at(clock, 100.0, profile.base_url + "/robots.txt")
        get_at(clock, 100.25, profile.base_url + profile.products[0])
    stats = json.loads(fetch(world.stats_url).text)
    assert stats == json.loads(json.dumps(world.stats().to_json()))
    assert (stats["requests"], stats["violations"]["rate"]) == (8, 4)
    assert [row["domain"] for row in stats["domains"]] == [profile.domain for profile in world.profiles]
    profiles = json.loads(fetch(world.stats_url.replace("/stats", "/profiles")).text)
    assert (profiles["port"], profiles["network"], profiles["user_agent"]) == (
        world.port,
        world.network,
        "ScrapeStreamBot",
    )
    assert profiles_from_json(profiles) == world.profiles
    assert json.loads(fetch(world.stats_url.replace("/stats", "/reset"), method="POST").text) == {
        "reset": True
    }
    after = world.stats()
    assert (after.requests, after.pages, after.first_arrival) == (0, 0, None)
    assert after.violations == dict.fromkeys(VIOLATION_KINDS, 0)


# -- the ceiling ------------------------------------------------------------------------------


def hand_made(
    index: int, *, concurrency: int, latency_ms: float, products: int, **kinds: Any
) -> DomainProfile:
    paths = tuple(f"/p/item-{n}" for n in range(products))
    return DomainProfile(
        index=index,
        host=f"127.20.0.{index + 1}",
        port=8000,
        interval=0.5,
        concurrency=concurrency,
        median_latency_ms=latency_ms,
        tarpit=kinds.get("tarpit", False),
        flaky=False,
        strict=False,
        robots="disallow",
        robots_txt="",
        crawl_delay=None,
        currency="USD",
        products=paths,
        disallowed=paths[: kinds.get("disallowed", 0)],
    )


def test_politeness_ceiling_of_a_hand_computed_world() -> None:
    profiles = [
        # 3 allowed + robots.txt = 4 requests, spacing max(0.5, 0.15 / 2) = 0.5: 3 * 0.5 + 0.15 = 1.65 s
        hand_made(0, concurrency=2, latency_ms=150, products=4, disallowed=1),
        # 2 requests, spacing max(0.5, 2.0 / 1) = 2.0: 1 * 2.0 + 2.0 = 4.0 s
        hand_made(1, concurrency=1, latency_ms=2000, products=1),
        # a tarpit: 3 requests, spacing max(0.5, 6.5 / 2) = 3.25: 2 * 3.25 + 6.5 = 13.0 s
        hand_made(2, concurrency=2, latency_ms=6500, products=2, tarpit=True),
    ]
    assert politeness_ceiling(profiles) == (4, 4.0, 1.0)
    assert politeness_ceiling(profiles, include_tarpits=True) == (6, 13.0, 6 / 13.0)
    assert politeness_ceiling([]) == (0, 0.0, 0.0)


def test_the_ceiling_counts_the_503s_a_flaky_domain_answers_before_its_pages() -> None:
    config = quiet_config(flaky_share=1.0, flaky_error_share=0.5, **robots_only("allow_all"))
    profile = build_profiles(config, 8000)[0]
    paths = ["/robots.txt", *profile.allowed_products]
    waits = [wait for path in paths for wait in refusals(config, profile, path)]
    assert waits and set(waits) <= {1, 2}
    for path in paths:  # each path's refusals are the 503s its first requests really get
        got = [
            answer(config, profile, path, nth).retry_after
            for nth in range(len(refusals(config, profile, path)) + 1)
        ]
        assert got[-1] is None and all(got[:-1])
    spacing = max(profile.interval, profile.median_latency_ms / 1000 / profile.concurrency)
    extra = len(waits) * spacing + sum(max(0.0, wait - spacing) for wait in waits)
    plain, flaky = politeness_ceiling([profile]), politeness_ceiling([profile], config)
    assert flaky.seconds == pytest.approx(plain.seconds + extra) and flaky.pages == plain.pages


# -- config and CLI ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"rate": 0}, "rate must be a positive number"),
        ({"tolerance": 1.0}, "tolerance must be a fraction in [0, 1)"),
        ({"strict_share": 1.5}, "strict_share must be a fraction in [0, 1]"),
        ({"robots_missing_share": 0.5}, "robots_*_share must sum to 1"),
        ({"network": "10.0.0.0/8"}, "network: 10.0.0.0/8 is not loopback"),
        ({"network": "127.20.0.1/16"}, "network: 127.20.0.1/16 has host bits set"),
        ({"domains": 255, "network": "127.20.0.0/24"}, "domains must be 1-254 for network 127.20.0.0/24"),
        ({"domains": 65_001}, "domains must be 1-65000"),
        ({"port": 70_000}, "port must be 0-65535"),
    ],
)
def test_config_errors_name_the_setting(overrides: dict[str, Any], problem: str) -> None:
    with pytest.raises(WorldConfigError, match=re.escape(problem)):
        WorldConfig(**overrides)


def test_the_cli_announces_itself_and_serves_until_sigterm(tmp_path: Path) -> None:
    ready_file = tmp_path / "ready.json"
    flags = [
        "--domains",
        "3",
        "--products",
        "2",
        "--network",
        "127.24.0.0/24",
        "--ready-file",
        str(ready_file),
    ]
    # `-m` from the repository puts it on sys.path, as an installed package would be
    with subprocess.Popen(
        [sys.executable, "-m", "webworld", *flags], cwd=REPO, stdout=subprocess.PIPE, text=True
    ) as process:
        try:
            ready_line = process.stdout.readline() if process.stdout else ""
            ready = json.loads(ready_line)
            assert json.loads(ready_file.read_text()) == ready
            assert set(ready) == {"stats_url", "profiles_url", "port", "network", "domains"}
            assert (ready["network"], ready["domains"]) == ("127.24.0.0/24", 3)
            assert fetch(f"http://127.24.0.3:{ready['port']}/").status == 200
            stats = json.loads(fetch(ready["stats_url"]).text)
            assert [row["requests"] for row in stats["domains"]] == [0, 0, 1]
            profiles = profiles_from_json(json.loads(fetch(ready["profiles_url"]).text))
            assert [len(profile.products) for profile in profiles] == [2, 2, 2]
        finally:
            process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0


def test_a_world_process_serves_its_config_and_counts_over_its_admin_endpoint(tmp_path: Path) -> None:
    config = quiet_config(domains=3, products_per_domain=2, network="127.25.0.0/24")
    with WorldProcess(config, tmp_path) as world:
        assert world.profiles == build_profiles(config, world.profiles[0].port)
        url = world.product_urls()[-1]
        assert url.startswith("http://127.25.0.3:")
        assert f"<h1>{world.expected(url).title}</h1>" in fetch(url).text
        stats = world.stats()
        assert (stats.requests, stats.pages, [row.requests for row in stats.domains]) == (1, 1, [0, 0, 1])
        assert stats.violations == dict.fromkeys(VIOLATION_KINDS, 0)
        world.reset()
        assert world.stats().requests == 0
        with pytest.raises(KeyError, match="is not a product page of this world"):
            world.expected(world.profiles[0].base_url + "/")
    with pytest.raises(OSError):
        fetch(url)  # stopped with the block


def test_a_world_process_that_cannot_start_quotes_its_output(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.26.0.1", 0))
        taken.listen()
        config = quiet_config(domains=2, network="127.26.0.0/24", port=taken.getsockname()[1])
        with pytest.raises(RuntimeError, match=r"did not start(.|\n)*cannot listen on 127\.26\.0\.1"):
            WorldProcess(config, tmp_path)


def test_a_world_process_failing_after_its_start_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[subprocess.Popen[bytes]] = []
    popen = subprocess.Popen

    def recording_popen(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        started.append(popen(*args, **kwargs))
        return started[-1]

    def refused(url: str) -> object:
        raise OSError(f"{url}: refused")

    monkeypatch.setattr(webworld.process.subprocess, "Popen", recording_popen)
    monkeypatch.setattr(webworld.process, "_get_json", refused)  # /profiles cannot be read
    with pytest.raises(OSError, match="refused"):
        WorldProcess(quiet_config(domains=1, network="127.27.0.0/24"), tmp_path)
    assert len(started) == 1 and started[0].poll() is not None  # no world left running


def test_the_cli_names_a_bad_flag() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "webworld", "--domains", "0"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "webworld: domains must be 1-65000" in result.stderr
