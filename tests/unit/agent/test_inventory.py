"""Inventory collector: devices from leases, neighbours and Wi-Fi, with vendor, class and connection."""

from __future__ import annotations

import hashlib
import hmac
import shutil
from pathlib import Path

import pytest
from porchlight_agent.collectors.base import record_to_wire
from porchlight_agent.collectors.devclass import DeviceClassifier
from porchlight_agent.collectors.dnsmasq import parse_leases, parse_log
from porchlight_agent.collectors.inventory import Device, InventoryCollector, parse_ip_neigh, parse_proc_net_arp
from porchlight_agent.collectors.vendors import OuiTable
from porchlight_agent.collectors.wifi import WifiCollector
from porchlight_agent.privacy import MacHasher, is_locally_administered, normalize_mac
from porchlight_agent.sources import CommandNotFound, FixtureRunner, Sources
from porchlight_wire.schema import DEVICES

FIX = Path(__file__).parents[2] / "fixtures" / "agent" / "inventory"
WIFI = Path(__file__).parents[2] / "fixtures" / "agent" / "wifi"
NOW = 1_700_000_000
PHONE, LAPTOP, PLUG, ROKU, RANDOM, NAS = (
    "3c:22:fb:12:34:56", "a4:83:e7:0a:1b:2c", "50:02:91:77:88:99", "d8:31:34:44:55:66", "7e:9a:10:20:30:40",
    "00:11:32:aa:bb:cc")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copytree(FIX / "root", tmp_path, dirs_exist_ok=True)
    return tmp_path


def wifi_runner() -> FixtureRunner:
    return FixtureRunner({
        ("ip", "neigh", "show"): FIX / "ip_neigh.txt",
        ("iw", "dev"): WIFI / "iw_dev.txt",
        ("iw", "dev", "phy1-ap0", "station", "dump"): WIFI / "station_dump_mt76_t0.txt",
        ("iw", "dev", "phy1-ap0", "survey", "dump"): WIFI / "survey_phy1_t0.txt",
        ("iw", "dev", "phy0-ap0", "station", "dump"): WIFI / "station_dump_ath9k_t1.txt",
        ("iw", "dev", "phy0-ap0", "survey", "dump"): WIFI / "survey_phy0_nobusy_t0.txt",
    })


def by_mac(devices: list[Device]) -> dict[str, Device]:
    return {d.mac: d for d in devices}


def test_device_record_carries_exactly_the_schema_fields() -> None:
    assert Device.SECTION == "devices"
    assert tuple(record_to_wire(Device(mac="m"))) == DEVICES.names


# ---- parsers ----

def test_dnsmasq_leases_skip_dhcpv6_lines_and_star_hostnames() -> None:
    leases = parse_leases((FIX / "root/tmp/dhcp.leases").read_text())
    assert [lease.mac for lease in leases] == [PHONE, LAPTOP, PLUG, ROKU, RANDOM, NAS, "f0:18:98:01:02:03"]
    assert leases[0].hostname == "iPhone-de-Ana" and leases[0].ip == "192.168.1.101"
    assert leases[4].hostname is None
    assert leases[5].expiry == 0


def test_ip_neigh_keeps_ipv6_and_stale_entries_and_drops_failed_ones() -> None:
    entries = parse_ip_neigh((FIX / "ip_neigh.txt").read_text())
    ips = {n.ip for n in entries}
    assert {"2001:db8:1::1a2b", "fe80::3e22:fbff:fe12:3456", "192.168.1.102"} <= ips
    assert not ips & {"192.168.1.150", "192.168.1.151", "fe80::1234"}
    stale = next(n for n in entries if n.ip == "192.168.1.102")
    assert stale.state == "STALE" and stale.mac == LAPTOP
    assert next(n for n in entries if n.ip.startswith("fe80::21b")).router


def test_proc_net_arp_fallback_keeps_only_complete_entries() -> None:
    entries = parse_proc_net_arp((FIX / "root/proc/net/arp").read_text())
    assert [(n.ip, n.mac) for n in entries] == [
        ("192.168.1.101", PHONE), ("192.168.1.10", NAS), ("100.64.0.1", "00:1b:21:0a:0b:0c")]


def test_dnsmasq_log_gives_dhcp_vendor_class_and_dns_answers_with_cname_chains() -> None:
    log = parse_log((FIX / "root/tmp/dnsmasq.log").read_text().splitlines())
    assert log.vendor_classes == {RANDOM: "android-dhcp-14", "c8:5b:76:01:02:03": "MSFT 5.0"}
    answers = {a.ip: a.names for a in log.answers}
    assert answers["54.155.178.5"] == ("www.netflix.com", "www.eu-west-1.internal.dradis.netflix.com")
    assert answers["2a00:1450:4009:81f::200e"] == ("www.youtube.com", "youtube-ui.l.google.com")
    assert answers["170.114.52.2"] == ("zoom.us",)
    assert "192.168.1.1" not in answers  # config lines are the gateway's own names, not answers


# ---- OUI, MACs and hashing ----

def test_oui_table_names_vendors_and_randomised_macs_get_none() -> None:
    table = OuiTable.load()
    assert len(table) > 300
    assert table.vendor(PHONE) == "Apple"
    assert table.vendor(ROKU) == "Roku"
    assert table.vendor(PLUG) == "Espressif"
    assert table.vendor(RANDOM) is None  # locally administered: randomised private address
    assert table.vendor("00:00:01:00:00:00") is None  # not in the compact table


def test_mac_normalisation_and_locally_administered_bit() -> None:
    assert normalize_mac("3C-22-FB-12-34-56") == PHONE
    assert normalize_mac("3c22fb123456") == PHONE
    assert normalize_mac("not a mac") is None
    assert is_locally_administered(RANDOM) and not is_locally_administered(PHONE)


def test_mac_hash_is_hmac_sha256_of_the_normalised_mac() -> None:
    for key in (b"home-a-key-0123456789", b"k" * 100):
        expected = "h:" + hmac.new(key, PHONE.encode(), hashlib.sha256).hexdigest()[:16]
        assert MacHasher(key)(PHONE) == expected


def test_mac_hash_is_keyed_stable_and_home_specific() -> None:
    a, b = MacHasher(b"home-a-key-0123456789"), MacHasher(b"home-b-key-0123456789")
    assert a(PHONE) == a(PHONE)
    assert a(PHONE) != b(PHONE)
    assert a(PHONE).startswith("h:") and len(a(PHONE)) == 18
    assert int(a(PHONE)[2:], 16) >= 0
    assert MacHasher()(PHONE) == PHONE
    with pytest.raises(ValueError):
        MacHasher(b"short")


# ---- classification ----

@pytest.mark.parametrize(("hints", "expected"), [
    ({"hostname": "iPhone-de-Ana", "vendor": "Apple"}, "phone"),
    ({"hostname": "Anas-MacBook-Air", "vendor": "Apple"}, "laptop"),
    ({"hostname": "Priyas-MBP", "vendor": "Apple"}, "laptop"),  # macOS's short name for a MacBook Pro
    ({"hostname": "Roku-Ultra", "vendor": "Roku"}, "streamer"),
    ({"hostname": "ESP_7A8899", "vendor": "Espressif"}, "iot"),
    ({"hostname": "DiskStation", "vendor": "Synology"}, "nas"),
    ({"dhcp_vendor_class": "android-dhcp-14", "randomised": True}, "phone"),
    ({"hostname": "DESKTOP-4F2K9QX", "dhcp_vendor_class": "MSFT 5.0"}, "desktop"),
    ({"signature": "wifi4|probe:0,1,50|assoc:0,1|wps:SM-T870"}, "tablet"),
    ({}, "unknown"),
])
def test_device_class_from_hostname_vendor_dhcp_and_taxonomy(hints: dict, expected: str) -> None:
    assert DeviceClassifier.load().classify(**hints).device_class == expected


def test_agreeing_hints_raise_confidence_and_conflicting_hints_lower_it() -> None:
    classifier = DeviceClassifier.load()
    one = classifier.classify(vendor="Roku").confidence
    two = classifier.classify(vendor="Roku", hostname="Roku-Ultra").confidence
    conflict = classifier.classify(vendor="Roku", hostname="xbox").confidence
    assert two > one
    assert classifier.classify().confidence == 0.0
    assert conflict < 0.9


# ---- the collector ----

def test_inventory_joins_leases_neighbours_and_wifi(root: Path) -> None:
    runner = wifi_runner()
    sources = Sources(root=root, runner=runner)
    wifi = WifiCollector(sources, use_hostapd=False)
    wifi.collect(NOW)
    devices = by_mac(InventoryCollector(sources, wifi=wifi).collect(NOW))
    phone = devices[PHONE]
    assert phone.ips == ["192.168.1.101", "2001:db8:1::1a2b"]  # link-local left out
    assert (phone.hostname, phone.vendor, phone.device_class) == ("iPhone-de-Ana", "Apple", "phone")
    assert phone.connection == "5"
    assert devices[PLUG].connection == "2.4"
    assert devices[NAS].connection == "wired"  # reachable, never on Wi-Fi
    assert devices[NAS].ips == ["192.168.1.10", "2001:db8:1::77"]
    assert devices[ROKU].device_class == "streamer" and devices[ROKU].class_confidence > 0.8
    assert devices[RANDOM].vendor is None
    assert "f0:18:98:01:02:03" not in devices  # lease expired before NOW
    assert "00:1b:21:0a:0b:0c" not in devices  # the ISP router on the WAN side is not a home device


def test_first_seen_stays_and_last_seen_moves_only_when_active(root: Path) -> None:
    runner = wifi_runner()
    collector = InventoryCollector(Sources(root=root, runner=runner))
    first = by_mac(collector.collect(NOW))
    assert (first[LAPTOP].first_seen, first[LAPTOP].last_seen) == (NOW, NOW)  # on Wi-Fi (mt76 dump)
    assert first[RANDOM].last_seen is None  # only a lease: never seen active
    later = by_mac(collector.collect(NOW + 300))
    assert later[NAS].first_seen == NOW and later[NAS].last_seen == NOW + 300


def test_without_wifi_tools_connection_is_unknown_not_wired(root: Path) -> None:
    runner = FixtureRunner({("ip", "neigh", "show"): FIX / "ip_neigh.txt"})
    devices = by_mac(InventoryCollector(Sources(root=root, runner=runner)).collect(NOW))
    assert devices[NAS].connection == "unknown"


def test_without_ip_command_neighbours_come_from_proc_net_arp(root: Path) -> None:
    runner = FixtureRunner({("ip", "neigh", "show"): CommandNotFound("ip: not installed")})
    collector = InventoryCollector(Sources(root=root, runner=runner))
    devices = by_mac(collector.collect(NOW))
    assert devices[NAS].ips == ["192.168.1.10"]
    assert collector.ip_to_mac["192.168.1.10"] == NAS
    assert "100.64.0.1" not in collector.ip_to_mac


def test_dhcp_vendor_class_from_the_dnsmasq_log_classifies_a_randomised_phone(root: Path) -> None:
    runner = FixtureRunner({("ip", "neigh", "show"): FIX / "ip_neigh.txt"})
    collector = InventoryCollector(Sources(root=root, runner=runner), dnsmasq_log="/tmp/dnsmasq.log")
    device = by_mac(collector.collect(NOW))[RANDOM]
    assert device.hostname == "Pixel-8"  # no name in the lease; the DHCPACK log line has it
    assert device.device_class == "phone"


def test_address_book_maps_ipv4_and_ipv6_to_the_device(root: Path) -> None:
    runner = FixtureRunner({("ip", "neigh", "show"): FIX / "ip_neigh.txt"})
    book = InventoryCollector(Sources(root=root, runner=runner)).refresh_addresses()
    assert book["192.168.1.101"] == PHONE
    assert book["2001:db8:1::1a2b"] == PHONE
    assert book["192.168.1.140"] == RANDOM  # from the lease alone


def test_hashed_inventory_reports_hashes_and_the_flag(root: Path) -> None:
    key = b"home-key-0123456789abcdef"
    runner = FixtureRunner({("ip", "neigh", "show"): FIX / "ip_neigh.txt"})
    collector = InventoryCollector(Sources(root=root, runner=runner), mac_key=key)
    devices = collector.collect(NOW)
    assert all(d.mac.startswith("h:") for d in devices)
    assert MacHasher(key)(PHONE) in by_mac(devices)
    assert collector.flags == ["mac_hashed"]
    assert collector.ip_to_mac["192.168.1.101"] == PHONE  # the address book keeps real MACs on the gateway


def test_remembered_devices_are_bounded(root: Path) -> None:
    runner = FixtureRunner({("ip", "neigh", "show"): FIX / "ip_neigh.txt"})
    collector = InventoryCollector(Sources(root=root, runner=runner), max_devices=3)
    assert len(collector.collect(NOW)) == 6
    assert collector.remembered == 3
