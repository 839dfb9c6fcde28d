"""The cloud validates every report against the schema before storing anything of it."""

import copy
from typing import Any

import pytest
from porchlight_wire import SchemaError, UnsupportedVersionError, build_report, validate_report


def header(**overrides: Any) -> dict[str, Any]:
    base = {"home_id": "home-1", "gateway_id": "gw-1", "model": "RT-AX3000", "firmware": "23.05.2",
            "agent_version": "0.1.0", "boot_id": "b-1", "seq": 7, "start_ts": 1_700_000_000,
            "end_ts": 1_700_000_300, "sample_interval_s": 60}
    base.update(overrides)
    return base


def good_report() -> dict[str, Any]:
    return build_report(header(), {
        "stations": [
            {"mac": "aa:bb:cc:00:00:01", "radio": "phy0-ap0", "signal_dbm": -61,
             "tx_rate_mbps": 866.7, "tx_retries": 12},
            {"mac": "aa:bb:cc:00:00:02", "radio": "phy1-ap0", "signal_dbm": -75,
             "tx_rate_mbps": 72, "tx_retries": None},
        ],
        "devices": [{"mac": "aa:bb:cc:00:00:01", "ips": ["192.168.1.10", "fd00::10"], "hostname": "tv"}],
        "health": [{"samples": 5, "uptime_s": 3600, "cpu_pct": 12.5, "wan_up": True}],
    })


def test_a_well_formed_report_is_accepted_unchanged() -> None:
    doc = good_report()
    assert validate_report(copy.deepcopy(doc)) == doc


def test_unknown_fields_are_kept_not_fatal() -> None:
    doc = good_report()
    doc["future_section"] = {"x": [1]}
    doc["header"]["future_header_field"] = "x"
    doc["stations"]["future_column"] = ["a", "b"]
    assert validate_report(doc)["stations"]["future_column"] == ["a", "b"]


def test_integers_are_accepted_where_floats_are_expected() -> None:
    assert validate_report(good_report())["stations"]["tx_rate_mbps"] == [866.7, 72]


@pytest.mark.parametrize("version", ["2.0", "0.9", "1", "one", None])
def test_a_major_version_the_cloud_does_not_accept_is_refused(version: object) -> None:
    doc = good_report()
    doc["schema"] = version
    with pytest.raises(UnsupportedVersionError):
        validate_report(doc)


def test_a_newer_minor_version_of_the_same_major_is_accepted() -> None:
    doc = good_report()
    doc["schema"] = "1.7"
    assert validate_report(doc)["schema"] == "1.7"


def test_every_problem_is_listed_with_its_path() -> None:
    doc = good_report()
    del doc["header"]["seq"]
    doc["stations"]["signal_dbm"] = [-61, "-75"]
    doc["health"]["wan_up"] = [1]
    with pytest.raises(SchemaError) as caught:
        validate_report(doc)
    problems = caught.value.problems
    assert "header.seq: required" in problems
    assert any(p.startswith("stations.signal_dbm: expected int") for p in problems)
    assert any(p.startswith("health.wan_up: expected bool") for p in problems)


def test_columns_of_different_lengths_are_refused() -> None:
    doc = good_report()
    doc["stations"]["signal_dbm"] = [-61]
    with pytest.raises(SchemaError, match="stations.signal_dbm: 1 values, expected 2"):
        validate_report(doc)


def test_a_required_column_may_not_hold_nulls() -> None:
    doc = good_report()
    doc["stations"]["mac"] = ["aa:bb:cc:00:00:01", None]
    with pytest.raises(SchemaError, match="stations.mac: null in a required column"):
        validate_report(doc)


@pytest.mark.parametrize("home_id", ["", "home/1", "home+1", "x" * 65, "hôme"])
def test_ids_that_could_break_the_topic_tree_are_refused(home_id: str) -> None:
    doc = good_report()
    doc["header"]["home_id"] = home_id
    with pytest.raises(SchemaError, match="header.home_id"):
        validate_report(doc)


def test_an_interval_that_ends_before_it_starts_is_refused() -> None:
    doc = good_report()
    doc["header"]["end_ts"] = doc["header"]["start_ts"] - 1
    with pytest.raises(SchemaError, match="end_ts"):
        validate_report(doc)


def test_an_inventory_mode_outside_full_and_changes_is_refused() -> None:
    doc = good_report()
    doc["header"]["inventory"] = "partial"
    with pytest.raises(SchemaError, match="header.inventory"):
        validate_report(doc)


def test_overlong_strings_and_lists_are_refused() -> None:
    doc = good_report()
    doc["devices"]["hostname"] = ["h" * 300]
    doc["devices"]["ips"] = [[str(i) for i in range(100)]]
    with pytest.raises(SchemaError) as caught:
        validate_report(doc)
    assert len(caught.value.problems) == 2


def test_a_section_that_is_not_columnar_is_refused() -> None:
    doc = good_report()
    doc["stations"] = [{"ts": 1, "mac": "x", "radio": "r"}]
    with pytest.raises(SchemaError, match="stations: not an object of columns"):
        validate_report(doc)


def test_a_1_0_periodic_report_with_every_column_is_still_accepted() -> None:
    doc = {"schema": "1.0", "header": header(kind="periodic"),
           "stations": {"mac": ["aa:bb:cc:00:00:01"], "radio": ["phy0-ap0"], "signal_dbm": [-61], "tx_mcs": [9],
                        "inactive_ms": [30], "standard": ["ax"]},
           "apps": {"mac": ["aa:bb:cc:00:00:01"], "app": ["web"], "packets_up": [3], "packets_down": [4]},
           "health": {"wan_up": [True], "mem_total_kb": [262144]}}
    assert validate_report(copy.deepcopy(doc)) == doc
