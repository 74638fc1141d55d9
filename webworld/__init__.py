"""A web of our own for scraper tests and benchmarks: many domains on loopback addresses, each with
its own latency and politeness limits, which the server enforces (strict domains) and counts (all).

    config.py     WorldConfig: seed, domain count, limits, shares of each kind of domain
    profiles.py   DomainProfile of every domain, drawn from the seed
    robots.py     robots.txt variants and the paths they disallow (ground truth)
    catalog.py    products and the title, price and currency their pages show
    pages.py      home and product page HTML
    ledger.py     per-domain limits check and counters; WorldStats
    server.py     WebWorld: the domains' server and the admin endpoint (/stats, /profiles, /reset)
    answers.py    how a domain answers the n-th request for a path (latency, a flaky 503)
    ceiling.py    politeness_ceiling: the best rate a polite scraper can reach
    threaded.py   RunningWorld: a world in a background thread (unit tests with a fake clock)
    process.py    WorldProcess: a world in a process of its own (integration tests, benchmarks)
    draws.py      seeded randomness
    __main__.py   `python -m webworld`: serve until SIGTERM/SIGINT
"""

from webworld.catalog import Expected
from webworld.ceiling import Ceiling, politeness_ceiling
from webworld.config import WorldConfig, WorldConfigError
from webworld.ledger import VIOLATION_KINDS, DomainStats, WorldStats
from webworld.process import WorldProcess
from webworld.profiles import DomainProfile, profiles_from_json
from webworld.robots import USER_AGENT
from webworld.server import WebWorld
from webworld.threaded import RunningWorld

__all__ = [
    "USER_AGENT",
    "VIOLATION_KINDS",
    "Ceiling",
    "DomainProfile",
    "DomainStats",
    "Expected",
    "RunningWorld",
    "WebWorld",
    "WorldConfig",
    "WorldConfigError",
    "WorldProcess",
    "WorldStats",
    "politeness_ceiling",
    "profiles_from_json",
]
