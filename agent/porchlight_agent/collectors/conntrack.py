"""Connection tracking: parse the kernel's flow table and turn its cumulative counters into per-interval
deltas per flow.

Sources, in order: ``/proc/net/nf_conntrack``, else ``conntrack -L -o extended,id`` for IPv4 and IPv6. Both
print the same line format::

    ipv4     2 tcp      6 431999 ESTABLISHED src=192.168.1.101 dst=142.250.180.14 sport=51234 dport=443
        packets=120 bytes=15000 src=142.250.180.14 dst=203.0.113.7 sport=443 dport=51234 packets=200
        bytes=250000 [ASSURED] mark=0 zone=0 use=2 [delta-time=120] [id=3412345]

``packets=``/``bytes=`` are there only with ``net.netfilter.nf_conntrack_acct=1``; ``delta-time=`` only with
``nf_conntrack_timestamp=1``; ``id=`` only from the conntrack tool. The parser uses ``str.find`` rather than
per-token loops: a busy home has thousands of entries per sample.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Final, NamedTuple, Protocol

from ..sources import CommandFailed, CommandNotFound, SourceError, Sources

__all__ = [
    "ConntrackSource", "Flow", "FlowDelta", "FlowSource", "FlowTracker", "Snapshot", "iter_conntrack",
    "parse_conntrack", "tuple_fields",
]

#: Offload markers the kernel prints in place of [ASSURED] for flows handed to the flow table.
_OFFLOAD_MARK: Final = "OFFLOAD]"


class Flow(NamedTuple):
    """One flow table entry with cumulative counters (a NamedTuple: built thousands of times per sample).

    ``tup`` is the original-direction tuple as printed (``src=.. dst=.. sport=.. dport=..``) and with the
    family and protocol it forms ``key``; ``reply_src`` is where replies come from (the internal host of an
    inbound port-forward). Counters are None when accounting is off.
    """

    key: str
    family: str
    proto: str
    tup: str
    reply_src: str
    orig_packets: int | None
    orig_bytes: int | None
    reply_packets: int | None
    reply_bytes: int | None
    ident: str | None = None
    delta_time: int | None = None
    offloaded: bool = False


def _counters(part: str) -> tuple[str, int | None, int | None]:
    """(tuple text, packets, bytes) of one direction's text."""
    p = part.find(" packets=")
    if p < 0:
        end = part.find(" [")
        if end < 0:
            end = part.find(" mark=")
        return (part if end < 0 else part[:end]), None, None
    q = part.find(" bytes=", p)
    if q < 0:
        return part[:p], None, None
    e = part.find(" ", q + 7)
    try:
        return part[:p], int(part[p + 9:q]), int(part[q + 7:e] if e >= 0 else part[q + 7:])
    except ValueError:
        return part[:p], None, None


def _field(text: str, name: str, start: int = 0) -> str | None:
    i = text.find(name, start)
    if i < 0:
        return None
    i += len(name)
    j = text.find(" ", i)
    return text[i:j] if j >= 0 else text[i:].strip()


def parse_conntrack(text: str) -> tuple[list[Flow], int]:
    """Flows of a /proc/net/nf_conntrack (or ``conntrack -L -o extended``) dump, and how many lines were
    skipped as malformed."""
    bad = [0]
    flows = list(iter_conntrack(text.splitlines(), bad))
    return flows, bad[0]


def iter_conntrack(lines: Iterable[str], bad: list[int] | None = None) -> Iterator[Flow]:
    """Flows of conntrack lines, one at a time (a dump is never held whole); malformed lines are skipped
    and counted in ``bad[0]``."""
    skipped = 0
    for raw in lines:
        line = raw.rstrip("\n")
        a = line.find(" src=")
        if a < 0:
            if line.strip() and not line.startswith("conntrack v"):
                skipped += 1
            continue
        b = line.find(" src=", a + 5)
        if b < 0:
            skipped += 1
            continue
        head = line[:a].split()
        if len(head) < 4:  # offloaded flows have no timeout column
            skipped += 1
            continue
        family, proto = head[0], head[2]
        tup, op, ob = _counters(line[a + 1:b])
        reply = line[b + 1:]
        sp = reply.find(" ")
        reply_src = reply[4:sp] if sp > 0 else reply[4:]
        _, rp, rb = _counters(reply)
        use = reply.find(" use=")
        ident = _field(reply, " id=", use) if use >= 0 else None
        dt = _field(reply, " delta-time=")
        try:
            delta_time = int(dt) if dt is not None else None
        except ValueError:
            delta_time = None
        yield Flow(f"{family} {proto} {tup}", family, proto, tup, reply_src, op, ob, rp, rb, ident,
                   delta_time, _OFFLOAD_MARK in reply)
    if bad is not None:
        bad[0] += skipped


def tuple_fields(tup: str) -> tuple[str, str, int | None, int | None]:
    """(src, dst, sport, dport) of a tuple text; ports are None for ICMP and other port-less protocols."""
    src = dst = ""
    sport = dport = None
    for token in tup.split():
        name, _, value = token.partition("=")
        if name == "src":
            src = value
        elif name == "dst":
            dst = value
        elif name == "sport":
            sport = int(value) if value.isdigit() else None
        elif name == "dport":
            dport = int(value) if value.isdigit() else None
    return src, dst, sport, dport


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One reading of a flow source: the flows (possibly a one-pass iterator, read while parsing), and
    whether byte/packet accounting is on (None: unknown)."""

    flows: Iterable[Flow]
    acct: bool | None = None
    source: str = ""


class FlowSource(Protocol):
    """Anything that gives snapshots of cumulative per-flow counters (conntrack, a packet capture)."""

    def read(self, ts: int) -> Snapshot:
        """The flows as of ``ts``."""
        ...


class ConntrackSource:
    """Reads the kernel's flow table through the Sources seam."""

    def __init__(self, sources: Sources, *, command_timeout: float = 10.0) -> None:
        self._sources = sources
        self._timeout = command_timeout
        self._use_tool = False
        self._bad = [0]

    @property
    def bad_lines(self) -> int:
        """Lines that could not be parsed, cumulative."""
        return self._bad[0]

    def acct_enabled(self) -> bool | None:
        """net.netfilter.nf_conntrack_acct, or None when the sysctl cannot be read."""
        text = self._sources.read_optional("/proc/sys/net/netfilter/nf_conntrack_acct")
        if text is None:
            return None
        return text.strip() not in ("0", "")

    def read(self, ts: int) -> Snapshot:
        """The flow table now; SourceError when neither /proc nor the conntrack tool can be read. From /proc
        the flows are parsed while the file is read, so consume them before the next call."""
        acct = self.acct_enabled()
        lines = None if self._use_tool else self._sources.iter_lines("/proc/net/nf_conntrack")
        if lines is not None:
            return Snapshot(iter_conntrack(lines, self._bad), acct, "proc")
        self._use_tool = True
        parts = []
        for family in ("ipv4", "ipv6"):
            try:
                parts.append(self._sources.run(["conntrack", "-L", "-f", family, "-o", "extended,id"],
                                               timeout=self._timeout))
            except CommandNotFound:
                raise SourceError("no /proc/net/nf_conntrack and no conntrack tool") from None
            except CommandFailed as exc:
                if family == "ipv4":
                    raise
                parts.append(exc.output)  # no IPv6 conntrack module: IPv4 alone is still right
        text = "\n".join(parts)
        if acct is None and " src=" in text:
            acct = " bytes=" in text
        return Snapshot(iter_conntrack(text.splitlines(), self._bad), acct, "conntrack")


# ---- per-interval deltas ------------------------------------------------------------------------------

class FlowDelta(NamedTuple):
    """What one flow did during the interval. ``state`` is the tracker's slot for per-flow data that
    callers cache (e.g. the device and application a flow belongs to)."""

    flow: Flow
    orig_packets: int | None
    orig_bytes: int | None
    reply_packets: int | None
    reply_bytes: int | None
    new: bool
    state: _FlowState


@dataclass(slots=True)
class _FlowState:
    counters: tuple[int | None, int | None, int | None, int | None]
    start: int | None
    meta: object = field(default=None)


def _sub(now: int | None, before: int | None) -> int | None:
    if now is None:
        return None
    if before is None or now < before:
        return now
    return now - before


class FlowTracker:
    """Keeps each tracked flow's last counters so that every byte is counted once.

    A flow is identified by its tuple plus its conntrack id (when the source prints one) and its start
    time (from ``delta-time``). A tuple seen again with another id or start, or with counters that went
    down, is a new flow. The first reading only sets the baseline. Flows beyond ``max_flows`` are not
    tracked and are counted in ``dropped``.
    """

    def __init__(self, *, max_flows: int = 8192, start_slack_s: int = 2) -> None:
        self.max_flows = max_flows
        self._slack = start_slack_s
        self._flows: dict[str, _FlowState] = {}
        self._primed = False
        self._last_ts: int | None = None
        self._dropped_last = 0
        #: Flows not tracked because of the cap, in the last update and in total.
        self.dropped = 0
        self.dropped_total = 0
        #: Flows that ended (left the table) in the last update.
        self.ended = 0

    def __len__(self) -> int:
        return len(self._flows)

    def update(self, flows: Iterable[Flow], ts: int) -> list[FlowDelta]:
        """Deltas of every flow that is in the table now (including new ones), against the last reading."""
        return list(self.iter_update(flows, ts))

    def iter_update(self, flows: Iterable[Flow], ts: int) -> Iterator[FlowDelta]:
        """Like ``update`` but one delta at a time, so a large table is never held whole. The new state is
        kept only once the iterator is exhausted: always consume it to the end."""
        previous = self._flows
        current: dict[str, _FlowState] = {}
        dropped = 0
        primed = self._primed
        last_ts = self._last_ts
        cap = self.max_flows
        # After an overflow a "new" flow may be an old one that did not fit: only count it when its start
        # time proves it began within the interval.
        doubtful = self._dropped_last > 0
        fresh: list[tuple[str, Flow, tuple[int | None, int | None, int | None, int | None], int | None]] = []
        for flow in flows:
            track = flow.key if flow.ident is None else f"{flow.key}#{flow.ident}"
            if track in current:
                continue  # a duplicate line (e.g. the same flow in two zones) is counted once
            counters = (flow.orig_packets, flow.orig_bytes, flow.reply_packets, flow.reply_bytes)
            start = ts - flow.delta_time if flow.delta_time is not None else None
            state = previous.get(track)
            if state is not None and state.start is not None and start is not None \
                    and abs(state.start - start) > self._slack:
                state = None  # same tuple, another connection
            if state is not None:
                before = state.counters
                if (counters[1] is not None and before[1] is not None and counters[1] < before[1]) or \
                        (counters[3] is not None and before[3] is not None and counters[3] < before[3]):
                    state = None  # same tuple (and id), byte counters restarted: another connection
            if state is None:
                fresh.append((track, flow, counters, start))
                continue
            before = state.counters
            state.counters = counters
            if state.start is None:
                state.start = start
            current[track] = state
            if primed:
                yield FlowDelta(flow, _sub(counters[0], before[0]), _sub(counters[1], before[1]),
                                _sub(counters[2], before[2]), _sub(counters[3], before[3]), False, state)
        # Flows already tracked keep their place; new ones fill what room the cap leaves.
        for track, flow, counters, start in fresh:
            if track in current:
                continue
            if len(current) >= cap:
                dropped += 1
                continue
            state = _FlowState(counters, start)
            current[track] = state
            if not primed:
                continue
            began_within = start is None or last_ts is None or start >= last_ts - self._slack
            if (doubtful and start is None) or not began_within:
                continue  # existed before the last reading but was not tracked: baseline only
            yield FlowDelta(flow, *counters, True, state)
        self.ended = sum(1 for track in previous if track not in current)
        self._flows = current
        self._primed = True
        self._last_ts = ts
        self._dropped_last = self.dropped = dropped
        self.dropped_total += dropped

