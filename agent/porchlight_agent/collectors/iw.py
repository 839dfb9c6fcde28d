"""Pure parsers for ``iw`` output: interfaces (``iw dev``, ``iw dev X info``), station dumps, survey dumps
and bitrate strings.

The parsers tolerate what real drivers print: tabs or spaces, fields a driver does not fill, extra tables
(MSDU, TXQs) inside a station block, and Wi-Fi 7 multi-link stations whose per-link statistics come in
``Link N:`` sub-blocks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "Interface", "MloLink", "Rate", "StationEntry", "SurveyEntry", "band_of", "channel_of", "parse_bitrate",
    "parse_iw_dev", "parse_station_dump", "parse_survey_dump",
]

_CHANNEL_RE: Final = re.compile(
    r"channel\s+(\d+)\s+\((\d+)(?:\.\d+)?\s*MHz\)(?:,\s*width:\s*(\d+)(?:P\d+)?\s*MHz)?")
_LINK_RE: Final = re.compile(r"link ID\s+(\d+)\s+link addr\s+([0-9a-fA-F:]{17})")
_WIDTH_RE: Final = re.compile(r"^(\d+)(P\d+)?MHz$")
_INT_RE: Final = re.compile(r"-?\d+")
_FLOAT_RE: Final = re.compile(r"-?\d+(?:\.\d+)?")


# ---- bands and channels -------------------------------------------------------------------------------

def band_of(freq_mhz: int | None) -> str | None:
    """'2.4', '5' or '6' for a centre frequency in MHz; None when unknown (60 GHz, sub-GHz)."""
    if freq_mhz is None:
        return None
    if 2400 <= freq_mhz <= 2500:
        return "2.4"
    if 4900 <= freq_mhz < 5925:
        return "5"
    if 5925 <= freq_mhz <= 7125:
        return "6"
    return None


def channel_of(freq_mhz: int) -> int | None:
    """IEEE channel number of a 2.4, 5 or 6 GHz frequency."""
    if freq_mhz == 2484:
        return 14
    if 2407 < freq_mhz < 2484:
        return (freq_mhz - 2407) // 5
    if freq_mhz == 5935:
        return 2
    if 5950 < freq_mhz <= 7125:
        return (freq_mhz - 5950) // 5
    if 4900 <= freq_mhz < 5925:
        return (freq_mhz - 5000) // 5
    return None


# ---- interfaces ---------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class MloLink:
    """One link of a multi-link (Wi-Fi 7) access point interface."""

    link_id: int
    addr: str
    freq_mhz: int | None = None
    channel: int | None = None
    width_mhz: int | None = None


@dataclass(frozen=True, slots=True)
class Interface:
    """A wireless interface as ``iw dev`` describes it."""

    name: str
    phy: str | None = None
    type: str | None = None
    addr: str | None = None
    ssid: str | None = None
    freq_mhz: int | None = None
    channel: int | None = None
    width_mhz: int | None = None
    links: tuple[MloLink, ...] = ()


def parse_iw_dev(text: str) -> list[Interface]:
    """Every interface in ``iw dev`` output (or the single one of ``iw dev X info``)."""
    result: list[Interface] = []
    current: dict[str, object] | None = None
    links: list[dict[str, object]] = []
    phy: str | None = None

    def close() -> None:
        if current is not None:
            current["links"] = tuple(MloLink(**lk) for lk in links)  # type: ignore[arg-type]
            result.append(Interface(**current))  # type: ignore[arg-type]

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("phy#"):
            phy = "phy" + line[4:]
            continue
        if line.startswith("Interface "):
            close()
            current, links = {"name": line.split()[1], "phy": phy}, []
            continue
        if current is None:
            continue
        if line.startswith("wiphy "):
            current["phy"] = "phy" + line.split()[1]
        elif line.startswith("type "):
            current["type"] = line[5:].strip()
        elif line.startswith("addr "):
            current["addr"] = line.split()[1].lower()
        elif line.startswith("ssid "):
            current["ssid"] = line[5:]
        elif m := _LINK_RE.search(line):
            links.append({"link_id": int(m.group(1)), "addr": m.group(2).lower()})
        elif m := _CHANNEL_RE.match(line):
            target = links[-1] if links else current
            target["channel"] = int(m.group(1))
            target["freq_mhz"] = int(m.group(2))
            target["width_mhz"] = int(m.group(3)) if m.group(3) else None
    close()
    return result


# ---- bitrates -----------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Rate:
    """A PHY rate as iw prints it. ``mode`` is legacy, ht, vht, he or eht; HT's MCS 0-31 is split into
    MCS 0-7 and a stream count, like the later generations."""

    mbps: float
    mcs: int | None = None
    nss: int | None = None
    width_mhz: int | None = None
    mode: str = "legacy"


_MODE_KEYS: Final = {"MCS": "ht", "VHT-MCS": "vht", "HE-MCS": "he", "EHT-MCS": "eht"}
_NSS_KEYS: Final = frozenset({"VHT-NSS", "HE-NSS", "EHT-NSS"})


def parse_bitrate(text: str) -> Rate | None:
    """Parse e.g. ``866.7 MBit/s VHT-MCS 9 80MHz short GI VHT-NSS 2`` or
    ``2882.4 MBit/s 320MHz EHT-MCS 13 EHT-NSS 2 EHT-GI 0``; None when there is no rate."""
    tokens = text.split()
    if not tokens:
        return None
    try:
        mbps = float(tokens[0])
    except ValueError:
        return None
    mcs = nss = width = None
    mode = "legacy"
    for i, token in enumerate(tokens[1:], start=1):
        if token in _MODE_KEYS and i + 1 < len(tokens):
            mode = _MODE_KEYS[token]
            mcs = _int(tokens[i + 1])
        elif token in _NSS_KEYS and i + 1 < len(tokens):
            nss = _int(tokens[i + 1])
        elif m := _WIDTH_RE.match(token):
            width = int(m.group(1)) * (2 if m.group(2) else 1)  # 80P80 is 160 MHz of spectrum
    if mode == "ht" and mcs is not None:
        nss, mcs = mcs // 8 + 1, mcs % 8
    if mode != "legacy" and width is None:
        width = 20  # iw prints no width token for 20 MHz
    return Rate(mbps=mbps, mcs=mcs, nss=nss, width_mhz=width, mode=mode)


def _int(token: str) -> int | None:
    m = _INT_RE.match(token)
    return int(m.group(0)) if m else None


def _float(token: str) -> float | None:
    m = _FLOAT_RE.search(token)
    return float(m.group(0)) if m else None


# ---- station dump -------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class StationEntry:
    """One station (or one link of a multi-link station) from ``iw dev X station dump``.

    Counters are the driver's cumulative values; ``mac`` is the station's MAC or, for a multi-link
    station, its MLD address, with the link's own address in ``link_addr``.
    """

    mac: str
    interface: str | None = None
    link_id: int | None = None
    link_addr: str | None = None
    inactive_ms: int | None = None
    rx_bytes: int | None = None
    rx_packets: int | None = None
    tx_bytes: int | None = None
    tx_packets: int | None = None
    tx_retries: int | None = None
    tx_failed: int | None = None
    signal_dbm: int | None = None
    signal_avg_dbm: int | None = None
    tx_rate: Rate | None = None
    rx_rate: Rate | None = None
    tx_duration_us: int | None = None
    rx_duration_us: int | None = None
    expected_tput_mbps: float | None = None
    connected_s: int | None = None
    authorized: bool | None = None


# station-dump key -> (StationEntry field, converter)
_INT_FIELDS: Final = {
    "inactive time": "inactive_ms", "rx bytes": "rx_bytes", "rx packets": "rx_packets",
    "tx bytes": "tx_bytes", "tx packets": "tx_packets", "tx retries": "tx_retries", "tx failed": "tx_failed",
    "signal": "signal_dbm", "signal avg": "signal_avg_dbm", "tx duration": "tx_duration_us",
    "rx duration": "rx_duration_us", "connected time": "connected_s",
}
#: Station-level facts a link inherits when its own block does not repeat them.
_INHERITED: Final = ("connected_s", "authorized")


def _indent(raw: str) -> int:
    width = 0
    for ch in raw:
        if ch == "\t":
            width += 8 - width % 8
        elif ch == " ":
            width += 1
        else:
            break
    return width


def _apply(values: dict[str, object], key: str, value: str) -> None:
    name = _INT_FIELDS.get(key)
    if name is not None:
        values[name] = _int(value)
    elif key == "tx bitrate":
        values["tx_rate"] = parse_bitrate(value)
    elif key == "rx bitrate":
        values["rx_rate"] = parse_bitrate(value)
    elif key == "expected throughput":
        values["expected_tput_mbps"] = _float(value)
    elif key == "authorized":
        values["authorized"] = value == "yes"
    elif key in ("address", "link addr"):
        values["link_addr"] = value.lower()
    elif key == "MLD address":
        values["mld"] = value.lower()


def parse_station_dump(text: str) -> list[StationEntry]:
    """Every station in a station dump; a multi-link station gives one entry per link."""
    entries: list[StationEntry] = []
    station: dict[str, object] | None = None
    links: list[tuple[int, dict[str, object]]] = []  # (indent of the "Link N:" line, values)

    def close() -> None:
        if station is None:
            return
        mac = station.pop("mld", None) or station["mac"]
        station.pop("link_addr", None)
        if not links:
            entries.append(StationEntry(**{**station, "mac": mac}))  # type: ignore[arg-type]
            return
        for _, link in links:
            for name in _INHERITED:
                if link.get(name) is None and station.get(name) is not None:
                    link[name] = station[name]
            link.pop("mld", None)
            entries.append(StationEntry(mac=mac, interface=station.get("interface"),  # type: ignore[arg-type]
                                        **link))  # type: ignore[arg-type]

    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped:
            continue
        if stripped.startswith("Station "):
            close()
            words = stripped.split()
            iface = words[3].rstrip(")") if len(words) >= 4 and words[2] == "(on" else None
            station, links = {"mac": words[1].lower(), "interface": iface}, []
            continue
        if station is None:
            continue
        key, sep, value = stripped.partition(":")
        if not sep:
            continue  # rows of the MSDU / TXQ tables
        key = key.strip()
        value = value.strip()
        if key.startswith("Link ") and not value and key[5:].isdigit():
            links.append((_indent(raw), {"link_id": int(key[5:])}))
            continue
        if links and _indent(raw) > links[-1][0]:
            _apply(links[-1][1], key, value)
        else:
            _apply(station, key, value)
    close()
    return entries


# ---- survey dump --------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class SurveyEntry:
    """One channel of ``iw dev X survey dump``; times are the driver's cumulative milliseconds."""

    freq_mhz: int
    in_use: bool = False
    noise_dbm: int | None = None
    active_ms: int | None = None
    busy_ms: int | None = None
    rx_ms: int | None = None
    tx_ms: int | None = None
    interface: str | None = field(default=None, compare=False)


_SURVEY_FIELDS: Final = {
    "noise": "noise_dbm", "channel active time": "active_ms", "channel busy time": "busy_ms",
    "channel receive time": "rx_ms", "channel transmit time": "tx_ms",
}


def parse_survey_dump(text: str) -> list[SurveyEntry]:
    """Every channel of a survey dump (drivers differ in which times they print)."""
    entries: list[SurveyEntry] = []
    current: dict[str, object] | None = None
    iface: str | None = None
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("Survey data from "):
            if current is not None and "freq_mhz" in current:
                entries.append(SurveyEntry(**current))  # type: ignore[arg-type]
            iface = stripped.split()[3] if len(stripped.split()) > 3 else None
            current = {"interface": iface}
            continue
        if current is None:
            continue
        key, sep, value = stripped.partition(":")
        if not sep:
            continue
        key = key.strip()
        if key == "frequency":
            freq = _int(value.strip())
            if freq is not None:
                current["freq_mhz"] = freq
            current["in_use"] = "[in use]" in value
        elif key in _SURVEY_FIELDS:
            current[_SURVEY_FIELDS[key]] = _int(value.strip())
    if current is not None and "freq_mhz" in current:
        entries.append(SurveyEntry(**current))  # type: ignore[arg-type]
    return entries
