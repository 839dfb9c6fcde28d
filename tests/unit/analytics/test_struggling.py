"""The struggling-home list: poor for long enough, ranked by impact, with the likely place of the fault."""

from datetime import UTC, datetime, timedelta

from porchlight_cloud.analytics.baselines import Baseline
from porchlight_cloud.analytics.reasons import Reason
from porchlight_cloud.analytics.segments import Segment
from porchlight_cloud.analytics.struggling import HourlyScore, judge, rank

DAY = datetime(2026, 3, 2, tzinfo=UTC)
ESTABLISHED = Segment("h", frozenset({"streamer"}), "established")
NEW = Segment("h", frozenset({"streamer"}), "new")
WEAK_TV = Reason("weak_signal", "The tv had a weak signal", {"mac": "aa:01"})


def day(scores: dict[int, float], wifi: float = 95, health: float = 100, reasons: tuple[Reason, ...] = ()
        ) -> list[HourlyScore]:
    out = []
    for hour in range(24):
        s = scores.get(hour, 95.0)
        bad = hour in scores
        out.append(HourlyScore(DAY + timedelta(hours=hour), s, wifi if bad else 95, 95, health if bad else 100, 100,
                               reasons if bad else (), 500_000_000))
    return out


def test_a_good_day_is_not_listed() -> None:
    assert judge("h", day({}), None, ESTABLISHED) is None


def test_one_poor_hour_is_not_long_enough_to_matter() -> None:
    assert judge("h", day({20: 30}), None, ESTABLISHED) is None


def test_an_evening_of_poor_wifi_on_the_tv_is_listed_with_the_device_as_the_likely_place() -> None:
    f = judge("h", day({19: 40, 20: 35, 21: 45}, wifi=30, reasons=(WEAK_TV,)), None, ESTABLISHED)
    assert f is not None
    assert f.poor_hours == 3
    assert f.place == "home_device"
    assert any("mac" in r.numbers and r.numbers["mac"] == "aa:01" for r in f.reasons)
    assert "3 hour(s)" in f.reasons[0].text


def test_a_rebooting_gateway_points_at_the_gateway() -> None:
    f = judge("h", day({h: 40 for h in range(8)}, health=0,
                       reasons=(Reason("gateway_reboots", "The gateway restarted 2 times", {"reboots": 2}),)),
              None, ESTABLISHED)
    assert f is not None and f.place == "gateway"


def test_much_worse_than_its_own_normal_counts_even_above_the_absolute_bar() -> None:
    normal = Baseline(median=97.0, mad=1.0, n=24 * 14)
    assert judge("h", day({18: 68, 19: 66, 20: 70}), None, ESTABLISHED) is None
    assert judge("h", day({18: 68, 19: 66, 20: 70}), normal, ESTABLISHED) is not None
    assert judge("h", day({18: 78, 19: 77, 20: 79}), normal, ESTABLISHED) is None  # noticed, not a problem


def test_new_subscriber_gets_lower_threshold() -> None:
    hours = day({19: 65, 20: 66})
    assert judge("h", hours, None, ESTABLISHED) is None
    f = judge("h", hours, None, NEW)
    assert f is not None and f.poor_hours == 2


def slow_line(hours: range, health: float = 100) -> list[HourlyScore]:
    """A day whose ``hours`` have a poor access network (latency, loss), the gateway's health as given."""
    return [HourlyScore(DAY + timedelta(hours=h), 30 if h in hours else 95, 95, 30 if h in hours else 95,
                        health if h in hours else 100, 100, (), 500_000_000) for h in range(24)]


def test_incident_homes_are_kept_off_the_struggling_list() -> None:
    hours = slow_line(range(10, 16))
    assert judge("h", hours, None, ESTABLISHED) is not None
    during = frozenset(DAY + timedelta(hours=h) for h in range(10, 16))
    assert judge("h", hours, None, ESTABLISHED, incident_hours=during) is None


def test_a_gateway_restarting_through_a_regional_incident_is_still_the_homes_own_trouble() -> None:
    # Seed 97's h000018: a reboot loop from 19:00 to midnight, during the evening's regional congestion.
    hours = slow_line(range(19, 24), health=0)
    during = frozenset(DAY + timedelta(hours=h) for h in range(18, 24))
    f = judge("h", hours, None, ESTABLISHED, incident_hours=during)
    assert f is not None and f.place == "gateway" and f.poor_hours == 5


def test_the_list_is_ranked_by_impact() -> None:
    mild = judge("mild", day({h: 55 for h in range(3)}), None, ESTABLISHED)
    bad = judge("bad", day({h: 20 for h in range(6)}), None, ESTABLISHED)
    assert mild is not None and bad is not None
    assert [f.home_id for f in rank([mild, bad])] == ["bad", "mild"]


def test_a_long_moderate_drop_below_its_own_normal_is_listed_but_a_short_one_is_not() -> None:
    normal = Baseline(median=95.0, mad=1.0, n=24 * 14)
    assert judge("h", day({h: 74 for h in range(9, 13)}), normal, ESTABLISHED) is None
    f = judge("h", day({h: 74 for h in range(9, 16)}, wifi=60), normal, ESTABLISHED)
    assert f is not None and f.poor_hours == 7 and f.place in {"home_wifi", "home_device"}


def test_a_morning_of_a_crowded_channel_ten_points_below_normal_is_listed_as_the_wifi() -> None:
    normal = Baseline(median=96.0, mad=1.0, n=24 * 14)
    busy = Reason("channel_busy", "The 5 GHz Wi-Fi channel was busy 54% of the time", {"band": "5",
                                                                                   "foreign_busy_pct": 54.0})
    f = judge("h", day({h: 83 for h in range(7, 13)}, wifi=77, reasons=(busy,)), normal, ESTABLISHED)
    assert f is not None and f.poor_hours == 6 and f.place == "home_wifi"
    assert any(r.code == "channel_busy" for r in f.reasons)
    # The same drop without a crowded channel is not enough, nor a shorter spell of the crowded one.
    assert judge("h", day({h: 83 for h in range(7, 13)}, wifi=77), normal, ESTABLISHED) is None
    assert judge("h", day({h: 83 for h in range(7, 11)}, wifi=77, reasons=(busy,)), normal, ESTABLISHED) is None


RESTART = (Reason("gateway_reboots", "The gateway restarted 1 time(s) this hour", {"reboots": 1}),
           Reason("wifi_disconnects", "Devices dropped off the Wi-Fi", {"disconnects": 9}))


def test_one_restart_is_an_event_not_a_struggle_even_for_a_new_subscriber() -> None:
    # A firmware update at 02:00 (or a power cut): one poor hour, whose only trouble is the restart.
    normal = Baseline(99, 1, 24 * 14)
    assert judge("h", day({2: 62}, health=40, reasons=RESTART), normal, NEW, recent=True) is None
    # Restarting again the next hour is no longer one event.
    f = judge("h", day({2: 62, 3: 60}, health=40, reasons=RESTART), normal, NEW, recent=True)
    assert f is not None and f.place == "gateway"


def surge(above: float) -> Reason:
    return Reason("channel_busy", "The 2.4 GHz Wi-Fi channel was busy 46% of the time",
                  {"band": "2.4", "foreign_busy_pct": 10 + above, "normal_foreign_busy_pct": 10,
                   "above_normal_pct": above})


def test_a_day_of_other_networks_flooding_a_band_the_home_uses_is_listed_as_the_wifi_whatever_the_score() -> None:
    # The phones on 2.4 GHz lost a third of their air all day: the score barely moves (they carry little), but a
    # channel change is a cheap fix.
    normal = Baseline(98, 1, 24 * 14)
    f = judge("h", day({h: 90 for h in range(8, 16)}, wifi=86, reasons=(surge(34),)), normal, ESTABLISHED)
    assert f is not None and f.place == "home_wifi" and f.poor_hours == 8
    assert f.reasons[0].text.startswith("Other networks took far more of the Wi-Fi air than usual for 8 hour(s)")
    assert judge("h", day({h: 90 for h in range(8, 13)}, wifi=86, reasons=(surge(34),)), normal, ESTABLISHED) is None
    assert judge("h", day({h: 95 for h in range(8, 16)}, reasons=(surge(18),)), normal, ESTABLISHED) is None
    # Near real time the scores decide alone.
    assert judge("h", day({h: 90 for h in range(8, 16)}, wifi=86, reasons=(surge(34),)), normal, ESTABLISHED,
                 recent=True) is None


def test_a_flooded_channel_is_listed_even_where_a_bad_firmware_cohort_explains_the_poor_hours() -> None:
    # Seed 89's h000181: a firmware that drops Wi-Fi clients (stability 0, the cohort's finding) and, on top, a
    # neighbour flooding the 2.4 GHz channel its devices use.
    normal = Baseline(98, 1, 24 * 14)
    hours = [HourlyScore(DAY + timedelta(hours=h), 40, 86, 95, 100, 0, (surge(34) if 6 <= h < 18 else WEAK_TV,),
                         500_000_000) for h in range(24)]
    f = judge("h", hours, normal, ESTABLISHED, explained=frozenset({"stability"}))
    assert f is not None and f.place == "home_wifi" and f.poor_hours == 12
    unflooded = [HourlyScore(h.hour, 40, 86, 95, 100, 0, (), h.traffic_bytes) for h in hours]
    assert judge("h", unflooded, normal, ESTABLISHED, explained=frozenset({"stability"})) is None
