"""What each domain of a world is: address, limits, latency, kind, robots.txt and products.

    DomainProfile                       one domain, as JSON too (`to_json`, `from_json`)
    domain_hosts(config)                the address of every domain, in domain order
    build_profiles(config, port)        every domain of the world a config describes
    profiles_from_json(data)            the profiles of GET /profiles
    product_urls(profiles)              every product page's URL, in domain order
    expected_at(seed, profiles, url)    what the product page at a URL shows (ground truth)

Everything is drawn from the config's seed, so the same config builds the same profiles.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

from webworld.catalog import Expected, domain_currency, make_product
from webworld.config import WorldConfig
from webworld.draws import chosen, rng, split
from webworld.robots import disallows, robots_txt

TARPIT_SECONDS = (5.0, 8.0)  # a tarpit answers every request in this many seconds (times latency_scale)
CRAWL_DELAY_FACTORS = (1.5, 3.0)  # a Crawl-delay is this many times the interval `rate` allows


@dataclass(frozen=True)
class DomainProfile:
    """One domain. `interval` is the least time between arrivals it allows: 1/rate, or its
    robots.txt Crawl-delay (then `crawl_delay` is set) which is longer. `disallowed` lists the
    product paths its robots.txt disallows for our user agent; `median_latency_ms` is as served
    (latency_scale applied; a tarpit's is the middle of TARPIT_SECONDS)."""

    index: int
    host: str
    port: int
    interval: float
    concurrency: int
    median_latency_ms: float
    tarpit: bool
    flaky: bool
    strict: bool
    robots: str
    robots_txt: str | None
    crawl_delay: float | None
    currency: str
    products: tuple[str, ...]
    disallowed: tuple[str, ...]

    @property
    def domain(self) -> str:
        """As the scraper keys it (scrapestream.urls.domain_of)."""
        return f"{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.domain}"

    @property
    def allowed_products(self) -> tuple[str, ...]:
        disallowed = set(self.disallowed)
        return tuple(path for path in self.products if path not in disallowed)

    @property
    def rate_kind(self) -> str:
        """The violation an arrival too early counts as: "crawl_delay" when robots.txt set the interval."""
        return "rate" if self.crawl_delay is None else "crawl_delay"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DomainProfile:
        return cls(**{**data, "products": tuple(data["products"]), "disallowed": tuple(data["disallowed"])})


def domain_hosts(config: WorldConfig) -> list[str]:
    """Domain i is at network_address + i + 1."""
    first = config.ip_network.network_address + 1
    return [str(first + index) for index in range(config.domains)]


def build_profiles(config: WorldConfig, port: int) -> tuple[DomainProfile, ...]:
    seed, count = config.seed, config.domains
    kinds = {
        kind: chosen(seed, kind, count, getattr(config, f"{kind}_share"))
        for kind in ("slow", "tarpit", "flaky", "strict")
    }
    robots = split(seed, "robots", count, config.robots_shares())
    return tuple(
        _profile(
            config,
            index,
            host=host,
            port=port,
            robots=robots[index],
            kinds={kind for kind, members in kinds.items() if index in members},
        )
        for index, host in enumerate(domain_hosts(config))
    )


def profiles_from_json(data: dict[str, Any]) -> tuple[DomainProfile, ...]:
    """The profiles in a GET /profiles answer (so another process can compute the ceiling)."""
    return tuple(DomainProfile.from_json(domain) for domain in data["domains"])


def product_urls(profiles: Sequence[DomainProfile]) -> list[str]:
    """Every product URL of every domain (robots.txt-disallowed ones included), in domain order."""
    return [profile.base_url + path for profile in profiles for path in profile.products]


def expected_at(seed: int, profiles: Sequence[DomainProfile], url: str) -> Expected:
    """The title, price and currency the product page at `url` shows. KeyError if it is none."""
    parts = urlsplit(url)
    for profile in profiles:
        if (parts.hostname, parts.port) == (profile.host, profile.port) and parts.path in profile.products:
            number = profile.products.index(parts.path)
            return make_product(seed, profile.index, number, profile.currency).expected
    raise KeyError(f"{url} is not a product page of this world")


def _profile(
    config: WorldConfig, index: int, *, host: str, port: int, robots: str, kinds: set[str]
) -> DomainProfile:
    seed = config.seed
    crawl_delay = None
    if robots == "crawl_delay":
        factor = rng(seed, "crawl-delay", index).uniform(*CRAWL_DELAY_FACTORS)
        crawl_delay = math.ceil(factor / config.rate * 100) / 100  # as robots.txt writes it: 2 decimals
    currency = domain_currency(seed, index)
    products = tuple(
        make_product(seed, index, number, currency).path for number in range(config.products_per_domain)
    )
    return DomainProfile(
        index=index,
        host=host,
        port=port,
        interval=1 / config.rate if crawl_delay is None else crawl_delay,
        concurrency=config.concurrency,
        median_latency_ms=_median_latency_ms(config, kinds),
        tarpit="tarpit" in kinds,
        flaky="flaky" in kinds,
        strict="strict" in kinds,
        robots=robots,
        robots_txt=robots_txt(robots, crawl_delay),
        crawl_delay=crawl_delay,
        currency=currency,
        products=products,
        disallowed=tuple(path for path in products if disallows(robots, path)),
    )


def _median_latency_ms(config: WorldConfig, kinds: set[str]) -> float:
    if "tarpit" in kinds:
        median = sum(TARPIT_SECONDS) / 2 * 1000  # uniform, so the middle is the median
    elif "slow" in kinds:
        median = config.slow_latency_ms
    else:
        median = config.median_latency_ms
    return median * config.latency_scale
