"""Wi-Fi collector: per-radio air-time use and per-station link quality and traffic, plus connect/disconnect
events, from ``iw`` (and hostapd over ubus on OpenWrt where it answers)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Final

from ..privacy import MacHasher
from ..sources import CommandFailed, CommandNotFound, Sources
from .counters import counter_delta
from .events import Event
from .hostapd import HostapdClient, parse_get_clients, standard_of
from .iw import (
    Interface,
    Rate,
    StationEntry,
    SurveyEntry,
    band_of,
    parse_iw_dev,
    parse_station_dump,
    parse_survey_dump,
)

__all__ = ["AssociatedStation", "RadioSample", "StationSample", "WifiCollector"]

_MODE_STANDARD: Final = {"ht": "n", "vht": "ac", "he": "ax", "eht": "be"}
_STANDARD_RANK: Final = {None: 0, "n": 1, "ac": 2, "ax": 3, "be": 4}
#: Cumulative station counters, in the order kept between samples.
_COUNTERS: Final = ("tx_retries", "tx_failed", "tx_bytes", "rx_bytes", "tx_packets", "rx_packets",
                    "tx_duration_us", "rx_duration_us")


@dataclass(frozen=True, slots=True)
class RadioSample:
    """One radio (or one link of a multi-link AP interface) in one sample (schema section ``radios``)."""

    SECTION: ClassVar[str] = "radios"

    ts: int
    radio: str
    band: str | None = None
    channel: int | None = None
    width_mhz: int | None = None
    noise_dbm: int | None = None
    busy_pct: float | None = None
    tx_pct: float | None = None
    rx_pct: float | None = None
    stations: int | None = None


@dataclass(frozen=True, slots=True)
class StationSample:
    """One station (one link of a multi-link station) in one sample (schema section ``stations``)."""

    SECTION: ClassVar[str] = "stations"

    ts: int
    mac: str
    radio: str
    band: str | None = None
    link_id: int | None = None
    signal_dbm: int | None = None
    signal_avg_dbm: int | None = None
    noise_dbm: int | None = None
    tx_rate_mbps: float | None = None
    rx_rate_mbps: float | None = None
    tx_mcs: int | None = None
    tx_nss: int | None = None
    tx_width_mhz: int | None = None
    rx_mcs: int | None = None
    rx_nss: int | None = None
    rx_width_mhz: int | None = None
    tx_retries: int | None = None
    tx_failed: int | None = None
    tx_bytes: int | None = None
    rx_bytes: int | None = None
    tx_packets: int | None = None
    rx_packets: int | None = None
    inactive_ms: int | None = None
    connected_s: int | None = None
    expected_tput_mbps: float | None = None
    airtime_tx_ms: int | None = None
    airtime_rx_ms: int | None = None
    standard: str | None = None


@dataclass(frozen=True, slots=True)
class AssociatedStation:
    """A station associated at the last sample, by its real MAC: what the inventory joins on."""

    mac: str
    radio: str
    band: str | None
    signature: str | None = None


@dataclass(frozen=True, slots=True)
class _Seen:
    connected_s: int | None
    counters: tuple[int | None, ...]


@dataclass(frozen=True, slots=True)
class _Survey:
    active_ms: int | None
    busy_ms: int | None
    rx_ms: int | None
    tx_ms: int | None


def _share(part: int | None, whole: int | None) -> float | None:
    if part is None or not whole or whole <= 0:
        return None
    return round(min(max(100.0 * part / whole, 0.0), 100.0), 1)


def _standard(entry: StationEntry, client: HostapdClient | None) -> str | None:
    best: str | None = None
    for rate in (entry.tx_rate, entry.rx_rate):
        if rate is not None:
            candidate = _MODE_STANDARD.get(rate.mode)
            if _STANDARD_RANK[candidate] > _STANDARD_RANK[best]:
                best = candidate
    if client is not None:
        caps = standard_of(ht=client.ht, vht=client.vht, he=client.he, eht=client.eht)
        if _STANDARD_RANK[caps] > _STANDARD_RANK[best]:
            best = caps
    return best


def _mbps(rate: Rate | None, kbps: int | None) -> float | None:
    if rate is not None:
        return rate.mbps
    return round(kbps / 1000.0, 1) if kbps is not None else None


class WifiCollector:
    """Samples every access-point interface (or the configured ones) once per call.

    Keeps the previous survey and station counters so that air-time shares and traffic are reported per
    interval, and the previous station set so that connects, disconnects and roams become events.
    """

    name = "wifi"

    def __init__(self, sources: Sources, *, interfaces: Sequence[str] | None = None, use_hostapd: bool = True,
                 mac_key: bytes | None = None, command_timeout: float = 5.0) -> None:
        self._sources = sources
        self._interfaces = tuple(interfaces) if interfaces else None
        self._use_hostapd = use_hostapd
        self._hash = MacHasher(mac_key)
        self._timeout = command_timeout
        self._last_ts: int | None = None
        self._surveys: dict[tuple[str, int], _Survey] = {}
        self._stations: dict[tuple[str, str, int | None], _Seen] = {}
        self._present: dict[str, tuple[str, int | None]] | None = None  # mac -> (radio, connected_s)
        self._associated: dict[str, AssociatedStation] = {}
        #: Interfaces whose station or survey dump failed, cumulative (a bad item is skipped, not fatal).
        self.skipped = 0

    @property
    def flags(self) -> list[str]:
        """Header flags: ``mac_hashed`` when MACs are reported as keyed hashes."""
        return ["mac_hashed"] if self._hash.enabled else []

    @property
    def associated(self) -> Mapping[str, AssociatedStation]:
        """Stations associated at the last sample, keyed by real MAC (for the inventory)."""
        return self._associated

    # ---- sources ----

    def _run(self, *argv: str) -> str:
        return self._sources.run(list(argv), timeout=self._timeout)

    def discover(self) -> list[Interface]:
        """The access-point interfaces to sample, with channel and width."""
        if self._interfaces is not None:
            found = []
            for name in self._interfaces:
                try:
                    found.extend(parse_iw_dev(self._run("iw", "dev", name, "info")))
                except CommandFailed:
                    self.skipped += 1
            return found
        result = []
        for iface in parse_iw_dev(self._run("iw", "dev")):
            if iface.type != "AP":
                continue
            if iface.freq_mhz is None and not iface.links:
                try:  # older iw prints no channel in the "iw dev" list
                    detail = parse_iw_dev(self._run("iw", "dev", iface.name, "info"))
                    iface = detail[0] if detail else iface
                except CommandFailed:
                    pass
            result.append(iface)
        return result

    def _hostapd_clients(self, iface: str) -> dict[str, HostapdClient]:
        if not self._use_hostapd:
            return {}
        try:
            return parse_get_clients(self._run("ubus", "call", f"hostapd.{iface}", "get_clients"))
        except CommandNotFound:
            self._use_hostapd = False  # not OpenWrt, or no ubus: stop asking
        except CommandFailed:
            pass  # no hostapd object for this interface (e.g. a wpad-less build)
        return {}

    # ---- sampling ----

    def collect(self, ts: int) -> list[RadioSample | StationSample | Event]:
        """Radios, stations and events for the sample ending at ``ts``."""
        out: list[RadioSample | StationSample | Event] = []
        interval = ts - self._last_ts if self._last_ts is not None else None
        surveys_seen: dict[tuple[str, int], _Survey] = {}
        stations_seen: dict[tuple[str, str, int | None], _Seen] = {}
        present: dict[str, tuple[str, int | None]] = {}
        associated: dict[str, AssociatedStation] = {}

        for iface in self.discover():
            try:
                entries = parse_station_dump(self._run("iw", "dev", iface.name, "station", "dump"))
                survey = parse_survey_dump(self._run("iw", "dev", iface.name, "survey", "dump"))
            except CommandFailed:
                self.skipped += 1
                continue
            clients = self._hostapd_clients(iface.name)
            in_use = [s for s in survey if s.in_use]
            units: list[tuple[int | None, int | None, int | None, int | None]] = [
                (lk.link_id, lk.freq_mhz, lk.channel, lk.width_mhz) for lk in iface.links]
            if not units:
                units = [(None, iface.freq_mhz, iface.channel, iface.width_mhz)]
            noise_by_freq: dict[int | None, int | None] = {}
            for link_id, freq, channel, width in units:
                chan = _survey_for(in_use, freq, len(units))
                noise_by_freq[freq] = chan.noise_dbm if chan else None
                busy = tx = rx = None
                if chan is not None:
                    key = (iface.name, chan.freq_mhz)
                    current = _Survey(chan.active_ms, chan.busy_ms, chan.rx_ms, chan.tx_ms)
                    surveys_seen[key] = current
                    busy, tx, rx = _survey_shares(self._surveys.get(key), current)
                count = sum(1 for e in entries if link_id is None or e.link_id == link_id)
                out.append(RadioSample(
                    ts=ts, radio=iface.name, band=band_of(freq), channel=channel, width_mhz=width,
                    noise_dbm=noise_by_freq[freq], busy_pct=busy, tx_pct=tx, rx_pct=rx,
                    stations=len({e.mac for e in entries}) if link_id is None else count,
                ))
            link_freq = {lk.link_id: lk.freq_mhz for lk in iface.links}
            for entry in entries:
                freq = link_freq.get(entry.link_id, iface.freq_mhz) if entry.link_id is not None else iface.freq_mhz
                client = clients.get(entry.mac)
                key3 = (iface.name, entry.mac, entry.link_id)
                counters = tuple(getattr(entry, name) for name in _COUNTERS)
                airtime = (entry.tx_duration_us, entry.rx_duration_us)
                if airtime == (None, None) and client is not None:
                    counters = (*counters[:6], client.airtime_tx_us, client.airtime_rx_us)
                seen = _Seen(entry.connected_s, counters)
                stations_seen[key3] = seen
                deltas = _station_deltas(self._stations.get(key3), seen, interval, self._last_ts is not None)
                out.append(StationSample(
                    ts=ts, mac=self._hash(entry.mac), radio=iface.name, band=band_of(freq),
                    link_id=entry.link_id,
                    signal_dbm=entry.signal_dbm if entry.signal_dbm is not None else (
                        client.signal_dbm if client else None),
                    signal_avg_dbm=entry.signal_avg_dbm,
                    noise_dbm=noise_by_freq.get(freq),
                    tx_rate_mbps=_mbps(entry.tx_rate, client.tx_rate_kbps if client else None),
                    rx_rate_mbps=_mbps(entry.rx_rate, client.rx_rate_kbps if client else None),
                    tx_mcs=entry.tx_rate.mcs if entry.tx_rate else None,
                    tx_nss=entry.tx_rate.nss if entry.tx_rate else None,
                    tx_width_mhz=entry.tx_rate.width_mhz if entry.tx_rate else None,
                    rx_mcs=entry.rx_rate.mcs if entry.rx_rate else None,
                    rx_nss=entry.rx_rate.nss if entry.rx_rate else None,
                    rx_width_mhz=entry.rx_rate.width_mhz if entry.rx_rate else None,
                    tx_retries=deltas[0], tx_failed=deltas[1], tx_bytes=deltas[2], rx_bytes=deltas[3],
                    tx_packets=deltas[4], rx_packets=deltas[5],
                    inactive_ms=entry.inactive_ms, connected_s=entry.connected_s,
                    expected_tput_mbps=entry.expected_tput_mbps,
                    airtime_tx_ms=None if deltas[6] is None else deltas[6] // 1000,
                    airtime_rx_ms=None if deltas[7] is None else deltas[7] // 1000,
                    standard=_standard(entry, client),
                ))
                if entry.mac not in present or entry.link_id in (None, 0):
                    present[entry.mac] = (iface.name, entry.connected_s)
                associated[entry.mac] = AssociatedStation(
                    mac=entry.mac, radio=iface.name, band=band_of(freq),
                    signature=client.signature if client else None)

        out.extend(self._events(ts, present))
        self._surveys, self._stations, self._present = surveys_seen, stations_seen, present
        self._associated = associated
        self._last_ts = ts
        return out

    def _events(self, ts: int, present: dict[str, tuple[str, int | None]]) -> list[Event]:
        previous = self._present
        if previous is None:
            return []  # first sample: nothing to compare with
        events: list[Event] = []
        for mac, (radio, connected) in present.items():
            before = previous.get(mac)
            if before is None:
                events.append(Event(ts=ts, kind="connect", mac=self._hash(mac), detail=radio))
            elif before[0] != radio:
                events.append(Event(ts=ts, kind="roam", mac=self._hash(mac), detail=f"{before[0]}->{radio}"))
            elif connected is not None and before[1] is not None and connected < before[1]:
                events.append(Event(ts=ts, kind="disconnect", mac=self._hash(mac), detail=f"{radio} reassociated"))
                events.append(Event(ts=ts, kind="connect", mac=self._hash(mac), detail=radio))
        for mac, (radio, _) in previous.items():
            if mac not in present:
                events.append(Event(ts=ts, kind="disconnect", mac=self._hash(mac), detail=radio))
        return events


def _survey_for(in_use: list[SurveyEntry], freq: int | None, units: int) -> SurveyEntry | None:
    for entry in in_use:
        if entry.freq_mhz == freq:
            return entry
    # A driver whose interface frequency we could not read: one radio, one in-use channel.
    return in_use[0] if units == 1 and len(in_use) == 1 and freq is None else None


def _survey_shares(previous: _Survey | None, current: _Survey) -> tuple[float | None, float | None, float | None]:
    """busy/tx/rx as % of the active time between two survey readings.

    Survey times are cumulative; when the active time went down (channel switch, driver reset, drivers that
    clear on read) the current reading is the whole interval.
    """
    if previous is None or current.active_ms is None or previous.active_ms is None:
        return None, None, None
    reset = current.active_ms < previous.active_ms
    active = current.active_ms if reset else current.active_ms - previous.active_ms
    if active <= 0:
        return None, None, None
    shares = []
    for before, now in ((previous.busy_ms, current.busy_ms), (previous.tx_ms, current.tx_ms),
                        (previous.rx_ms, current.rx_ms)):
        delta = counter_delta(before, now, reset=reset) if now is not None else None
        if delta is None and reset and now is not None:
            delta = now
        shares.append(_share(delta, active))
    return shares[0], shares[1], shares[2]


def _station_deltas(previous: _Seen | None, current: _Seen, interval: int | None,
                    had_sample: bool) -> tuple[int | None, ...]:
    """Per-interval counter increases for one station link, never negative."""
    if previous is None:
        # A station that associated within the interval: all its traffic happened in the interval.
        if had_sample and interval is not None and current.connected_s is not None \
                and current.connected_s <= interval:
            return current.counters
        return (None,) * len(current.counters)
    reset = (current.connected_s is not None and previous.connected_s is not None
             and current.connected_s < previous.connected_s)
    return tuple(counter_delta(before, now, reset=reset)
                 for before, now in zip(previous.counters, current.counters, strict=True))
