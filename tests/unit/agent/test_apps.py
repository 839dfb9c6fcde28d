"""Apps collector: flow deltas aggregated per (device, application), classified from IP-level facts only."""

from __future__ import annotations

import ipaddress
import json
import shutil
from pathlib import Path

import pytest
from porchlight_agent.aggregate import aggregate, inputs
from porchlight_agent.collectors.appclass import AppClassifier, AppTableError
from porchlight_agent.collectors.apps import AppSample, AppsCollector, offload_configured
from porchlight_agent.collectors.base import record_to_wire
from porchlight_agent.collectors.inventory import InventoryCollector
from porchlight_agent.privacy import MacHasher
from porchlight_agent.sources import FixtureRunner, Sources
from porchlight_wire.schema import APPS

FIX = Path(__file__).parents[2] / "fixtures" / "agent" / "conntrack"
INVENTORY = Path(__file__).parents[2] / "fixtures" / "agent" / "inventory"
PHONE, LAPTOP, NAS = "3c:22:fb:12:34:56", "a4:83:e7:0a:1b:2c", "00:11:32:aa:bb:cc"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copytree(FIX / "root", tmp_path, dirs_exist_ok=True)
    return tmp_path


def sources(root: Path) -> Sources:
    return Sources(root=root, runner=FixtureRunner({("ip", "neigh", "show"): INVENTORY / "ip_neigh.txt"}))


def advance(root: Path, table: str = "nf_conntrack_t1.txt", wan_rx: int = 55_000_000,
            wan_tx: int = 10_400_000) -> None:
    shutil.copy(FIX / table, root / "proc/net/nf_conntrack")
    (root / "sys/class/net/wan/statistics/rx_bytes").write_text(f"{wan_rx}\n")
    (root / "sys/class/net/wan/statistics/tx_bytes").write_text(f"{wan_tx}\n")


def rows(samples: list[AppSample]) -> dict[tuple[str, str], AppSample]:
    return {(s.mac, s.app): s for s in samples}


def two_samples(root: Path, **options: object) -> tuple[AppsCollector, dict[tuple[str, str], AppSample]]:
    collector = AppsCollector(sources(root), **options)  # type: ignore[arg-type]
    assert collector.collect(1_700_000_000) == []  # the first reading is a baseline
    advance(root)
    return collector, rows(collector.collect(1_700_000_060))


def test_app_samples_fold_into_records_with_exactly_the_schema_fields() -> None:
    assert AppSample.SECTION == "apps"
    sample = record_to_wire(AppSample(ts=1, mac="", app="x"))
    assert set(sample) <= inputs("apps")  # every field the collector samples is used by the report
    [record] = aggregate("apps", [sample])
    assert tuple(record) == APPS.names


def test_each_sample_names_the_flows_and_addresses_it_counted(root: Path) -> None:
    _, found = two_samples(root)
    for sample in found.values():
        assert len(sample.flow_ids) == sample.flows and len(sample.remotes) == sample.dests


def test_a_flow_busy_in_two_samples_is_one_flow_of_the_report(root: Path) -> None:
    collector, first = two_samples(root)
    # 60 s later the phone's Netflix flow has moved another 3 MB: same flow, same identity.
    table = (FIX / "nf_conntrack_t1.txt").read_text().replace("bytes=6800000", "bytes=9800000", 1)
    (root / "proc/net/nf_conntrack").write_text(table)
    second = rows(collector.collect(1_700_000_120))
    key = (PHONE, "netflix")
    assert first[key].flow_ids == second[key].flow_ids
    [netflix] = aggregate("apps", [record_to_wire(first[key]), record_to_wire(second[key])])
    assert (netflix["flows"], netflix["dests"], netflix["active_samples"]) == (1, 1, 2)
    assert netflix["bytes_down"] == 3_400_000 + 3_000_000


def test_traffic_is_aggregated_per_device_and_application(root: Path) -> None:
    _, found = two_samples(root)
    netflix = found[(PHONE, "netflix")]
    assert (netflix.bytes_up, netflix.bytes_down, netflix.packets_up, netflix.packets_down) == (
        96000, 3400000, 1200, 2400)
    assert (netflix.flows, netflix.new_flows, netflix.dests, netflix.ts) == (1, 0, 1, 1_700_000_060)
    google = found[(PHONE, "google")]  # an ICMP ping to 8.8.8.8 and an IPv6 TCP flow to a Google prefix
    assert (google.bytes_up, google.bytes_down, google.flows, google.dests) == (16336, 500336, 2, 2)


def test_quic_on_udp_443_to_an_unlisted_address_is_quic(root: Path) -> None:
    _, found = two_samples(root)
    quic = found[(PHONE, "quic")]
    assert (quic.bytes_up, quic.bytes_down, quic.packets_up, quic.packets_down) == (30000, 800000, 200, 600)


def test_unknown_destination_is_unclassified_not_guessed(root: Path) -> None:
    _, found = two_samples(root)
    unknown = found[(LAPTOP, "unclassified")]  # TCP/443 to a CDN address no table lists
    assert (unknown.bytes_up, unknown.bytes_down, unknown.flows, unknown.new_flows) == (1500, 9000, 1, 1)


def test_smtp_and_dns_are_known_by_port_even_inside_a_known_prefix(root: Path) -> None:
    _, found = two_samples(root)
    assert found[(LAPTOP, "smtp")].bytes_up == 29600  # TCP/587 to a Google address
    dns = found[(LAPTOP, "dns")]
    assert (dns.bytes_up, dns.bytes_down, dns.new_flows) == (71, 135, 1)


def test_port_forwarded_flow_counts_for_the_internal_device_with_directions_swapped(root: Path) -> None:
    _, found = two_samples(root)
    nas = found[(NAS, "unclassified")]
    assert (nas.bytes_up, nas.bytes_down) == (200000, 8000)


def test_gateway_own_traffic_has_an_empty_mac_and_lan_traffic_is_not_counted(root: Path) -> None:
    _, found = two_samples(root)
    own = found[("", "unclassified")]
    assert (own.bytes_up, own.bytes_down) == (1500, 3000)
    assert set(found) == {(PHONE, "netflix"), (PHONE, "quic"), (PHONE, "google"), (LAPTOP, "unclassified"),
                          (LAPTOP, "dns"), (LAPTOP, "smtp"), (NAS, "unclassified"), ("", "unclassified")}


def test_names_the_resolver_answered_classify_addresses(root: Path) -> None:
    shutil.copy(INVENTORY / "root/tmp/dnsmasq.log", root / "tmp/dnsmasq.log")
    _, found = two_samples(root, dnsmasq_log="/tmp/dnsmasq.log")
    youtube = found[(PHONE, "youtube")]  # the IPv6 address answered for www.youtube.com
    assert (youtube.bytes_up, youtube.bytes_down) == (16000, 500000)
    assert found[(PHONE, "google")].bytes_up == 336  # only the ping is left for the prefix rule


def test_hashed_macs(root: Path) -> None:
    key = b"home-key-0123456789abcdef"
    collector, found = two_samples(root, mac_key=key)
    assert (MacHasher(key)(PHONE), "netflix") in found
    assert ("", "unclassified") in found  # the gateway stays ''
    assert "mac_hashed" in collector.flags


def test_accounting_off_is_flagged_and_bytes_are_null(root: Path) -> None:
    (root / "proc/sys/net/netfilter/nf_conntrack_acct").write_text("0\n")
    lines = (FIX / "nf_conntrack_acct_off.txt").read_text().splitlines()
    (root / "proc/net/nf_conntrack").write_text("\n".join(line for line in lines if "dport=53" not in line))
    collector = AppsCollector(sources(root))
    collector.collect(1_700_000_000)
    advance(root, "nf_conntrack_acct_off.txt")
    found = rows(collector.collect(1_700_000_060))
    assert "conntrack_acct_off" in collector.flags
    dns = found[(LAPTOP, "dns")]  # started 1 s ago (delta-time), so new in this interval
    assert (dns.bytes_up, dns.packets_down, dns.flows, dns.new_flows) == (None, None, 1, 1)
    assert not collector.degraded  # no counters to compare with the WAN


def test_flow_offload_is_detected_from_the_firewall_config_and_offload_marks(root: Path) -> None:
    assert offload_configured((FIX / "firewall_offload").read_text())
    assert not offload_configured((FIX / "root/etc/config/firewall").read_text())
    collector = AppsCollector(sources(root))
    collector.collect(1)
    assert "flow_offload" not in collector.flags
    shutil.copy(FIX / "firewall_offload", root / "etc/config/firewall")
    advance(root)
    collector.collect(61)
    assert "flow_offload" in collector.flags


def test_counters_that_stop_while_the_wan_moves_are_flagged_degraded(root: Path) -> None:
    collector = AppsCollector(sources(root))
    collector.collect(1_700_000_000)
    advance(root)  # WAN moved 5.4 MB, flows 5.1 MB: consistent
    collector.collect(1_700_000_060)
    assert not collector.degraded
    advance(root, wan_rx=555_000_000)  # WAN moved 500 MB more while the flow counters stood still
    collector.collect(1_700_000_120)
    assert collector.degraded
    assert "counters_degraded" in collector.flags


def test_dropped_flows_are_counted_and_flagged(root: Path) -> None:
    collector = AppsCollector(sources(root), max_flows=4)
    collector.collect(1)
    assert collector.dropped_flows == 7
    assert "counters_degraded" in collector.flags


def test_tables_can_be_replaced_at_run_time(root: Path) -> None:
    collector = AppsCollector(sources(root))
    collector.collect(1_700_000_000)
    advance(root)
    doc = json.loads(Path(AppClassifier.load.__defaults__[0]).read_text())  # type: ignore[index]
    doc["prefixes"]["fastly_cdn"] = ["151.101.0.0/16"]
    doc["ports"] = [rule for rule in doc["ports"] if rule["app"] != "quic"]
    assert collector.update_tables({"version": "2026-12-1", "tables": doc}) == "2026-12-1"
    assert collector.tables_version == "2026-12-1"
    found = rows(collector.collect(1_700_000_060))
    assert found[(LAPTOP, "fastly_cdn")].bytes_down == 9000
    assert found[(PHONE, "fastly_cdn")].bytes_down == 800000


def test_malformed_tables_are_rejected_and_the_old_ones_stay(root: Path) -> None:
    collector = AppsCollector(sources(root))
    before = collector.tables_version
    with pytest.raises(AppTableError):
        collector.update_tables({"version": "bad", "tables": {"prefixes": {"x": ["not-a-prefix"]}}})
    with pytest.raises(AppTableError):
        collector.update_tables({"tables": {"ports": [{"proto": "tcp", "ports": [70000], "app": "x"}]}})
    assert collector.tables_version == before


def test_classifier_rules_in_order_strong_port_name_prefix_weak_port() -> None:
    tables = AppClassifier.load()
    google = ipaddress.ip_address("142.250.180.14")
    elsewhere = ipaddress.ip_address("151.101.1.140")
    assert tables.classify(google, "udp", 53) == "dns"
    assert tables.classify(google, "tcp", 443, ["rr1---sn-abc.googlevideo.com"]) == "youtube"
    assert tables.classify(google, "udp", 443) == "google"
    assert tables.classify(elsewhere, "udp", 443) == "quic"
    assert tables.classify(elsewhere, "tcp", 443) == "unclassified"
    assert tables.classify(ipaddress.ip_address("2a00:86c0:2042::137"), "tcp", 443) == "netflix"
    assert tables.classify(elsewhere, "tcp", 443, ["unknown.example"]) == "unclassified"


def test_devices_learn_their_mac_from_the_inventory_address_book(root: Path) -> None:
    inventory = InventoryCollector(sources(root))
    collector = AppsCollector(sources(root), inventory=inventory)
    collector.collect(1_700_000_000)
    assert inventory.ip_to_mac["192.168.1.101"] == PHONE
