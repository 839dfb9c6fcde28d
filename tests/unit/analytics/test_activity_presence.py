"""Whether a candidate device was on the home network on the judged day: Wi-Fi samples first, then the
gateway's inventory (the only trace of a wired device)."""

from datetime import UTC, datetime, timedelta

from porchlight_cloud.analytics.activity_job import presence_on_day

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
