"""The hourly QoE score: components that stand on their own, a weak link matters in proportion to its traffic."""

from datetime import UTC, datetime

from porchlight_cloud.analytics.qoe_score import (
    DeviceHour,
    HealthHour,
    HomeHour,
    ProbeHour,
    RadioHour,
    StabilityHour,
    ramp,
    score_hour,
    station_weights,
    wifi_component,
)

HOUR = datetime(2026, 3, 2, 20, tzinfo=UTC)
GOOD_PROBES = ProbeHour(first_hop_rtt_ms=3, first_hop_loss_pct=0, rtt_ms=18, jitter_ms=2, loss_pct=0)


def tv(signal: float, traffic: int, rate: float = 400, usual: float | None = None) -> DeviceHour:
    return DeviceHour("aa:00:00:00:00:01", "tv 'living-room'", "5", signal, rate, 5, traffic, usual, "tv")


def phone(signal: float, traffic: int, rate: float = 400, usual: float | None = None) -> DeviceHour:
    return DeviceHour("aa:00:00:00:00:02", "phone 'anna'", "5", signal, rate, 5, traffic, usual, "phone")


def speaker(signal: float, traffic: int, rate: float = 400, usual: float | None = None) -> DeviceHour:
    return DeviceHour("aa:00:00:00:00:03", "speaker 'kitchen'", "2.4", signal, rate, 5, traffic, usual, "speaker")


def test_ramp_interpolates_between_thresholds_and_clamps_outside() -> None:
    points = ((-80.0, 20.0), (-70.0, 70.0))
    assert ramp(-90, points) == 20
    assert ramp(-75, points) == 45
    assert ramp(-60, points) == 70


def test_a_healthy_home_scores_near_100_with_no_reasons() -> None:
    s = score_hour(HomeHour("h1", HOUR, [tv(-55, 2_000_000_000)], [RadioHour("5", 20)], GOOD_PROBES,
                            HealthHour(0, 15, 40), StabilityHour(1, 0)))
    assert s.score is not None and s.score >= 98
    assert s.reasons == ()


def test_weak_signal_on_idle_device_barely_moves_the_wifi_score() -> None:
    idle_weak = wifi_component([tv(-55, 2_000_000_000), phone(-82, 50_000, rate=10)], [])
    assert idle_weak.score is not None and idle_weak.score >= 98
    assert idle_weak.reasons == ()


def test_weak_signal_on_the_streaming_tv_pulls_the_wifi_score_down_and_names_the_tv() -> None:
    busy_weak = wifi_component([tv(-80, 2_000_000_000, rate=20), phone(-50, 50_000)], [])
    assert busy_weak.score is not None and busy_weak.score < 40
    assert busy_weak.reasons[0].numbers["mac"] == "aa:00:00:00:00:01"
    assert "-80 dBm" in busy_weak.reasons[0].text or "Mbit/s" in busy_weak.reasons[0].text


def test_a_weak_signal_does_not_count_while_the_link_it_predicts_is_measured_comfortable() -> None:
    # A desk far from the gateway at -74 dBm that still links at 144 Mbit/s with 5 % retries serves its user well.
    far_but_fine = wifi_component([tv(-74, 2_000_000_000, rate=144)], [])
    assert far_but_fine.score is not None and far_but_fine.score >= 95
    assert far_but_fine.reasons == ()
    # The same signal with the link down to 30 Mbit/s is a poor link, and the weak signal is named first.
    far_and_slow = wifi_component([tv(-74, 2_000_000_000, rate=30)], [])
    assert far_and_slow.score is not None and far_and_slow.score <= 50
    assert far_and_slow.reasons[0].code == "weak_signal"
    # Without a PHY rate the signal is all there is to go by.
    unmeasured = wifi_component([DeviceHour("aa:01", "tv", "5", -74, None, None, 2_000_000_000, None, "tv")], [])
    assert unmeasured.score is not None and unmeasured.score <= 50


def test_a_device_weighs_the_larger_of_its_share_of_this_hour_and_its_usual_share() -> None:
    weights = station_weights([tv(-55, 0, usual=0.6), phone(-55, 100_000_000, usual=0.4)])
    # 0.6 (its usual share, idle now) and 1.0 (all of this hour's traffic), normalised
    assert [round(w, 3) for w in weights] == [0.375, 0.625]


def test_the_tv_that_streams_every_evening_counts_even_in_an_idle_hour() -> None:
    # Idle now, but it carries 60 % of what the home moves over a week: its weak link is the home's problem.
    c = wifi_component([tv(-82, 0, rate=10, usual=0.6), phone(-50, 30_000_000, usual=0.4)], [])
    assert c.score is not None and c.score < 70
    assert c.reasons and c.reasons[0].numbers["mac"] == "aa:00:00:00:00:01"
    assert "normally carries 60%" in c.reasons[0].text


def test_a_device_the_household_barely_uses_is_no_reason_even_in_a_quiet_hour() -> None:
    # A quiet night: the speaker's keep-alives are 6 % of the hour's few bytes but 0.2 % of the week's traffic.
    c = wifi_component([tv(-55, 200_000, usual=0.7), phone(-55, 100_000, usual=0.298),
                        speaker(-85, 20_000, rate=6, usual=0.002)], [])
    assert c.score is not None and c.score >= 90
    assert c.reasons == ()
    # Without its usual share it would weigh as much as the phone (1 MB floor each): named, and the score lower.
    floor = wifi_component([tv(-55, 200_000), phone(-55, 100_000), speaker(-85, 20_000, rate=6)], [])
    assert floor.score is not None and floor.score < c.score and floor.reasons


def test_without_usual_shares_an_idle_device_still_counts_a_little() -> None:
    # No history yet: each device weighs its traffic plus 1 MB (a quiet night weighs every device alike).
    weights = station_weights([tv(-55, 0), phone(-55, 0)])
    assert weights == [0.5, 0.5]


def test_busy_channel_is_a_reason_in_words() -> None:
    c = wifi_component([tv(-55, 1_000_000_000)], [RadioHour("5", 85)])
    assert c.score is not None and c.score < 90
    assert any(r.code == "channel_busy" and "85%" in r.text for r in c.reasons)


def test_each_component_stands_on_its_own_and_missing_data_is_none() -> None:
    s = score_hour(HomeHour("h1", HOUR, probes=ProbeHour(rtt_ms=250, jitter_ms=40, loss_pct=4)))
    assert s.component("wifi") is None and s.component("health") is None
    access = s.component("access")
    assert access is not None and access < 30
    assert s.score is not None and s.score < 30
    assert s.reasons[0].code in {"packet_loss", "high_latency", "high_jitter"}


def test_one_broken_component_pulls_the_overall_score_down() -> None:
    s = score_hour(HomeHour("h1", HOUR, [tv(-55, 2_000_000_000)], [], GOOD_PROBES, HealthHour(3, 20, 40),
                            StabilityHour(0, 0)))
    assert s.component("health") == 0
    assert s.score is not None and s.score <= 60
    assert s.reasons[0].code == "gateway_reboots"


def test_one_lost_probe_in_a_quiet_hour_is_not_read_as_heavy_loss() -> None:
    one_of_twenty = score_hour(HomeHour("h1", HOUR, probes=ProbeHour(first_hop_loss_pct=5.0, first_hop_sent=20,
                                                                     first_hop_lost=1, rtt_ms=10)))
    sustained = score_hour(HomeHour("h1", HOUR, probes=ProbeHour(first_hop_loss_pct=5.0, first_hop_sent=300,
                                                                 first_hop_lost=15, rtt_ms=10)))
    assert one_of_twenty.component("access") is not None and one_of_twenty.component("access") > 55
    assert sustained.component("access") is not None and sustained.component("access") < 30
    assert "15 of 300" in sustained.reasons[0].text


def test_a_neighbour_flooding_the_band_the_home_streams_on_scores_like_a_bad_link() -> None:
    # The TV (5 GHz) has a fine signal, but 78 % of the air is someone else's: every frame waits.
    c = wifi_component([tv(-55, 1_500_000_000)], [RadioHour("5", 82, own_pct=4), RadioHour("2.4", 20, own_pct=1)])
    assert c.score == 30  # 78 % on the busy ramp (70 -> 50, 90 -> 0)
    assert c.reasons[0].code == "channel_busy" and c.reasons[0].numbers["band"] == "5"
    assert "78% with other networks" in c.reasons[0].text


def test_flooding_a_band_nobody_in_the_home_uses_moves_nothing() -> None:
    c = wifi_component([tv(-55, 1_500_000_000), phone(-55, 40_000_000)],
                       [RadioHour("5", 15, own_pct=10), RadioHour("2.4", 90, own_pct=0)])
    assert c.score == 100
    assert c.reasons == ()


def test_a_neighbour_who_starts_flooding_a_quiet_channel_counts_against_the_homes_own_normal() -> None:
    # 48 % foreign busy is "comfortable" in absolute terms, but this channel normally carries 8 % of other networks'
    # traffic at this hour: 40 points of the home's air are gone.
    c = wifi_component([tv(-55, 1_500_000_000)], [RadioHour("5", 50, own_pct=2, normal_foreign_pct=8)])
    assert c.score == 55  # 40 points over normal on the surge ramp (30 -> 70, 50 -> 40)
    assert c.reasons[0].code == "channel_busy"
    assert c.reasons[0].numbers["normal_foreign_busy_pct"] == 8
    assert "normally take 8%" in c.reasons[0].text


def test_the_same_busy_channel_is_no_reason_where_it_is_always_that_busy() -> None:
    # 38 % of other networks' air where 34 % is this hour's normal: neither crowded nor unusual.
    c = wifi_component([tv(-55, 1_500_000_000)], [RadioHour("5", 40, own_pct=2, normal_foreign_pct=34)])
    assert c.score == 100
    assert c.reasons == ()


def test_a_surge_on_a_band_nobody_in_the_home_uses_moves_nothing() -> None:
    c = wifi_component([tv(-55, 1_500_000_000)],
                       [RadioHour("5", 10, own_pct=2, normal_foreign_pct=8),
                        RadioHour("2.4", 60, own_pct=0, normal_foreign_pct=10)])
    assert c.score == 100
    assert c.reasons == ()


def test_the_homes_own_heavy_use_of_the_air_is_not_congestion() -> None:
    # 75 % busy, but 60 points of it are the home's own 4K stream: the neighbours take 15 %.
    c = wifi_component([tv(-55, 3_000_000_000)], [RadioHour("5", 75, own_pct=60)])
    assert c.score is not None and c.score >= 98


def test_a_device_the_household_relies_on_caps_the_wifi_score_whatever_the_others_do() -> None:
    # The TV carries 21 % of the week's traffic at -80 dBm; this hour the phones move three times as much.
    weak_tv = tv(-80, 1_000_000_000, rate=12, usual=0.21)
    c = wifi_component([weak_tv, phone(-50, 3_000_000_000, usual=0.6)], [])
    assert c.score is not None and c.score <= 20  # as good as the TV's link, not the traffic-weighted mean (~80)
    assert c.reasons[0].numbers["mac"] == "aa:00:00:00:00:01"
    # A device under 10 % of the week's traffic is only averaged in.
    rarely = wifi_component([tv(-80, 1_000_000_000, rate=12, usual=0.05), phone(-50, 3_000_000_000, usual=0.9)], [])
    assert rarely.score is not None and rarely.score > 70


def test_a_phone_is_never_the_cap_it_moves_with_its_owner() -> None:
    # The phone carries 40 % of the week's traffic, but this hour's -76 dBm is where its owner sat.
    c = wifi_component([phone(-76, 500_000_000, rate=40, usual=0.4), tv(-50, 1_000_000_000, usual=0.5)], [])
    assert c.score is not None and c.score > 70
