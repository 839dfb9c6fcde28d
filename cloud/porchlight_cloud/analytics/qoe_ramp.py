"""The QoE score's building blocks: a metric's piecewise-linear ramp onto 0-100, and a component as good as its
worst metric (its reasons: the metrics below REASON_BELOW, worst first)."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from .reasons import Reason

Ramp = tuple[tuple[float, float], ...]
#: A metric scoring below this is named as a reason.
REASON_BELOW = 80.0


@dataclass(frozen=True, slots=True)
class ComponentScore:
    """One component's score (None without data) and the reasons it is not 100."""

    name: str
    score: float | None
    reasons: tuple[Reason, ...] = ()


def ramp(value: float, points: Ramp) -> float:
    """Piecewise-linear map of ``value`` through ``points`` ((x, score), x ascending), clamped at both ends."""
    if value <= points[0][0]:
        return points[0][1]
    for (x0, y0), (x1, y1) in pairwise(points):
        if value <= x1:
            return y0 + (y1 - y0) * (value - x0) / (x1 - x0)
    return points[-1][1]


def worst(scored: list[tuple[float, Reason | None]]) -> tuple[float, tuple[Reason, ...]]:
    """A component's score is its worst metric; its reasons are the metrics below REASON_BELOW, worst first."""
    score = min(s for s, _ in scored)
    reasons = tuple(r for s, r in sorted(scored, key=lambda sr: sr[0]) if r is not None and s < REASON_BELOW)
    return score, reasons
