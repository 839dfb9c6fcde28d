"""Wi-Fi records of one sample: a ``stations`` record per associated device and a ``radios`` record per radio.

The physics is in wifi_physics.py; this module applies it to a device's state and the sample's traffic,
and adds the measurement noise a real driver shows (fading, rate-control jitter).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from .fleet import Home, Radio
from .randomness import clamp, normal
from .rhythms import propensity
from .traffic import DeviceState
from .wifi_physics import LinkRate, link_rate, mac_efficiency, phy_rate_mbps, received_dbm, retry_share

_STANDARD_RANK = {"n": 0, "ac": 1, "ax": 2, "be": 3}
_RANKED = ("n", "ac", "ax", "be")
_MAX_WIDTH = {"n": 40, "ac": 80, "ax": 160, "be": 320}
_MOBILE_FADING_DB = 3.0
_FIXED_FADING_DB = 1.2
_RATES: dict[tuple[int, str, int, int], LinkRate] = {}
#: retry_share without contention or interference, by whole-dB SNR from -40 to 79 dB.
_RETRY_BY_SNR: tuple[float, ...] = tuple(retry_share(snr, 0.0, 0.0) for snr in range(-40, 80))
_PHY: dict[tuple[str, int, int, int], float] = {}


def _rate(snr_db: float, standard: str, nss: int, width: int) -> LinkRate:
    """link_rate at whole-dB SNR, memoised (a handful of distinct keys across the whole fleet)."""
    key = (round(snr_db), standard, nss, width)
    found = _RATES.get(key)
    if found is None:
        found = _RATES[key] = link_rate(key[0], standard, nss, width)
    return found


def _phy(standard: str, mcs: int, nss: int, width: int) -> float:
    key = (standard, mcs, nss, width)
    found = _PHY.get(key)
    if found is None:
        found = _PHY[key] = round(phy_rate_mbps(standard, mcs, nss, width), 1)
    return found


@dataclass(slots=True)
class RadioLoad:
    """What one radio's air looks like in a sample before its own stations are added."""

    radio: Radio
    other_busy_pct: float
    noise_dbm: float
    interference: float
    airtime_tx_ms: float = 0.0
    airtime_rx_ms: float = 0.0
    stations: int = 0


def radio_loads(home: Home, ts: int, interference: dict[str, tuple[float, float, float]],
                rng: random.Random) -> dict[str, RadioLoad]:
    """Busy air from the neighbours (worse in the evening) and any interferer, per band.

    ``interference`` maps a band to (busy %, noise dB, interference 0-1) added by an active fault.
    """
    evening = propensity("evening_tv", ts)
    loads: dict[str, RadioLoad] = {}
    for radio in home.radios:
        busy_add, noise_add, level = interference.get(radio.band, (0.0, 0.0, 0.0))
        busy = radio.neighbour_busy_pct * (0.7 + 0.9 * evening) * (0.85 + 0.3 * rng.random()) + busy_add
        loads[radio.band] = RadioLoad(radio, clamp(busy, 0.0, 95.0), radio.noise_dbm + noise_add, level)
    return loads


def _standard(device_standard: str, model_standard: str, band: str) -> str:
    rank = min(_STANDARD_RANK[device_standard], _STANDARD_RANK[model_standard])
    if band == "2.4" and rank == 1:
        rank = 0  # 802.11ac is 5 GHz only: an ac client on 2.4 GHz talks 802.11n
    if band == "6" and rank < 2:
        rank = 2
    return _RANKED[rank]


def _link(state: DeviceState, radio: Radio, model_standard: str) -> tuple[float, float, str, int, int]:
    """(mean signal, fading sigma, standard, width, streams) of a device on a radio where it sits now."""
    key = (radio.band, state.distance_m, state.walls)
    found = state.signal_cache.get(key)
    if found is None:
        device = state.device
        band = radio.band
        standard = _standard(device.standard, model_standard, band)
        width = min(radio.width_mhz, _MAX_WIDTH[standard], 20 if band == "2.4" else 320,
                    80 if device.device_class in ("phone", "tablet") else 320)
        found = (received_dbm(device.tx_power_dbm, band, state.distance_m, state.walls),
                 _MOBILE_FADING_DB if device.owner is not None else _FIXED_FADING_DB,
                 standard, width, min(device.nss, radio.nss))
        state.signal_cache[key] = found
    return found


def station_record(ts: int, state: DeviceState, load: RadioLoad, model_standard: str, down_bytes: float,
                   up_bytes: float, down_packets: int, up_packets: int, active: bool, dt: float,
                   rng: random.Random) -> dict[str, Any]:
    """One ``stations`` record; also adds the station's air time to ``load``."""
    radio = load.radio
    mean, fading, standard, width, nss = _link(state, radio, model_standard)
    rand = rng.random
    signal = mean + normal(rng, fading)
    noise = load.noise_dbm + normal(rng, 0.6)
    snr = signal - noise
    tx = _rate(snr, standard, nss, width)
    tx_rate = tx.rate_mbps
    rx_mcs = tx.mcs - (0, 1, 1, 2)[rng.getrandbits(2)]
    if rx_mcs < 0:
        rx_mcs = 0
    rx_nss = 2 if tx.nss > 2 else tx.nss
    rx_rate = _phy(standard, rx_mcs, rx_nss, width)
    busy_other = load.other_busy_pct
    snr_index = int(snr) + 40
    base = _RETRY_BY_SNR[snr_index if 0 <= snr_index < 120 else (0 if snr_index < 0 else 119)]
    retry = min(0.9, base + 0.18 * (busy_other / 100.0) ** 2 + 0.35 * load.interference) * (0.8 + 0.4 * rand())
    tx_packets = down_packets + int(dt * (0.5 + rand()))  # management and keep-alive frames
    rx_packets = up_packets + int(dt * (0.3 + 0.5 * rand()))
    tx_bytes = int(down_bytes) + tx_packets * 40
    rx_bytes = int(up_bytes) + rx_packets * 40
    retries = int(tx_packets * retry)
    failed = int(retries * (0.01 + 0.15 * max(0.0, retry - 0.2)))
    dt_ms = dt * 1000.0
    air_tx = min(dt_ms, tx_bytes * 0.0114286 / tx_rate * (1.0 + retry))  # bits / (rate x 70% efficiency)
    air_rx = min(dt_ms, rx_bytes * 0.0114286 / rx_rate)
    load.airtime_tx_ms += air_tx
    load.airtime_rx_ms += air_rx
    load.stations += 1
    return {
        "ts": ts, "mac": state.device.mac, "radio": radio.iface, "band": radio.band,
        "signal_dbm": round(signal), "signal_avg_dbm": round(mean + normal(rng, 0.5)),
        "noise_dbm": round(noise),
        "tx_rate_mbps": tx_rate, "rx_rate_mbps": rx_rate,
        "tx_mcs": tx.mcs, "tx_nss": tx.nss, "tx_width_mhz": width,
        "rx_mcs": rx_mcs, "rx_nss": rx_nss, "rx_width_mhz": width,
        "tx_retries": retries, "tx_failed": failed,
        "tx_bytes": tx_bytes, "rx_bytes": rx_bytes, "tx_packets": tx_packets, "rx_packets": rx_packets,
        "inactive_ms": int(rand() * 400) if active else int(dt_ms * (0.05 + 0.9 * rand())),
        "connected_s": max(0, ts - state.connected_since),
        "expected_tput_mbps": round(tx_rate * mac_efficiency(busy_other), 1),
        "airtime_tx_ms": int(air_tx), "airtime_rx_ms": int(air_rx),
        "standard": standard,
    }


def radio_record(ts: int, load: RadioLoad, dt: float, rng: random.Random) -> dict[str, Any]:
    """One ``radios`` record: the neighbours' busy time plus this radio's own air time."""
    dt_ms = dt * 1000.0
    tx_pct = 100.0 * load.airtime_tx_ms / dt_ms
    rx_pct = 100.0 * load.airtime_rx_ms / dt_ms
    busy = clamp(load.other_busy_pct + tx_pct + rx_pct + normal(rng, 0.8), 0.0, 100.0)
    radio = load.radio
    return {
        "ts": ts, "radio": radio.iface, "band": radio.band, "channel": radio.channel,
        "width_mhz": radio.width_mhz, "noise_dbm": round(load.noise_dbm + normal(rng, 0.5)),
        "busy_pct": round(busy, 1), "tx_pct": round(min(tx_pct, 100.0), 1), "rx_pct": round(min(rx_pct, 100.0), 1),
        "stations": load.stations,
    }
