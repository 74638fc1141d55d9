"""The politeness ceiling: the fastest a scraper can fetch a world's products without breaking a limit.

Ceiling                                                    (pages, seconds, products_per_second)
politeness_ceiling(profiles, config=None, include_tarpits=False) -> Ceiling
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from webworld.answers import refusals
from webworld.config import WorldConfig
from webworld.profiles import DomainProfile


class Ceiling(NamedTuple):
    pages: int  # product pages robots.txt allows, over the domains included
    seconds: float  # the least time in which all of them can be fetched politely
    products_per_second: float  # pages / seconds: no polite scraper beats it


def politeness_ceiling(
    profiles: Iterable[DomainProfile], config: WorldConfig | None = None, include_tarpits: bool = False
) -> Ceiling:
    """The ceiling over the profiles (tarpits left out unless asked for).

    A domain needs its robots.txt plus its allowed product pages, and with `config` (the world's
    seed and flaky share) also every 503 a flaky domain answers before a page: each such answer is
    drawn per (path, n-th request), so any scraper gets the same ones. Arrivals are at least
    `spacing` apart, spacing = max(interval, latency / concurrency): the interval its rate or
    Crawl-delay asks for, and the pace at which `concurrency` requests of median latency can be in
    flight at once; after a 503 the next arrival waits its Retry-After if that is longer. The
    last arrival is answered a latency later, so the domain takes at least

        minimum = (requests - 1) * spacing + sum(max(0, retry_after - spacing)) + latency

    Domains are fetched in parallel, so the world takes the largest minimum, and the ceiling is
    total allowed pages / max(minimum). Latency spread is ignored: it is an upper bound.
    """
    included = [profile for profile in profiles if include_tarpits or not profile.tarpit]
    pages = sum(len(profile.allowed_products) for profile in included)
    seconds = max((_minimum_seconds(profile, config) for profile in included), default=0.0)
    return Ceiling(pages, seconds, pages / seconds if seconds else 0.0)


def _minimum_seconds(profile: DomainProfile, config: WorldConfig | None) -> float:
    paths = ["/robots.txt", *profile.allowed_products]
    waits = [wait for path in paths for wait in refusals(config, profile, path)] if config else []
    latency = profile.median_latency_ms / 1000
    spacing = max(profile.interval, latency / profile.concurrency)
    requests = len(paths) + len(waits)
    return (requests - 1) * spacing + sum(max(0.0, wait - spacing) for wait in waits) + latency
