"""summarize(): a report's samples become one compact summary per report, per station, radio and probe."""

from __future__ import annotations

import pytest
from porchlight_cloud.ingest.decode import Incoming, Report
from porchlight_cloud.ingest.rows import FLAG_BITS, hour_of, summarize
from porchlight_wire import SchemaError, build_report

END = 1_767_229_200  # 2026-01-01T01:00:00Z


def _summary(sections: dict, **header):
    # Every column, as 1.0 agents (and early per-sample ones) send them: the cloud reads 1.0 and 1.1 alike.
    doc = build_report({"home_id": "h", "gateway_id": "g", "model": "m", "firmware": "f", "agent_version": "a",
                        "boot_id": "b", "seq": 3, "start_ts": END - 300, "end_ts": END, "sample_interval_s": 60,
                        **header}, sections, every_column=True)
    return summarize(Report(Incoming("t", b"", 0.0), doc, "json"))


def test_station_samples_become_means_minimum_sums_and_weak_seconds_per_station():
    s = _summary({"stations": [
        {"ts": END - 60, "mac": "m1", "radio": "r", "band": "5", "signal_dbm": -60, "tx_rate_mbps": 600.0,
         "rx_rate_mbps": 300.0, "tx_bytes": 100, "rx_bytes": 10, "tx_packets": 5, "tx_retries": 1},
        {"ts": END, "mac": "m1", "radio": "r", "band": "5", "signal_dbm": -74, "signal_avg_dbm": -72,
         "tx_rate_mbps": 400.0, "tx_bytes": 300, "tx_packets": 15, "tx_retries": 3},
        {"ts": END, "mac": "m2", "radio": "r", "band": "2.4", "signal_dbm": -50},
    ]})
    assert s.station_macs == ["m1", "m2"]
    # band_dghz, signal mean (signal_avg_dbm where given), signal min, tx/rx rate means, weak seconds
    assert s.station_q == [50, -66, -74, 500, 300, 60, 24, -50, -50, None, None, 0]
    assert s.station_c == [400.0, 10.0, 20.0, 4.0, None, None, None, None]


def test_one_aggregated_record_per_station_is_kept_and_a_multi_link_stations_links_are_merged():
    s = _summary({"stations": [
        {"mac": "m1", "radio": "r", "band": "6", "link_id": 0, "samples": 3, "signal_avg_dbm": -60,
         "signal_min_dbm": -66, "tx_rate_mbps": 1000.0, "tx_bytes": 900, "tx_packets": 30, "tx_retries": 3},
        {"mac": "m1", "radio": "r", "band": "6", "link_id": 1, "samples": 1, "signal_avg_dbm": -72,
         "signal_min_dbm": -75, "tx_rate_mbps": 200.0, "tx_bytes": 100, "tx_packets": 10, "tx_retries": 5},
    ]})
    assert s.station_macs == ["m1"]
    # signal and rate means weighted by samples; the weak link's one sample counts 60 weak seconds
    assert s.station_q == [60, -63, -75, 800, None, 60]
    assert s.station_c == [1000.0, None, 40.0, 8.0]


def test_one_aggregated_health_record_is_taken_as_it_is_and_apps_land_in_the_reports_hour():
    s = _summary({"health": [{"samples": 5, "uptime_s": 900, "load1": 0.5, "cpu_pct": 12.5, "cpu_max_pct": 70.0,
                              "mem_used_pct": 44.0, "wan_down_s": 120, "wan_flaps": 1, "wan_rx_bytes": 10}],
                  "apps": [{"mac": "m1", "app": "zoom", "bytes_down": 5, "dests": 3, "active_samples": 4}]})
    assert s.health == (5, 900, 0, 0.5, 12.5, 70.0, 44.0, 120, 1, 10, None, None, None, None)
    assert s.apps == [("m1", "zoom", END, 0, 5, 0, 0, 3, 240)]


def test_health_samples_count_uptime_resets_as_reboots_and_wan_down_time():
    s = _summary({"health": [
        {"ts": END - 120, "uptime_s": 5000, "cpu_pct": 10.0, "wan_up": True, "wan_flaps": 0, "wan_rx_bytes": 5},
        {"ts": END, "uptime_s": 30, "cpu_pct": 30.0, "wan_up": False, "wan_flaps": 2, "wan_rx_bytes": 7},
        {"ts": END - 60, "uptime_s": 5060, "cpu_pct": 20.0, "wan_up": False},
    ]})
    samples, uptime, reboots, _, cpu, cpu_max, _, wan_down_s, flaps, rx, *_ = s.health
    assert (samples, uptime, reboots, cpu, cpu_max, wan_down_s, flaps, rx) == (3, 30, 1, 20.0, 30.0, 120, 2, 12)


def test_app_counters_are_summed_per_device_app_and_hour_of_their_sample():
    s = _summary({"apps": [
        {"ts": END - 60, "mac": "m1", "app": "zoom", "bytes_up": 10, "bytes_down": 20, "flows": 1, "new_flows": 1,
         "dests": 2},
        {"ts": END, "mac": "m1", "app": "zoom", "bytes_up": 1, "bytes_down": 2, "flows": 3, "dests": 1},
        {"ts": END - 60, "mac": "m1", "app": "zoom", "bytes_up": 5, "bytes_down": 0, "flows": 0, "dests": 4},
    ]})
    assert sorted(s.apps) == [("m1", "zoom", END - 3600, 15, 20, 1, 1, 4, 120), ("m1", "zoom", END, 1, 2, 3, 0, 1, 60)]
    assert s.hours == {END - 3600, END}


def test_probes_are_summarised_per_target_in_tenths_of_a_millisecond():
    s = _summary({"probes": [
        {"ts": END - 60, "target": "first_hop", "kind": "icmp", "sent": 4, "lost": 0, "rtt_ms": 1.0, "jitter_ms": 0.2},
        {"ts": END, "target": "first_hop", "kind": "icmp", "sent": 4, "lost": 2, "rtt_ms": 4.0, "rtt_max_ms": 9.5},
        {"ts": END, "target": "dns", "kind": "dns", "sent": 1, "lost": 0, "rtt_ms": 5000.0},
    ]})
    assert s.probe_targets == ["first_hop", "dns"]
    # kind, sent, lost, rtt mean weighted by answers ((1*4 + 4*2) / 6 = 2 ms), max, jitter; dns capped at 3276.7
    assert s.probes == [1, 8, 2, 20, 95, 2, 3, 1, 0, 32767, 32767, None]


def test_radios_keep_their_last_channel_and_whole_percent_means():
    s = _summary({"radios": [
        {"ts": END, "radio": "wlan0", "band": "2.4", "channel": 11, "width_mhz": 20, "busy_pct": 40.4, "stations": 2},
        {"ts": END - 60, "radio": "wlan0", "band": "2.4", "channel": 6, "busy_pct": 20.0, "stations": 4},
    ]})
    assert s.radios == [24, 11, 20, None, 30, None, None, 4]


def test_header_flags_become_bits_and_an_unknown_flag_sets_the_unknown_bit():
    s = _summary({}, flags=["mac_hashed", "something_new"], kind="diagnosis", dropped_reports=2)
    span, interval, kind, flags, dropped, _ = s.meta
    assert (span, interval, kind, dropped) == (300, 60, 1, 2)
    assert flags & FLAG_BITS["mac_hashed"] and flags & (1 << 14)


@pytest.mark.parametrize("sections", [
    {"stations": [{"ts": END, "mac": "m", "radio": "r", "signal_dbm": -40000}]},
    {"health": [{"ts": END, "wan_rx_bytes": 2**64}]},
    {"events": [{"ts": 2**40, "kind": "reboot"}]},
    {"apps": [{"mac": "m", "app": "web", "bytes_up": 2**63}]},
    {"apps": [{"mac": "m", "app": "web", "bytes_down": 2**62}, {"mac": "m", "app": "web", "bytes_down": 2**62}]},
    {"apps": [{"mac": "m", "app": "web", "flows": 2**31}]},
    {"apps": [{"mac": "m", "app": "web", "new_flows": -2**31 - 1}]},
    {"apps": [{"mac": "m", "app": "web", "dests": 2**31}]},
])
def test_a_value_the_store_cannot_hold_is_a_schema_error(sections):
    with pytest.raises(SchemaError) as caught:
        _summary(sections)
    assert "out of range" in str(caught.value) or "Unix time" in str(caught.value)


def test_app_counters_at_the_edges_of_their_columns_are_kept():
    s = _summary({"apps": [{"mac": "m", "app": "web", "bytes_up": 2**63 - 1, "bytes_down": 0, "flows": 2**31 - 1,
                            "new_flows": 0, "dests": 2**31 - 1}]})
    assert s.apps[0][3:8] == (2**63 - 1, 0, 2**31 - 1, 0, 2**31 - 1)


def test_hours_are_buckets_like_time_bucket():
    assert hour_of(END) == END and hour_of(END - 1) == END - 3600


def test_a_1_1_periodic_report_is_stored_exactly_as_the_same_records_sent_with_every_column_by_1_0() -> None:
    sections = {
        "stations": [{"mac": "m1", "radio": "phy1-ap0", "band": "5", "samples": 5, "signal_dbm": -64,
                      "signal_avg_dbm": -62, "signal_min_dbm": -71, "noise_dbm": -95, "tx_rate_mbps": 866.7,
                      "tx_rate_min_mbps": 390.0, "rx_rate_mbps": 526.5, "tx_mcs": 9, "tx_nss": 2,
                      "tx_width_mhz": 80, "rx_mcs": 7, "rx_nss": 2, "rx_width_mhz": 80, "tx_retries": 31,
                      "tx_failed": 2, "tx_bytes": 91_234_567, "rx_bytes": 2_345_678, "tx_packets": 64_000,
                      "rx_packets": 31_000, "inactive_ms": 20, "connected_s": 7200, "expected_tput_mbps": 610,
                      "airtime_tx_ms": 9000, "airtime_rx_ms": 1200, "standard": "ax"}],
        "radios": [{"radio": "phy1-ap0", "band": "5", "samples": 5, "channel": 36, "width_mhz": 80,
                    "noise_dbm": -95, "busy_pct": 23.5, "busy_max_pct": 41.0, "tx_pct": 11.0, "rx_pct": 4.5,
                    "stations": 3}],
        "apps": [{"mac": "m1", "app": "netflix", "bytes_up": 1_234_000, "bytes_down": 88_000_000,
                  "packets_up": 20_000, "packets_down": 60_000, "flows": 4, "new_flows": 1, "dests": 3,
                  "active_samples": 5}],
        "probes": [{"target": "first_hop", "kind": "icmp", "sent": 10, "lost": 1, "rtt_ms": 2.4,
                    "rtt_min_ms": 1.1, "rtt_max_ms": 9.3, "jitter_ms": 0.8}],
        "health": [{"samples": 5, "uptime_s": 86_400, "load1": 0.31, "cpu_pct": 7.5, "cpu_max_pct": 19.0,
                    "mem_used_pct": 41.2, "mem_total_kb": 262_144, "wan_up": True, "wan_down_s": 0, "wan_flaps": 0,
                    "wan_rx_bytes": 95_000_000, "wan_tx_bytes": 4_000_000, "conntrack_entries": 310,
                    "agent_cpu_ms": 120, "agent_rss_kb": 13_500}],
    }
    new, old = _periodic_summary(sections), _summary(sections)
    fields = ("meta", "health", "station_macs", "station_q", "station_c", "radios", "probe_targets", "probes",
              "apps", "events", "devices", "hours", "macs")
    assert new.report.doc["schema"] == "1.1" and "tx_mcs" not in new.report.doc["stations"]
    assert {f: getattr(new, f) for f in fields} == {f: getattr(old, f) for f in fields}


def _periodic_summary(sections: dict):
    """The same report as a 1.1 agent builds it (periodic: the diagnosis-only columns left out)."""
    doc = build_report({"home_id": "h", "gateway_id": "g", "model": "m", "firmware": "f", "agent_version": "a",
                        "boot_id": "b", "seq": 3, "start_ts": END - 300, "end_ts": END, "sample_interval_s": 60,
                        "kind": "periodic"}, sections)
    return summarize(Report(Incoming("t", b"", 0.0), doc, "json"))
