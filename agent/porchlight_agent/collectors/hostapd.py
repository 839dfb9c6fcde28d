"""Pure parser for OpenWrt's ``ubus call hostapd.<if> get_clients`` answer (JSON).

hostapd knows things the kernel's station dump does not: each client's capabilities (HT/VHT/HE/EHT), and
with CONFIG_TAXONOMY the client's probe/association signature. Rates there are in kbit/s and air time in
microseconds, both cumulative where they are counters.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..privacy import normalize_mac

__all__ = ["HostapdClient", "parse_get_clients", "standard_of"]


@dataclass(frozen=True, slots=True)
class HostapdClient:
    """One client as hostapd reports it."""

    mac: str
    ht: bool = False
    vht: bool = False
    he: bool = False
    eht: bool = False
    signal_dbm: int | None = None
    tx_rate_kbps: int | None = None
    rx_rate_kbps: int | None = None
    airtime_tx_us: int | None = None
    airtime_rx_us: int | None = None
    signature: str | None = None


def standard_of(*, ht: bool = False, vht: bool = False, he: bool = False, eht: bool = False) -> str | None:
    """The highest standard among the capabilities: 'be', 'ax', 'ac', 'n', or None for legacy."""
    if eht:
        return "be"
    if he:
        return "ax"
    if vht:
        return "ac"
    if ht:
        return "n"
    return None


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _pair(doc: dict[str, Any], key: str) -> tuple[int | None, int | None]:
    block = doc.get(key)
    if not isinstance(block, dict):
        return None, None
    return _int(block.get("tx")), _int(block.get("rx"))


def parse_get_clients(text: str) -> dict[str, HostapdClient]:
    """Clients keyed by normalised MAC; an unparseable answer gives no clients (hostapd is optional)."""
    try:
        doc = json.loads(text)
    except ValueError:
        return {}
    clients = doc.get("clients") if isinstance(doc, dict) else None
    if not isinstance(clients, dict):
        return {}
    result: dict[str, HostapdClient] = {}
    for raw_mac, info in clients.items():
        mac = normalize_mac(raw_mac)
        if mac is None or not isinstance(info, dict):
            continue
        raw_caps = info.get("capabilities")
        caps: dict[str, Any] = raw_caps if isinstance(raw_caps, dict) else {}
        tx_rate, rx_rate = _pair(info, "rate")
        air_tx, air_rx = _pair(info, "airtime")
        signature = info.get("signature")
        result[mac] = HostapdClient(
            mac=mac,
            ht=bool(info.get("ht")) or "ht" in caps,
            vht=bool(info.get("vht")) or "vht" in caps,
            he=bool(info.get("he")) or "he" in caps,
            eht=bool(info.get("eht")) or "eht" in caps,
            signal_dbm=_int(info.get("signal")),
            tx_rate_kbps=tx_rate,
            rx_rate_kbps=rx_rate,
            airtime_tx_us=air_tx,
            airtime_rx_us=air_rx,
            signature=signature if isinstance(signature, str) and signature else None,
        )
    return result
