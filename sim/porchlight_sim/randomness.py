"""Seeded random streams: every home, fleet decision and fault draws from its own named stream.

A stream is ``random.Random`` seeded with a string (hashed with SHA-512 by the standard library), so the
same seed gives the same numbers in every process and on every run, whatever the order in which homes are
simulated or how they are split across worker processes.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def stream(*parts: object) -> random.Random:
    """An independent random stream named by ``parts`` (e.g. ``stream("home", seed, "h000042")``)."""
    return random.Random(":".join(str(p) for p in parts))


def hex_token(rng: random.Random, digits: int) -> str:
    """``digits`` lower-case hex digits from ``rng``."""
    return f"{rng.getrandbits(4 * digits):0{digits}x}"


def weighted(rng: random.Random, options: Sequence[tuple[T, float]]) -> T:
    """One option drawn with the given weights (weights need not sum to 1)."""
    total = sum(w for _, w in options)
    pick = rng.random() * total
    for value, weight in options:
        pick -= weight
        if pick < 0:
            return value
    return options[-1][0]


def clamp(value: float, low: float, high: float) -> float:
    """``value`` limited to [low, high]."""
    return low if value < low else high if value > high else value


def _normal_table(size: int) -> tuple[float, ...]:
    # Evenly spaced quantiles of the standard normal: a fixed table, the same in every process.
    from statistics import NormalDist

    dist = NormalDist()
    return tuple(dist.inv_cdf((i + 0.5) / size) for i in range(size))


NORMAL_BITS = 12
#: 4096 standard normal deviates; ``NORMAL[rng.getrandbits(NORMAL_BITS)]`` is a cheap N(0, 1) draw.
NORMAL: tuple[float, ...] = _normal_table(1 << NORMAL_BITS)


def normal(rng: random.Random, sigma: float = 1.0) -> float:
    """A N(0, sigma) draw from the table: about ten times cheaper than ``rng.gauss``, plenty for noise."""
    return NORMAL[rng.getrandbits(NORMAL_BITS)] * sigma
