"""Which devices a report lists: all of them at start and hourly, otherwise only new and changed ones."""

from __future__ import annotations

from typing import Any

from porchlight_agent.inventory_diff import CHANGES, FULL, InventoryTracker, changed_devices, signature

T0 = 1_700_000_100
PHONE, TV = "3c:22:fb:12:34:56", "a4:83:e7:0a:1b:2c"


def device(mac: str, **values: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"mac": mac, "ips": ["192.168.1.10"], "hostname": "iPhone", "vendor": "Apple, Inc.",
                            "device_class": "phone", "class_confidence": 0.9, "connection": "5",
                            "first_seen": T0 - 86_400, "last_seen": T0}
    return base | values


def test_the_first_report_carries_every_device() -> None:
    mode, rows = InventoryTracker().select(T0, [device(PHONE), device(TV)])
    assert (mode, [r["mac"] for r in rows]) == (FULL, [PHONE, TV])


def test_an_unchanged_device_is_left_out_and_a_new_one_is_listed() -> None:
    tracker = InventoryTracker()
    tracker.select(T0, [device(PHONE)])
    mode, rows = tracker.select(T0 + 300, [device(PHONE), device(TV, hostname="LGwebOSTV")])
    assert (mode, [r["mac"] for r in rows]) == (CHANGES, [TV])


def test_a_new_address_name_class_connection_or_vendor_is_a_change() -> None:
    before = {PHONE: signature(device(PHONE))}
    for change in ({"ips": ["192.168.1.10", "2001:db8::10"]}, {"hostname": "Jos-iPhone"},
                   {"device_class": "tablet"}, {"connection": "2.4"}, {"vendor": None}):
        assert changed_devices(before, [device(PHONE, **change)]) == [device(PHONE, **change)], change


def test_last_seen_or_class_confidence_alone_is_not_a_change() -> None:
    before = {PHONE: signature(device(PHONE))}
    assert changed_devices(before, [device(PHONE, last_seen=T0 + 600, class_confidence=0.95)]) == []


def test_a_full_inventory_comes_at_least_once_an_hour() -> None:
    tracker = InventoryTracker()
    modes = [tracker.select(T0 + 300 * k, [device(PHONE)])[0] for k in range(25)]
    assert [k for k, mode in enumerate(modes) if mode == FULL] == [0, 12, 24]


def test_a_clock_that_jumps_back_starts_over_with_a_full_inventory() -> None:
    tracker = InventoryTracker()
    tracker.select(T0, [device(PHONE)])
    assert tracker.select(T0 - 86_400, [device(PHONE)])[0] == FULL


def test_changes_are_against_the_previous_report_not_the_last_full_one() -> None:
    tracker = InventoryTracker()
    tracker.select(T0, [device(PHONE)])
    assert tracker.select(T0 + 300, [device(PHONE, connection="2.4")])[1] == [device(PHONE, connection="2.4")]
    assert tracker.select(T0 + 600, [device(PHONE, connection="2.4")])[1] == []
