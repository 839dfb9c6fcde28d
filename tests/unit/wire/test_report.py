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
