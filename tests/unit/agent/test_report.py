"""Building a report from the per-sample records of an interval: one aggregated record per entity,
schema-valid, rounded, sorted, with the inventory, errors, events and flags."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pytest
from porchlight_agent.collectors.apps import AppSample
from porchlight_agent.collectors.events import Event
from porchlight_agent.collectors.health import HealthSample
from porchlight_agent.report import HeaderIdentity, ReportBuilder, round_value, shape_section
from porchlight_wire.schema import DIAGNOSIS_ONLY
from porchlight_wire.validate import validate_report

IDENTITY = HeaderIdentity("home-1", "gw-1", "Test Router", "OpenWrt 23.05.3", "0.1.0")
T0 = 1_700_000_100


@dataclass(frozen=True, slots=True)
class Station:
    SECTION: ClassVar[str] = "stations"
    ts: int
    mac: str
    radio: str
    signal_dbm: int | None = None
    tx_rate_mbps: float | None = None
    link_id: int | None = None
    tx_bytes: int | None = None
    inactive_ms: int | None = None
    connected_s: int | None = None


@dataclass(frozen=True, slots=True)
class Device:
    SECTION: ClassVar[str] = "devices"
    mac: str
    hostname: str | None = None


def build(builder: ReportBuilder, **kw: object) -> dict[str, object]:
    args: dict[str, object] = {"boot_id": "b1", "seq": 7, "end_ts": T0 + 300}
    args.update(kw)
    return builder.build(IDENTITY, **args)  # type: ignore[arg-type]


def test_five_health_samples_are_one_schema_valid_health_record_with_every_header_field() -> None:
    builder = ReportBuilder(T0, 60)
    for i in range(5):
        builder.add("health", [HealthSample(ts=T0 + 60 * (i + 1), load1=0.25, cpu_pct=12.345 + i,
                                            mem_used_pct=30.0 + i, agent_rss_kb=13_000 + i)])
    doc = validate_report(build(builder, dropped_reports=2, queue_depth=3))
    header = doc["header"]
    assert header["home_id"] == "home-1" and header["boot_id"] == "b1" and header["seq"] == 7
    assert (header["start_ts"], header["end_ts"], header["sample_interval_s"]) == (T0, T0 + 300, 60)
    assert (header["dropped_reports"], header["queue_depth"], header["kind"]) == (2, 3, "periodic")
    health = doc["health"]
    assert "ts" not in health
    assert (health["samples"], health["cpu_pct"], health["cpu_max_pct"]) == ([5], [14.3], [16.3])
    assert (health["mem_used_pct"], health["agent_rss_kb"], health["load1"]) == ([34], [13_004], [0.25])
    assert "uptime_s" not in health  # all-null columns are left out


def test_station_samples_become_one_record_per_station_with_summed_counters() -> None:
    builder = ReportBuilder(T0, 60)
    for k in range(1, 6):
        builder.add("wifi", [Station(T0 + 60 * k, "aa:00:00:00:00:02", "phy1-ap0", -60 - k, 433.3, tx_bytes=1_000),
                             Station(T0 + 60 * k, "aa:00:00:00:00:01", "phy1-ap0", -50, 866.7, tx_bytes=10)])
    # A diagnosis report carries every column, the diagnosis-only signal_dbm (the last sample's) too.
    stations = validate_report(build(builder, kind="diagnosis"))["stations"]
    assert stations["mac"] == ["aa:00:00:00:00:01", "aa:00:00:00:00:02"]
    assert stations["samples"] == [5, 5]
    assert stations["tx_bytes"] == [50, 5_000]
    assert (stations["signal_dbm"], stations["signal_min_dbm"], stations["signal_avg_dbm"]) == (
        [-50, -65], [-50, -65], [-50, -63])


def test_a_periodic_report_leaves_out_the_diagnosis_only_columns_and_keeps_what_the_cloud_stores() -> None:
    builder = ReportBuilder(T0, 60)
    for k in range(1, 6):
        builder.add("wifi", [Station(T0 + 60 * k, "aa:00:00:00:00:01", "phy1-ap0", -60 - k, 433.3, tx_bytes=1_000,
                                     inactive_ms=10, connected_s=600 + k)])
    periodic = validate_report(build(builder))["stations"]
    diagnosis = validate_report(build(builder, kind="diagnosis"))["stations"]
    assert {"inactive_ms", "connected_s", "signal_dbm"} <= set(diagnosis)
    assert not set(periodic) & DIAGNOSIS_ONLY["stations"]
    assert {k: v for k, v in diagnosis.items() if k not in DIAGNOSIS_ONLY["stations"]} == periodic
    assert (periodic["signal_avg_dbm"], periodic["signal_min_dbm"], periodic["tx_bytes"]) == ([-63], [-65], [5_000])


def test_app_samples_count_distinct_flows_over_the_report_and_their_identities_stay_on_the_gateway() -> None:
    builder = ReportBuilder(T0, 60)
    for k, ids in enumerate(({1, 2}, {2, 3}, {3}), 1):
        builder.add("apps", [AppSample(ts=T0 + 60 * k, mac="aa:00:00:00:00:01", app="web", bytes_down=100,
                                       flows=len(ids), dests=1, flow_ids=frozenset(ids),
                                       remotes=frozenset({"93.184.216.34"}))])
    apps = validate_report(build(builder))["apps"]
    assert (apps["flows"], apps["dests"], apps["active_samples"], apps["bytes_down"]) == ([3], [1], [3], [300])
    assert "flow_ids" not in apps and "remotes" not in apps


def test_floats_are_rounded_to_their_units_precision_and_whole_values_become_ints() -> None:
    assert round_value("busy_pct", 37.456) == 37.5
    assert round_value("tx_rate_mbps", 866.66) == 866.7
    assert round_value("tx_rate_mbps", 866.0) == 866
    assert round_value("rtt_ms", 0.45678) == 0.457  # three significant digits
    assert round_value("rtt_ms", 23.456) == 23.5
    assert round_value("rtt_ms", 1234.5) == 1234
    with pytest.raises(ValueError):
        round_value("rtt_ms", float("nan"))


def test_records_are_sorted_by_entity_so_columns_form_runs() -> None:
    rows = [{"mac": "b", "radio": "wlan1", "link_id": None}, {"mac": "b", "radio": "wlan0", "link_id": 1},
            {"mac": "a", "radio": "wlan0", "link_id": None}, {"mac": "b", "radio": "wlan0", "link_id": 0}]
    shaped = shape_section("stations", rows)
    assert [(r["radio"], r["mac"], r["link_id"]) for r in shaped] == [
        ("wlan0", "a", None), ("wlan0", "b", 0), ("wlan0", "b", 1), ("wlan1", "b", None)]


def test_device_inventory_keeps_only_the_last_snapshot_of_the_interval_and_is_full_by_default() -> None:
    builder = ReportBuilder(T0, 60)
    builder.add("inventory", [Device("aa:00:00:00:00:01"), Device("aa:00:00:00:00:02")])
    builder.add("inventory", [Device("aa:00:00:00:00:02", "phone")])
    doc = validate_report(build(builder))
    assert doc["devices"] == {"mac": ["aa:00:00:00:00:02"], "hostname": ["phone"]}
    assert doc["header"]["inventory"] == "full"


def test_an_inventory_of_changes_lists_only_the_devices_given() -> None:
    builder = ReportBuilder(T0, 60)
    builder.add("inventory", [Device("aa:00:00:00:00:01"), Device("aa:00:00:00:00:02", "phone")])
    builder.set_inventory("changes", [{"mac": "aa:00:00:00:00:02", "hostname": "phone"}])
    doc = validate_report(build(builder))
    assert (doc["header"]["inventory"], doc["devices"]["mac"]) == ("changes", ["aa:00:00:00:00:02"])
    builder.set_inventory("changes", [])
    doc = validate_report(build(builder))
    assert doc["header"]["inventory"] == "changes" and "devices" not in doc  # nothing changed


def test_a_report_without_an_inventory_collector_says_nothing_about_the_inventory() -> None:
    builder = ReportBuilder(T0, 60)
    builder.add("health", [HealthSample(ts=T0 + 60)])
    assert "inventory" not in build(builder)["header"]


def test_a_repeated_collector_error_is_one_record_with_a_count() -> None:
    builder = ReportBuilder(T0, 60)
    for i in range(3):
        builder.add_error("wifi", "CommandNotFound: iw: not installed", T0 + 60 * i)
    builder.add_error("probes", "TimeoutError", T0)
    doc = validate_report(build(builder))
    assert doc["errors"]["collector"] == ["probes", "wifi"]
    assert doc["errors"]["count"] == [1, 3]
    assert doc["errors"]["ts"] == [T0, T0 + 120]


def test_events_and_flags_reach_the_report() -> None:
    builder = ReportBuilder(T0, 60)
    builder.add_event(T0 + 5, "queue_drop", detail="count=3 reason=full")
    builder.add("wifi", [Event(T0 + 60, "connect", mac="aa:00:00:00:00:01")])
    builder.add_flags(["flow_offload", "not_a_schema_flag"])
    doc = validate_report(build(builder))
    assert (doc["events"]["kind"], doc["events"]["ts"]) == (["queue_drop", "connect"], [T0 + 5, T0 + 60])
    assert doc["header"]["flags"] == ["flow_offload"]


def test_a_report_before_the_clock_is_set_is_flagged_clock_unsynced() -> None:
    builder = ReportBuilder(300, 60)
    doc = validate_report(build(builder, end_ts=600))
    assert "clock_unsynced" in doc["header"]["flags"]


def test_a_diagnosis_report_of_one_sample_names_its_command() -> None:
    builder = ReportBuilder(T0, 60)
    builder.add("wifi", [Station(T0, "aa:bb:cc:dd:ee:ff", "phy0-ap0", -61, 433.3)])
    doc = validate_report(build(builder, kind="diagnosis", command_id="c-42"))
    assert (doc["header"]["kind"], doc["header"]["command_id"]) == ("diagnosis", "c-42")
    assert (doc["stations"]["samples"], doc["stations"]["tx_rate_mbps"]) == ([1], [433.3])
    assert doc["stations"]["signal_min_dbm"] == doc["stations"]["signal_dbm"] == [-61]


def test_a_record_without_a_known_section_is_refused() -> None:
    @dataclass(frozen=True)
    class Stray:
        SECTION: ClassVar[str] = "nope"
        ts: int

    with pytest.raises(ValueError, match="no known section"):
        ReportBuilder(T0, 60).add("x", [Stray(1)])


def test_build_needs_an_end_time() -> None:
    with pytest.raises(ValueError, match="end_ts"):
        ReportBuilder(T0, 60).build(IDENTITY, boot_id="b", seq=0)


def test_counter_digits_keeps_that_many_significant_digits_of_traffic_counters() -> None:
    from porchlight_agent.report import round_counter

    assert round_counter(37_512_345, 3) == 37_500_000
    assert round_counter(37_562_345, 3) == 37_600_000
    assert round_counter(999, 3) == 999
    assert round_counter(37_512_345, 0) == 37_512_345
    rows = shape_section("apps", [{"mac": "m", "app": "web", "bytes_down": 123_456, "flows": 12_345}],
                         counter_digits=2)
    assert rows[0]["bytes_down"] == 120_000 and rows[0]["flows"] == 12_345  # flows are not traffic counters
