"""Two-sample tests for per-home means: Welch's t-test, Mann-Whitney U, and Hedges' g (standard library only)."""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c if abs(1.0 + aa / c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c if abs(1.0 + aa / c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-12:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_sf(t: float, df: float) -> float:
    """P(T > t) for Student's t with ``df`` degrees of freedom."""
    if math.isinf(df) or df > 1e6:
        return 0.5 * math.erfc(t / math.sqrt(2.0))
    x = df / (df + t * t)
    tail = 0.5 * betainc(df / 2.0, 0.5, x)
    return tail if t > 0 else 1.0 - tail


def normal_sf(z: float) -> float:
    """P(Z > z) for a standard normal."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


@dataclass(frozen=True, slots=True)
class Comparison:
    """Group A against group B: difference of means, effect size and one-sided p-values for 'A is lower'."""

    n_a: int
    n_b: int
    mean_a: float
    mean_b: float
    diff: float  # mean_a - mean_b
    hedges_g: float
    welch_p: float
    mann_whitney_p: float


def _mean_var(xs: Sequence[float]) -> tuple[float, float]:
    n = len(xs)
    m = sum(xs) / n
    v = sum((x - m) ** 2 for x in xs) / (n - 1) if n > 1 else 0.0
    return m, v


def welch_lower(a: Sequence[float], b: Sequence[float]) -> float:
    """One-sided Welch t-test p-value for 'mean of a is lower than mean of b'."""
    (ma, va), (mb, vb) = _mean_var(a), _mean_var(b)
    return welch_lower_moments(ma, va, len(a), mb, vb, len(b))


def welch_lower_moments(ma: float, va: float, na: int, mb: float, vb: float, nb: int) -> float:
    """Welch's one-sided p-value from each group's mean, variance and size."""
    se2 = va / na + vb / nb
    if se2 <= 0:
        return 0.0 if ma < mb else 1.0
    t = (ma - mb) / math.sqrt(se2)
    df = se2 ** 2 / ((va / na) ** 2 / max(1, na - 1) + (vb / nb) ** 2 / max(1, nb - 1))
    return t_sf(-t, df)


def mann_whitney_lower(a: Sequence[float], b: Sequence[float], b_sorted: Sequence[float] | None = None) -> float:
    """One-sided Mann-Whitney U p-value for 'a tends to be lower than b' (normal approximation).

    U counts the pairs in which the A value is higher (ties count half), found by binary search in sorted B,
    so a cohort of hundreds against a fleet of 100,000 costs milliseconds. Pass ``b_sorted`` to reuse a sort.
    """
    bs = b_sorted if b_sorted is not None else sorted(b)
    na, nb = len(a), len(bs)
    if na == 0 or nb == 0:
        return 1.0
    u = 0.0
    for x in a:
        lo = bisect_left(bs, x)
        u += lo + 0.5 * (bisect_right(bs, x, lo) - lo)
    mu = na * nb / 2.0
    sigma = math.sqrt(na * nb * (na + nb + 1) / 12.0)
    z = (u - mu + 0.5) / sigma  # continuity correction towards the null
    return 1.0 - normal_sf(z)


@dataclass(frozen=True, slots=True)
class Pool:
    """A group's values sorted, with their count, sum and sum of squares: compared against many subsets of it."""

    values: tuple[float, ...]
    total: float
    squares: float

    @property
    def n(self) -> int:
        """Number of values."""
        return len(self.values)


def pool_of(values: Sequence[float]) -> Pool:
    """A pool of values (sorted once)."""
    return Pool(tuple(sorted(values)), math.fsum(values), math.fsum(v * v for v in values))


#: Below these sizes the rank test's tail is counted exactly (the normal approximation is far too conservative
#: for a cohort of 3-5 homes lying entirely below the rest).
EXACT_MAX_A = 25
EXACT_MAX_U = 400


def _exact_lower_tail(u: float, na: int, nb: int) -> float | None:
    """P(U <= u) under the null, exactly, for a small cohort and a small U; None when out of range.

    The number of arrangements with U = k is the number of partitions of k into at most na parts, each at most
    nb, counted by dynamic programming; the total is C(na + nb, na).
    """
    k_max = math.floor(u)
    if na > EXACT_MAX_A or k_max > min(EXACT_MAX_U, nb) or k_max < 0:
        return None  # (with k <= nb the cap on a part's size never binds)
    # ways[j][k]: partitions of k into at most j parts (= into parts of size at most j, by conjugation).
    ways = [[0] * (k_max + 1) for _ in range(na + 1)]
    for j in range(na + 1):
        ways[j][0] = 1
    for j in range(1, na + 1):
        for k in range(1, k_max + 1):
            ways[j][k] = ways[j - 1][k] + (ways[j][k - j] if k >= j else 0)
    count = sum(ways[na])
    log_total = math.lgamma(na + nb + 1) - math.lgamma(na + 1) - math.lgamma(nb + 1)
    return min(1.0, math.exp(math.log(count) - log_total)) if count > 0 else 0.0


def compare_with_rest(a: Sequence[float], pool: Pool) -> Comparison:
    """Compare A with the rest of a pool that contains A (pool minus A), without building the rest.

    Moments of the rest come from subtracting A's; Mann-Whitney's U against the rest is U against the whole pool
    minus U of A against itself (na^2 / 2 exactly, ties counting half).
    """
    na = len(a)
    nb = pool.n - na
    sa, ssa = math.fsum(a), math.fsum(x * x for x in a)
    sb, ssb = pool.total - sa, pool.squares - ssa
    ma, mb = sa / na, sb / nb
    va = max(0.0, (ssa - na * ma * ma) / (na - 1)) if na > 1 else 0.0
    vb = max(0.0, (ssb - nb * mb * mb) / (nb - 1)) if nb > 1 else 0.0
    pooled = math.sqrt(((na - 1) * va + (nb - 1) * vb) / max(1, na + nb - 2))
    correction = 1.0 - 3.0 / (4.0 * (na + nb) - 9.0) if na + nb > 3 else 1.0
    g = (ma - mb) / pooled * correction if pooled > 0 else (0.0 if ma == mb else math.copysign(99.0, ma - mb))
    u = -na * na / 2.0
    for x in a:
        lo = bisect_left(pool.values, x)
        u += lo + 0.5 * (bisect_right(pool.values, x, lo) - lo)
    sigma = math.sqrt(na * nb * (na + nb + 1) / 12.0)
    exact = _exact_lower_tail(u, na, nb)
    mw = exact if exact is not None else (1.0 - normal_sf((u - na * nb / 2.0 + 0.5) / sigma) if sigma > 0 else 1.0)
    return Comparison(na, nb, ma, mb, ma - mb, g, welch_lower_moments(ma, va, na, mb, vb, nb), mw)


def compare(a: Sequence[float], b: Sequence[float], b_sorted: Sequence[float] | None = None) -> Comparison:
    """Compare per-home values of group A with group B (both need two or more homes)."""
    (ma, va), (mb, vb) = _mean_var(a), _mean_var(b)
    na, nb = len(a), len(b)
    pooled = math.sqrt(((na - 1) * va + (nb - 1) * vb) / max(1, na + nb - 2))
    correction = 1.0 - 3.0 / (4.0 * (na + nb) - 9.0) if na + nb > 3 else 1.0
    g = (ma - mb) / pooled * correction if pooled > 0 else (0.0 if ma == mb else math.copysign(99.0, ma - mb))
    return Comparison(na, nb, ma, mb, ma - mb, g, welch_lower(a, b),
                      mann_whitney_lower(a, b, b_sorted))
