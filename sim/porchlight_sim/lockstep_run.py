"""The fast path's schedule: a worker's homes, one report window at a time, as wire report documents.

Each home keeps its gateway's side in a ``HomeSimulator`` (reboot plan, boot id, ``seq``, header, events
after a restart); the lockstep engine simulates the samples of every home at once. A window runs from one
report boundary to the next: reboots due in it are applied first (the interrupted report is lost, as on a
gateway), then every sample time in it, then each home with samples in it yields its report, columns
straight from the accumulators (the same document ``build_report`` gives for the same records).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .cadence import Cadence
from .faults import Effect
from .fleet import Home
from .home_sim import FULL_INVENTORY_EVERY_S, INVENTORY_RETENTION_S, HomeSimulator
from .layout import build_layout
from .lockstep import Lockstep
from .report_columns import ReportColumns

_NO_REBOOT = np.iinfo(np.int64).max


def lockstep_reports(homes: list[Home], effects: dict[str, list[Effect]], cadence: Cadence,
                     seed: int) -> Iterator[tuple[int, int, dict[str, Any]]]:
    """(home index in ``homes``, end_ts, report document) of every report, in report-end order."""
    if not homes:
        return
    layout = build_layout(homes, seed)
    eng = Lockstep(layout, effects, cadence.start_ts, seed)
    sims = [HomeSimulator(h, effects.get(h.home_id, []), cadence, seed) for h in homes]
    H = len(homes)
    cursor = np.array([s.cursor for s in sims], dtype=np.int64)
    last_ts = np.full(H, -1, dtype=np.int64)
    eng.boot_ts = np.array([s.boot_ts for s in sims], dtype=np.int64)
    eng.mem_base = np.array([s.mem_base_pct for s in sims], dtype=np.float64)
    for h, s in enumerate(sims):
        eng.events[h] = s.events
        s.events = []
    next_reboot = np.array([s.reboots[0].ts if s.reboots else _NO_REBOOT for s in sims], dtype=np.int64)
    columns = ReportColumns(layout, eng)
    last_full = np.full(H, -(10 ** 12), dtype=np.int64)
    end_ts = cadence.end_ts
    t0 = cadence.start_ts
    while t0 < end_ts:
        phase = cadence.phase_at(t0)
        t1 = min((t0 // phase.report_s + 1) * phase.report_s, phase.end_ts, end_ts)
        for h in np.flatnonzero(next_reboot <= t1).tolist():
            _reboots(eng, sims[h], h, cursor, last_ts, cadence)
            next_reboot[h] = sims[h].reboots[0].ts if sims[h].reboots else _NO_REBOOT
        eng.acc.reset()
        sample_s = phase.sample_s
        for ts in range((t0 // sample_s + 1) * sample_s, t1 + 1, sample_s):
            sampling = cursor < ts
            if not sampling.any():
                continue
            dt = np.where(sampling, np.where(last_ts >= 0, ts - last_ts, np.minimum(sample_s, ts - cursor)),
                          sample_s).astype(np.float64)
            eng.step(ts, sampling, dt)
            last_ts[sampling] = ts
        reporting = np.flatnonzero(eng.acc.h_n > 0)
        if len(reporting):
            columns.window(t1)
            for h in reporting.tolist():
                sim = sims[h]
                sim.cursor = int(cursor[h])
                full = sim.seq == 0 or t1 - int(last_full[h]) >= FULL_INVENTORY_EVERY_S
                if full:
                    last_full[h] = t1
                events = eng.events[h]
                eng.events[h] = []
                events.sort(key=_ts)
                doc = columns.report(h, sim.header(t1, sample_s, full), events,
                                     columns.inventory(h, t1, full, INVENTORY_RETENTION_S))
                sim.seq += 1
                yield h, t1, doc
        cursor = np.where(cursor < t1, t1, cursor)
        t0 = t1


def _ts(event: dict[str, Any]) -> int:
    return int(event["ts"])


def _reboots(eng: Lockstep, sim: HomeSimulator, h: int, cursor: Any, last_ts: Any, cadence: Cadence) -> None:
    """Apply the home's reboots due before the end of the report its cursor is in (as next_report does)."""
    lay = eng.lay
    while sim.reboots and int(cursor[h]) < cadence.end_ts:
        c = int(cursor[h])
        phase = cadence.phase_at(c)
        end = min((c // phase.report_s + 1) * phase.report_s, phase.end_ts, cadence.end_ts)
        if sim.reboots[0].ts > end:
            break
        agent_start = sim.restart(sim.reboots.pop(0))
        eng.events[h] = sim.events
        sim.events = []
        eng.boot_ts[h] = sim.boot_ts
        cursor[h] = agent_start
        last_ts[h] = -1
        for d in range(int(lay.dev_offsets[h]), int(lay.dev_offsets[h + 1])):
            if eng.connected[d]:
                eng.since[d] = agent_start - sim.rng.randrange(5, 40)
