"""The fast path's simulator: every home of a worker advanced one sample at a time, with numpy arrays.

Same models as the per-sample path (home_sim.py with traffic.py, stations.py, probes.py, health.py): people's
days, spells of activity, standby trickles, the line cap, link physics, probes, health and faults, computed
for all homes at once over the arrays of layout.py. Nothing is kept per sample: each sample is added into
the report accumulators of accumulators.py in place. The rare things (connections, roams, deauths, reboots)
become events through short Python loops over the rows they touch. Random numbers come from draws.py.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .accumulators import Accumulators
from .draws import (
    P_CONNECT,
    P_DISCONNECT,
    P_DROP,
    P_DROP_AT,
    P_DROP_BACK,
    P_NOISE,
    P_ROAM,
    P_SB_SIZE,
    P_SB_TALK,
    P_SPELL,
    P_TRY,
    P_TRY_DOWN,
    P_TRY_FLOWS,
    P_TRY_UP,
    Draws,
)
from .fault_arrays import FaultArrays
from .faults import Effect
from .layout import (
    F64,
    I64,
    NEEDS_ANYONE,
    NEEDS_NONE,
    NEEDS_OWNER,
    WANT_ANYONE,
    WANT_OWNER_AWAKE,
    WANT_OWNER_HOME,
    B,
    Layout,
)
from .randomness import stream
from .rhythms import CURVES, DAY, FAILED_TRY, plan_day, propensity
from .sample_records import sample_records

_CURVE_NAMES = tuple(CURVES)
_RATE_NOISE_SIGMA = 0.3



class Lockstep:
    """State of a worker's homes between samples (connections, spells, day plans) and the sample step."""

    def __init__(self, layout: Layout, effects: dict[str, list[Effect]], run_start_ts: int, seed: int) -> None:
        self.lay = lay = layout
        self.faults = FaultArrays(layout, effects)
        self.seed = seed
        H, D, A, P = len(lay.homes), len(lay.dev_home), len(lay.act_dev), len(lay.person_home)
        self.connected: B = np.zeros(D, dtype=bool)
        self.since: I64 = np.zeros(D, dtype=np.int64)
        self.band: I64 = lay.dev_band.copy()
        self.distance: F64 = lay.dev_distance.copy()
        self.walls: I64 = lay.dev_walls.copy()
        self.first_seen: I64 = np.full(D, -1, dtype=np.int64)
        self.last_seen: I64 = np.full(D, -1, dtype=np.int64)
        self.gone: B = np.zeros(D, dtype=bool)
        self.churn_leave = np.full(D, np.inf)
        for h in self.faults.churn_homes:
            for d in range(int(lay.dev_offsets[h]), int(lay.dev_offsets[h + 1])):
                rng = stream("churn", seed, lay.dev_mac[d])
                stays = bool(lay.dev_iot[d]) and rng.random() < 0.7
                self.churn_leave[d] = 2.0 if stays else 0.15 + 0.8 * rng.random()
        self.spells: B = np.zeros(A, dtype=bool)
        self.fresh_home: B = np.array([h.installed_ts >= run_start_ts for h in lay.homes], dtype=bool)
        self.installed: I64 = np.array([h.installed_ts for h in lay.homes], dtype=np.int64)
        self.out_from: I64 = np.zeros(P, dtype=np.int64)
        self.out_until: I64 = np.zeros(P, dtype=np.int64)
        self.wake: I64 = np.zeros(P, dtype=np.int64)
        self.sleep: I64 = np.zeros(P, dtype=np.int64)
        self.day_usage: F64 = np.ones(H)
        self._day = -1
        self.acc = Accumulators(lay)
        #: Per home, events of the report being built (dicts as the wire carries them).
        self.events: list[list[dict[str, Any]]] = [[] for _ in range(H)]

    # ---- days ------------------------------------------------------------------------------------------

    def _plan_days(self, day: int) -> None:
        lay = self.lay
        p = 0
        for h, home in enumerate(lay.homes):
            rng = stream("day", self.seed, home.home_id, day)
            for person in home.household.people:
                plan = plan_day(person, day, rng)
                self.out_from[p], self.out_until[p], self.wake[p], self.sleep[p] = (
                    plan.out_from, plan.out_until, plan.wake_ts, plan.sleep_ts)
                p += 1
            self.day_usage[h] = math.exp(rng.gauss(0.0, 0.2))
        self._day = day

    # ---- one sample ------------------------------------------------------------------------------------

    def step(self, ts: int, sampling: B, dt_home: F64) -> None:
        """Simulate the sample stamped ``ts`` for the homes in ``sampling`` (``dt_home``: seconds since
        each home's previous sample) and add it to the accumulators."""
        lay = self.lay
        if ts - ts % DAY != self._day:
            self._plan_days(ts - ts % DAY)
        now = self.faults.at(ts)
        draws = Draws(ts)
        H = len(lay.homes)
        # People: home and awake (nobody during a day out or a holiday).
        ph = lay.person_home
        home_p = ~((self.out_from <= ts) & (ts < self.out_until)) & ~now.away[ph]
        wake, sleep = self.wake, self.sleep
        awake_p = np.where(sleep >= wake, ((wake <= ts) & (ts < sleep)) | (ts < sleep - DAY),
                           (wake <= ts) | (ts < sleep)) & ~now.away[ph]
        present_p = home_p & awake_p
        anyone = np.bincount(ph, weights=present_p, minlength=H) > 0
        wfh_present_p = present_p & lay.person_wfh
        wfh_any = np.bincount(ph, weights=wfh_present_p, minlength=H) > 0
        # Devices of the sampling homes: leave, move, connect.
        dh = lay.dev_home
        ds = sampling[dh]
        dt_dev = dt_home[dh]
        churned = now.churn[dh] >= self.churn_leave
        self.gone |= ds & (now.gone | churned)
        for d, distance, walls, band in now.moved:
            if ds[d] and self.distance[d] != distance:
                self.distance[d], self.walls[d] = distance, walls
                if self.connected[d] and self.band[d] != band:
                    u = float(draws.uniform(lay.dev_keys[d:d + 1], P_ROAM)[0])
                    self.events[int(dh[d])].append({
                        "ts": ts - int(u * float(dt_dev[d])), "kind": "roam", "mac": lay.dev_mac[d],
                        "detail": f"{lt_band(int(self.band[d]))} -> {lt_band(band)} GHz"})
                self.band[d] = band
        owner = lay.dev_owner
        safe_owner = np.maximum(owner, 0)
        want_kind = lay.dev_want
        want = np.where(want_kind == WANT_OWNER_HOME, home_p[safe_owner],
                        np.where(want_kind == WANT_OWNER_AWAKE, present_p[safe_owner],
                                 np.where(want_kind == WANT_ANYONE, anyone[dh], True)))
        want &= ~self.gone & ~((lay.dev_joined >= 0) & (ts < lay.dev_joined))
        spam_on = ~np.isnan(now.spam[:, 0])
        want |= spam_on & ~self.gone
        self._connections(ts, ds, want, dt_dev, draws)
        active = ds & self.connected
        self._drops(ts, active, now.drops_per_hour[dh], dt_dev, draws)
        new = active & (self.first_seen < 0)
        if new.any():
            fresh = (lay.dev_joined >= 0) | self.fresh_home[dh]
            self.first_seen[new] = np.where(fresh, self.since, self.installed[dh])[new]
        self.last_seen[active] = ts
        down, up, minutes, tries = self._usage(ts, active, now.silenced, now.scale, anyone, wfh_any,
                                               wfh_present_p, present_p, dt_dev, draws)
        sample_records(self, ts, sampling, active, down, up, minutes, tries, now, spam_on, dt_home, draws)

    def _connections(self, ts: int, ds: B, want: B, dt_dev: F64, draws: Draws) -> None:
        lay = self.lay
        connect = ds & want & ~self.connected
        disconnect = ds & ~want & self.connected
        if connect.any():
            u = draws.uniform(lay.dev_keys, P_CONNECT)
            at = ts - (u * dt_dev).astype(np.int64)
            self.since[connect] = at[connect]
            self.connected[connect] = True
            for d in np.flatnonzero(connect & ~lay.dev_wired).tolist():
                self.events[int(lay.dev_home[d])].append(
                    {"ts": int(at[d]), "kind": "connect", "mac": lay.dev_mac[d], "detail": None})
        if disconnect.any():
            u = draws.uniform(lay.dev_keys, P_DISCONNECT)
            at = ts - (u * dt_dev).astype(np.int64)
            self.connected[disconnect] = False
            for d in np.flatnonzero(disconnect & ~lay.dev_wired).tolist():
                self.events[int(lay.dev_home[d])].append(
                    {"ts": int(at[d]), "kind": "disconnect", "mac": lay.dev_mac[d], "detail": None})

    def _drops(self, ts: int, active: B, per_hour: F64, dt_dev: F64, draws: Draws) -> None:
        lay = self.lay
        exposed = active & ~lay.dev_wired & (per_hour > 0)
        if not exposed.any():
            return
        keys = lay.dev_keys
        hit = exposed & (draws.uniform(keys, P_DROP) < 1.0 - np.exp(-per_hour * dt_dev / 3600.0))
        if not hit.any():
            return
        down_at = ts - (draws.uniform(keys, P_DROP_AT) * dt_dev).astype(np.int64)
        back_at = np.minimum(ts, down_at + 3 + draws.small(keys, P_DROP_BACK, 37))
        for d in np.flatnonzero(hit).tolist():
            events = self.events[int(lay.dev_home[d])]
            mac = lay.dev_mac[d]
            events.append({"ts": int(down_at[d]), "kind": "disconnect", "mac": mac, "detail": "deauth reason 4"})
            events.append({"ts": int(back_at[d]), "kind": "connect", "mac": mac, "detail": None})
            self.since[d] = back_at[d]

    def _usage(self, ts: int, active: B, silenced: B, scale: F64, anyone: B, wfh_any: B, wfh_present_p: B,
               present_p: B, dt_dev: F64, draws: Draws) -> tuple[F64, F64, F64, F64]:
        """Bytes down/up, active minutes and new flows of failed tries per app slot, from the spells and standby
        trickles (traffic.py's app_usage)."""
        lay = self.lay
        L = len(lay.slot_dev)
        ad = lay.act_dev
        act_on = active[ad]
        dt = dt_dev[ad]
        curve_p = np.array([propensity(c, ts) for c in _CURVE_NAMES])
        needs = lay.act_needs
        dh = lay.dev_home
        ah = dh[ad]
        owner = np.maximum(lay.dev_owner[ad], 0)
        has_owner = lay.dev_owner[ad] >= 0
        allowed = np.where(needs == NEEDS_NONE, True,
                           np.where(needs == NEEDS_OWNER, present_p[owner],
                                    np.where(needs == NEEDS_ANYONE, anyone[ah],
                                             np.where(has_owner, wfh_present_p[owner], wfh_any[ah]))))
        broken = silenced[ad] & lay.act_streaming
        usage = lay.home_usage[ah] * self.day_usage[ah] * scale[ah]
        p = curve_p[lay.act_curve] * lay.act_weight * np.where(needs == NEEDS_NONE, 1.0, usage)
        p = np.where(allowed, p, 0.0)
        leave = 1.0 - np.exp(-dt / lay.act_session)
        was = self.spells & ~broken
        u = draws.uniform(lay.act_keys, P_SPELL)
        ratio = p / (1.0 - np.minimum(p, 0.97))
        on = np.where(p <= 0.0, False, np.where(was, u >= leave, (p >= 0.97) | (u < ratio * leave)))
        on &= act_on
        # A broken streaming app: the spell someone would begin is a failed try (rhythms.FAILED_TRY), over at once.
        tried = on & broken
        on &= ~broken
        self.spells = np.where(act_on, on, was)
        # Every interval a spell is on carries the whole interval (see traffic.app_usage: totals independent of dt).
        share = dt
        noise = np.exp(draws.normal(lay.act_keys, P_NOISE, _RATE_NOISE_SIGMA))
        w = np.where(on, share * noise, 0.0)
        down = np.bincount(lay.act_slot, weights=lay.act_down * w, minlength=L)
        up = np.bincount(lay.act_slot, weights=lay.act_up * w, minlength=L)
        minutes = np.bincount(lay.act_slot, weights=np.where(on, share / 60.0, 0.0), minlength=L)
        tries = np.zeros(L)
        if tried.any():
            rows = np.flatnonzero(tried & (draws.uniform(lay.act_keys, P_TRY) < FAILED_TRY.chance))
            keys = lay.act_keys[rows]
            span = FAILED_TRY.max_flows - FAILED_TRY.min_flows + 1
            flows = FAILED_TRY.min_flows + draws.small(keys, P_TRY_FLOWS, span)
            slots = lay.act_slot[rows]
            np.add.at(tries, slots, flows)
            size_down = FAILED_TRY.down_bytes_per_flow * (0.6 + 0.8 * draws.uniform(keys, P_TRY_DOWN))
            size_up = FAILED_TRY.up_bytes_per_flow * (0.6 + 0.8 * draws.uniform(keys, P_TRY_UP))
            np.add.at(down, slots, flows * size_down)
            np.add.at(up, slots, flows * size_up)
        # Standby: bursty trickles, present in a sample with a chance that grows with its length.
        sd = lay.sb_dev
        sdt = dt_dev[sd]
        present = 1.0 - (1.0 - lay.sb_chance) ** (sdt / 60.0)
        talks = active[sd] & ((present >= 1.0) | (draws.uniform(lay.sb_keys, P_SB_TALK) < present))
        size = np.where(talks, sdt * (0.4 + 1.2 * draws.uniform(lay.sb_keys, P_SB_SIZE)) / present, 0.0)
        down += np.bincount(lay.sb_slot, weights=lay.sb_down * size, minlength=L)
        up += np.bincount(lay.sb_slot, weights=lay.sb_up * size, minlength=L)
        return down, up, minutes, tries


def lt_band(code: int) -> str:
    """Band name of a band code."""
    return ("2.4", "5", "6")[code]

