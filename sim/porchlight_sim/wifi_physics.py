"""Plausible Wi-Fi physics: signal from distance and walls, the rate a link settles on, and its retries.

* Signal: log-distance path loss, ``PL(d) = PL(1 m) + 10 n log10(d) + walls x wall loss``, per band.
* Rate: the MCS is the highest whose SNR threshold (scaled for channel width) the link clears; fewer
  spatial streams at low SNR; the PHY rate follows from data subcarriers, bits per symbol, coding rate and
  symbol time of the standard (802.11n/ac: 3.6 us short guard interval; 802.11ax/be: 13.6 us).
* Retries: a share of frames that rises as SNR falls towards the bottom MCS and as the channel gets busy
  or a neighbour interferes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Path loss at 1 m (dB), path-loss exponent and loss per interior wall (dB), by band.
PATH_LOSS_1M_DB: dict[str, float] = {"2.4": 40.0, "5": 46.5, "6": 47.5}
PATH_LOSS_EXPONENT: dict[str, float] = {"2.4": 2.8, "5": 3.0, "6": 3.1}
WALL_LOSS_DB: dict[str, float] = {"2.4": 3.5, "5": 5.0, "6": 6.0}
#: Typical noise floor of a quiet 20 MHz channel (dBm).
NOISE_FLOOR_DBM: dict[str, float] = {"2.4": -93.0, "5": -96.0, "6": -97.0}

#: Bits per subcarrier and coding rate for MCS 0-13.
_MCS_MODULATION: tuple[tuple[int, float], ...] = (
    (1, 1 / 2), (2, 1 / 2), (2, 3 / 4), (4, 1 / 2), (4, 3 / 4), (6, 2 / 3), (6, 3 / 4), (6, 5 / 6),
    (8, 3 / 4), (8, 5 / 6), (10, 3 / 4), (10, 5 / 6), (12, 3 / 4), (12, 5 / 6),
)
#: Minimum SNR (dB, 20 MHz) to hold each MCS at a packet error rate a rate controller accepts.
MCS_MIN_SNR_DB: tuple[float, ...] = (4, 7, 10, 13, 16, 20, 22, 24, 28, 30, 33, 35, 38, 40)
_MAX_MCS: dict[str, int] = {"n": 7, "ac": 9, "ax": 11, "be": 13}
_DATA_SUBCARRIERS_HT: dict[int, int] = {20: 52, 40: 108, 80: 234, 160: 468}
_DATA_SUBCARRIERS_HE: dict[int, int] = {20: 234, 40: 468, 80: 980, 160: 1960, 320: 3920}
_SYMBOL_US_HT = 3.6
_SYMBOL_US_HE = 13.6


def path_loss_db(band: str, distance_m: float, walls: int) -> float:
    """Log-distance path loss with a fixed loss per wall."""
    d = max(distance_m, 0.5)
    return PATH_LOSS_1M_DB[band] + 10.0 * PATH_LOSS_EXPONENT[band] * math.log10(d) + walls * WALL_LOSS_DB[band]


def received_dbm(tx_power_dbm: float, band: str, distance_m: float, walls: int) -> float:
    """Mean received signal of a transmitter ``distance_m`` away behind ``walls`` walls."""
    return tx_power_dbm - path_loss_db(band, distance_m, walls)


def distance_for_signal(tx_power_dbm: float, band: str, signal_dbm: float, walls: int) -> float:
    """The distance at which a transmitter is received at ``signal_dbm`` (inverse of received_dbm)."""
    excess = tx_power_dbm - signal_dbm - PATH_LOSS_1M_DB[band] - walls * WALL_LOSS_DB[band]
    return 10.0 ** (excess / (10.0 * PATH_LOSS_EXPONENT[band]))


def phy_rate_mbps(standard: str, mcs: int, nss: int, width_mhz: int) -> float:
    """PHY rate of one MCS/NSS/width in a standard (short guard interval for n/ac, 0.8 us for ax/be)."""
    bits, coding = _MCS_MODULATION[mcs]
    if standard in ("ax", "be"):
        carriers = _DATA_SUBCARRIERS_HE[width_mhz]
        symbol = _SYMBOL_US_HE
    else:
        carriers = _DATA_SUBCARRIERS_HT[min(width_mhz, 160)]
        symbol = _SYMBOL_US_HT
    return carriers * bits * coding * nss / symbol


@dataclass(frozen=True, slots=True)
class LinkRate:
    """What rate control settled on for a link."""

    mcs: int
    nss: int
    width_mhz: int
    rate_mbps: float


def link_rate(snr_db: float, standard: str, max_nss: int, width_mhz: int) -> LinkRate:
    """The MCS, streams and PHY rate a link of this SNR holds.

    Wider channels spread the same power: each doubling of width costs 3 dB. A second stream needs about
    20 dB (the streams must be separable). The floor is MCS 0, one stream: a link never has rate zero.
    """
    snr_eff = snr_db - 10.0 * math.log10(width_mhz / 20.0)
    top = _MAX_MCS[standard]
    mcs = 0
    for i in range(top, -1, -1):
        if snr_eff >= MCS_MIN_SNR_DB[i]:
            mcs = i
            break
    nss = max_nss if snr_eff >= 25 else min(max_nss, 2) if snr_eff >= 18 else 1
    return LinkRate(mcs, nss, width_mhz, round(phy_rate_mbps(standard, mcs, nss, width_mhz), 1))


def retry_share(snr_db: float, busy_pct: float, interference: float) -> float:
    """Share of frames retransmitted (0-0.9).

    A floor of a few percent, rising steeply as SNR approaches the bottom MCS threshold, with channel
    contention (busy air means collisions) and with ``interference`` (0-1, a non-Wi-Fi or hidden neighbour).
    """
    low_snr = 0.55 / (1.0 + math.exp((snr_db - 11.0) / 2.5))
    contention = 0.18 * (busy_pct / 100.0) ** 2
    share = 0.025 + low_snr + contention + 0.35 * interference
    return min(share, 0.9)


def mac_efficiency(busy_other_pct: float) -> float:
    """Share of the PHY rate left for data once protocol overhead and other talkers take theirs."""
    return 0.68 * max(0.05, 1.0 - busy_other_pct / 100.0)


def best_band(tx_power_dbm: float, bands: tuple[str, ...], distance_m: float, walls: int) -> str:
    """The band a steering gateway puts a client on: 6 GHz, then 5 GHz, when their signal is good enough."""
    for band, threshold in (("6", -68.0), ("5", -74.0)):
        if band in bands and received_dbm(tx_power_dbm, band, distance_m, walls) >= threshold:
            return band
    return "2.4"
