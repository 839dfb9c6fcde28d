"""Report aggregates of every home of a worker, accumulated in place, sample by sample.

What aggregate.py computes from a report's per-sample records (means, the named minima and maxima, sums,
last-sample fields, sample counts), kept as running sums per row so no per-sample record is ever built.
Only the columns a periodic report carries are kept (the diagnosis-only ones are left out on the wire).
"""

from __future__ import annotations

import numpy as np

from .layout import F64, I64, Layout

_BIG = np.iinfo(np.int64).max


def _z(n: int, dtype: type = np.int64) -> np.ndarray:
    return np.zeros(n, dtype=dtype)


class Accumulators:
    """Running aggregates per radio, station (device), app slot, probe target (home x 4) and home."""

    def __init__(self, lay: Layout) -> None:
        self.R, self.D, self.L, self.H = len(lay.radio_home), len(lay.dev_home), len(lay.slot_dev), len(lay.homes)
        self.reset()

    def reset(self) -> None:
        """Start a new report window for every row."""
        R, D, L, H = self.R, self.D, self.L, self.H
        # radios: samples, noise (sum of whole dBm), busy/tx/rx (sums of values rounded to 0.1), stations max
        self.r_n: I64 = _z(R)
        self.r_noise: I64 = _z(R)
        self.r_busy: F64 = _z(R, np.float64)
        self.r_tx: F64 = _z(R, np.float64)
        self.r_rx: F64 = _z(R, np.float64)
        self.r_stations: I64 = _z(R)
        # stations
        self.s_n: I64 = _z(D)
        self.s_radio: I64 = _z(D)
        self.s_signal: I64 = _z(D)
        self.s_signal_min: I64 = np.full(D, _BIG, dtype=np.int64)
        self.s_tx_rate: F64 = _z(D, np.float64)
        self.s_rx_rate: F64 = _z(D, np.float64)
        self.s_retries: I64 = _z(D)
        self.s_tx_bytes: I64 = _z(D)
        self.s_rx_bytes: I64 = _z(D)
        self.s_tx_packets: I64 = _z(D)
        # apps
        self.a_n: I64 = _z(L)
        self.a_up: I64 = _z(L)
        self.a_down: I64 = _z(L)
        self.a_flows: I64 = _z(L)
        self.a_flows_max: I64 = _z(L)
        self.a_new: I64 = _z(L)
        self.a_dests: I64 = _z(L)
        self.a_dests_max: I64 = _z(L)
        # probes: (H, 4) in report order dns, 1.1.1.1, 8.8.8.8, first_hop
        self.p_sent: I64 = np.zeros((H, 4), dtype=np.int64)
        self.p_lost: I64 = np.zeros((H, 4), dtype=np.int64)
        self.p_answered: I64 = np.zeros((H, 4), dtype=np.int64)
        self.p_rtt: F64 = np.zeros((H, 4))
        self.p_rtt_max: F64 = np.full((H, 4), -np.inf)
        self.p_jitter: F64 = np.zeros((H, 4))
        self.p_jitter_n: I64 = np.zeros((H, 4), dtype=np.int64)
        # health
        self.h_n: I64 = _z(H)
        self.h_uptime: I64 = _z(H)
        self.h_load: F64 = _z(H, np.float64)
        self.h_cpu: F64 = _z(H, np.float64)
        self.h_cpu_max: F64 = np.full(H, -np.inf)
        self.h_mem_max: F64 = np.full(H, -np.inf)
        self.h_wan_rx: I64 = _z(H)
        self.h_wan_tx: I64 = _z(H)
        self.h_conntrack: I64 = _z(H)
        self.h_agent_cpu: I64 = _z(H)
        self.h_rss: I64 = _z(H)
