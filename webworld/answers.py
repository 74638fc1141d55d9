"""How a domain answers the n-th request for a path: after how long, and with the page or a 503.

Every answer is drawn from (seed, domain, path, n), so the server and the ceiling agree on it:
a polite scraper that asks for a flaky domain's page gets the same 503s as any other would.

    Answer                                  (latency in seconds, Retry-After of a 503 or None)
    answer(config, profile, path, nth)      the n-th (0-based) answer for a path
    refusals(config, profile, path)         the Retry-After of each 503 a path gets before its page
"""

from __future__ import annotations

from typing import NamedTuple

from webworld.config import WorldConfig
from webworld.draws import rng
from webworld.profiles import TARPIT_SECONDS, DomainProfile


class Answer(NamedTuple):
    latency: float
    retry_after: int | None  # a flaky domain's 503 asks for this many seconds; None: the page


def answer(config: WorldConfig, profile: DomainProfile, path: str, nth: int) -> Answer:
    draw = rng(config.seed, "request", profile.index, path, nth)
    if profile.tarpit:
        latency = draw.uniform(*TARPIT_SECONDS) * config.latency_scale
    else:
        latency = profile.median_latency_ms / 1000 * draw.lognormvariate(0, config.latency_sigma)
    if profile.flaky and draw.random() < config.flaky_error_share:
        return Answer(latency, draw.choice((1, 2)))
    return Answer(latency, None)


def refusals(config: WorldConfig, profile: DomainProfile, path: str) -> list[int]:
    """Retry-After of each 503 before `path` is served, when it is asked for from the first time on."""
    if profile.flaky and config.flaky_error_share >= 1.0:
        raise ValueError(f"{profile.domain} answers every request 503: it can never be scraped")
    waits: list[int] = []
    while (next_answer := answer(config, profile, path, len(waits))).retry_after is not None:
        waits.append(next_answer.retry_after)
    return waits
