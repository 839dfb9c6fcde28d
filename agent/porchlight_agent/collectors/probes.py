"""Probes collector: active QoE probes with a bounded cost (a few pings per target, a few DNS queries), and
WAN link up/down events.

Round-trip time, jitter and loss come from the ``ping`` command (busybox or iputils output), to the first
hop (the default gateway) and to a configured target set; DNS resolution time from a small UDP query to the
gateway's resolver through the Sources seam.
"""

from __future__ import annotations

import os
import re
import struct
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import ClassVar, Final

from ..sources import CommandFailed, CommandNotFound, Sources
from .events import Event
from .wanlink import LinkState, default_route, down_transitions, read_link

__all__ = ["DnsResult", "PingResult", "ProbeSample", "ProbesCollector", "build_dns_query", "parse_dns_reply",
           "parse_ping"]

_REPLY_RE: Final = re.compile(r"(?:icmp_seq|seq)=(\d+).*?time[=<]([\d.]+)\s*ms")
_SENT_RE: Final = re.compile(r"(\d+) packets transmitted, (\d+) (?:packets )?received")
_MAX_TARGETS: Final = 8
_MAX_COUNT: Final = 20


@dataclass(frozen=True, slots=True)
class ProbeSample:
    """One probe run against one target (schema section ``probes``)."""

    SECTION: ClassVar[str] = "probes"

    ts: int
    target: str
    kind: str
    sent: int | None = None
    lost: int | None = None
    rtt_ms: float | None = None
    rtt_min_ms: float | None = None
    rtt_max_ms: float | None = None
    jitter_ms: float | None = None


@dataclass(frozen=True, slots=True)
class PingResult:
    """What a ping run says: probes sent, answered, and the answered round-trip times in sequence order."""

    sent: int
    received: int
    rtts_ms: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class DnsResult:
    """A DNS reply: its transaction id, response code and whether it is a response at all."""

    txid: int
    rcode: int
    is_response: bool


def parse_ping(text: str) -> PingResult | None:
    """Parse iputils or busybox ping output; None when it has no statistics (the ping did not run)."""
    replies: dict[int, float] = {}
    for line in text.splitlines():
        if "DUP!" in line:
            continue
        m = _REPLY_RE.search(line)
        if m:
            replies.setdefault(int(m.group(1)), float(m.group(2)))
    stats = _SENT_RE.search(text)
    if stats is None:
        return None
    sent, received = int(stats.group(1)), int(stats.group(2))
    rtts = tuple(replies[seq] for seq in sorted(replies))
    return PingResult(sent=sent, received=min(received, sent), rtts_ms=rtts)


def _jitter(rtts: Sequence[float]) -> float | None:
    """Mean absolute difference of consecutive round-trip times (RFC 3550 style, unsmoothed)."""
    if len(rtts) < 2:
        return None
    return round(sum(abs(b - a) for a, b in pairwise(rtts)) / (len(rtts) - 1), 3)


def build_dns_query(name: str, txid: int, qtype: int = 1) -> bytes:
    """A recursive DNS query for ``name`` (type A by default), class IN."""
    labels = b"".join(bytes([len(part)]) + part.encode("ascii") for part in name.strip(".").split(".") if part)
    return struct.pack("!HHHHHH", txid, 0x0100, 1, 0, 0, 0) + labels + b"\x00" + struct.pack("!HH", qtype, 1)


def parse_dns_reply(data: bytes) -> DnsResult | None:
    """The header facts of a DNS message; None when it is too short to be one."""
    if len(data) < 12:
        return None
    txid, flags = struct.unpack("!HH", data[:4])
    return DnsResult(txid=txid, rcode=flags & 0x000F, is_response=bool(flags & 0x8000))


class ProbesCollector:
    """Runs the probes once per call and turns WAN link changes into events.

    ``targets`` are extra hosts to ping (at most 8); ``count`` pings each (at most 20), waiting at most
    ``ping_timeout_s`` per reply. ``resolver``/``resolver_port`` is the DNS server asked ``dns_names``;
    ``None`` skips the DNS probe. ``clock`` measures DNS time (monotonic seconds).
    """

    name = "probes"

    def __init__(self, sources: Sources, *, targets: Sequence[str] = (), count: int = 5,
                 ping_timeout_s: int = 1, first_hop: bool = True, resolver: str | None = "127.0.0.1",
                 resolver_port: int = 53, dns_names: Sequence[str] = ("example.com",),
                 dns_timeout_s: float = 2.0, wan: str | None = None,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        if len(targets) > _MAX_TARGETS:
            raise ValueError(f"at most {_MAX_TARGETS} probe targets, got {len(targets)}")
        if not 1 <= count <= _MAX_COUNT:
            raise ValueError(f"ping count must be 1-{_MAX_COUNT}, got {count}")
        self._sources = sources
        self._targets = tuple(targets)
        self._count = count
        self._ping_timeout = ping_timeout_s
        self._first_hop = first_hop
        self._resolver = resolver
        self._resolver_port = resolver_port
        self._dns_names = tuple(dns_names)
        self._dns_timeout = dns_timeout_s
        self._wan = wan
        self._clock = clock
        self._link: LinkState | None = None
        self._link_name: str | None = None
        #: Targets whose ping could not run at all (bad name, no route), cumulative.
        self.failed_targets = 0

    def collect(self, ts: int) -> list[ProbeSample | Event]:
        """Probe results and WAN events for the sample at ``ts``."""
        out: list[ProbeSample | Event] = []
        route = default_route(self._sources)
        out.extend(self._wan_events(ts, route.interface if route else None))
        if self._first_hop and route is not None and route.gateway is not None:
            sample = self._ping(ts, "first_hop", route.gateway)
            if sample is not None:
                out.append(sample)
        for target in self._targets:
            sample = self._ping(ts, target, target)
            if sample is not None:
                out.append(sample)
        if self._resolver is not None and self._dns_names:
            out.append(self._dns(ts))
        return out

    def _ping(self, ts: int, label: str, address: str) -> ProbeSample | None:
        argv = ["ping", "-c", str(self._count), "-W", str(self._ping_timeout), address]
        timeout = self._count * (1 + self._ping_timeout) + 2.0
        try:
            text = self._sources.run(argv, timeout=timeout)
        except CommandNotFound:
            raise
        except CommandFailed as exc:
            text = exc.output  # ping exits 1 when no reply came back: its statistics still say so
        result = parse_ping(text)
        if result is None:
            self.failed_targets += 1
            return None
        rtts = result.rtts_ms
        return ProbeSample(
            ts=ts, target=label, kind="icmp", sent=result.sent, lost=result.sent - result.received,
            rtt_ms=round(sum(rtts) / len(rtts), 3) if rtts else None,
            rtt_min_ms=min(rtts) if rtts else None, rtt_max_ms=max(rtts) if rtts else None,
            jitter_ms=_jitter(rtts),
        )

    def _dns(self, ts: int) -> ProbeSample:
        assert self._resolver is not None
        times: list[float] = []
        sent = 0
        for name in self._dns_names:
            txid = int.from_bytes(os.urandom(2), "big")
            query = build_dns_query(name, txid)
            sent += 1
            started = self._clock()
            try:
                reply = self._sources.udp(self._resolver, self._resolver_port, query, self._dns_timeout)
            except OSError:  # timeout, refused (no resolver listening), unreachable
                continue
            elapsed_ms = (self._clock() - started) * 1000.0
            parsed = parse_dns_reply(reply)
            # NOERROR and NXDOMAIN are answers; SERVFAIL/REFUSED mean the resolver could not resolve.
            if parsed is not None and parsed.is_response and parsed.txid == txid and parsed.rcode in (0, 3):
                times.append(round(elapsed_ms, 3))
        return ProbeSample(
            ts=ts, target="dns", kind="dns", sent=sent, lost=sent - len(times),
            rtt_ms=round(sum(times) / len(times), 3) if times else None,
            rtt_min_ms=min(times) if times else None, rtt_max_ms=max(times) if times else None,
            jitter_ms=_jitter(times),
        )

    def _wan_events(self, ts: int, routed: str | None) -> list[Event]:
        wan = self._wan or routed or self._link_name
        if wan is None:
            return []
        link = read_link(self._sources, wan)
        previous = self._link if wan == self._link_name else None
        self._link, self._link_name = link, wan
        if previous is None or link is None:
            return []
        downs = down_transitions(previous, link) or 0
        events = []
        if previous.up and not link.up:
            events.append(Event(ts=ts, kind="wan_down", detail=wan))
        elif not previous.up and link.up:
            events.append(Event(ts=ts, kind="wan_up", detail=wan))
        elif downs and previous.up and link.up:
            # Went down and came back between samples: report both, with how often it happened.
            detail = f"{wan} flapped {downs}x"
            events += [Event(ts=ts, kind="wan_down", detail=detail), Event(ts=ts, kind="wan_up", detail=detail)]
        return events
