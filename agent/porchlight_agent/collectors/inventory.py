"""Inventory collector: the home's devices from DHCP leases, the neighbour tables and the Wi-Fi station list,
with vendor (OUI), a device class and how each is connected. Also the address book (IP -> MAC) that the apps
collector uses to attribute flows to devices."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Final

from ..privacy import MacHasher, is_locally_administered, normalize_mac
from ..sources import CommandFailed, CommandNotFound, SourceError, Sources
from .devclass import DeviceClassifier
from .dnsmasq import LogFollower, parse_leases
from .iw import band_of, parse_iw_dev, parse_station_dump
from .vendors import OuiTable
from .wanlink import default_route
from .wifi import AssociatedStation, WifiCollector

__all__ = ["Device", "InventoryCollector", "Neighbour", "parse_ip_neigh", "parse_proc_net_arp"]

_ACTIVE_STATES: Final = frozenset({"REACHABLE", "DELAY", "PROBE"})
_MAX_IPS: Final = 16


@dataclass(frozen=True, slots=True)
class Device:
    """One device of the home (schema section ``devices``)."""

    SECTION: ClassVar[str] = "devices"

    mac: str
    ips: list[str] | None = None
    hostname: str | None = None
    vendor: str | None = None
    device_class: str | None = None
    class_confidence: float | None = None
    connection: str | None = None
    first_seen: int | None = None
    last_seen: int | None = None


@dataclass(frozen=True, slots=True)
class Neighbour:
    """One entry of the kernel's neighbour table that has a link-layer address."""

    ip: str
    dev: str
    mac: str
    state: str
    router: bool = False


def parse_ip_neigh(text: str) -> list[Neighbour]:
    """Entries of ``ip neigh`` (iproute2 or busybox, IPv4 and IPv6); FAILED/INCOMPLETE entries without a
    link-layer address are skipped."""
    result = []
    for line in text.splitlines():
        words = line.split()
        if len(words) < 5 or "lladdr" not in words or "dev" not in words:
            continue
        i = words.index("lladdr")
        mac = normalize_mac(words[i + 1]) if i + 1 < len(words) else None
        if mac is None or mac == "00:00:00:00:00:00":
            continue
        dev = words[words.index("dev") + 1]
        result.append(Neighbour(ip=words[0].lower(), dev=dev, mac=mac, state=words[-1].upper(),
                                router="router" in words))
    return result


def parse_proc_net_arp(text: str) -> list[Neighbour]:
    """IPv4 neighbours from /proc/net/arp (the fallback where ``ip`` is missing); flag 0x2 is complete."""
    result = []
    for line in text.splitlines()[1:]:
        cols = line.split()
        if len(cols) < 6:
            continue
        mac = normalize_mac(cols[3])
        try:
            complete = int(cols[2], 16) & 0x2
        except ValueError:
            continue
        if mac is None or not complete or mac == "00:00:00:00:00:00":
            continue
        result.append(Neighbour(ip=cols[0], dev=cols[5], mac=mac, state="REACHABLE"))
    return result


@dataclass(slots=True)
class _Known:
    first_seen: int
    last_seen: int | None
    band: str | None = None  # last Wi-Fi band the device was associated on


def _is_link_local(ip: str) -> bool:
    return ip.startswith("fe80:") or ip.startswith("169.254.")


def _ip_sort_key(ip: str) -> tuple[int, str]:
    return (1 if ":" in ip else 0, ip)


class InventoryCollector:
    """Builds the device list once per call and keeps first/last-seen times between calls.

    ``wifi`` is the Wi-Fi collector whose last sample gives the associated stations; without it the
    station list is read with ``iw`` through the same runner. ``dnsmasq_log`` is a dnsmasq log file (with
    ``log-dhcp``) for DHCP vendor classes; None skips it. ``max_devices`` bounds what is remembered.
    """

    name = "inventory"

    def __init__(self, sources: Sources, *, wifi: WifiCollector | None = None,
                 leases_path: str = "/tmp/dhcp.leases", dnsmasq_log: str | None = None,
                 wan: str | None = None, mac_key: bytes | None = None, max_devices: int = 512,
                 forget_after_s: int = 30 * 86400, oui: OuiTable | None = None,
                 classifier: DeviceClassifier | None = None, command_timeout: float = 5.0) -> None:
        self._sources = sources
        self._wifi = wifi
        self._leases_path = leases_path
        self._log = LogFollower(sources, dnsmasq_log) if dnsmasq_log else None
        self._wan = wan
        self._hash = MacHasher(mac_key)
        self._max = max_devices
        self._forget = forget_after_s
        self._oui = oui or OuiTable.load()
        self._classifier = classifier or DeviceClassifier.load()
        self._timeout = command_timeout
        self._known: dict[str, _Known] = {}
        self._ip_to_mac: dict[str, str] = {}

    @property
    def flags(self) -> list[str]:
        """Header flags: ``mac_hashed`` when MACs are reported as keyed hashes."""
        return ["mac_hashed"] if self._hash.enabled else []

    @property
    def remembered(self) -> int:
        """Devices whose first/last-seen times are kept (at most ``max_devices``)."""
        return len(self._known)

    @property
    def ip_to_mac(self) -> Mapping[str, str]:
        """Real MAC of each LAN address (leases and neighbours) as of the last refresh."""
        return self._ip_to_mac

    # ---- sources ----

    def _neighbours(self) -> list[Neighbour]:
        try:
            neighbours = parse_ip_neigh(self._sources.run(["ip", "neigh", "show"], timeout=self._timeout))
        except (CommandNotFound, CommandFailed):
            text = self._sources.read_optional("/proc/net/arp")
            neighbours = parse_proc_net_arp(text) if text else []
        wan = self._wan
        if wan is None:
            route = default_route(self._sources)
            wan = route.interface if route else None
        # The WAN side's neighbours (the ISP's router) are not devices of the home.
        return [n for n in neighbours if n.dev != wan and n.dev != "lo"]

    def _stations(self) -> dict[str, AssociatedStation] | None:
        """Associated stations by real MAC; None when the gateway's Wi-Fi cannot be read at all."""
        if self._wifi is not None:
            return dict(self._wifi.associated)
        try:
            stations: dict[str, AssociatedStation] = {}
            for iface in parse_iw_dev(self._sources.run(["iw", "dev"], timeout=self._timeout)):
                if iface.type != "AP":
                    continue
                freq = iface.freq_mhz if iface.freq_mhz is not None else (
                    iface.links[0].freq_mhz if iface.links else None)
                dump = self._sources.run(["iw", "dev", iface.name, "station", "dump"], timeout=self._timeout)
                for entry in parse_station_dump(dump):
                    stations.setdefault(entry.mac, AssociatedStation(entry.mac, iface.name, band_of(freq)))
            return stations
        except SourceError:
            return None

    def refresh_addresses(self) -> Mapping[str, str]:
        """Re-read leases and neighbours into the address book only (cheap; for the apps collector)."""
        text = self._sources.read_optional(self._leases_path)
        leases = parse_leases(text) if text else []
        book = {lease.ip: lease.mac for lease in leases}
        for n in self._neighbours():
            book[n.ip] = n.mac
        self._ip_to_mac = book
        return book

    # ---- sampling ----

    def collect(self, ts: int) -> list[Device]:
        """The devices visible now, with what is known about each."""
        text = self._sources.read_optional(self._leases_path)
        leases = [lease for lease in (parse_leases(text) if text else []) if lease.expiry == 0 or lease.expiry > ts]
        neighbours = self._neighbours()
        stations = self._stations()
        if self._log is not None:
            self._log.poll()

        ips: dict[str, set[str]] = {}
        hostnames: dict[str, str] = {}
        active: set[str] = set()
        book: dict[str, str] = {}
        for lease in leases:
            ips.setdefault(lease.mac, set()).add(lease.ip)
            book[lease.ip] = lease.mac
            if lease.hostname:
                hostnames[lease.mac] = lease.hostname
        for n in neighbours:
            book[n.ip] = n.mac
            addresses = ips.setdefault(n.mac, set())
            if not _is_link_local(n.ip):
                addresses.add(n.ip)
            if n.state in _ACTIVE_STATES:
                active.add(n.mac)
        for mac in stations or {}:
            ips.setdefault(mac, set())
            active.add(mac)
        self._ip_to_mac = book

        devices = []
        for mac, addresses in ips.items():
            known = self._known.get(mac)
            if known is None:
                known = self._known[mac] = _Known(first_seen=ts, last_seen=None)
            if mac in active:
                known.last_seen = ts
            station = stations.get(mac) if stations is not None else None
            if station is not None:
                known.band = station.band
            devices.append(self._device(mac, sorted(addresses, key=_ip_sort_key)[:_MAX_IPS],
                                        hostnames.get(mac) or (self._log.hostnames.get(mac) if self._log else None),
                                        station, known, stations is not None, mac in active))
        self._prune(ts)
        return devices

    def _device(self, mac: str, ips: list[str], hostname: str | None, station: AssociatedStation | None,
                known: _Known, wifi_known: bool, active: bool) -> Device:
        vendor = self._oui.vendor(mac)
        guess = self._classifier.classify(
            hostname=hostname, vendor=vendor,
            dhcp_vendor_class=self._log.vendor_classes.get(mac) if self._log else None,
            signature=station.signature if station else None,
            randomised=is_locally_administered(mac))
        if station is not None:
            connection = station.band or "unknown"
        elif known.band is not None:
            connection = known.band  # a Wi-Fi device that is asleep or out of range right now
        elif wifi_known and active:
            connection = "wired"
        else:
            connection = "unknown"
        return Device(mac=self._hash(mac), ips=ips or None, hostname=hostname, vendor=vendor,
                      device_class=guess.device_class, class_confidence=guess.confidence,
                      connection=connection, first_seen=known.first_seen, last_seen=known.last_seen)

    def _prune(self, ts: int) -> None:
        stale = [mac for mac, k in self._known.items() if ts - (k.last_seen or k.first_seen) > self._forget]
        for mac in stale:
            del self._known[mac]
        if len(self._known) > self._max:
            by_age = sorted(self._known, key=lambda m: self._known[m].last_seen or self._known[m].first_seen)
            for mac in by_age[:len(self._known) - self._max]:
                del self._known[mac]

