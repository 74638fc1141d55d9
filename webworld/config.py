"""Settings of a web world: how many domains, how they behave, where they listen.

Holds `WorldConfig` and `WorldConfigError`. Like the demo shop's, these settings are a test
fixture's, not the pipeline's, so they live here rather than in `scrapestream.config`.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass, fields

MAX_DOMAINS = 65_000
# Robots.txt variants, in the order their shares are laid out over the shuffled domains.
ROBOTS_VARIANTS = ("missing", "allow_all", "disallow", "crawl_delay")


class WorldConfigError(ValueError):
    """A web world setting is out of range; the message names it."""


@dataclass(frozen=True)
class WorldConfig:
    """Everything that shapes a world; the same config always gives the same world.

    Every domain allows `rate` requests per second and `concurrency` at a time (a Crawl-delay in
    its robots.txt may ask for a longer interval). Latency per request is lognormal around the
    domain's median (`median_latency_ms`, or `slow_latency_ms` for a `slow_share` of domains) with
    spread `latency_sigma`, times `latency_scale` (0 = answer at once, for unit tests; tarpits
    are scaled too). Kinds of domain, each a share of them drawn independently: tarpits answer
    every request in 5-8 s; flaky ones answer `flaky_error_share` of requests 503 with
    Retry-After 1 or 2; strict ones answer a request that breaks their limits 429 instead of
    serving it. `robots_*_share` split the domains over the robots.txt variants (they sum to 1).
    An arrival may come `tolerance` of the interval early before it counts as too early.
    Domain i listens on address network_address + i + 1 of `network` (loopback only), all on
    `port` (0 = a free one); the admin endpoint on `admin_host:admin_port`.
    """

    seed: int = 1
    domains: int = 100
    products_per_domain: int = 20
    rate: float = 2.0
    concurrency: int = 2
    median_latency_ms: float = 150.0
    slow_share: float = 0.1
    slow_latency_ms: float = 400.0
    latency_sigma: float = 0.3
    latency_scale: float = 1.0
    tarpit_share: float = 0.02
    flaky_share: float = 0.03
    flaky_error_share: float = 0.2
    strict_share: float = 0.1
    robots_missing_share: float = 0.2
    robots_allow_all_share: float = 0.3
    robots_disallow_share: float = 0.3
    robots_crawl_delay_share: float = 0.2
    tolerance: float = 0.1
    network: str = "127.20.0.0/16"
    port: int = 0
    admin_host: str = "127.0.0.1"
    admin_port: int = 0

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name.endswith("_share") and not 0.0 <= value <= 1.0:
                raise WorldConfigError(f"{item.name} must be a fraction in [0, 1], got {value}")
        robots_total = sum(self.robots_shares().values())
        if not math.isclose(robots_total, 1.0, abs_tol=1e-9):
            raise WorldConfigError(f"robots_*_share must sum to 1, got {robots_total}")
        self._check_limits()
        self._check_addresses()

    def _check_limits(self) -> None:
        if self.products_per_domain < 1:
            raise WorldConfigError(f"products_per_domain must be at least 1, got {self.products_per_domain}")
        if not (self.rate > 0 and math.isfinite(self.rate)):
            raise WorldConfigError(f"rate must be a positive number of requests per second, got {self.rate}")
        if self.concurrency < 1:
            raise WorldConfigError(f"concurrency must be at least 1, got {self.concurrency}")
        for name in ("median_latency_ms", "slow_latency_ms", "latency_sigma", "latency_scale"):
            if not 0 <= getattr(self, name) < math.inf:
                raise WorldConfigError(f"{name} must be a finite number >= 0, got {getattr(self, name)}")
        if not 0.0 <= self.tolerance < 1.0:
            raise WorldConfigError(f"tolerance must be a fraction in [0, 1), got {self.tolerance}")

    def _check_addresses(self) -> None:
        try:
            network = ipaddress.IPv4Network(self.network)
        except ValueError as error:
            raise WorldConfigError(f"network: {error}") from None
        if not network.is_loopback:
            raise WorldConfigError(f"network: {self.network} is not loopback (inside 127.0.0.0/8)")
        room = min(MAX_DOMAINS, network.num_addresses - 2)
        if not 1 <= self.domains <= room:
            raise WorldConfigError(f"domains must be 1-{room} for network {self.network}, got {self.domains}")
        for name in ("port", "admin_port"):
            if not 0 <= getattr(self, name) < 65536:
                raise WorldConfigError(f"{name} must be 0-65535 (0 = a free port), got {getattr(self, name)}")

    def robots_shares(self) -> dict[str, float]:
        """Robots.txt variant -> share of domains, in `ROBOTS_VARIANTS` order."""
        return {variant: getattr(self, f"robots_{variant}_share") for variant in ROBOTS_VARIANTS}

    @property
    def ip_network(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(self.network)
