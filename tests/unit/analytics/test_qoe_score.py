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
    wifi_component,
)

HOUR = datetime(2026, 3, 2, 20, tzinfo=UTC)
GOOD_PROBES = ProbeHour(first_hop_rtt_ms=3, first_hop_loss_pct=0, rtt_ms=18, jitter_ms=2, loss_pct=0)


def tv(signal: float, traffic: int, rate: float = 400) -> DeviceHour:
    return DeviceHour("aa:00:00:00:00:01", "tv 'living-room'", "5", signal, rate, 5, traffic)


def phone(signal: float, traffic: int, rate: float = 400) -> DeviceHour:
    return DeviceHour("aa:00:00:00:00:02", "phone 'anna'", "5", signal, rate, 5, traffic)


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
