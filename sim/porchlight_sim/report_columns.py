"""Report documents straight from the accumulators: the columns aggregate.py + columnar.py would give.

``window`` turns the whole worker's accumulators into Python lists once per report window (a few numpy
calls per column); ``report`` then slices one home's rows out of them. Column names and order are the
schema's, without the diagnosis-only columns (a periodic report) and without all-null columns, so the
document equals ``porchlight_wire.build_report`` of the same records (tests/unit/sim/test_lockstep.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from porchlight_wire import SCHEMA_VERSION

from .layout import Layout
from .sample_records import r1 as _r1
from .sample_records import r2 as _r2

if TYPE_CHECKING:
    from .lockstep import Lockstep

_PROBE_TARGETS = ("dns", "1.1.1.1", "8.8.8.8", "first_hop")
_PROBE_KINDS = ("dns", "icmp", "icmp", "icmp")
_WIRED = 3


def _split(values: list[Any], bounds: list[int], h: int) -> list[Any]:
    return values[bounds[h]:bounds[h + 1]]


def _drop_null(columns: dict[str, list[Any]]) -> dict[str, list[Any]]:
    return {k: v for k, v in columns.items() if any(x is not None for x in v)}


class ReportColumns:
    """Builds each home's report document from the engine's accumulators."""

    def __init__(self, layout: Layout, eng: Lockstep) -> None:
        self.lay = layout
        self.eng = eng
        D = len(layout.dev_home)
        self.reported = np.full(D, -1, dtype=np.int64)
        self.static = [
            (d.mac, [d.ipv4] if d.ipv6 is None else [d.ipv4, d.ipv6], d.hostname, d.vendor, d.reported_class,
             d.class_confidence)
            for home in layout.homes for d in sorted(home.devices, key=lambda d: d.mac)]
        self.cols: dict[str, dict[str, list[Any]]] = {}
        self.bounds: dict[str, list[int]] = {}

    def window(self, end: int) -> None:
        """Aggregate every row of the window that ends at ``end``."""
        lay, acc = self.lay, self.eng.acc
        H = len(lay.homes)
        r = np.flatnonzero(acc.r_n > 0)
        n = acc.r_n[r]
        self.bounds["radios"] = np.searchsorted(lay.radio_home[r], np.arange(H + 1)).tolist()
        self.cols["radios"] = {
            "radio": lay.radio_iface[r].tolist(), "band": lay.radio_band_name[r].tolist(), "samples": n.tolist(),
            "channel": lay.radio_channel[r].tolist(), "width_mhz": lay.radio_width[r].tolist(),
            "noise_dbm": np.rint(acc.r_noise[r] / n).astype(np.int64).tolist(),
            "busy_pct": _r1(acc.r_busy[r] / n).tolist(), "tx_pct": _r1(acc.r_tx[r] / n).tolist(),
            "rx_pct": _r1(acc.r_rx[r] / n).tolist(), "stations": acc.r_stations[r].tolist(),
        }
        s = np.flatnonzero(acc.s_n > 0)
        radio = acc.s_radio[s]
        s = s[np.lexsort((s, radio))]
        radio = acc.s_radio[s]
        n = acc.s_n[s]
        self.bounds["stations"] = np.searchsorted(lay.radio_home[radio], np.arange(H + 1)).tolist()
        self.cols["stations"] = {
            "mac": lay.dev_mac[s].tolist(), "radio": lay.radio_iface[radio].tolist(),
            "band": lay.radio_band_name[radio].tolist(), "samples": n.tolist(),
            "signal_avg_dbm": np.rint(acc.s_signal[s] / n).astype(np.int64).tolist(),
            "signal_min_dbm": acc.s_signal_min[s].tolist(),
            "tx_rate_mbps": _r1(acc.s_tx_rate[s] / n).tolist(), "rx_rate_mbps": _r1(acc.s_rx_rate[s] / n).tolist(),
            "tx_retries": acc.s_retries[s].tolist(), "tx_bytes": acc.s_tx_bytes[s].tolist(),
            "rx_bytes": acc.s_rx_bytes[s].tolist(), "tx_packets": acc.s_tx_packets[s].tolist(),
        }
        a = np.flatnonzero(acc.a_n > 0)
        total, top, new = acc.a_flows[a], acc.a_flows_max[a], acc.a_new[a]
        fresh = np.where(total > 0, np.minimum(1.0, new / np.maximum(total, 1)), 0.0)
        top_dests = acc.a_dests_max[a]
        self.bounds["apps"] = np.searchsorted(lay.slot_home[a], np.arange(H + 1)).tolist()
        self.cols["apps"] = {
            "mac": lay.slot_mac[a].tolist(), "app": lay.slot_app[a].tolist(), "bytes_up": acc.a_up[a].tolist(),
            "bytes_down": acc.a_down[a].tolist(), "flows": np.minimum(total, top + new).tolist(),
            "new_flows": new.tolist(),
            "dests": (top_dests + np.rint((acc.a_dests[a] - top_dests) * fresh).astype(np.int64)).tolist(),
            "active_samples": acc.a_n[a].tolist(),
        }
        answered = acc.p_answered
        ok = answered > 0
        self.p_ok = ok.all(axis=1).tolist()
        self.p = {
            "sent": acc.p_sent.tolist(), "lost": acc.p_lost.tolist(),
            "rtt_ms": _r2(acc.p_rtt / np.maximum(answered, 1)).tolist(), "rtt_max_ms": acc.p_rtt_max.tolist(),
            "jitter_ms": _r2(acc.p_jitter / np.maximum(acc.p_jitter_n, 1)).tolist(), "ok": ok.tolist(),
        }
        hn = np.maximum(acc.h_n, 1)
        self.health = {
            "samples": acc.h_n.tolist(), "uptime_s": acc.h_uptime.tolist(), "load1": _r2(acc.h_load / hn).tolist(),
            "cpu_pct": _r1(acc.h_cpu / hn).tolist(), "cpu_max_pct": acc.h_cpu_max.tolist(),
            "mem_used_pct": acc.h_mem_max.tolist(), "wan_down_s": None, "wan_flaps": None,
            "wan_rx_bytes": acc.h_wan_rx.tolist(), "wan_tx_bytes": acc.h_wan_tx.tolist(),
            "conntrack_entries": acc.h_conntrack.tolist(), "agent_cpu_ms": acc.h_agent_cpu.tolist(),
            "agent_rss_kb": acc.h_rss.tolist(),
        }

    def _probes(self, h: int) -> dict[str, list[Any]]:
        p = self.p
        cols: dict[str, list[Any]] = {"target": list(_PROBE_TARGETS), "kind": list(_PROBE_KINDS),
                                      "sent": p["sent"][h], "lost": p["lost"][h]}
        if self.p_ok[h]:
            cols.update(rtt_ms=p["rtt_ms"][h], rtt_max_ms=p["rtt_max_ms"][h], jitter_ms=p["jitter_ms"][h])
            return cols
        ok = p["ok"][h]
        for key in ("rtt_ms", "rtt_max_ms", "jitter_ms"):
            cols[key] = [v if good else None for v, good in zip(p[key][h], ok, strict=True)]
        return _drop_null(cols)

    def report(self, h: int, header: dict[str, Any], events: list[dict[str, Any]],
               devices: dict[str, list[Any]] | None) -> dict[str, Any]:
        """Home ``h``'s report document for the current window."""
        doc: dict[str, Any] = {"schema": SCHEMA_VERSION, "header": header}
        for key in ("radios", "stations", "apps"):
            b = self.bounds[key]
            if b[h + 1] > b[h]:
                doc[key] = {name: col[b[h]:b[h + 1]] for name, col in self.cols[key].items()}
        doc["probes"] = self._probes(h)
        doc["health"] = {name: [0] if col is None else [col[h]] for name, col in self.health.items()}
        if events:
            doc["events"] = _drop_null({k: [e[k] for e in events] for k in ("ts", "kind", "mac", "detail")})
        if devices:
            doc["devices"] = devices
        return doc

    def inventory(self, h: int, end: int, full: bool, retention_s: int) -> dict[str, list[Any]] | None:
        """The devices section: every device seen (full) or those new or changed since last reported."""
        eng, lay = self.eng, self.lay
        lo, hi = int(lay.dev_offsets[h]), int(lay.dev_offsets[h + 1])
        first = eng.first_seen[lo:hi]
        last = eng.last_seen[lo:hi]
        code = np.where(lay.dev_wired[lo:hi], _WIRED, eng.band[lo:hi])
        seen = (first >= 0) & (last >= end - retention_s)
        if full:
            self.reported[lo:hi] = np.where(seen, code, -1)
            rows = np.flatnonzero(seen)
        else:
            rows = np.flatnonzero(seen & (self.reported[lo:hi] != code))
            self.reported[lo + rows] = code[rows]
        if not len(rows):
            return None
        static = [self.static[lo + i] for i in rows.tolist()]
        conn = ["wired" if c == _WIRED else ("2.4", "5", "6")[c] for c in code[rows].tolist()]
        cols: dict[str, list[Any]] = {
            "mac": [s[0] for s in static], "ips": [s[1] for s in static], "hostname": [s[2] for s in static],
            "vendor": [s[3] for s in static], "device_class": [s[4] for s in static],
            "class_confidence": [s[5] for s in static], "connection": conn,
            "first_seen": first[rows].tolist(), "last_seen": last[rows].tolist(),
        }
        return _drop_null(cols)
