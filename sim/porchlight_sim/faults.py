"""Fault planning: pick the homes, times and strengths of every trouble a scenario asks for.

``plan_faults`` is pure (fleet + scenario + seed -> faults). Each ``Fault`` pairs the ground-truth record
written for scoring with the parameters the home simulator applies; ``effects_for`` gives one home the
effects that touch it.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import gateways
from .fleet import Device, Fleet, Home
from .ground_truth import GroundTruth
from .randomness import stream
from .rhythms import DAY, HOUR, day_start
from .scenarios import Scenario
from .wifi_physics import distance_for_signal

MINUTE = 60
_FIXED_CLASSES = ("tv", "streamer", "console", "desktop", "speaker", "laptop")


@dataclass(frozen=True, slots=True)
class Effect:
    """What one fault does to one home between ``start_ts`` and ``end_ts``."""

    kind: str
    start_ts: int
    end_ts: int
    params: Mapping[str, Any]

    def active(self, ts: int) -> bool:
        """In force at ``ts``."""
        return self.start_ts <= ts < self.end_ts


@dataclass(frozen=True, slots=True)
class Fault:
    """An injected trouble: its ground truth, its parameters, and per-home start times (rollouts)."""

    truth: GroundTruth
    params: Mapping[str, Any] = field(default_factory=dict)
    home_starts: Mapping[str, int] = field(default_factory=dict)


@dataclass
class _Planner:
    fleet: Fleet
    scenario: Scenario
    rng: random.Random
    focus_start: int
    faults: list[Fault] = field(default_factory=list)
    used: set[str] = field(default_factory=set)
    serial: int = 0

    @property
    def start(self) -> int:
        return self.fleet.spec.start_ts

    @property
    def end(self) -> int:
        return self.fleet.spec.end_ts

    def next_id(self) -> str:
        self.serial += 1
        return f"f{self.serial:04d}"

    def add(self, fault: Fault) -> None:
        self.faults.append(fault)

    def when(self, min_duration: int) -> int:
        """A start minute in the focus window that leaves ``min_duration`` before the end when it can."""
        latest = max(self.focus_start, self.end - min_duration)
        ts = int(self.rng.uniform(self.focus_start, latest)) if latest > self.focus_start else self.focus_start
        return ts - ts % MINUTE

    def pick_homes(self, count: int, fits: Callable[[Home], bool]) -> list[Home]:
        """Up to ``count`` homes not used by another home-level fault, for which ``fits`` holds."""
        candidates = [h for h in self.fleet.homes if h.home_id not in self.used and fits(h)]
        self.rng.shuffle(candidates)
        chosen = candidates[:count]
        self.used.update(h.home_id for h in chosen)
        return chosen

    def count(self, share: float) -> int:
        return max(1, round(share * len(self.fleet.homes))) if share > 0 else 0


def plan_faults(fleet: Fleet, scenario: Scenario, seed: int, focus_start_ts: int | None = None) -> list[Fault]:
    """Every fault (and benign change) of a scenario on a fleet; the same inputs give the same plan.

    Faults start inside the focus window ``[focus_start_ts, end)`` (by default the last three quarters of
    the run), except chronic ones (some poor coverage) and slow ones (silent churn, holidays).
    """
    spec = fleet.spec
    focus = focus_start_ts if focus_start_ts is not None else spec.start_ts + (spec.end_ts - spec.start_ts) // 4
    planner = _Planner(fleet, scenario, stream("faults", seed, scenario.name), max(spec.start_ts, focus))
    m = scenario.magnitude
    shares = scenario.home_shares
    net = scenario.network
    for _ in range(net.get("access_network_node", 0)):
        _access_network(planner, m, scope="node")
    for _ in range(net.get("access_network_area", 0)):
        _access_network(planner, m, scope="area")
    for _ in range(net.get("region_congestion", 0)):
        _region_congestion(planner, m)
    models = list(gateways.MODELS)
    planner.rng.shuffle(models)
    releases = iter(gateways.NEW_RELEASES)
    model_iter = iter(models)
    for kind in ("firmware_wifi_drops", "firmware_latency", "firmware_rollout"):
        for _ in range(net.get(kind, 0)):
            model = next(model_iter, None)
            release = next(releases, None)
            if model is not None and release is not None:
                _firmware(planner, kind, model, release, m)
    for _ in range(net.get("wifi_interference", 0)):
        _interference(planner, m)
    _poor_coverage(planner, planner.count(shares.get("wifi_poor_coverage", 0)), m)
    _spambot(planner, planner.count(shares.get("spambot", 0)), m)
    _streaming_silent(planner, planner.count(shares.get("streaming_silent", 0)))
    _silent_churn(planner, planner.count(shares.get("silent_churn", 0)), m)
    _reboot_loop(planner, planner.count(shares.get("reboot_loop", 0)), m)
    _away(planner, planner.count(shares.get("away", 0)))
    _new_devices(planner)
    return planner.faults


def ground_truth(faults: Iterable[Fault]) -> list[GroundTruth]:
    """The ground-truth records of a plan, ordered by start time then id."""
    return sorted((f.truth for f in faults), key=lambda t: (t.start_ts, t.fault_id))


def effects_for(home_id: str, faults: Iterable[Fault]) -> list[Effect]:
    """The effects that touch one home, in start order."""
    found: list[Effect] = []
    for fault in faults:
        truth = fault.truth
        if home_id not in truth.home_ids:
            continue
        start = fault.home_starts.get(home_id, truth.start_ts)
        params = dict(fault.params)
        for key in ("mac", "app", "band", "channel", "firmware", "model"):
            value = getattr(truth, key)
            if value is not None:
                params.setdefault(key, value)
        found.append(Effect(truth.kind, start, truth.end_ts, params))
    found.sort(key=lambda e: (e.start_ts, e.kind))
    return found


def effects_by_home(faults: Iterable[Fault]) -> dict[str, list[Effect]]:
    """Effects of every touched home (homes with none are absent)."""
    faults = list(faults)
    touched = sorted({h for f in faults for h in f.truth.home_ids})
    return {h: effects_for(h, faults) for h in touched}


# ---- one planner per kind --------------------------------------------------------------------------------

def _scaled(rng: random.Random, low: float, high: float, m: float) -> float:
    return round(rng.uniform(low, high) * m, 2)


def _access_network(p: _Planner, m: float, scope: str) -> None:
    rng = p.rng
    duration = int(rng.uniform(1, 8) * HOUR) if scope == "node" else int(rng.uniform(0.5, 3) * HOUR)
    t0 = p.when(duration)
    t0 += rng.randrange(0, MINUTE)  # "starting at a given minute": not on any report boundary
    t0 -= t0 % MINUTE
    end = min(p.end, t0 + duration)
    taken_areas = {f.truth.area for f in p.faults if f.truth.kind == "access_network"}
    # Real nodes hold dozens of homes; a small simulated fleet spreads thin, so the fault goes to one of the
    # best-populated places (at least 3 homes), where an incident is visible at all.
    groups: dict[str, list[Home]] = {}
    for home in p.fleet.homes:
        if home.installed_ts < end and home.area not in taken_areas:
            groups.setdefault(home.node if scope == "node" else home.area, []).append(home)
    ranked = sorted((g for g in groups.items() if len(g[1]) >= 3), key=lambda g: (-len(g[1]), g[0]))
    if not ranked:
        return
    place, homes = rng.choice(ranked[: max(1, len(ranked) // 4)])
    region, area = homes[0].region, homes[0].area
    node = place if scope == "node" else None
    strength = 1.0 if scope == "node" else 0.7
    truth = GroundTruth(
        fault_id=p.next_id(), kind="access_network", start_ts=t0, end_ts=end,
        home_ids=tuple(h.home_id for h in sorted(homes, key=lambda h: h.index)), region=region, area=area,
        node=node,
        detail=f"{scope} fault: latency and loss for every home behind the {scope}",
    )
    params = {"rtt_add_ms": _scaled(rng, 25, 80, m * strength), "jitter_add_ms": _scaled(rng, 5, 20, m * strength),
              "loss_pct": _scaled(rng, 2.0, 10.0, m * strength), "first_hop": True}
    p.add(Fault(truth, params))


def _evenings(p: _Planner) -> list[tuple[int, int]]:
    windows: list[tuple[int, int]] = []
    for low in (p.focus_start, p.start):
        day = day_start(low)
        while day < p.end:
            s = day + 19 * HOUR + p.rng.randrange(-30, 31) * MINUTE
            e = day + 23 * HOUR + p.rng.randrange(-30, 31) * MINUTE
            s, e = max(s, low), min(e, p.end)
            if e - s >= HOUR:
                windows.append((s, e))
            day += DAY
        if windows:
            break
    return windows


def _region_congestion(p: _Planner, m: float) -> None:
    rng = p.rng
    regions = sorted({r for r, _, _ in p.fleet.nodes.values()})
    region = rng.choice(regions)
    homes = tuple(h.home_id for h in p.fleet.homes_behind(region=region))
    params = {"rtt_add_ms": _scaled(rng, 15, 45, m), "jitter_add_ms": _scaled(rng, 3, 10, m),
              "loss_pct": _scaled(rng, 0.5, 2.5, m), "first_hop": False, "shape": "bell"}
    fault_id = p.next_id()
    for s, e in _evenings(p):
        truth = GroundTruth(fault_id=fault_id, kind="region_congestion", start_ts=s, end_ts=e, home_ids=homes,
                            region=region, detail="evening congestion beyond the first hop, worst mid-evening")
        p.add(Fault(truth, params))


def _firmware(p: _Planner, kind: str, model: gateways.GatewayModel, release: str, m: float) -> None:
    rng = p.rng
    night = day_start(p.focus_start) + 2 * HOUR
    if night < p.focus_start:
        night += DAY
    if night >= p.end - 2 * HOUR:
        night = p.focus_start
    share = {"firmware_wifi_drops": 0.02, "firmware_latency": 0.015, "firmware_rollout": 0.03}[kind]
    pool = [h for h in p.fleet.homes if h.model == model.name and h.installed_ts < night]
    want = min(max(3, round(share * len(p.fleet.homes))), int(0.6 * len(pool)))
    if want <= 0:
        return
    rng.shuffle(pool)
    chosen = sorted(pool[:want], key=lambda h: h.index)
    starts = {h.home_id: night + rng.randrange(0, 2 * HOUR) for h in chosen}
    if kind == "firmware_wifi_drops":
        params: dict[str, Any] = {"drops_per_hour": _scaled(rng, 1.5, 4.0, m)}
        detail = "new firmware drops Wi-Fi clients (disconnect/connect), staggered rollout over 2 h"
    elif kind == "firmware_latency":
        params = {"rtt_add_ms": _scaled(rng, 15, 40, m), "jitter_add_ms": _scaled(rng, 4, 12, m),
                  "cpu_add_pct": _scaled(rng, 30, 50, m)}
        detail = "new firmware adds latency and jitter to every probe and loads the CPU"
    else:
        params = {}
        detail = "good firmware rollout: each home reboots once"
    truth = GroundTruth(fault_id=p.next_id(), kind=kind, start_ts=night, end_ts=p.end,
                        home_ids=tuple(h.home_id for h in chosen), benign=kind == "firmware_rollout",
                        model=model.name, firmware=release, detail=detail)
    p.add(Fault(truth, {**params, "release": release}, starts))


def _interference(p: _Planner, m: float) -> None:
    rng = p.rng
    band = "2.4" if rng.random() < 0.6 else "5"
    duration = int(rng.uniform(4, 72) * HOUR)
    t0 = p.when(min(duration, 4 * HOUR))
    first = p.pick_homes(1, lambda h: h.radio(band) is not None and h.installed_ts < t0)
    if not first:
        return
    home = first[0]
    radio = home.radio(band)
    assert radio is not None
    neighbours = p.pick_homes(rng.randrange(0, 3), lambda h: h.node == home.node and h.dwelling == "apartment"
                              and home.dwelling == "apartment" and h.installed_ts < t0
                              and (r := h.radio(band)) is not None and r.channel == radio.channel)
    homes = [home, *neighbours]
    truth = GroundTruth(fault_id=p.next_id(), kind="wifi_interference", start_ts=t0,
                        end_ts=min(p.end, t0 + duration), home_ids=tuple(h.home_id for h in homes),
                        region=home.region, area=home.area, node=home.node, band=band, channel=radio.channel,
                        detail="a neighbour's network floods the channel")
    p.add(Fault(truth, {"busy_add_pct": _scaled(rng, 30, 60, m), "noise_add_db": _scaled(rng, 3, 9, m),
                        "interference": _scaled(rng, 0.25, 0.5, m)}))


def _device_of(home: Home, classes: tuple[str, ...], wifi_only: bool = False) -> Device | None:
    for cls in classes:
        for d in home.devices:
            if d.device_class == cls and d.joined_ts is None and not (wifi_only and d.wired):
                return d
    return None


def _poor_coverage(p: _Planner, count: int, m: float) -> None:
    rng = p.rng
    for home in p.pick_homes(count, lambda h: h.installed_ts < p.focus_start
                             and _device_of(h, _FIXED_CLASSES, wifi_only=True) is not None):
        device = _device_of(home, _FIXED_CLASSES, wifi_only=True)
        assert device is not None
        chronic = rng.random() < 0.4
        t0 = p.start if chronic else p.when(6 * HOUR)
        target = -rng.uniform(79, 86) if m >= 1 else -rng.uniform(72, 77)
        walls = device.walls + 2
        distance = round(distance_for_signal(device.tx_power_dbm, "2.4", target, walls), 1)
        truth = GroundTruth(fault_id=p.next_id(), kind="wifi_poor_coverage", start_ts=t0, end_ts=p.end,
                            home_ids=(home.home_id,), mac=device.mac, band="2.4",
                            detail=f"{device.device_class} moved to a far room (~{round(target)} dBm on 2.4 GHz)"
                            if not chronic else f"{device.device_class} in a far room from the start "
                            f"(~{round(target)} dBm on 2.4 GHz)")
        p.add(Fault(truth, {"distance_m": distance, "walls": walls, "to_band": "2.4"}))


def _spambot(p: _Planner, count: int, m: float) -> None:
    rng = p.rng
    for home in p.pick_homes(count, lambda h: h.installed_ts < p.focus_start
                             and _device_of(h, ("desktop", "laptop")) is not None):
        device = _device_of(home, ("desktop", "laptop"))
        assert device is not None
        t0 = p.when(6 * HOUR)
        end = p.end if rng.random() < 0.7 else min(p.end, t0 + int(rng.uniform(1, 4) * DAY))
        flows = _scaled(rng, 150, 600, m)
        truth = GroundTruth(fault_id=p.next_id(), kind="spambot", start_ts=t0, end_ts=end,
                            home_ids=(home.home_id,), mac=device.mac, app="smtp",
                            detail=f"{device.device_class} sends spam: ~{round(flows)} SMTP flows/min")
        p.add(Fault(truth, {"flows_per_min": flows, "dests_per_min": _scaled(rng, 60, 300, m),
                            "bytes_per_flow": round(rng.uniform(3000, 12000))}))


def _streaming_silent(p: _Planner, count: int) -> None:
    rng = p.rng
    for home in p.pick_homes(count, lambda h: h.installed_ts < p.focus_start
                             and _device_of(h, ("streamer", "tv")) is not None):
        device = _device_of(home, ("streamer", "tv"))
        assert device is not None
        t0 = p.when(DAY)
        variant = "gone" if rng.random() < 0.5 else "idle"
        truth = GroundTruth(fault_id=p.next_id(), kind="streaming_silent", start_ts=t0, end_ts=p.end,
                            home_ids=(home.home_id,), mac=device.mac, app="netflix",
                            detail=f"{device.device_class} stops streaming ("
                            + ("left the network" if variant == "gone" else "stays connected, no streams") + ")")
        p.add(Fault(truth, {"variant": variant}))


def _silent_churn(p: _Planner, count: int, m: float) -> None:
    rng = p.rng
    for home in p.pick_homes(count, lambda h: h.installed_ts < p.start):
        t0 = max(p.start + min(DAY, (p.end - p.start) // 4), p.end - int(rng.uniform(5, 10) * DAY))
        t0 -= t0 % MINUTE
        floor = round(1.0 - (1.0 - rng.uniform(0.03, 0.12)) * m, 3)
        truth = GroundTruth(fault_id=p.next_id(), kind="silent_churn", start_ts=t0, end_ts=p.end,
                            home_ids=(home.home_id,), detail=f"usage fades to ~{round(floor * 100)}% and devices "
                            "leave one by one")
        p.add(Fault(truth, {"floor": floor}))


def _reboot_loop(p: _Planner, count: int, m: float) -> None:
    rng = p.rng
    for home in p.pick_homes(count, lambda h: h.installed_ts < p.focus_start):
        duration = int(rng.uniform(2, 18) * HOUR)
        t0 = p.when(2 * HOUR)
        interval = rng.uniform(8, 40) / m
        truth = GroundTruth(fault_id=p.next_id(), kind="reboot_loop", start_ts=t0,
                            end_ts=min(p.end, t0 + duration), home_ids=(home.home_id,),
                            detail=f"gateway reboots every ~{round(interval)} min")
        p.add(Fault(truth, {"interval_min": round(interval, 1), "down_s": rng.randrange(80, 180)}))


def _away(p: _Planner, count: int) -> None:
    rng = p.rng
    for home in p.pick_homes(count, lambda h: h.installed_ts < p.start):
        if rng.random() < 0.65 or p.end - p.start < 5 * DAY:
            day = day_start(p.when(DAY))
            s, e = max(p.start, day + 8 * HOUR), min(p.end, day + 22 * HOUR)
            detail = "a day out: the household is away from morning to evening"
        else:
            length = int(rng.uniform(4, 9) * DAY)
            s = day_start(int(rng.uniform(p.start + DAY, max(p.start + DAY, p.end - 3 * DAY)))) + 9 * HOUR
            e = min(p.end, s + length)
            detail = f"a holiday: away for {round((e - s) / DAY, 1)} days"
        if e - s < HOUR:
            continue
        p.add(Fault(GroundTruth(fault_id=p.next_id(), kind="away", start_ts=s, end_ts=e, benign=True,
                                home_ids=(home.home_id,), detail=detail)))


def _new_devices(p: _Planner) -> None:
    for home in p.fleet.homes:
        for device in home.devices:
            if device.joined_ts is not None:
                p.add(Fault(GroundTruth(
                    fault_id=p.next_id(), kind="new_device", start_ts=device.joined_ts, end_ts=p.end, benign=True,
                    home_ids=(home.home_id,), mac=device.mac,
                    detail=f"a new {device.device_class} joins the home network")))


def summary(faults: Iterable[Fault], homes: int) -> list[str]:
    """One line per kind: records, homes touched and their share of the fleet."""
    by_kind: dict[str, set[str]] = {}
    records: dict[str, int] = {}
    for fault in faults:
        by_kind.setdefault(fault.truth.kind, set()).update(fault.truth.home_ids)
        records[fault.truth.kind] = records.get(fault.truth.kind, 0) + 1
    lines = []
    for kind in sorted(by_kind):
        touched = len(by_kind[kind])
        lines.append(f"{kind}: {records[kind]} records, {touched} homes ({100.0 * touched / max(homes, 1):.1f}%)")
    return lines
