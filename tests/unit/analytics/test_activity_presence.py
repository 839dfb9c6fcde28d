"""Whether a candidate device was on the home network on the judged day: Wi-Fi samples first, then the
gateway's inventory (the only trace of a wired device)."""

from datetime import UTC, datetime, timedelta

from porchlight_cloud.analytics.activity_job import habit_offsets, offsets_before_leaving, presence_on_day

START = datetime(2026, 3, 2, tzinfo=UTC)


def test_a_station_seen_today_is_on_the_network() -> None:
    assert presence_on_day(12, 288, START - timedelta(days=1), START) == (True, None)


def test_a_station_seen_yesterday_but_not_today_has_left_and_says_since_when() -> None:
    last = START - timedelta(hours=6)
    assert presence_on_day(0, 200, last, START) == (False, last)


def test_a_wired_tv_the_inventory_last_saw_before_the_day_began_has_left() -> None:
    last = START - timedelta(days=2)
    assert presence_on_day(0, 0, last, START) == (False, last)


def test_a_wired_device_the_inventory_still_sees_is_there() -> None:
    assert presence_on_day(0, 0, START + timedelta(hours=3), START) == (True, None)


def test_a_device_never_seen_is_unknown() -> None:
    assert presence_on_day(0, 0, None, START) == (None, None)


def test_a_device_that_left_is_judged_by_its_habit_before_the_day_it_left() -> None:
    # It left yesterday morning: yesterday (1 day back) and the days since are its failure, not its habit.
    assert offsets_before_leaving([1, 2, 3, 4, 5, 6], START, START - timedelta(hours=17)) == [2, 3, 4, 5, 6]
    # Gone since the evening three days back: that day is out too.
    assert offsets_before_leaving([1, 2, 3, 4, 5, 6], START, START - timedelta(days=2, hours=3)) == [4, 5, 6]
    assert offsets_before_leaving([7, 14, 21], START, START - timedelta(hours=17)) == [7, 14, 21]


def test_a_device_on_the_network_or_gone_too_long_for_a_habit_keeps_all_its_days() -> None:
    assert offsets_before_leaving([1, 2, 3], START, None) == [1, 2, 3]
    assert offsets_before_leaving([1, 2, 3], START, START - timedelta(days=2, hours=1)) == [1, 2, 3]


def test_a_day_its_apps_failed_as_someone_tried_is_not_counted_against_its_habit() -> None:
    assert habit_offsets([1, 2, 3, 4, 5, 6], {1}) == [2, 3, 4, 5, 6]
    assert habit_offsets([1, 2, 3], {1, 2}) == [1, 2, 3]  # too few days left to tell a habit
