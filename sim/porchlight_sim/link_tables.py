"""wifi_physics.link_rate and phy_rate_mbps as lookup tables, for the lockstep engine's stations.

Rate control settles on a whole-dB SNR key (as stations._rate memoises it), so a table over (standard,
streams, width, SNR) gives exactly the per-sample path's MCS, streams and rate.
"""

from __future__ import annotations

import numpy as np

from .stations import _RETRY_BY_SNR
from .wifi_physics import PATH_LOSS_1M_DB, PATH_LOSS_EXPONENT, WALL_LOSS_DB, link_rate, phy_rate_mbps

WIDTHS: tuple[int, ...] = (20, 40, 80, 160, 320)
MAX_WIDTH_BY_RANK = np.array([40, 80, 160, 320], dtype=np.int64)
SNR_LOW, SNR_HIGH = -60, 110
_STANDARDS = ("n", "ac", "ax", "be")
_NSS = 4

TX_MCS = np.zeros((4, _NSS, len(WIDTHS), SNR_HIGH - SNR_LOW + 1), dtype=np.int64)
TX_NSS = np.zeros_like(TX_MCS)
TX_RATE = np.zeros(TX_MCS.shape, dtype=np.float64)
#: Rounded PHY rate of (standard, MCS 0-13, streams 1-4, width).
PHY = np.zeros((4, 14, _NSS, len(WIDTHS)), dtype=np.float64)
for _s, _std in enumerate(_STANDARDS):
    for _n in range(_NSS):
        for _w, _width in enumerate(WIDTHS):
            for _i, _snr in enumerate(range(SNR_LOW, SNR_HIGH + 1)):
                _rate = link_rate(_snr, _std, _n + 1, _width)
                TX_MCS[_s, _n, _w, _i], TX_NSS[_s, _n, _w, _i], TX_RATE[_s, _n, _w, _i] = (
                    _rate.mcs, _rate.nss, _rate.rate_mbps)
            for _m in range(14):
                PHY[_s, _m, _n, _w] = round(phy_rate_mbps(_std, _m, _n + 1, _width), 1)
RETRY_BY_SNR = np.array(_RETRY_BY_SNR, dtype=np.float64)
#: Per band code (2.4, 5, 6): path loss at 1 m, exponent x 10, loss per wall.
PL_1M = np.array([PATH_LOSS_1M_DB[b] for b in ("2.4", "5", "6")])
PL_SLOPE = np.array([10.0 * PATH_LOSS_EXPONENT[b] for b in ("2.4", "5", "6")])
PL_WALL = np.array([WALL_LOSS_DB[b] for b in ("2.4", "5", "6")])


def width_index(width: np.ndarray) -> np.ndarray:
    """Index of each channel width in WIDTHS."""
    return np.searchsorted(np.array(WIDTHS), width)
