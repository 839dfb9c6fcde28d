"""The scapy flow source: a pcap replayed through the same delta and per-app pipeline as conntrack gives
the same totals as scapy's own per-conversation sums."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from porchlight_agent.collectors.apps import AppSample, AppsCollector
from porchlight_agent.collectors.scapyflows import ScapyFlowSource
from porchlight_agent.sources import FixtureRunner, Sources
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether
from scapy.packet import Raw
from scapy.utils import rdpcap, wrpcap

FIX = Path(__file__).parents[2] / "fixtures" / "agent"
T0 = 1_700_000_000
PHONE, LAPTOP = "3c:22:fb:12:34:56", "a4:83:e7:0a:1b:2c"
LOCAL = {"192.168.1.101": PHONE, "192.168.1.102": LAPTOP, "2001:db8:1::1a2b": PHONE}


def home_pcap(path: Path) -> None:
    """A minute of a small home's traffic: a Netflix TCP stream, QUIC, DNS, a ping and IPv6 TCP."""
    packets: list[Any] = []

    def add(t: float, pkt: Any) -> None:
        pkt.time = T0 + t
        packets.append(pkt)

    eth = Ether(src="3c:22:fb:12:34:56", dst="94:83:c4:a0:00:02")
    back = Ether(src="94:83:c4:a0:00:02", dst="3c:22:fb:12:34:56")
    phone, nflx = "192.168.1.101", "45.57.10.20"
    add(1, eth / IP(src=phone, dst=nflx) / TCP(sport=51234, dport=443, flags="S"))
    add(1.02, back / IP(src=nflx, dst=phone) / TCP(sport=443, dport=51234, flags="SA"))
    for i in range(40):
        add(2 + i, back / IP(src=nflx, dst=phone) / TCP(sport=443, dport=51234, flags="A") / Raw(b"v" * (1200 + i)))
        add(2.01 + i, eth / IP(src=phone, dst=nflx) / TCP(sport=51234, dport=443, flags="A") / Raw(b"a" * 20))
    add(45, eth / IP(src=phone, dst=nflx) / TCP(sport=51234, dport=443, flags="FA"))
    add(45.01, back / IP(src=nflx, dst=phone) / TCP(sport=443, dport=51234, flags="FA"))
    for i in range(30):
        add(3 + i, eth / IP(src=phone, dst="151.101.1.140") / UDP(sport=55000, dport=443) / Raw(b"q" * (100 + i)))
        add(3.02 + i, back / IP(src="151.101.1.140", dst=phone) / UDP(sport=443, dport=55000) / Raw(b"r" * 1300))
    laptop = Ether(src="a4:83:e7:0a:1b:2c", dst="94:83:c4:a0:00:02")
    add(5, laptop / IP(src="192.168.1.102", dst="1.1.1.1") / UDP(sport=41000, dport=53) / Raw(b"d" * 40))
    add(5.01, Ether() / IP(src="1.1.1.1", dst="192.168.1.102") / UDP(sport=53, dport=41000) / Raw(b"e" * 90))
    for i in range(4):
        add(10 + i, eth / IP(src=phone, dst="8.8.8.8") / ICMP(type=8, id=7, seq=i) / Raw(b"p" * 56))
        add(10.01 + i, back / IP(src="8.8.8.8", dst=phone) / ICMP(type=0, id=7, seq=i) / Raw(b"p" * 56))
    v6_phone, v6_yt = "2001:db8:1::1a2b", "2a00:1450:4009:81f::200e"
    for i in range(10):
        add(20 + i, eth / IPv6(src=v6_phone, dst=v6_yt) / TCP(sport=50500, dport=443, flags="A") / Raw(b"x" * 60))
        add(20.01 + i, back / IPv6(src=v6_yt, dst=v6_phone) / TCP(sport=443, dport=50500, flags="A") / Raw(b"y" * 1400))
    packets.sort(key=lambda p: p.time)
    wrpcap(str(path), packets)


def ip_len(pkt: Any) -> int:
    return len(pkt[IP]) if IP in pkt else len(pkt[IPv6])


def scapy_conversation_totals(path: Path) -> dict[tuple[str, str], list[int]]:
    """Independently of the agent: scapy's own sessions, summed per (device MAC, remote address)."""
    totals: dict[tuple[str, str], list[int]] = {}
    for packets in rdpcap(str(path)).sessions().values():
        first = packets[0]
        layer = first[IP] if IP in first else first[IPv6]
        src, dst = str(layer.src), str(layer.dst)
        upward = src in LOCAL
        mac, remote = (LOCAL[src], dst) if upward else (LOCAL[dst], src)
        row = totals.setdefault((mac, remote), [0, 0, 0, 0])
        size = sum(ip_len(p) for p in packets)
        if upward:
            row[0] += size
            row[2] += len(packets)
        else:
            row[1] += size
            row[3] += len(packets)
    return totals


@pytest.fixture
def env(tmp_path: Path) -> tuple[Sources, Path]:
    root = tmp_path / "root"
    shutil.copytree(FIX / "conntrack" / "root", root)
    pcap = tmp_path / "home.pcap"
    home_pcap(pcap)
    runner = FixtureRunner({("ip", "neigh", "show"): FIX / "inventory" / "ip_neigh.txt"})
    return Sources(root=root, runner=runner), pcap


def by_app(samples: list[AppSample]) -> dict[tuple[str, str], AppSample]:
    return {(s.mac, s.app): s for s in samples}


def test_pcap_replay_totals_match_scapy_conversation_totals(env: tuple[Sources, Path]) -> None:
    sources, pcap = env
    flows = ScapyFlowSource()
    collector = AppsCollector(sources, flow_source=flows)
    assert collector.collect(T0) == []
    assert flows.replay(pcap) == 174  # every packet of the capture
    found = by_app(collector.collect(T0 + 60))
    expected = scapy_conversation_totals(pcap)
    remote_app = {"45.57.10.20": "netflix", "151.101.1.140": "quic", "1.1.1.1": "dns", "8.8.8.8": "google",
                  "2a00:1450:4009:81f::200e": "google"}
    per_app: dict[tuple[str, str], list[int]] = {}
    for (mac, remote), row in expected.items():
        total = per_app.setdefault((mac, remote_app[remote]), [0, 0, 0, 0])
        for i in range(4):
            total[i] += row[i]
    assert set(found) == set(per_app)
    for key, (b_up, b_down, p_up, p_down) in per_app.items():
        sample = found[key]
        assert (sample.bytes_up, sample.bytes_down, sample.packets_up, sample.packets_down) == (
            b_up, b_down, p_up, p_down), key
    assert found[(PHONE, "google")].flows == 2
    assert found[(PHONE, "netflix")].new_flows == 1


def test_replay_in_two_intervals_counts_every_packet_once(env: tuple[Sources, Path]) -> None:
    sources, pcap = env
    flows = ScapyFlowSource()
    collector = AppsCollector(sources, flow_source=flows)
    collector.collect(T0)
    flows.replay(pcap, until=T0 + 25)
    first = by_app(collector.collect(T0 + 25))
    flows.replay(pcap)
    second = by_app(collector.collect(T0 + 60))
    third = by_app(collector.collect(T0 + 120))  # nothing new: the closed TCP flow is not counted again
    expected = scapy_conversation_totals(pcap)
    netflix = expected[(PHONE, "45.57.10.20")]
    assert first[(PHONE, "netflix")].bytes_down + second[(PHONE, "netflix")].bytes_down == netflix[1]
    assert first[(PHONE, "netflix")].new_flows == 1 and second[(PHONE, "netflix")].new_flows == 0
    assert (PHONE, "netflix") not in third


def test_capture_is_the_fallback_when_conntrack_is_missing(tmp_path: Path) -> None:
    fed: list[Callable[[Any], None]] = []

    class CaptureSources(Sources):
        def capture(self, interface: str, on_packet: Callable[[Any], None],
                    bpf: str = "ip or ip6") -> Callable[[], object]:
            assert interface == "br-lan"
            fed.append(on_packet)
            return lambda: None

    root = tmp_path / "root"
    (root / "tmp").mkdir(parents=True)
    (root / "tmp/dhcp.leases").write_text(f"0 {PHONE} 192.168.1.101 phone *\n")
    sources = CaptureSources(root=root, runner=FixtureRunner())
    collector = AppsCollector(sources, fallback_interface="br-lan")
    assert collector.collect(T0) == []
    packet = Ether() / IP(src="192.168.1.101", dst="45.57.10.20") / TCP(sport=1, dport=443) / Raw(b"z" * 100)
    packet.time = T0 + 1
    fed[0](packet)
    [sample] = collector.collect(T0 + 60)
    assert (sample.mac, sample.app, sample.bytes_up, sample.new_flows) == (PHONE, "netflix", 140, 1)
