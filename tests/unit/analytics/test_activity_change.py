"""The daily activity-change list: device-specific, persistent and large changes only."""

from datetime import UTC, datetime, timedelta

from porchlight_cloud.analytics.activity_change import (
    AppHours,
    DeviceActivity,
    HomeActivity,
    HourActivity,
    daily_list,
    fleet_fade_ratio,
    judge_home,
)
from porchlight_cloud.analytics.activity_fading import household_relative
from porchlight_cloud.analytics.baselines import Baseline
from porchlight_cloud.analytics.segments import Segment

DAY = datetime(2026, 3, 2, tzinfo=UTC)
STREAMER = Segment("h", frozenset({"streamer"}), "established")
WORKER = Segment("h", frozenset({"work_from_home"}), "established")
EVENING = range(18, 23)


def hours(observed: dict[int, float], normal: dict[int, float], spread: float = 0.2) -> tuple[HourActivity, ...]:
    """24 hours of bytes (down) against a normal of the same hours of the week (own history)."""
    out = []
    for h in range(24):
        base = normal.get(h, 0.0)
        out.append(HourActivity(DAY + timedelta(hours=h), bytes_down=observed.get(h, 0.0),
                                base_bytes=Baseline(base, base * spread, 4)))
    return tuple(out)


def tv(streams: bool, associated: bool | None = False) -> DeviceActivity:
    evening = {h: 1.5e9 for h in EVENING}
    return DeviceActivity("aa:tv", "tv 'living-room'", "tv",
                          (AppHours("netflix", hours(evening if streams else {}, evening)),),
                          own_history=4, associated=None if streams else associated)


def laptop(active: bool) -> DeviceActivity:
    day = {h: 3e8 for h in range(9, 17)}
    return DeviceActivity("aa:lt", "laptop 'work'", "laptop",
                          (AppHours("web", hours(day if active else {}, day)),), own_history=4)


def spambot_pc(sending: bool) -> DeviceActivity:
    smtp = []
    for h in range(24):
        flows = 120.0 if sending and h >= 4 else 0.0
        smtp.append(HourActivity(DAY + timedelta(hours=h), bytes_up=flows * 60_000, new_flows=flows, dests=flows * 0.8,
                                 base_bytes_up=Baseline(0, 0, 4), base_new_flows=Baseline(0, 0, 4),
                                 base_dests=Baseline(0, 0, 4)))
    return DeviceActivity("aa:pc", "desktop 'DESKTOP-7'", "desktop", (AppHours("smtp", tuple(smtp)),), own_history=4)


def test_spambot_pc_is_listed_with_smtp_reason_and_device() -> None:
    changes = judge_home(HomeActivity("h", (spambot_pc(True), laptop(True)), WORKER))
    assert [c.kind for c in changes] == ["smtp_spam"]
    c = changes[0]
    assert c.mac == "aa:pc" and c.app == "smtp"
    assert "DESKTOP-7" in c.reasons[0].text and "SMTP" in c.reasons[0].text
    assert c.unusual_hours == 20 and c.z >= 6
    assert "malware" in c.action


def test_a_few_mails_are_not_a_spambot() -> None:
    pc = spambot_pc(False)
    assert judge_home(HomeActivity("h", (pc,), WORKER)) == []


def test_streaming_tv_gone_silent_is_listed_when_the_rest_of_the_home_is_as_usual() -> None:
    changes = judge_home(HomeActivity("h", (tv(False), laptop(True)), STREAMER))
    assert [c.kind for c in changes] == ["streaming_device_silent"]
    assert changes[0].mac == "aa:tv" and changes[0].z < -5
    assert "rest of the household" in changes[0].reasons[0].text


def test_a_tv_still_on_the_wifi_that_nobody_used_today_is_not_listed() -> None:
    assert judge_home(HomeActivity("h", (tv(False, associated=True), laptop(True)), STREAMER)) == []


def idle_tv() -> DeviceActivity:
    """A TV still on the Wi-Fi, a daily streamer, that moved only DNS today: nobody asked it to play."""
    idle = tv(False, associated=True)
    dns = AppHours("dns", hours({h: 5e5 for h in range(24)}, {h: 5e5 for h in range(24)}))
    return DeviceActivity(idle.mac, idle.label, idle.device_class, (*idle.apps, dns), own_history=6,
                          habit={"streaming_device_silent": (6, 6)}, associated=True)


def test_a_tv_on_the_wifi_that_nobody_asked_to_play_is_not_listed_however_regular_its_habit() -> None:
    # Until the ninth pass two such days were listed; on seeds 127, 205, 211 and 217 that found no broken TV the
    # failed tries did not, and listed two healthy TVs that skipped two evenings.
    assert judge_home(HomeActivity("h", (idle_tv(), laptop(True)), STREAMER)) == []






def roaming_tv(streams: bool) -> DeviceActivity:
    """A TV that streams every evening, but at a different hour each day: no single hour's normal reaches the
    bar, the day's does (1.5 GB on each of its 8 earlier days)."""
    scattered = {h: 6e7 for h in range(8, 24)}
    today = {20: 1.5e9} if streams else {}
    return DeviceActivity("aa:tv", "tv 'living-room'", "tv", (AppHours("disneyplus", hours(today, scattered)),),
                          own_history=8, habit={"streaming_device_silent": (8, 8)}, associated=False,
                          habit_bytes={"streaming_device_silent": (1.5e9,) * 8})


def test_a_tv_that_streams_daily_at_no_fixed_hour_is_judged_over_the_whole_day() -> None:
    changes = judge_home(HomeActivity("h", (roaming_tv(False), laptop(True)), STREAMER))
    assert [c.kind for c in changes] == ["streaming_device_silent"]
    assert "a day" in changes[0].reasons[0].text and changes[0].reasons[0].numbers["judged_over"] == "day"
    assert judge_home(HomeActivity("h", (roaming_tv(True), laptop(True)), STREAMER)) == []


def test_a_tv_the_gateway_has_not_seen_since_yesterday_says_since_when() -> None:
    gone = DeviceActivity("aa:tv", "tv 'living-room'", "tv", tv(False).apps, own_history=4, associated=False,
                          gone_since=DAY - timedelta(hours=5))
    [change] = judge_home(HomeActivity("h", (gone, laptop(True)), STREAMER))
    assert "has not seen it on the home network since 01 Mar 19:00 UTC" in change.reasons[0].text
    assert change.reasons[0].numbers["last_seen"] == (DAY - timedelta(hours=5)).isoformat()


def test_a_tv_that_left_is_listed_on_the_days_after_it_left_not_for_weeks() -> None:
    def gone_for(hours: int) -> HomeActivity:
        gone = DeviceActivity("aa:tv", "tv 'living-room'", "tv", tv(False).apps, own_history=4, associated=False,
                              gone_since=DAY - timedelta(hours=hours))
        return HomeActivity("h", (gone, laptop(True)), STREAMER, start=DAY)

    assert [c.kind for c in judge_home(gone_for(5))] == ["streaming_device_silent"]
    assert [c.kind for c in judge_home(gone_for(47))] == ["streaming_device_silent"]
    assert judge_home(gone_for(49)) == []


def test_holiday_week_with_all_devices_quiet_is_not_listed() -> None:
    assert judge_home(HomeActivity("h", (tv(False), laptop(False)), STREAMER)) == []


def test_home_that_never_streams_gets_no_streaming_warning() -> None:
    assert judge_home(HomeActivity("h", (tv(False), laptop(True)), WORKER)) == []


def test_a_device_with_too_little_history_is_not_judged_silent() -> None:
    young = DeviceActivity("aa:tv", "tv", "tv", tv(False).apps, own_history=1, associated=False)
    assert judge_home(HomeActivity("h", (young, laptop(True)), STREAMER)) == []


def test_a_phone_that_leaves_the_house_is_not_a_dead_streaming_device() -> None:
    phone = DeviceActivity("aa:ph", "phone", "phone", tv(False).apps, own_history=4, associated=False)
    assert judge_home(HomeActivity("h", (phone, laptop(True)), STREAMER)) == []


def test_a_new_device_spreading_to_many_destinations_is_listed_against_peers() -> None:
    spread = tuple(HourActivity(DAY + timedelta(hours=h), dests=400.0 if h > 6 else 10.0,
                                base_dests=Baseline(15, 10, 40, "peers")) for h in range(24))
    cam = DeviceActivity("aa:cam", "camera", "camera", (), own_history=0, dests_hours=spread)
    changes = judge_home(HomeActivity("h", (cam,), WORKER))
    assert [c.kind for c in changes] == ["destination_spread"]
    assert changes[0].unusual_hours == 17


def daily(normal: float, last14: list[float]) -> tuple[float, ...]:
    return tuple([normal] * 14 + last14)


def test_a_fading_household_is_listed_but_a_week_away_is_not() -> None:
    fading = daily(4e9, [3.5e9, 3e9, 2.8e9, 2.5e9, 2.2e9, 2e9, 1.8e9, 1.4e9, 1.2e9, 1e9, 9e8, 8e8, 6e8, 5e8])
    away = daily(4e9, [*[4e9] * 7, *[5e7] * 7])
    one_day_off = daily(4e9, [*[4e9] * 13, 5e7])
    fleet = fleet_fade_ratio([daily(4e9, [4e9] * 14)] * 50 + [fading, away])
    assert [c.kind for c in judge_home(HomeActivity("f", (), STREAMER, fading, fleet))] == ["usage_fading"]
    assert judge_home(HomeActivity("a", (), STREAMER, away, fleet)) == []
    assert judge_home(HomeActivity("d", (), STREAMER, one_day_off, fleet)) == []


def test_a_holiday_that_quiets_the_whole_fleet_does_not_flood_the_list() -> None:
    holiday = [daily(4e9, [*[4e9 * (1 - 0.1 * i) for i in range(7)], *[1.2e9] * 7]) for _ in range(100)]
    fleet = fleet_fade_ratio(holiday)
    assert daily_list(HomeActivity(f"h{i}", (), STREAMER, d, fleet) for i, d in enumerate(holiday)) == []


def test_a_fading_household_is_one_whose_always_on_devices_leave_or_whose_use_all_but_stops() -> None:
    # Two households whose use came down the same way over two weeks, to under a third: in one, the TV and the
    # speaker have left the Wi-Fi (the household is moving away from the service); in the other, every always-on
    # device is still there (a quieter fortnight: the people are out more, their devices are not gone).
    third = daily(4e9, [3.5e9, 3.2e9, 3e9, 2.8e9, 2.6e9, 2.4e9, 2.2e9, 2e9, 1.8e9, 1.6e9, 1.5e9, 1.4e9, 1.3e9, 1.2e9])
    fleet = fleet_fade_ratio([daily(4e9, [4e9] * 14)] * 50 + [third])
    leaving = HomeActivity("l", (), STREAMER, third, fleet, always_on=(4, ("Living-room TV", "speaker")))
    [change] = judge_home(leaving)
    assert change.kind == "usage_fading"
    assert "2 of its 4 always-on devices have left the Wi-Fi (Living-room TV, speaker)" in change.reasons[0].text
    assert change.reasons[0].numbers["always_on_left"] == 2
    staying = HomeActivity("s", (), STREAMER, third, fleet, always_on=(4, ()))
    assert judge_home(staying) == []
    # Down to a twentieth, its cameras and plugs still there: fading too when it came down day after day (seed 201),
    # or its phones and laptops left one by one (seed 202); a holiday comes down in a step, all phones leaving at once.
    down = daily(4e9, [*[4e9] * 9, 1.7e9, 7e8, 3.6e8, 1e8, 6e7])
    bumpy = daily(4e9, [*[4e9] * 7, 2.3e9, 3e9, 2.4e9, 8e8, 2.1e9, 9e8, 1e8])
    holiday = daily(4e9, [*[4e9] * 10, 1.6e9, 4e7, 4e7, 4e7])
    cameras = (2, ())
    assert [c.kind for c in judge_home(HomeActivity("s", (), STREAMER, down, fleet, always_on=cameras))] \
        == ["usage_fading"]
    one_by_one = (DAY - timedelta(days=4), DAY - timedelta(days=2), DAY - timedelta(hours=20))
    together = (DAY - timedelta(days=3, hours=1), DAY - timedelta(days=3))
    assert judge_home(HomeActivity("s", (), STREAMER, bumpy, fleet, always_on=cameras, people_gone=together)) == []
    assert [c.kind for c in judge_home(HomeActivity("s", (), STREAMER, bumpy, fleet, always_on=cameras,
                                                    people_gone=one_by_one))] == ["usage_fading"]
    assert judge_home(HomeActivity("s", (), STREAMER, holiday, fleet, always_on=cameras, people_gone=together)) == []
    # A household of one whose use came down over an ordinary low week and then to nothing, its console on the
    # Wi-Fi and its one phone gone: a trip (seed 241); the same without the phone gone is read as a fade.
    low_week_then_trip = daily(4e9, [*[4e9] * 9, 2.8e9, 2.3e9, 2.4e8, 1e7, 1e7])
    console = (1, ())
    assert judge_home(HomeActivity("s", (), STREAMER, low_week_then_trip, fleet, always_on=console,
                                   people_gone=(DAY - timedelta(days=2, hours=15),))) == []
    assert [c.kind for c in judge_home(HomeActivity("s", (), STREAMER, low_week_then_trip, fleet,
                                                    always_on=console))] == ["usage_fading"]


def test_a_household_that_drops_in_one_day_is_away_unless_its_always_on_devices_went_with_it() -> None:
    step = daily(4e9, [*[4e9] * 10, 2e9, 4e8, 2e8, 1e8])
    fleet = fleet_fade_ratio([daily(4e9, [4e9] * 14)] * 50 + [step])
    assert judge_home(HomeActivity("a", (), STREAMER, step, fleet, always_on=(3, ("tv 'LG'",)))) == []
    moving_out = HomeActivity("m", (), STREAMER, step, fleet, always_on=(3, ("tv 'LG'", "speaker 'Sonos'")))
    assert [c.kind for c in judge_home(moving_out)] == ["usage_fading"]


def test_without_always_on_devices_a_third_of_normal_for_two_days_is_a_quiet_spell_not_a_fade() -> None:
    # Seed 67's h000012: a household whose days swing from 0.6 to 2x its normal, then two days at a third of it.
    spell = daily(4e9, [*[4e9] * 9, 5.3e9, 7.8e9, 4.5e9, 1.3e9, 1.3e9])
    fleet = fleet_fade_ratio([daily(4e9, [4e9] * 14)] * 50 + [spell])
    assert judge_home(HomeActivity("q", (), STREAMER, spell, fleet)) == []
    with_a_tv_gone = HomeActivity("q", (), STREAMER, spell, fleet, always_on=(1, ("tv 'living-room'",)))
    assert [c.kind for c in judge_home(with_a_tv_gone)] == ["usage_fading"]


def test_a_tv_still_connected_that_streams_at_no_fixed_hour_is_judged_over_whole_days_only_when_it_failed() -> None:
    # Quiet days are common for such a TV; one that left the network, or whose apps failed, is judged by the day.
    still_there = DeviceActivity("aa:tv", "tv 'living-room'", "tv", roaming_tv(False).apps, own_history=8,
                                 habit={"streaming_device_silent": (8, 8)}, associated=True,
                                 habit_bytes={"streaming_device_silent": (1.5e9,) * 8})
    assert judge_home(HomeActivity("h", (still_there, laptop(True)), STREAMER)) == []
    failing = DeviceActivity("aa:tv", "tv 'living-room'", "tv", trying_tv({19: 5, 21: 4}).apps, own_history=8,
                             habit={"streaming_device_silent": (8, 8)}, associated=True,
                             habit_bytes={"streaming_device_silent": (1.5e9,) * 8})
    [change] = judge_home(HomeActivity("h", (failing, laptop(True)), STREAMER))
    assert change.reasons[0].numbers["judged_over"] == "hours"


def test_a_streaming_stick_that_left_with_the_phones_went_on_holiday_and_is_not_listed() -> None:
    left = DAY - timedelta(hours=30)
    travelling = DeviceActivity("aa:tv", "device 'amazon-80c9'", None, tv(False).apps, own_history=4,
                                associated=False, gone_since=left, people_gone_since=left + timedelta(minutes=10))
    assert judge_home(HomeActivity("h", (travelling, laptop(True)), STREAMER)) == []
    # The same device leaving while the people stay home (their phones seen after it left) is listed.
    broken = DeviceActivity("aa:tv", "device 'amazon-80c9'", None, tv(False).apps, own_history=4,
                            associated=False, gone_since=left, people_gone_since=None)
    assert [c.kind for c in judge_home(HomeActivity("h", (broken, laptop(True)), STREAMER))] \
        == ["streaming_device_silent"]


def test_a_console_is_listed_when_it_left_the_network_not_when_quiet_on_the_wifi() -> None:
    evening = {h: 5e8 for h in EVENING}
    play = (AppHours("gaming", hours({}, evening)), AppHours("dns", hours({h: 5e5 for h in range(24)},
                                                                          {h: 5e5 for h in range(24)})))
    quiet = DeviceActivity("aa:ps", "console 'PS5'", "console", play, own_history=6,
                           habit={"gaming_device_silent": (6, 6)}, associated=True)
    gamer = Segment("h", frozenset({"gamer"}), "established")
    assert judge_home(HomeActivity("h", (quiet, laptop(True)), gamer)) == []
    gone = DeviceActivity("aa:ps", "console 'PS5'", "console", play, own_history=6,
                          habit={"gaming_device_silent": (6, 6)}, associated=False)
    assert [c.kind for c in judge_home(HomeActivity("h", (gone, laptop(True)), gamer))] == ["gaming_device_silent"]


def test_a_tv_that_left_while_the_household_fades_or_other_devices_leave_is_left_to_the_fading_check() -> None:
    # Seed 201: six churning households' TVs were listed as broken on 22 home-days, days before their use had faded
    # far enough for the fading entry. A broken TV leaves alone, in a household that carries on as before.
    gone = DeviceActivity("aa:tv", "tv 'living-room'", "tv", tv(False).apps, own_history=4, associated=False)
    carrying_on = daily(4e9, [4e9] * 14)
    fading = daily(4e9, [*[4e9] * 10, 3.2e9, 2.6e9, 2e9, 1.6e9])
    assert [c.kind for c in judge_home(HomeActivity("h", (gone, laptop(True)), STREAMER, carrying_on))] \
        == ["streaming_device_silent"]
    assert judge_home(HomeActivity("h", (gone, laptop(True)), STREAMER, fading)) == []
    # A household at 70 % of its normal may be a quiet spell or a churn's first days: the TV is listed, and the entry
    # says the rest of the household is down too.
    quiet = daily(4e9, [*[4e9] * 12, 2.8e9, 2.8e9])
    [change] = judge_home(HomeActivity("h", (gone, laptop(True)), STREAMER, quiet))
    assert "The rest of the household used 70% of its normal over the last two days" in change.reasons[0].text
    printer_gone_too = DeviceActivity("aa:tv", "tv 'living-room'", "tv", tv(False).apps, own_history=4,
                                      associated=False, others_left=1)
    assert judge_home(HomeActivity("h", (printer_gone_too, laptop(True)), STREAMER, carrying_on)) == []
    # Seed 205: the household still at its normal, but its phones leaving one by one, a day apart.
    phones_one_by_one = (DAY - timedelta(days=2), DAY - timedelta(hours=20))
    assert judge_home(HomeActivity("h", (gone, laptop(True)), STREAMER, carrying_on,
                                   people_gone=phones_one_by_one)) == []


def test_the_household_relative_takes_the_device_judged_apart_out_of_the_normal() -> None:
    # 4 GB a day normally, 1 GB of it the TV that left: the rest carrying on at 3 GB is the household as usual.
    days = daily(4e9, [*[4e9] * 12, 3e9, 3e9])
    assert household_relative(days, 1.0, 1e9) == 1.0
    assert household_relative(days) == 0.75
    assert household_relative(days, 1.5, 1e9) == 1.0 / 1.5  # the whole fleet was up by half: this home was not
    assert household_relative((4e9,) * 5) is None  # too little history
    # A week of history: its days before the last two are its normal for now.
    assert household_relative((4e9,) * 6 + (2e9,) * 2) == 0.5



def test_a_desktop_that_stopped_playing_videos_is_not_a_streaming_device_gone_silent() -> None:
    idle = trying_tv({19: 5, 21: 4})
    desktop = DeviceActivity("aa:pc", "desktop 'DESKTOP-47'", "desktop", idle.apps, own_history=4, associated=True)
    assert judge_home(HomeActivity("h", (desktop, laptop(True)), STREAMER)) == []
    listed = judge_home(HomeActivity("h", (idle, laptop(True)), STREAMER))
    assert [c.kind for c in listed] == ["streaming_device_silent"]


def trying_tv(tries: dict[int, float], check_ins: dict[int, float] | None = None) -> DeviceActivity:
    """A TV still on the Wi-Fi that streamed its evenings until yesterday and today opened ``tries[hour]`` new
    Netflix connections of 8 kB each in some hours, and ``check_ins[hour]`` of 40 kB each in others (the idle
    app's own)."""
    evening = {h: 1.5e9 for h in EVENING}
    netflix = []
    for h, normal in enumerate(hours({}, evening)):
        flows = tries.get(h, 0.0) + (check_ins or {}).get(h, 0.0)
        size = 8_000 * tries.get(h, 0.0) + 40_000 * (check_ins or {}).get(h, 0.0)
        netflix.append(HourActivity(normal.hour, bytes_down=size, new_flows=flows, base_bytes=normal.base_bytes))
    dns = AppHours("dns", hours({h: 5e5 for h in range(24)}, {h: 5e5 for h in range(24)}))
    return DeviceActivity("aa:tv", "tv 'living-room'", "tv", (AppHours("netflix", tuple(netflix)), dns),
                          own_history=6, habit={"streaming_device_silent": (6, 6)}, associated=True)


def test_a_tv_on_the_wifi_whose_app_failed_when_people_tried_to_watch_is_listed_on_its_first_silent_day() -> None:
    # Yesterday it streamed as usual; this evening someone tried in three hours and nothing played.
    listed = judge_home(HomeActivity("h", (trying_tv({19: 5, 20: 4, 22: 6}), laptop(True)), STREAMER))
    assert [c.kind for c in listed] == ["streaming_device_silent"]
    reason = listed[0].reasons[0]
    assert reason.numbers["failed_try_hours"] == 3
    assert "19:00, 20:00, 22:00" in reason.text and "15 connections" in reason.text
    # One try is not enough (someone gave up at once, or an app restarted), and an idle app's check-ins are no tries.
    assert judge_home(HomeActivity("h", (trying_tv({20: 5}), laptop(True)), STREAMER)) == []
    assert judge_home(HomeActivity("h", (trying_tv({}, {h: 3 for h in range(24)}), laptop(True)), STREAMER)) == []


def test_failed_tries_while_an_incident_covered_the_home_are_the_incidents_finding() -> None:
    outage = frozenset(DAY + timedelta(hours=h) for h in (19, 20))
    assert judge_home(HomeActivity("h", (trying_tv({19: 5, 20: 4}), laptop(True)), STREAMER,
                                   incident_hours=outage)) == []


def test_each_day_of_a_household_is_judged_against_the_fleets_same_day() -> None:
    # Seed 205: the whole fleet used 1.6 times its normal on the weekend. A household fading through the week looked,
    # against the last two days' fleet figure, as if its weekend were normal days and it had dropped in one step.
    weekend_fade = daily(4e9, [*[4e9] * 7, 3.36e9, 3.2e9, 3e9, 4.8e9, 4.8e9, 1e8, 5e7])
    fleet_days = (1.0,) * 24 + (1.6, 1.6, 1.0, 1.0)
    tv_gone = (1, ("tv 'LG'",))
    judged_by_the_weekend_alone = HomeActivity("f", (), STREAMER, weekend_fade, 1.0, always_on=tv_gone)
    assert judge_home(judged_by_the_weekend_alone) == []
    day_by_day = HomeActivity("f", (), STREAMER, weekend_fade, 1.0, always_on=tv_gone, fleet_day_ratios=fleet_days)
    [change] = judge_home(day_by_day)
    assert change.kind == "usage_fading"
    assert change.reasons[0].numbers["daily_relative"] == "1.00, 1.00, 1.00, 0.84, 0.80, 0.75, 0.75, 0.75, 0.03, 0.01"


def test_a_household_moving_its_things_off_the_wifi_is_fading_before_its_use_is_down_to_a_third() -> None:
    # Seed 205: at 61 % of its normal with 3 of its 5 always-on devices gone; seed 211: at 52 % with its only
    # always-on device gone while its phones left one by one over days.
    down_to_60 = daily(4e9, [*[4e9] * 10, 3.4e9, 3e9, 2.5e9, 2.4e9])
    fleet = fleet_fade_ratio([daily(4e9, [4e9] * 14)] * 50 + [down_to_60])
    half_gone = HomeActivity("m", (), STREAMER, down_to_60, fleet, always_on=(5, ("tv", "printer", "speaker")))
    assert [c.kind for c in judge_home(half_gone)] == ["usage_fading"]
    assert judge_home(HomeActivity("m", (), STREAMER, down_to_60, fleet, always_on=(5, ("tv", "printer")))) == []
    one_by_one = (DAY - timedelta(days=3), DAY - timedelta(days=2, hours=10))
    together = (DAY - timedelta(days=3), DAY - timedelta(days=2, hours=23))
    tv_and_phones = HomeActivity("m", (), STREAMER, down_to_60, fleet, always_on=(1, ("tv",)), people_gone=one_by_one)
    assert [c.kind for c in judge_home(tv_and_phones)] == ["usage_fading"]
    assert judge_home(HomeActivity("m", (), STREAMER, down_to_60, fleet, always_on=(1, ("tv",)),
                                   people_gone=together)) == []
    # Seed 217: down in three steps, no day in between: a trip away, unless its things leave one by one.
    steps = daily(4e9, [*[4e9] * 10, 1.5e9, 2.5e8, 1e7, 1e7])
    stick_and_phones = HomeActivity("m", (), STREAMER, steps, fleet, always_on=(2, ("stick",)), people_gone=one_by_one)
    assert [c.kind for c in judge_home(stick_and_phones)] == ["usage_fading"]
    assert judge_home(HomeActivity("m", (), STREAMER, steps, fleet, always_on=(2, ("stick",)),
                                   people_gone=together)) == []


def test_a_household_whose_phones_left_together_while_its_always_on_devices_stayed_is_away_not_fading() -> None:
    # Seed 127: use down on three days in a row, then a week's holiday: 0.85, 0.75, 0.60, 0.19, 0.12 of normal.
    down = daily(4e9, [*[4e9] * 9, 3.4e9, 3e9, 2.4e9, 7.6e8, 4.8e8])
    fleet = fleet_fade_ratio([daily(4e9, [4e9] * 14)] * 50 + [down])
    together = (DAY - timedelta(hours=25), DAY - timedelta(hours=17), DAY - timedelta(hours=15))
    one_by_one = (DAY - timedelta(days=3), DAY - timedelta(hours=15))
    assert judge_home(HomeActivity("a", (), STREAMER, down, fleet, always_on=(8, ()), people_gone=together)) == []
    # Without always-on devices only the people's devices tell: together, a trip.
    assert judge_home(HomeActivity("a", (), STREAMER, down, fleet, always_on=(0, ()), people_gone=together)) == []
    assert [c.kind for c in judge_home(HomeActivity("f", (), STREAMER, down, fleet, always_on=(0, ())))] \
        == ["usage_fading"]
    assert [c.kind for c in judge_home(HomeActivity("f", (), STREAMER, down, fleet, always_on=(8, ()),
                                                    people_gone=one_by_one))] == ["usage_fading"]
