"""A flow source built from packets with scapy: the fallback where conntrack cannot be read, and the way
tests replay a pcap through the same per-flow delta and per-app aggregation as conntrack.

Byte counts are IP-layer lengths (IPv4 total length, IPv6 payload length + 40), which is what conntrack's
accounting counts, so both sources give the same numbers for the same traffic.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..sources import SourceError, Sources
from .conntrack import Flow, Snapshot

__all__ = ["ScapyFlowSource"]


@dataclass(slots=True)
class _Conversation:
    serial: int
    family: str
    proto: str
    tup: str
    reply_src: str
    start: float
    last: float
    orig_packets: int = 0
    orig_bytes: int = 0
    reply_packets: int = 0
    reply_bytes: int = 0
    closed: bool = False


class ScapyFlowSource:
    """Accumulates packets into bidirectional flows; ``read`` gives conntrack-like cumulative counters.

    A flow's original direction is that of its first packet. TCP flows that saw FIN or RST are reported
    once more (so their last bytes count) and then forgotten; idle flows are forgotten after their timeout.
    At most ``max_flows`` flows are kept; packets of further flows are counted in ``dropped_packets``.
    """

    def __init__(self, *, max_flows: int = 8192, udp_timeout_s: float = 180.0,
                 tcp_timeout_s: float = 3600.0) -> None:
        self._flows: dict[tuple[Any, ...], _Conversation] = {}
        self._lock = threading.Lock()
        self._serial = 0
        self._max = max_flows
        self._udp_timeout = udp_timeout_s
        self._tcp_timeout = tcp_timeout_s
        self._stop: Callable[[], object] | None = None
        self._reader: Any = None
        self._pending: Any = None
        self.dropped_packets = 0

    @classmethod
    def capture(cls, sources: Sources, interface: str, **options: Any) -> ScapyFlowSource:
        """A source fed by a live capture on ``interface`` (through the Sources seam)."""
        source = cls(**options)
        source._stop = sources.capture(interface, source.feed)
        return source

    def close(self) -> None:
        """Stop a live capture, if any."""
        if self._stop is not None:
            self._stop()
            self._stop = None

    def feed(self, packet: Any) -> None:
        """Count one packet (scapy Ether/IP/IPv6 packet) into its flow."""
        from scapy.layers.inet import ICMP, IP, TCP, UDP
        from scapy.layers.inet6 import IPv6

        if IP in packet:
            ip = packet[IP]
            family, length = "ipv4", int(ip.len) if ip.len is not None else len(ip)
        elif IPv6 in packet:
            ip = packet[IPv6]
            family, length = "ipv6", int(ip.plen) + 40 if ip.plen is not None else len(ip)
        else:
            return
        src, dst = str(ip.src), str(ip.dst)
        closing = False
        if TCP in packet:
            l4 = packet[TCP]
            proto, a, b = "tcp", int(l4.sport), int(l4.dport)
            closing = bool(int(l4.flags) & 0x05)  # FIN or RST
            fmt = "sport={} dport={}"
        elif UDP in packet:
            l4 = packet[UDP]
            proto, a, b = "udp", int(l4.sport), int(l4.dport)
            fmt = "sport={} dport={}"
        elif ICMP in packet:
            l4 = packet[ICMP]
            proto, a, b = "icmp", int(l4.id or 0), int(l4.id or 0)
            fmt = "type=8 code=0 id={}"
        else:
            name = {58: "icmpv6"}.get(int(getattr(ip, "nh", 0)), "unknown") if family == "ipv6" else "unknown"
            proto, a, b = name, 0, 0
            fmt = ""
        when = float(packet.time)
        forward = (family, proto, src, dst, a, b)
        with self._lock:
            conv = self._flows.get(forward)
            is_reply = False
            if conv is None:
                conv = self._flows.get((family, proto, dst, src, b, a))
                is_reply = conv is not None
            if conv is None:
                if len(self._flows) >= self._max:
                    self.dropped_packets += 1
                    return
                self._serial += 1
                ports = fmt.format(a, b) if fmt else ""
                tup = f"src={src} dst={dst} {ports}".rstrip()
                conv = self._flows[forward] = _Conversation(self._serial, family, proto, tup, dst, when, when)
            if is_reply:
                conv.reply_packets += 1
                conv.reply_bytes += length
            else:
                conv.orig_packets += 1
                conv.orig_bytes += length
            conv.last = max(conv.last, when)
            conv.closed = conv.closed or closing

    def replay(self, path: Path, until: float | None = None) -> int:
        """Feed the packets of a pcap file up to time ``until`` (all when None); later calls go on from
        where the previous one stopped. Returns the number of packets fed."""
        from scapy.utils import PcapReader

        if self._reader is None:
            try:
                self._reader = PcapReader(str(path))
            except (OSError, ValueError) as exc:
                raise SourceError(f"{path}: {exc}") from None
        fed = 0
        while True:
            packet = self._pending
            self._pending = None
            if packet is None:
                try:
                    packet = self._reader.read_packet()
                except EOFError:
                    packet = None
            if packet is None:
                break
            if until is not None and float(packet.time) > until:
                self._pending = packet
                break
            self.feed(packet)
            fed += 1
        return fed

    def read(self, ts: int) -> Snapshot:
        """Cumulative counters of the flows alive as of ``ts``."""
        flows = []
        with self._lock:
            for key, conv in list(self._flows.items()):
                timeout = self._tcp_timeout if conv.proto == "tcp" else self._udp_timeout
                flows.append(Flow(
                    f"{conv.family} {conv.proto} {conv.tup}", conv.family, conv.proto, conv.tup, conv.reply_src,
                    conv.orig_packets, conv.orig_bytes, conv.reply_packets, conv.reply_bytes,
                    str(conv.serial), max(0, int(ts - conv.start)), False))
                if conv.closed or ts - conv.last > timeout:
                    del self._flows[key]  # reported one last time with its final counters
        return Snapshot(flows, True, "scapy")
