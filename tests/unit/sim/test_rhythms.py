"""Daily and weekly rhythms: evening streaming, office hours, people's days, spells of activity."""

from __future__ import annotations

import random

from porchlight_sim.rhythms import (
    HOUR,
    Person,
    is_weekend,
    plan_day,
    propensity,
    session_step,
)

MONDAY = 1_717_372_800
SATURDAY = MONDAY + 5 * 86_400


def test_the_week_starts_on_monday_and_ends_with_a_weekend() -> None:
    assert not is_weekend(MONDAY)
    assert is_weekend(SATURDAY) and is_weekend(SATURDAY + 86_400)
    assert not is_weekend(SATURDAY + 2 * 86_400)


def test_streaming_peaks_in_the_evening_and_sleeps_at_night() -> None:
    evening = propensity("evening_tv", MONDAY + 21 * HOUR)
    assert evening > 5 * propensity("evening_tv", MONDAY + 10 * HOUR)
    assert propensity("evening_tv", MONDAY + 4 * HOUR) == 0


def test_video_calls_happen_in_office_hours_on_weekdays_only() -> None:
    assert propensity("office_calls", MONDAY + 10 * HOUR) > 0.4
    assert propensity("office_calls", MONDAY + 21 * HOUR) == 0
    assert propensity("office_calls", SATURDAY + 10 * HOUR) == 0


def test_backups_run_at_night() -> None:
    assert propensity("backup_night", MONDAY + 2 * HOUR) > 0.5
    assert propensity("backup_night", MONDAY + 14 * HOUR) == 0


def test_spells_keep_the_long_run_share_at_any_cadence() -> None:
    for dt in (60.0, 900.0):
        rng = random.Random(3)
        on = False
        count = 0
        steps = int(2_000_000 / dt)
        for _ in range(steps):
            on = session_step(on, 0.3, dt, 1800.0, rng)
            count += on
        assert abs(count / steps - 0.3) < 0.05


def test_commuters_are_out_on_weekdays_and_home_in_the_evening() -> None:
    rng = random.Random(1)
    person = Person("commuter", wake_h=7.0, sleep_h=23.0)
    out_at_noon = sum(not plan_day(person, MONDAY + d * 86_400, rng).home(MONDAY + d * 86_400 + 12 * HOUR)
                      for d in range(5) for _ in range(20))
    assert out_at_noon > 80
    plan = plan_day(person, MONDAY, rng)
    assert plan.home(MONDAY + 21 * HOUR)
    assert plan.awake(MONDAY + 20 * HOUR) and not plan.awake(MONDAY + 3 * HOUR)
