"""The politeness ceiling: the fastest a scraper can fetch a world's products without breaking a limit.

Ceiling                                            (pages, seconds, products_per_second)
politeness_ceiling(profiles, include_tarpits=False) -> Ceiling
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from webworld.profiles import DomainProfile


class Ceiling(NamedTuple):
    pages: int  # product pages robots.txt allows, over the domains included
    seconds: float  # the least time in which all of them can be fetched politely
    products_per_second: float  # pages / seconds: no polite scraper beats it


def politeness_ceiling(profiles: Iterable[DomainProfile], include_tarpits: bool = False) -> Ceiling:
    """The ceiling over the profiles (tarpits left out unless asked for).

    A domain needs its robots.txt plus its allowed product pages: requests = allowed + 1. Arrivals
    are at least `spacing` apart, spacing = max(interval, latency / concurrency): the interval its
    rate or Crawl-delay asks for, and the pace at which `concurrency` requests of median latency
    can be in flight at once. The last arrival is (requests - 1) * spacing after the first and is
    answered a latency later, so the domain takes at least

        minimum = (requests - 1) * spacing + latency                (latency = median latency)

    Domains are fetched in parallel, so the world takes the largest minimum, and the ceiling is
    total allowed pages / max(minimum). Flaky domains' 503s and latency spread are ignored: it is
    an upper bound.
    """
    included = [profile for profile in profiles if include_tarpits or not profile.tarpit]
    pages = sum(len(profile.allowed_products) for profile in included)
    seconds = max((_minimum_seconds(profile) for profile in included), default=0.0)
    return Ceiling(pages, seconds, pages / seconds if seconds else 0.0)


def _minimum_seconds(profile: DomainProfile) -> float:
    requests = len(profile.allowed_products) + 1
    latency = profile.median_latency_ms / 1000
    spacing = max(profile.interval, latency / profile.concurrency)
    return (requests - 1) * spacing + latency
