"""Apps collector: per (device, application) traffic per interval from the flow table (conntrack, or a
packet capture where conntrack is missing), classified from IP-level facts only.

It reports, rather than hides, when its numbers cannot be trusted: accounting off (``conntrack_acct_off``),
flows handed to the offload engine (``flow_offload``), flow counters that stopped while the WAN interface
kept moving, or flows dropped by the cap (``counters_degraded``).
"""

from __future__ import annotations

import ipaddress
import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final

from ..privacy import MacHasher
from ..sources import SourceError, Sources
from .appclass import AppClassifier
from .conntrack import ConntrackSource, FlowDelta, FlowSource, FlowTracker, tuple_fields
from .counters import counter_delta
from .dnsmasq import LogFollower
from .inventory import InventoryCollector
from .wanlink import default_route

__all__ = ["AppSample", "AppsCollector", "offload_configured"]

_OFFLOAD_OPTION: Final = re.compile(r"^\s*option\s+flow_offloading(?:_hw)?\s+'?(1|on|true|yes)'?\s*$", re.M)
_ADDRESS_CACHE_LIMIT: Final = 65536

_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, slots=True)
class AppSample:
    """One (device, application) in one sample interval (schema section ``apps``, before aggregation).

    ``flow_ids`` (the flows counted in ``flows``) and ``remotes`` (the addresses counted in ``dests``) let
    the report count distinct flows and addresses over its whole interval; they never go on the wire.
    """

    SECTION: ClassVar[str] = "apps"

    ts: int
    mac: str
    app: str
    bytes_up: int | None = None
    bytes_down: int | None = None
    packets_up: int | None = None
    packets_down: int | None = None
    flows: int | None = None
    new_flows: int | None = None
    dests: int | None = None
    flow_ids: frozenset[int] = field(default=frozenset(), compare=False, repr=False)
    remotes: frozenset[str] = field(default=frozenset(), compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class _FlowMeta:
    """What a flow is, worked out once when the flow is first seen."""

    local_ip: str | None  # the home device's address (None: the gateway itself)
    up_is_orig: bool  # the original direction is home -> Internet
    remote: str
    app: str
    generation: int
    skip: bool  # traffic that never leaves the home
    serial: int  # the flow's identity for distinct counts over a report (kept when the meta is worked out again)


def offload_configured(firewall_config: str) -> bool:
    """Whether /etc/config/firewall turns on software or hardware flow offloading."""
    return bool(_OFFLOAD_OPTION.search(firewall_config))


class AppsCollector:
    """Aggregates flow deltas to (device MAC, application) per interval.

    ``inventory`` provides the LAN address book (IP -> MAC); one is made if none is given.
    ``flow_source`` replaces conntrack (e.g. a ScapyFlowSource); ``fallback_interface`` names the LAN
    interface to capture on with scapy when conntrack cannot be read. ``dnsmasq_log`` is a dnsmasq log
    file with ``log-queries`` whose answers name the addresses flows go to.
    """

    name = "apps"

    def __init__(self, sources: Sources, *, inventory: InventoryCollector | None = None,
                 flow_source: FlowSource | None = None, fallback_interface: str | None = None,
                 dnsmasq_log: str | None = None, wan: str | None = None, max_flows: int = 8192,
                 mac_key: bytes | None = None, address_refresh_s: int = 60,
                 classifier: AppClassifier | None = None, offload_min_bytes: int = 1_000_000,
                 offload_ratio: float = 0.2) -> None:
        self._sources = sources
        self._inventory = inventory or InventoryCollector(sources, wan=wan)
        self._source: FlowSource = flow_source or ConntrackSource(sources)
        self._fallback_interface = fallback_interface
        self._names = LogFollower(sources, dnsmasq_log) if dnsmasq_log else None
        self._wan = wan
        self._tracker = FlowTracker(max_flows=max_flows)
        self._hash = MacHasher(mac_key)
        self._refresh_s = address_refresh_s
        self._classifier = classifier or AppClassifier.load()
        self._generation = 0
        self._serials = itertools.count()
        self._min_bytes = offload_min_bytes
        self._ratio = offload_ratio
        self._addresses: dict[str, tuple[_Address, str, bool] | None] = {}
        self._book_ts: int | None = None
        self._wan_bytes: int | None = None
        self._acct: bool | None = None
        self._offload_seen = False
        self._offload_config = False
        self._stalled = False

    # ---- state the loop and the command handler use ----

    @property
    def flags(self) -> list[str]:
        """Header flags for the last interval."""
        flags = []
        if self._acct is False:
            flags.append("conntrack_acct_off")
        if self._offload_seen or self._offload_config:
            flags.append("flow_offload")
        if self.degraded:
            flags.append("counters_degraded")
        if self._hash.enabled:
            flags.append("mac_hashed")
        return flags

    @property
    def degraded(self) -> bool:
        """True when the last interval's byte counts are known to be incomplete."""
        return self._stalled or self._tracker.dropped > 0

    @property
    def bad_lines(self) -> int:
        """Lines of the flow table that could not be parsed, cumulative."""
        return int(getattr(self._source, "bad_lines", 0))

    @property
    def dropped_flows(self) -> int:
        """Flows not tracked in the last interval because of the cap."""
        return self._tracker.dropped

    @property
    def tables_version(self) -> str:
        """Version of the classification tables in use."""
        return self._classifier.version

    def update_tables(self, doc: Mapping[str, Any]) -> str:
        """Replace the classification tables (the ``update_app_tables`` command's args, or a whole tables
        document); AppTableError leaves the current ones in place. Returns the new version."""
        tables = doc.get("tables", doc)
        if tables is not doc and isinstance(tables, Mapping) and "version" in doc:
            tables = {**tables, "version": doc["version"]}  # the command's version names what it sent
        self._classifier = AppClassifier(tables)
        self._generation += 1
        return self._classifier.version

    # ---- sampling ----

    def _read(self, ts: int) -> Any:
        try:
            return self._source.read(ts)
        except SourceError:
            if self._fallback_interface is None:
                raise
            from .scapyflows import ScapyFlowSource

            self._source = ScapyFlowSource.capture(self._sources, self._fallback_interface)
            self._fallback_interface = None
            return self._source.read(ts)

    def _address_book(self, ts: int) -> Mapping[str, str]:
        book = self._inventory.ip_to_mac
        if not book or self._book_ts is None or ts - self._book_ts >= self._refresh_s:
            book = self._inventory.refresh_addresses()
            self._book_ts = ts
        return book

    def _address(self, text: str) -> tuple[_Address, str, bool] | None:
        """(address, canonical text, stays in the home) for an address as conntrack prints it."""
        if text in self._addresses:
            return self._addresses[text]
        try:
            addr = ipaddress.ip_address(text)
        except ValueError:
            entry = None
        else:
            local = addr.is_private or addr.is_link_local or addr.is_multicast or addr.is_loopback \
                or addr.is_unspecified
            entry = (addr, addr.compressed, local)
        if len(self._addresses) >= _ADDRESS_CACHE_LIMIT:
            self._addresses.clear()
        self._addresses[text] = entry
        return entry

    def _meta(self, delta: FlowDelta, book: Mapping[str, str], serial: int) -> _FlowMeta:
        flow = delta.flow
        src_text, dst_text, _, dport = tuple_fields(flow.tup)
        src, dst, reply = self._address(src_text), self._address(dst_text), self._address(flow.reply_src)
        if src is None or dst is None:
            return _FlowMeta(None, True, "", "", self._generation, True, serial)
        if src[1] in book:
            local, up_is_orig, remote, port = src[1], True, dst, dport
        elif reply is not None and reply[1] in book and reply[1] != dst[1]:
            local, up_is_orig, remote, port = reply[1], False, src, dport  # inbound port-forward
        elif src[2]:
            local, up_is_orig, remote, port = src[1], True, dst, dport  # a LAN address with no device yet
        else:
            local, up_is_orig, remote, port = None, True, dst, dport  # the gateway's own traffic
        if remote[2] or remote[1] in book:
            return _FlowMeta(local, up_is_orig, remote[1], "", self._generation, True, serial)
        names = self._names.names_by_ip.get(remote[1], ()) if self._names else ()
        app = self._classifier.classify(remote[0], flow.proto, port, names)
        return _FlowMeta(local, up_is_orig, remote[1], app, self._generation, False, serial)

    def collect(self, ts: int) -> list[AppSample]:
        """Per (device, application) counters for the interval ending at ``ts``."""
        snapshot = self._read(ts)
        self._acct = snapshot.acct
        if self._names is not None:
            self._names.poll()
        book = self._address_book(ts)
        deltas = self._tracker.iter_update(snapshot.flows, ts)
        acct_off = snapshot.acct is False
        generation = self._generation

        totals: dict[tuple[str, str], list[Any]] = {}
        moved = 0
        offloaded = False
        for delta in deltas:
            meta = delta.state.meta
            if not isinstance(meta, _FlowMeta) or meta.generation != generation:
                serial = meta.serial if isinstance(meta, _FlowMeta) else next(self._serials)
                meta = self._meta(delta, book, serial)
                delta.state.meta = meta
            if meta.skip:
                continue
            offloaded = offloaded or delta.flow.offloaded
            if meta.up_is_orig:
                b_up, b_down, p_up, p_down = delta.orig_bytes, delta.reply_bytes, delta.orig_packets, \
                    delta.reply_packets
            else:
                b_up, b_down, p_up, p_down = delta.reply_bytes, delta.orig_bytes, delta.reply_packets, \
                    delta.orig_packets
            carried = acct_off or bool(b_up or b_down or p_up or p_down)
            if not carried and not delta.new:
                continue
            mac = book.get(meta.local_ip, "") if meta.local_ip else ""
            row = totals.get((mac, meta.app))
            if row is None:
                row = totals[(mac, meta.app)] = [0, 0, 0, 0, 0, 0, set(), set()]
            row[0] += b_up or 0
            row[1] += b_down or 0
            row[2] += p_up or 0
            row[3] += p_down or 0
            row[4] += carried
            row[5] += delta.new
            row[6].add(meta.remote)
            if carried:
                row[7].add(meta.serial)
            moved += (b_up or 0) + (b_down or 0)

        self._offload_seen = offloaded
        self._check_offload(moved, acct_off)
        return [AppSample(
            ts=ts, mac=self._hash(mac), app=app,
            bytes_up=None if acct_off else row[0], bytes_down=None if acct_off else row[1],
            packets_up=None if acct_off else row[2], packets_down=None if acct_off else row[3],
            flows=row[4], new_flows=row[5], dests=len(row[6]),
            flow_ids=frozenset(row[7]), remotes=frozenset(row[6]),
        ) for (mac, app), row in sorted(totals.items())]

    def _check_offload(self, flow_bytes: int, acct_off: bool) -> None:
        """Flow counters that stand still while the WAN moves mean offloaded flows bypass accounting."""
        config = self._sources.read_optional("/etc/config/firewall")
        self._offload_config = bool(config and offload_configured(config))
        wan = self._wan
        if wan is None:
            route = default_route(self._sources)
            wan = route.interface if route else None
        total = None
        if wan is not None:
            rx = self._sources.read_optional(f"/sys/class/net/{wan}/statistics/rx_bytes")
            tx = self._sources.read_optional(f"/sys/class/net/{wan}/statistics/tx_bytes")
            try:
                total = int(rx or "") + int(tx or "")
            except ValueError:
                total = None
        wan_delta = counter_delta(self._wan_bytes, total)
        self._wan_bytes = total
        self._stalled = (not acct_off and wan_delta is not None and wan_delta >= self._min_bytes
                         and flow_bytes < self._ratio * wan_delta)
