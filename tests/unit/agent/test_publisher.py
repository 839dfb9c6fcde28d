"""Reconnect policy and drain rate of the publisher, as pure functions (the MQTT side is integration-tested)."""

from __future__ import annotations

import random
import statistics

import pytest
from porchlight_agent.publisher import TokenBucket, backoff_delay, first_connect_delay


def upper(_low: float, high: float) -> float:
    return high


def test_backoff_ceiling_doubles_from_the_base_up_to_the_cap() -> None:
    ceilings = [backoff_delay(n, base=1.0, cap=300.0, uniform=upper) for n in range(12)]
    assert ceilings == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]


def test_backoff_is_full_jitter_between_zero_and_the_ceiling() -> None:
    rng = random.Random(7)
    delays = [backoff_delay(5, base=1.0, cap=300.0, uniform=rng.uniform) for _ in range(2000)]
    assert min(delays) >= 0 and max(delays) <= 32
    assert 14 < statistics.mean(delays) < 18  # uniform over [0, 32]


def test_backoff_survives_huge_attempt_numbers() -> None:
    assert backoff_delay(10_000, base=1.0, cap=300.0, uniform=upper) == 300


def test_backoff_rejects_negative_attempts() -> None:
    with pytest.raises(ValueError):
        backoff_delay(-1, base=1.0, cap=300.0)


def test_a_fleet_returning_after_an_outage_spreads_over_the_window() -> None:
    """100,000 gateways, each drawing its first connect delay: no second gets more than a small share."""
    rng = random.Random(1)
    per_second = [0] * 30
    for _ in range(100_000):
        per_second[int(first_connect_delay(30.0, rng.uniform)) % 30] += 1
    assert max(per_second) < 100_000 / 30 * 1.1


def test_no_spread_means_connect_at_once() -> None:
    assert first_connect_delay(0.0) == 0.0


def test_token_bucket_limits_the_drain_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=20.0, burst=20.0, now=lambda: now[0])
    sent = sum(bucket.take() for _ in range(100))
    assert sent == 20  # the initial burst
    assert bucket.wait_s() == pytest.approx(0.05)
    now[0] += 1.0
    assert sum(bucket.take() for _ in range(100)) == 20
