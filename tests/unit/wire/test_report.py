"""Reports are columnar: records in, columns on the wire, records back out."""

from porchlight_wire import SCHEMA_VERSION, build_report, iter_records, to_columns


def test_records_become_columns_and_all_null_columns_are_left_out() -> None:
    columns = to_columns("probes", [
        {"target": "first_hop", "kind": "icmp", "rtt_ms": 1.5},
        {"target": "dns", "kind": "dns", "rtt_ms": 12.0},
    ])
    assert columns == {"target": ["first_hop", "dns"], "kind": ["icmp", "dns"], "rtt_ms": [1.5, 12.0]}


def test_columns_read_back_as_records_with_every_schema_field() -> None:
    doc = build_report({"home_id": "h"}, {"events": [{"ts": 5, "kind": "reboot", "extra": "kept"}]})
    assert doc["schema"] == SCHEMA_VERSION
    (record,) = iter_records(doc, "events")
    assert record == {"ts": 5, "kind": "reboot", "mac": None, "detail": None, "extra": "kept"}


def test_empty_sections_are_not_sent() -> None:
    doc = build_report({"home_id": "h"}, {"events": [], "errors": []})
    assert set(doc) == {"schema", "header"}


def test_a_periodic_report_leaves_out_diagnosis_only_columns_and_a_diagnosis_keeps_them() -> None:
    record = {"mac": "aa:00:00:00:00:01", "radio": "phy1-ap0", "signal_avg_dbm": -60, "tx_mcs": 9,
              "inactive_ms": 40, "tx_bytes": 1_000}
    periodic = build_report({"kind": "periodic"}, {"stations": [record]})
    diagnosis = build_report({"kind": "diagnosis"}, {"stations": [record]})
    assert periodic["schema"] == "1.1"
    assert periodic["stations"] == {"mac": ["aa:00:00:00:00:01"], "radio": ["phy1-ap0"], "signal_avg_dbm": [-60],
                                    "tx_bytes": [1_000]}
    assert diagnosis["stations"]["tx_mcs"] == [9] and diagnosis["stations"]["inactive_ms"] == [40]


def test_every_field_the_cloud_stores_is_sent_in_periodic_reports() -> None:
    from porchlight_wire.schema import DIAGNOSIS_ONLY

    stored = {"stations": {"mac", "radio", "band", "samples", "signal_avg_dbm", "signal_min_dbm", "tx_rate_mbps",
                           "rx_rate_mbps", "tx_bytes", "rx_bytes", "tx_packets", "tx_retries"},
              "apps": {"mac", "app", "bytes_up", "bytes_down", "flows", "new_flows", "dests", "active_samples"},
              "health": {"uptime_s", "load1", "cpu_pct", "cpu_max_pct", "mem_used_pct", "wan_down_s",
                         "wan_flaps", "wan_rx_bytes", "wan_tx_bytes", "conntrack_entries", "agent_cpu_ms",
                         "agent_rss_kb"},
              "probes": {"target", "kind", "sent", "lost", "rtt_ms", "rtt_max_ms", "jitter_ms"},
              "radios": {"radio", "band", "channel", "width_mhz", "noise_dbm", "busy_pct", "tx_pct", "rx_pct",
                         "stations"}}
    for key, names in stored.items():
        assert not names & DIAGNOSIS_ONLY[key], key
    assert not DIAGNOSIS_ONLY["devices"] and not DIAGNOSIS_ONLY["events"] and not DIAGNOSIS_ONLY["errors"]
