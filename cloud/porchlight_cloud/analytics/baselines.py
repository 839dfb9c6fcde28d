"""A home's own normal: robust centre and spread (median, MAD) and how far a value is from it."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: 1.4826 x MAD estimates the standard deviation of normally distributed data.
MAD_TO_SIGMA = 1.4826


def median(values: Sequence[float]) -> float:
    """The median; NaN for no values."""
    if not values:
        return math.nan
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2.0


def mad(values: Sequence[float], centre: float | None = None) -> float:
    """Median absolute deviation from ``centre`` (the median by default)."""
    if not values:
        return math.nan
    c = median(values) if centre is None else centre
    return median([abs(v - c) for v in values])


@dataclass(frozen=True, slots=True)
class Baseline:
    """The normal of one quantity: median and MAD over ``n`` past samples, and where they came from."""

    median: float
    mad: float
    n: int
    source: str = "own"  # 'own' (the home's history) or 'peers' (similar homes, for short histories)

    def scale(self, floor_abs: float, floor_rel: float = 0.1) -> float:
        """The spread used to judge a change: the MAD as a sigma, never below an absolute or relative floor.

        Floors keep a perfectly regular history (MAD 0) from turning a tiny wobble into a huge z-score.
        """
        return max(MAD_TO_SIGMA * self.mad, floor_abs, floor_rel * abs(self.median))

    def z(self, value: float, floor_abs: float, floor_rel: float = 0.1) -> float:
        """Robust z-score of ``value`` against this baseline."""
        return (value - self.median) / self.scale(floor_abs, floor_rel)


def baseline_of(samples: Iterable[float], source: str = "own") -> Baseline:
    """Median and MAD of past samples."""
    values = list(samples)
    m = median(values)
    return Baseline(m, mad(values, m), len(values), source)


def robust_z(value: float, samples: Sequence[float], floor_abs: float, floor_rel: float = 0.1) -> float:
    """Robust z-score of ``value`` against past ``samples`` (median/MAD); 0 when there is no history."""
    if not samples:
        return 0.0
    return baseline_of(samples).z(value, floor_abs, floor_rel)


def hour_of_week(weekday: int, hour: int) -> int:
    """Hour of the week from Python's weekday (0 = Monday) and the hour of day: 0 = Monday 00:00-01:00.

    PostgreSQL's ``extract(isodow)`` is 1 = Monday, so SQL uses ``(isodow - 1) * 24 + hour``: the same slots.
    """
    return (weekday % 7) * 24 + hour
