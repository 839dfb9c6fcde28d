"""The faults of a worker's homes as tables, and what is in force at one sample time, as arrays.

The per-sample path (home_sim.py) folds each home's active effects into a sample one by one; here the same
folding runs over every home of a worker at once. An effect is in force for the sample stamped ``ts`` when
``start_ts < ts <= end_ts`` (the sample describes the interval ending at ``ts``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .faults import Effect
from .layout import BAND_CODE, F64, I64, B, Layout

_PATH_KINDS = ("access_network", "region_congestion", "firmware_latency")


@dataclass
class _Table:
    """Rows of one kind of effect: the row it acts on (home, device or radio), its window, its numbers."""

    row: list[int] = field(default_factory=list)
    start: list[int] = field(default_factory=list)
    end: list[int] = field(default_factory=list)
    values: list[tuple[float, ...]] = field(default_factory=list)

    def add(self, row: int, effect: Effect, *values: float) -> None:
        self.row.append(row)
        self.start.append(effect.start_ts)
        self.end.append(effect.end_ts)
        self.values.append(values)

    def frozen(self, width: int) -> tuple[I64, I64, I64, F64]:
        vals = np.array(self.values, dtype=np.float64).reshape(len(self.row), width)
        return (np.array(self.row, dtype=np.int64), np.array(self.start, dtype=np.int64),
                np.array(self.end, dtype=np.int64), vals)


@dataclass
class Now:
    """What the faults do at one sample time, per home, radio and device."""

    away: B
    scale: F64
    churn: F64  # progress of a silent churn, NaN where none
    access: F64  # (H, 3): extra rtt, jitter, loss at the first hop and beyond
    core: F64  # (H, 3): beyond the first hop only
    cpu_add: F64
    drops_per_hour: F64
    busy_add: F64  # per radio
    noise_add: F64
    interference: F64
    gone: B  # per device
    silenced: B
    spam: F64  # (D, 3): flows/min, destinations/min, bytes/flow; NaN where none
    moved: list[tuple[int, float, int, int]]  # (device, distance, walls, band) of coverage faults in force


class FaultArrays:
    """Every effect touching a worker's homes, ready to be evaluated at a sample time."""

    def __init__(self, layout: Layout, effects: dict[str, list[Effect]]) -> None:
        self.layout = layout
        tables: dict[str, _Table] = {k: _Table() for k in (
            "away", "churn", "path", "drops", "radio", "gone", "silenced", "spam", "moved")}
        dev_row = {str(m): i for i, m in enumerate(layout.dev_mac)}
        for h, home in enumerate(layout.homes):
            for e in effects.get(home.home_id, []):
                p: Any = e.params
                kind = e.kind
                if kind == "away":
                    tables["away"].add(h, e)
                elif kind == "silent_churn":
                    tables["churn"].add(h, e, float(p["floor"]))
                elif kind in _PATH_KINDS:
                    tables["path"].add(h, e, float(p.get("rtt_add_ms", 0.0)), float(p.get("jitter_add_ms", 0.0)),
                                       float(p.get("loss_pct", 0.0)) / 100.0, float(p.get("first_hop", True)),
                                       float(p.get("shape") == "bell"), float(p.get("cpu_add_pct", 0.0)))
                elif kind == "firmware_wifi_drops":
                    tables["drops"].add(h, e, float(p["drops_per_hour"]))
                elif kind == "wifi_interference":
                    r = int(layout.home_radio[h, BAND_CODE[str(p["band"])]])
                    if r >= 0:
                        tables["radio"].add(r, e, float(p["busy_add_pct"]), float(p["noise_add_db"]),
                                            float(p["interference"]))
                elif kind == "spambot":
                    tables["spam"].add(dev_row[str(p["mac"])], e, float(p["flows_per_min"]),
                                       float(p["dests_per_min"]), float(p["bytes_per_flow"]))
                elif kind == "streaming_silent":
                    tables["gone" if p["variant"] == "gone" else "silenced"].add(dev_row[str(p["mac"])], e)
                elif kind == "wifi_poor_coverage":
                    band = BAND_CODE[str(p["to_band"])]
                    if layout.home_radio[h, band] < 0:
                        band = BAND_CODE["2.4"]
                    tables["moved"].add(dev_row[str(p["mac"])], e, float(p["distance_m"]), float(p["walls"]),
                                        float(band))
        widths = {"away": 0, "churn": 1, "path": 6, "drops": 1, "radio": 3, "gone": 0, "silenced": 0, "spam": 3,
                  "moved": 3}
        self.tables = {k: t.frozen(widths[k]) for k, t in tables.items()}
        self.churn_homes = sorted(set(tables["churn"].row))

    def _active(self, kind: str, ts: int) -> tuple[I64, F64, I64, I64]:
        row, start, end, values = self.tables[kind]
        on = (start < ts) & (ts <= end)
        return row[on], values[on], start[on], end[on]

    def at(self, ts: int) -> Now:
        """The faults' state for the sample stamped ``ts``."""
        lay = self.layout
        H, R, D = len(lay.homes), len(lay.radio_home), len(lay.dev_home)
        away = np.zeros(H, dtype=bool)
        row, _, _, _ = self._active("away", ts)
        away[row] = True
        scale = np.ones(H)
        churn = np.full(H, np.nan)
        row, vals, start, end = self._active("churn", ts)
        if len(row):
            progress = (ts - start) / np.maximum(1, end - start)
            churn[row] = progress
            scale[row] *= 1.0 - (1.0 - vals[:, 0]) * progress
        access = np.zeros((H, 3))
        core = np.zeros((H, 3))
        cpu_add = np.zeros(H)
        row, vals, start, end = self._active("path", ts)
        if len(row):
            weight = np.where(vals[:, 4] > 0,
                              np.maximum(0.0, np.sin(math.pi * (ts - start) / np.maximum(1, end - start))) ** 0.7, 1.0)
            added = vals[:, :3] * weight[:, None]
            first_hop = vals[:, 3] > 0
            np.add.at(access, row[first_hop], added[first_hop])
            np.add.at(core, row[~first_hop], added[~first_hop])
            np.add.at(cpu_add, row, vals[:, 5])
        drops = np.zeros(H)
        row, vals, _, _ = self._active("drops", ts)
        drops[row] = vals[:, 0]
        busy_add, noise_add, level = np.zeros(R), np.zeros(R), np.zeros(R)
        row, vals, _, _ = self._active("radio", ts)
        busy_add[row], noise_add[row], level[row] = vals[:, 0], vals[:, 1], vals[:, 2]
        gone = np.zeros(D, dtype=bool)
        gone[self._active("gone", ts)[0]] = True
        silenced = np.zeros(D, dtype=bool)
        silenced[self._active("silenced", ts)[0]] = True
        spam = np.full((D, 3), np.nan)
        row, vals, _, _ = self._active("spam", ts)
        spam[row] = vals
        row, vals, _, _ = self._active("moved", ts)
        moved = [(int(r), float(v[0]), int(v[1]), int(v[2])) for r, v in zip(row, vals, strict=True)]
        return Now(away, scale, churn, access, core, cpu_add, drops, busy_add, noise_add, level, gone, silenced,
                   spam, moved)
