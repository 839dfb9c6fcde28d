"""Conntrack parsing and per-flow deltas: every byte counted once, whatever the table does between samples."""

from __future__ import annotations

from pathlib import Path

import pytest
from porchlight_agent.collectors.base import CollectorError
from porchlight_agent.collectors.conntrack import (
    ConntrackSource,
    Flow,
    FlowTracker,
    parse_conntrack,
    tuple_fields,
)
from porchlight_agent.sources import CommandFailed, FixtureRunner, Sources

FIX = Path(__file__).parents[2] / "fixtures" / "agent" / "conntrack"


def flows(name: str) -> list[Flow]:
    parsed, bad = parse_conntrack((FIX / name).read_text())
    assert bad == 0
    return parsed


def by_dport(found: list[Flow]) -> dict[int | None, Flow]:
    return {tuple_fields(f.tup)[3]: f for f in found}


# ---- parsing ----

def test_proc_nf_conntrack_lines_for_tcp_udp_icmp_ipv4_and_ipv6() -> None:
    parsed = flows("nf_conntrack_t0.txt")
    assert len(parsed) == 11
    assert {f.family for f in parsed} == {"ipv4", "ipv6"}
    assert {f.proto for f in parsed} == {"tcp", "udp", "icmp", "icmpv6"}
    netflix = parsed[0]
    assert tuple_fields(netflix.tup) == ("192.168.1.101", "45.57.10.20", 51234, 443)
    assert (netflix.orig_packets, netflix.orig_bytes, netflix.reply_packets, netflix.reply_bytes) == (
        1200, 96000, 2400, 3400000)
    assert netflix.reply_src == "45.57.10.20"
    assert netflix.ident is None and not netflix.offloaded


def test_unreplied_flow_keeps_both_directions_counters() -> None:
    dns = flows("nf_conntrack_t0.txt")[2]
    assert tuple_fields(dns.tup) == ("192.168.1.102", "1.1.1.1", 41000, 53)
    assert (dns.orig_packets, dns.orig_bytes, dns.reply_packets, dns.reply_bytes) == (1, 71, 0, 0)


def test_icmp_tuple_has_no_ports_and_icmp_id_is_not_taken_for_the_conntrack_id() -> None:
    icmp = flows("nf_conntrack_t0.txt")[3]
    assert tuple_fields(icmp.tup) == ("192.168.1.101", "8.8.8.8", None, None)
    assert "id=7" in icmp.tup
    assert icmp.ident is None
    ext = flows("conntrack_extended_ipv4_t0.txt")[2]
    assert ext.ident == "992211"


def test_ipv6_addresses_in_full_form_are_kept_as_printed() -> None:
    v6 = flows("nf_conntrack_t0.txt")[4]
    assert tuple_fields(v6.tup)[0] == "2001:0db8:0001:0000:0000:0000:0000:1a2b"


def test_port_forwarded_flow_names_the_internal_host_as_reply_source() -> None:
    inbound = flows("nf_conntrack_t0.txt")[7]
    assert tuple_fields(inbound.tup)[:2] == ("5.6.7.8", "81.2.69.160")
    assert inbound.reply_src == "192.168.1.10"


def test_accounting_off_gives_no_counters_but_keeps_delta_time() -> None:
    parsed = flows("nf_conntrack_acct_off.txt")
    assert [f.orig_bytes for f in parsed] == [None, None, None]
    assert [f.delta_time for f in parsed] == [3600, 1, 120]


def test_offloaded_flows_without_timeout_column_are_parsed_and_marked() -> None:
    parsed = flows("nf_conntrack_offload.txt")
    assert [f.offloaded for f in parsed] == [True, True]
    assert [f.proto for f in parsed] == ["tcp", "udp"]


def test_malformed_lines_are_counted_not_fatal(tmp_path: Path) -> None:
    parsed, bad = parse_conntrack("garbage line\nipv4 2 tcp 6 10 src=1.2.3.4 dst=5.6.7.8\n\n")
    assert (parsed, bad) == ([], 2)
    (tmp_path / "proc/net").mkdir(parents=True)
    (tmp_path / "proc/net/nf_conntrack").write_text("garbage\n" + (FIX / "nf_conntrack_t0.txt").read_text())
    source = ConntrackSource(Sources(root=tmp_path, runner=FixtureRunner()))
    assert len(list(source.read(1).flows)) == 11
    assert source.bad_lines == 1


# ---- the source ----

def test_source_prefers_proc_and_reads_the_acct_sysctl() -> None:
    snap = ConntrackSource(Sources(root=FIX / "root", runner=FixtureRunner())).read(1)
    assert (len(list(snap.flows)), snap.acct, snap.source) == (11, True, "proc")


def test_source_falls_back_to_the_conntrack_tool_for_ipv4_and_ipv6(tmp_path: Path) -> None:
    runner = FixtureRunner({
        ("conntrack", "-L", "-f", "ipv4", "-o", "extended,id"): FIX / "conntrack_extended_ipv4_t0.txt",
        ("conntrack", "-L", "-f", "ipv6", "-o", "extended,id"): FIX / "conntrack_extended_ipv6_t0.txt",
    })
    snap = ConntrackSource(Sources(root=tmp_path, runner=runner)).read(1)
    assert snap.source == "conntrack"
    assert sorted(f.family for f in snap.flows) == ["ipv4", "ipv4", "ipv4", "ipv6"]
    assert snap.acct is True  # no sysctl readable: inferred from the bytes= fields


def test_missing_ipv6_conntrack_still_gives_ipv4(tmp_path: Path) -> None:
    runner = FixtureRunner({
        ("conntrack", "-L", "-f", "ipv4", "-o", "extended,id"): FIX / "conntrack_extended_ipv4_t0.txt",
        ("conntrack", "-L", "-f", "ipv6", "-o", "extended,id"): CommandFailed("conntrack: Protocol not supported"),
    })
    assert len(list(ConntrackSource(Sources(root=tmp_path, runner=runner)).read(1).flows)) == 3


def test_no_conntrack_at_all_is_a_collector_error(tmp_path: Path) -> None:
    with pytest.raises(CollectorError):
        ConntrackSource(Sources(root=tmp_path, runner=FixtureRunner())).read(1)


# ---- deltas ----

def test_first_reading_is_only_a_baseline() -> None:
    assert FlowTracker().update(flows("nf_conntrack_t0.txt"), 1000) == []


def test_counters_become_per_interval_deltas() -> None:
    tracker = FlowTracker()
    tracker.update(flows("nf_conntrack_t0.txt"), 1000)
    deltas = {tuple_fields(d.flow.tup)[3]: d for d in tracker.update(flows("nf_conntrack_t1.txt"), 1060)}
    smtp = deltas[587]
    assert (smtp.orig_packets, smtp.orig_bytes, smtp.reply_packets, smtp.reply_bytes, smtp.new) == (
        20, 29600, 16, 1200, False)


def test_flow_first_seen_in_the_interval_counts_all_its_bytes_as_new() -> None:
    tracker = FlowTracker()
    tracker.update(flows("nf_conntrack_t0.txt"), 1000)
    new = [d for d in tracker.update(flows("nf_conntrack_t1.txt"), 1060) if d.new]
    assert sorted((tuple_fields(d.flow.tup)[2], d.orig_bytes, d.reply_bytes) for d in new) == [
        (40000, 1500, 9000), (41001, 71, 135)]


def test_flow_that_ended_between_samples_is_counted_once() -> None:
    tracker = FlowTracker()
    t0, t1 = flows("nf_conntrack_t0.txt"), flows("nf_conntrack_t1.txt")
    tracker.update(t0, 1000)
    first = tracker.update(t1, 1060)
    assert tracker.ended == 2  # the unreplied DNS query and the DNS query to the gateway
    quic = [f for f in t1 if tuple_fields(f.tup)[2] == 55000]
    later = [f for f in t1 if tuple_fields(f.tup)[2] != 55000]  # the QUIC flow ends after t1
    second = tracker.update(later, 1120)
    assert all(tuple_fields(d.flow.tup)[2] != 55000 for d in second)
    assert sum(d.orig_bytes or 0 for d in first if d.flow.key == quic[0].key) == 30000
    third = tracker.update(later + quic, 1180)  # the same tuple again is a new connection
    [again] = [d for d in third if d.flow.key == quic[0].key]
    assert again.new and again.orig_bytes == 75000


def test_conntrack_id_reuse_is_a_new_flow() -> None:
    tracker = FlowTracker()
    tracker.update(flows("conntrack_extended_ipv4_t0.txt"), 1000)
    deltas = tracker.update(flows("conntrack_extended_ipv4_t1.txt"), 1060)
    by_port = {tuple_fields(d.flow.tup)[2]: d for d in deltas}
    reconnect = by_port[40000]  # same tuple, new id: a new connection, not a counter jump
    assert reconnect.new and (reconnect.orig_bytes, reconnect.reply_bytes) == (5000, 90000)
    reused = by_port[55001]  # old id, other tuple
    assert reused.new and reused.orig_bytes == 4000
    assert not by_port[51234].new and by_port[51234].orig_bytes == 8000
    assert tracker.ended == 2


def test_counter_that_went_down_on_the_same_tuple_restarts_from_the_new_value() -> None:
    tracker = FlowTracker()
    line = ("ipv4     2 udp      17 170 src=192.168.1.101 dst=151.101.1.140 sport=55000 dport=443 "
            "packets={p} bytes={b} src=151.101.1.140 dst=81.2.69.160 sport=443 dport=55000 packets=1 bytes=100 "
            "mark=0 zone=0 use=2")
    tracker.update(parse_conntrack(line.format(p=500, b=70000))[0], 1000)
    [delta] = tracker.update(parse_conntrack(line.format(p=3, b=420))[0], 1060)
    assert (delta.orig_packets, delta.orig_bytes, delta.new) == (3, 420, True)
    assert delta.reply_bytes == 100


def test_same_tuple_with_a_later_start_time_is_a_new_connection() -> None:
    line = ("ipv4     2 tcp      6 100 ESTABLISHED src=192.168.1.101 dst=151.101.1.140 sport=40000 dport=443 "
            "packets=900 bytes={b} src=151.101.1.140 dst=81.2.69.160 sport=443 dport=40000 packets=1 bytes=60 "
            "[ASSURED] mark=0 zone=0 delta-time={dt} use=2")
    tracker = FlowTracker()
    tracker.update(parse_conntrack(line.format(b=1000, dt=300))[0], 1000)
    [delta] = tracker.update(parse_conntrack(line.format(b=5000, dt=10))[0], 1060)
    assert delta.new and delta.orig_bytes == 5000


def test_duplicate_lines_are_counted_once() -> None:
    t0 = flows("nf_conntrack_t0.txt")
    tracker = FlowTracker()
    tracker.update(t0, 1000)
    t1 = flows("nf_conntrack_t1.txt")
    assert len(tracker.update(t1 + t1[:1], 1060)) == len(t1)


def test_flows_beyond_the_cap_are_dropped_and_counted() -> None:
    tracker = FlowTracker(max_flows=5)
    tracker.update(flows("nf_conntrack_t0.txt"), 1000)
    assert (len(tracker), tracker.dropped) == (5, 6)
    deltas = tracker.update(flows("nf_conntrack_t1.txt"), 1060)
    assert len(tracker) == 5
    # After an overflow, an untracked flow with no start time may be old: it only sets a baseline.
    assert not any(d.new for d in deltas)
    assert tracker.dropped_total == 6 + tracker.dropped
