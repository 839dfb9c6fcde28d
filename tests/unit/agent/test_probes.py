"""Probes collector: ping RTT/jitter/loss (busybox and iputils), DNS time from a real UDP exchange with a
tiny resolver started on 127.0.0.1, and WAN up/down events."""

from __future__ import annotations

import shutil
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from porchlight_agent.aggregate import aggregate, inputs
from porchlight_agent.collectors.base import CollectorError, record_to_wire
from porchlight_agent.collectors.events import Event
from porchlight_agent.collectors.probes import (
    ProbeSample,
    ProbesCollector,
    build_dns_query,
    parse_dns_reply,
    parse_ping,
)
from porchlight_agent.collectors.wanlink import parse_ip_route, parse_proc_net_route
from porchlight_agent.sources import CommandFailed, FixtureRunner, Sources
from porchlight_wire.schema import PROBES

FIX = Path(__file__).parents[2] / "fixtures" / "agent" / "probes"


def ping_argv(target: str) -> tuple[str, ...]:
    return ("ping", "-c", "5", "-W", "1", target)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copytree(FIX / "root", tmp_path, dirs_exist_ok=True)
    return tmp_path


def resolver(answer: Callable[[bytes], bytes | None]) -> Iterator[int]:
    """A UDP server on 127.0.0.1 answering each datagram with ``answer(query)`` (None: stay silent)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                data, peer = sock.recvfrom(512)
            except OSError:
                continue
            reply = answer(data)
            if reply is not None:
                sock.sendto(reply, peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        thread.join(2)
        sock.close()


def answer_with(rcode: int) -> Callable[[bytes], bytes]:
    def answer(query: bytes) -> bytes:
        txid = struct.unpack("!H", query[:2])[0]
        return struct.pack("!HHHHHH", txid, 0x8180 | rcode, 1, 0, 0, 0) + query[12:]
    return answer


@pytest.fixture
def dns_ok() -> Iterator[int]:
    yield from resolver(answer_with(0))


@pytest.fixture
def dns_silent() -> Iterator[int]:
    yield from resolver(lambda query: None)


@pytest.fixture
def dns_servfail() -> Iterator[int]:
    yield from resolver(answer_with(2))


def test_probe_samples_fold_into_records_with_exactly_the_schema_fields() -> None:
    assert ProbeSample.SECTION == "probes"
    sample = record_to_wire(ProbeSample(ts=1, target="t", kind="icmp"))
    assert set(sample) <= inputs("probes")  # every field the collector samples is used by the report
    [record] = aggregate("probes", [sample])
    assert tuple(record) == PROBES.names


# ---- parsers ----

def test_iputils_ping_gives_rtts_in_sequence_order() -> None:
    result = parse_ping((FIX / "ping_iputils_ok.txt").read_text())
    assert result is not None
    assert (result.sent, result.received) == (5, 5)
    assert result.rtts_ms == (1.52, 1.31, 2.94, 1.40, 1.33)


def test_iputils_loss_ignores_duplicates() -> None:
    result = parse_ping((FIX / "ping_iputils_loss.txt").read_text())
    assert result is not None
    assert (result.sent, result.received, result.rtts_ms) == (5, 3, (14.2, 18.6, 15.0))


def test_busybox_ping_output_parses_the_same() -> None:
    ok = parse_ping((FIX / "ping_busybox_ok.txt").read_text())
    loss = parse_ping((FIX / "ping_busybox_loss.txt").read_text())
    assert ok is not None and (ok.sent, ok.received, len(ok.rtts_ms)) == (5, 5, 5)
    assert loss is not None and (loss.sent, loss.received, loss.rtts_ms) == (5, 2, (20.101, 25.9))


def test_ping_that_could_not_run_has_no_result() -> None:
    assert parse_ping((FIX / "ping_busybox_bad_address.txt").read_text()) is None


def test_default_route_from_proc_net_route_and_from_ip_route() -> None:
    route = parse_proc_net_route((FIX / "root/proc/net/route").read_text())
    assert route is not None and (route.interface, route.gateway) == ("wan", "100.64.0.1")
    dhcp = parse_ip_route((FIX / "ip_route_dhcp.txt").read_text())
    assert dhcp is not None and (dhcp.interface, dhcp.gateway) == ("wan", "100.64.0.1")
    pppoe = parse_ip_route((FIX / "ip_route_pppoe.txt").read_text())
    assert pppoe is not None and (pppoe.interface, pppoe.gateway) == ("pppoe-wan", None)


def test_dns_query_is_a_well_formed_recursive_question() -> None:
    query = build_dns_query("www.example.com", 0x1234)
    assert query[:12] == struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
    assert query[12:] == b"\x03www\x07example\x03com\x00\x00\x01\x00\x01"
    reply = parse_dns_reply(answer_with(3)(query))
    assert reply is not None and (reply.txid, reply.rcode, reply.is_response) == (0x1234, 3, True)
    assert parse_dns_reply(b"short") is None


# ---- the collector ----

def test_first_hop_and_targets_give_rtt_jitter_and_loss(root: Path, dns_ok: int) -> None:
    runner = FixtureRunner({
        ping_argv("100.64.0.1"): FIX / "ping_iputils_ok.txt",
        ping_argv("1.1.1.1"): FIX / "ping_iputils_loss.txt",
        ping_argv("8.8.8.8"): FIX / "ping_busybox_ok.txt",
    })
    collector = ProbesCollector(Sources(root=root, runner=runner), targets=["1.1.1.1", "8.8.8.8"],
                                resolver_port=dns_ok)
    samples = {s.target: s for s in collector.collect(1_700_000_000) if isinstance(s, ProbeSample)}
    hop = samples["first_hop"]
    assert (hop.kind, hop.sent, hop.lost, hop.rtt_min_ms, hop.rtt_max_ms) == ("icmp", 5, 0, 1.31, 2.94)
    assert hop.rtt_ms == 1.7
    assert hop.jitter_ms == pytest.approx((0.21 + 1.63 + 1.54 + 0.07) / 4, abs=1e-3)
    lossy = samples["1.1.1.1"]
    assert (lossy.sent, lossy.lost, lossy.rtt_ms) == (5, 2, pytest.approx(15.933, abs=1e-3))
    assert samples["8.8.8.8"].lost == 0
    assert samples["dns"].kind == "dns"


def test_total_loss_is_reported_from_the_output_of_a_failing_ping(root: Path) -> None:
    output = (FIX / "ping_iputils_total_loss.txt").read_text()
    runner = FixtureRunner({ping_argv("100.64.0.1"): CommandFailed("ping: exit status 1", output, 1)})
    [hop] = ProbesCollector(Sources(root=root, runner=runner), resolver=None).collect(1)
    assert isinstance(hop, ProbeSample)
    assert (hop.sent, hop.lost, hop.rtt_ms, hop.jitter_ms) == (5, 5, None, None)


def test_unresolvable_target_is_skipped_and_counted(root: Path) -> None:
    runner = FixtureRunner({
        ping_argv("100.64.0.1"): FIX / "ping_iputils_ok.txt",
        ping_argv("no-such-host.invalid"): CommandFailed(
            "ping: bad address", (FIX / "ping_busybox_bad_address.txt").read_text(), 1),
    })
    collector = ProbesCollector(Sources(root=root, runner=runner), targets=["no-such-host.invalid"],
                                resolver=None)
    assert [s.target for s in collector.collect(1) if isinstance(s, ProbeSample)] == ["first_hop"]
    assert collector.failed_targets == 1


def test_missing_ping_is_a_collector_error(root: Path) -> None:
    with pytest.raises(CollectorError):
        ProbesCollector(Sources(root=root, runner=FixtureRunner()), resolver=None).collect(1)


def test_dns_time_is_measured_against_a_real_udp_resolver(tmp_path: Path, dns_ok: int) -> None:
    ticks = iter([10.0, 10.012, 20.0, 20.020])
    collector = ProbesCollector(Sources(root=tmp_path, runner=FixtureRunner()), resolver_port=dns_ok,
                                dns_names=["example.com", "example.net"], clock=lambda: next(ticks))
    [dns] = collector.collect(1)
    assert isinstance(dns, ProbeSample)
    assert (dns.target, dns.sent, dns.lost) == ("dns", 2, 0)
    assert (dns.rtt_min_ms, dns.rtt_max_ms, dns.rtt_ms, dns.jitter_ms) == (12.0, 20.0, 16.0, 8.0)


def test_dns_without_an_answer_in_time_is_lost(tmp_path: Path, dns_silent: int) -> None:
    collector = ProbesCollector(Sources(root=tmp_path, runner=FixtureRunner()), resolver_port=dns_silent,
                                dns_timeout_s=0.2)
    [dns] = collector.collect(1)
    assert isinstance(dns, ProbeSample)
    assert (dns.sent, dns.lost, dns.rtt_ms) == (1, 1, None)


def test_servfail_counts_as_lost(tmp_path: Path, dns_servfail: int) -> None:
    [dns] = ProbesCollector(Sources(root=tmp_path, runner=FixtureRunner()), resolver_port=dns_servfail).collect(1)
    assert isinstance(dns, ProbeSample) and dns.lost == 1


def test_dns_to_a_port_with_no_resolver_is_lost_not_an_error(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    collector = ProbesCollector(Sources(root=tmp_path, runner=FixtureRunner()), resolver_port=closed_port,
                                dns_timeout_s=0.2)
    [dns] = collector.collect(1)
    assert isinstance(dns, ProbeSample) and dns.lost == 1


def test_wan_going_down_and_up_gives_events(root: Path) -> None:
    runner = FixtureRunner({ping_argv("100.64.0.1"): FIX / "ping_iputils_ok.txt"})
    collector = ProbesCollector(Sources(root=root, runner=runner), first_hop=False, resolver=None)
    assert collector.collect(100) == []
    (root / "sys/class/net/wan/operstate").write_text("down\n")
    (root / "sys/class/net/wan/carrier_down_count").write_text("3\n")
    assert [(e.kind, e.detail) for e in collector.collect(160) if isinstance(e, Event)] == [("wan_down", "wan")]
    (root / "sys/class/net/wan/operstate").write_text("up\n")
    assert [e.kind for e in collector.collect(220) if isinstance(e, Event)] == ["wan_up"]


def test_a_flap_between_samples_is_reported_as_down_and_up(root: Path) -> None:
    collector = ProbesCollector(Sources(root=root, runner=FixtureRunner()), first_hop=False, resolver=None)
    collector.collect(100)
    (root / "sys/class/net/wan/carrier_down_count").write_text("4\n")
    events = [e for e in collector.collect(160) if isinstance(e, Event)]
    assert [(e.kind, e.detail) for e in events] == [("wan_down", "wan flapped 2x"), ("wan_up", "wan flapped 2x")]


def test_probe_cost_is_bounded() -> None:
    with pytest.raises(ValueError):
        ProbesCollector(Sources(), targets=[f"10.0.0.{i}" for i in range(9)])
    with pytest.raises(ValueError):
        ProbesCollector(Sources(), count=100)
