"""Seeded randomness that is the same in every process and run.

rng(*parts) -> random.Random    a generator seeded by the parts (seed, domain, path, ...)
chosen(seed, label, count, share) -> frozenset[int]   exactly round(share * count) indices
split(seed, label, count, shares) -> list[str]        one label per index, in exact shares
"""

from __future__ import annotations

import random


def rng(*parts: object) -> random.Random:
    """A generator seeded by the parts; str seeds are hashed with SHA-512, so no hash() salt."""
    return random.Random("/".join(map(str, parts)))


def chosen(seed: int, label: str, count: int, share: float) -> frozenset[int]:
    """`round(share * count)` of range(count), drawn without replacement (exact shares, not about)."""
    return frozenset(rng(seed, label).sample(range(count), round(share * count)))


def split(seed: int, label: str, count: int, shares: dict[str, float]) -> list[str]:
    """A key of `shares` for each of range(count): shuffled indices cut at the rounded cumulative shares."""
    order = list(range(count))
    rng(seed, label).shuffle(order)
    labels = [""] * count
    start, cumulative = 0, 0.0
    for position, (key, share) in enumerate(shares.items(), start=1):
        cumulative += share
        end = count if position == len(shares) else round(cumulative * count)  # the last takes the rest
        for index in order[start:end]:
            labels[index] = key
        start = end
    return labels
