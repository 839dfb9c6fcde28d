"""Wi-Fi physics: path loss, the rate a link holds, and retries."""

from __future__ import annotations

import pytest
from porchlight_sim.wifi_physics import (
    best_band,
    distance_for_signal,
    link_rate,
    phy_rate_mbps,
    received_dbm,
    retry_share,
)


def test_signal_falls_with_distance_and_with_every_wall() -> None:
    near = received_dbm(15.0, "5", 2.0, 0)
    far = received_dbm(15.0, "5", 10.0, 0)
    behind_two_walls = received_dbm(15.0, "5", 10.0, 2)
    assert near > far > behind_two_walls
    assert far - behind_two_walls == pytest.approx(10.0)  # 5 dB per wall at 5 GHz


def test_two_point_four_ghz_reaches_further_than_five() -> None:
    assert received_dbm(15.0, "2.4", 12.0, 2) > received_dbm(15.0, "5", 12.0, 2)


def test_distance_for_signal_inverts_received_signal() -> None:
    d = distance_for_signal(15.0, "2.4", -82.0, 3)
    assert received_dbm(15.0, "2.4", d, 3) == pytest.approx(-82.0)


@pytest.mark.parametrize(("standard", "mcs", "nss", "width", "rate"), [
    ("ac", 9, 1, 80, 433.3),   # VHT80 MCS9 1ss short GI
    ("ac", 7, 2, 20, 144.4),   # VHT20 MCS7 2ss short GI
    ("ax", 11, 2, 80, 1201.0),  # HE80 MCS11 2ss 0.8 us GI
    ("ax", 11, 2, 160, 2402.0),
    ("n", 7, 1, 20, 72.2),
])
def test_phy_rates_match_the_standards_tables(standard: str, mcs: int, nss: int, width: int, rate: float) -> None:
    assert phy_rate_mbps(standard, mcs, nss, width) == pytest.approx(rate, rel=0.002)


def test_rate_and_streams_rise_with_snr() -> None:
    rates = [link_rate(snr, "ax", 2, 80) for snr in (8, 15, 22, 30, 45)]
    assert [r.rate_mbps for r in rates] == sorted(r.rate_mbps for r in rates)
    assert rates[0].nss == 1 and rates[-1].nss == 2
    assert rates[-1].mcs == 11


def test_a_link_never_drops_below_mcs0() -> None:
    rate = link_rate(-5.0, "ac", 2, 80)
    assert rate.mcs == 0 and rate.nss == 1 and rate.rate_mbps > 0


def test_retries_rise_as_snr_falls_and_as_the_air_gets_busy_or_jammed() -> None:
    assert retry_share(10, 10, 0) > retry_share(35, 10, 0)
    assert retry_share(35, 80, 0) > retry_share(35, 10, 0)
    assert retry_share(35, 10, 0.5) > retry_share(35, 10, 0)
    assert 0 < retry_share(-20, 100, 1.0) <= 0.9


def test_band_steering_keeps_far_clients_on_two_point_four() -> None:
    assert best_band(15.0, ("2.4", "5"), 3.0, 0) == "5"
    assert best_band(15.0, ("2.4", "5"), 25.0, 4) == "2.4"
    assert best_band(15.0, ("2.4", "5", "6"), 2.0, 0) == "6"
