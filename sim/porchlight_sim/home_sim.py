"""One home over time: its gateway's boots and reports, its people's days, its devices, and its faults.

``HomeSimulator.next_report()`` returns the home's next wire report (a dict ready for the Encoder), in time
order, until the run ends. State lives here; the numbers come from traffic.py, stations.py, probes.py and
health.py. Every random draw comes from the home's own streams, so a home's reports do not depend on the
other homes or on how the fleet is split across processes.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from . import aggregate
from .apps import STREAMING_APPS
from .cadence import Cadence
from .columnar import columnar_report
from .faults import Effect
from .fleet import Home
from .gateways import MODELS_BY_NAME
from .health import health_record
from .probes import CLEAR, PathState, probe_records
from .randomness import hex_token, stream
from .rhythms import DAY, DayPlan, day_start, plan_day
from .stations import radio_loads, radio_record, station_record
from .traffic import DeviceState, Moment, Totals, app_records, app_usage, spam_record, wants_connection

try:
    from porchlight_agent import __version__ as AGENT_VERSION
except ImportError:  # pragma: no cover - the simulator can run without the agent installed
    AGENT_VERSION = "0.1.0"

#: The agent forgets a device not seen for this long (InventoryCollector forget_after_s).
INVENTORY_RETENTION_S = 30 * DAY
_RANDOM_REBOOT_MEAN_S = 45 * DAY
#: A full inventory at least this often (and in the first report after the agent starts); in between, only
#: the devices that appeared or changed.
FULL_INVENTORY_EVERY_S = 3600
#: Record order per section, entity first, as the agent's report builder sorts them (runs of equal ids
#: compress well).
_ORDER = {
    "radios": itemgetter("radio"), "stations": itemgetter("radio", "mac"), "apps": itemgetter("mac", "app"),
    "probes": itemgetter("kind", "target"), "events": itemgetter("ts"), "devices": itemgetter("mac"),
}
_AGGREGATE = {"radios": aggregate.radios, "stations": aggregate.stations, "apps": aggregate.apps,
              "probes": aggregate.probes, "health": aggregate.health}


@dataclass(frozen=True, slots=True)
class Reboot:
    """A gateway restart: when it went down, how long until the agent runs again, and why."""

    ts: int
    down_s: int
    reason: str
    firmware: str | None = None


class HomeSimulator:
    """Produces one home's reports, one at a time, in time order."""

    def __init__(self, home: Home, effects: list[Effect], cadence: Cadence, seed: int) -> None:
        self.home = home
        self.model = MODELS_BY_NAME[home.model]
        self.effects = effects
        self.cadence = cadence
        self.seed = seed
        self.rng = stream("home", seed, home.home_id)
        self.states = [DeviceState.of(d, home.household.office_app) for d in home.devices]
        self.end_ts = cadence.end_ts
        self.cursor = max(cadence.start_ts, home.installed_ts)
        self.firmware = home.firmware
        self.mem_base_pct = 28.0 + 14.0 * self.rng.random()
        if home.installed_ts >= cadence.start_ts:
            self.boot_ts = home.installed_ts - 45
        else:
            back = int(self.rng.uniform(3_600, 40 * DAY))
            self.boot_ts = max(home.installed_ts, cadence.start_ts - back)
        self.boot_id = hex_token(self.rng, 16)
        self.seq = 0
        self.events: list[dict[str, Any]] = []
        if home.installed_ts >= cadence.start_ts:
            self.events.append({"ts": self.cursor, "kind": "agent_start", "mac": None, "detail": "first start"})
        self.reboots = self._plan_reboots()
        self.last_sample_ts: int | None = None
        self._day = -1
        self._plans: list[DayPlan] = []
        self._day_usage = 1.0
        self.reports_sent = 0
        self._last_full: int | None = None
        self._reported: dict[str, tuple[Any, ...]] = {}

    # ---- schedule --------------------------------------------------------------------------------------

    def _plan_reboots(self) -> list[Reboot]:
        rng = stream("reboots", self.seed, self.home.home_id)
        found: list[Reboot] = []
        t = float(self.cursor)
        while True:
            t += rng.expovariate(1.0 / _RANDOM_REBOOT_MEAN_S)
            if t >= self.end_ts:
                break
            found.append(Reboot(int(t), rng.randrange(60, 150), "power cycle"))
        for e in self.effects:
            if e.kind == "reboot_loop":
                down = int(e.params["down_s"])
                mean = float(e.params["interval_min"]) * 60.0
                t = float(e.start_ts)
                while t < e.end_ts:
                    found.append(Reboot(int(t), down, "watchdog reset"))
                    t += max(down + 120.0, rng.expovariate(1.0 / mean))
            elif e.kind in ("firmware_wifi_drops", "firmware_latency", "firmware_rollout"):
                found.append(Reboot(e.start_ts, rng.randrange(150, 240), "firmware upgrade", str(e.params["release"])))
        found.sort(key=lambda r: r.ts)
        kept: list[Reboot] = []
        up_again = self.cursor
        for r in found:
            if r.ts >= up_again and r.ts < self.end_ts:
                kept.append(r)
                up_again = r.ts + r.down_s
        return kept

    def _reboot(self, reboot: Reboot) -> None:
        agent_start = self.restart(reboot)
        rng = self.rng
        for s in self.states:
            if s.connected:
                s.connected_since = agent_start - rng.randrange(5, 40)

    def restart(self, reboot: Reboot) -> int:
        """Apply a reboot to the gateway's side (boot, agent, header, events); returns when the agent starts.
        The caller moves the devices' connections (the lockstep engine keeps them in arrays)."""
        rng = self.rng
        agent_start = reboot.ts + reboot.down_s
        self.boot_ts = reboot.ts + 20
        self.cursor = agent_start
        self.boot_id = hex_token(rng, 16)
        self.seq = 0
        self.last_sample_ts = None
        detail = reboot.reason
        if reboot.firmware is not None and reboot.firmware != self.firmware:
            detail = f"firmware upgrade {self.firmware} -> {reboot.firmware}"
            self.firmware = reboot.firmware
        # Whatever the agent held in memory for the interrupted report is lost with the reboot.
        self.events = [
            {"ts": agent_start, "kind": "reboot", "mac": None, "detail": detail},
            {"ts": agent_start, "kind": "agent_start", "mac": None, "detail": None},
        ]
        return agent_start

    def next_report(self) -> tuple[int, dict[str, Any]] | None:
        """The home's next report as (end_ts, report document), or None when the run is over."""
        while self.cursor < self.end_ts:
            phase = self.cadence.phase_at(self.cursor)
            report_s, sample_s = phase.report_s, phase.sample_s
            end = min((self.cursor // report_s + 1) * report_s, phase.end_ts, self.end_ts)
            if self.reboots and self.reboots[0].ts <= end:
                self._reboot(self.reboots.pop(0))
                continue
            first = (self.cursor // sample_s + 1) * sample_s
            if first > end:
                self.cursor = end
                continue
            samples: dict[str, list[dict[str, Any]]] = {
                "radios": [], "stations": [], "apps": [], "probes": [], "health": [], "events": self.events,
            }
            self.events = []
            for ts in range(first, end + 1, sample_s):
                self._sample(ts, sample_s, samples)
            sections = {key: summarise(samples[key]) for key, summarise in _AGGREGATE.items()}
            sections["events"] = samples["events"]
            full = self.seq == 0 or self._last_full is None or end - self._last_full >= FULL_INVENTORY_EVERY_S
            sections["devices"] = self._inventory_report(end, full)
            for key, order in _ORDER.items():
                sections[key].sort(key=order)
            doc = columnar_report(self.header(end, sample_s, full), sections)
            self.seq += 1
            self.cursor = end
            self.reports_sent += 1
            return end, doc
        return None

    def header(self, end: int, sample_s: int, full: bool) -> dict[str, Any]:
        """The header of the report from the cursor to ``end``."""
        return {
            "home_id": self.home.home_id, "gateway_id": self.home.gateway_id, "model": self.home.model,
            "firmware": self.firmware, "agent_version": AGENT_VERSION, "boot_id": self.boot_id,
            "seq": self.seq, "start_ts": self.cursor, "end_ts": end, "sample_interval_s": sample_s,
            "kind": "periodic", "queue_depth": 0, "dropped_reports": 0,
            "inventory": "full" if full else "changes",
        }

    # ---- driving the real agent (mode 1) ----------------------------------------------------------------

    def sample(self, ts: int, sample_s: int) -> dict[str, list[dict[str, Any]]]:
        """One sample's records, without cutting reports (mode 1 feeds them to the real agent)."""
        out: dict[str, list[dict[str, Any]]] = {
            "radios": [], "stations": [], "apps": [], "probes": [], "health": [], "events": []}
        self._sample(ts, sample_s, out)
        self.cursor = ts
        return out

    def inventory(self, ts: int) -> list[dict[str, Any]]:
        """The devices records as of ``ts`` (what the gateway's DHCP and neighbour tables know)."""
        return self._inventory(ts)

    def reboot_before(self, ts: int) -> Reboot | None:
        """The next planned reboot at or before ``ts``, taken off the plan and applied (None if none)."""
        if self.reboots and self.reboots[0].ts <= ts:
            reboot = self.reboots.pop(0)
            self._reboot(reboot)
            return reboot
        return None

    # ---- one sample ------------------------------------------------------------------------------------

    def _moment(self, ts: int, dt: float, away: bool, scale: float) -> Moment:
        day = day_start(ts)
        if day != self._day:
            rng = stream("day", self.seed, self.home.home_id, day)
            self._plans = [plan_day(p, day, rng) for p in self.home.household.people]
            self._day_usage = math.exp(rng.gauss(0.0, 0.2))
            self._day = day
        people = tuple((False, False) if away else (plan.home(ts), plan.awake(ts)) for plan in self._plans)
        return Moment(ts, dt, people, tuple(p.kind == "wfh" for p in self.home.household.people),
                      any(h and a for h, a in people), self.home.household.usage * self._day_usage)

    def _sample(self, ts: int, sample_s: int, out: dict[str, list[dict[str, Any]]]) -> None:
        rng = self.rng
        home = self.home
        dt = float(ts - self.last_sample_ts) if self.last_sample_ts is not None else float(
            min(sample_s, ts - self.cursor) or sample_s)
        self.last_sample_ts = ts
        # Active faults, folded into what this sample needs.
        away = False
        scale = 1.0
        churn_progress: float | None = None
        interference: dict[str, tuple[float, float, float]] = {}
        path = CLEAR
        cpu_add = 0.0
        drops_per_hour = 0.0
        spam: dict[str, dict[str, Any]] = {}
        silenced: dict[str, frozenset[str]] = {}
        gone: set[str] = set()
        moved: dict[str, Effect] = {}
        for e in self.effects:
            if not e.start_ts < ts <= e.end_ts:  # the sample stamped ts describes (ts - dt, ts]
                continue
            kind = e.kind
            params = e.params
            if kind == "away":
                away = True
            elif kind == "silent_churn":
                churn_progress = (ts - e.start_ts) / max(1, e.end_ts - e.start_ts)
                floor = float(params["floor"])
                scale *= 1.0 - (1.0 - floor) * churn_progress
            elif kind == "wifi_interference":
                interference[str(params["band"])] = (float(params["busy_add_pct"]), float(params["noise_add_db"]),
                                                     float(params["interference"]))
            elif kind in ("access_network", "region_congestion", "firmware_latency"):
                path = _add_path(path, e, ts)
                cpu_add += float(params.get("cpu_add_pct", 0.0))
            elif kind == "firmware_wifi_drops":
                drops_per_hour = float(params["drops_per_hour"])
            elif kind == "spambot":
                spam[str(params["mac"])] = dict(params)
            elif kind == "streaming_silent":
                if params["variant"] == "gone":
                    gone.add(str(params["mac"]))
                else:
                    silenced[str(params["mac"])] = STREAMING_APPS
            elif kind == "wifi_poor_coverage":
                moved[str(params["mac"])] = e
        moment = self._moment(ts, dt, away, scale)
        events = out["events"]
        usages: list[tuple[DeviceState, dict[str, list[float]]]] = []
        for state in self.states:
            device = state.device
            mac = device.mac
            if mac in gone or (churn_progress is not None and self._churned(state, churn_progress)):
                state.gone = True
            if mac in moved and state.distance_m != moved[mac].params["distance_m"]:
                params = moved[mac].params
                state.distance_m = float(params["distance_m"])
                state.walls = int(params["walls"])
                if state.connected and state.band != params["to_band"]:
                    events.append({"ts": _within(ts, dt, rng), "kind": "roam", "mac": mac,
                                   "detail": f"{state.band} -> {params['to_band']} GHz"})
                state.band = str(params["to_band"])
            want = wants_connection(state, moment) or (mac in spam and not state.gone)
            if want and not state.connected:
                state.connected = True
                state.connected_since = _within(ts, dt, rng)
                if not device.wired:
                    events.append({"ts": state.connected_since, "kind": "connect", "mac": mac, "detail": None})
            elif not want and state.connected:
                state.connected = False
                if not device.wired:
                    events.append({"ts": _within(ts, dt, rng), "kind": "disconnect", "mac": mac,
                                   "detail": None})
            if not state.connected:
                continue
            if drops_per_hour and not device.wired and rng.random() < 1.0 - math.exp(-drops_per_hour * dt / 3600):
                down_at = _within(ts, dt, rng)
                back_at = min(ts, down_at + rng.randrange(3, 40))
                events.append({"ts": down_at, "kind": "disconnect", "mac": mac, "detail": "deauth reason 4"})
                events.append({"ts": back_at, "kind": "connect", "mac": mac, "detail": None})
                state.connected_since = back_at
            if state.first_seen is None:
                # Devices of a home that was there before the run were first seen when the agent started.
                fresh = device.joined_ts is not None or home.installed_ts >= self.cadence.start_ts
                state.first_seen = state.connected_since if fresh else home.installed_ts
            state.last_seen = ts
            usages.append((state, app_usage(state, moment, rng, scale, silenced.get(mac, frozenset()))))
        # The line caps what the home can pull: scale everyone down when demand exceeds the plan.
        total_down = sum(u[0] for _, usage in usages for u in usage.values())
        total_up = sum(u[1] for _, usage in usages for u in usage.values())
        cap_down = home.plan.down_mbps * 125_000.0 * dt
        cap_up = home.plan.up_mbps * 125_000.0 * dt
        squeeze_down = min(1.0, 0.95 * cap_down / total_down) if total_down else 1.0
        squeeze_up = min(1.0, 0.95 * cap_up / total_up) if total_up else 1.0
        loads = radio_loads(home, ts, interference, rng)
        stations, apps = out["stations"], out["apps"]
        flows = 0
        wan_rx = wan_tx = 0
        records_before = len(apps) + len(stations)
        for state, usage in usages:
            mac = state.device.mac
            if squeeze_down < 1.0 or squeeze_up < 1.0:
                for entry in usage.values():
                    entry[0] *= squeeze_down
                    entry[1] *= squeeze_up
            totals = Totals()
            if mac in spam:
                spam_rec = spam_record(ts, mac, dt, spam[mac], rng, usage.pop("smtp", None))
                app_records(ts, mac, usage, dt, rng, apps, totals)
                apps.append(spam_rec)
                totals.add(spam_rec)
            else:
                app_records(ts, mac, usage, dt, rng, apps, totals)
            down, up, pk_down, pk_up = totals.bytes_down, totals.bytes_up, totals.packets_down, totals.packets_up
            flows += totals.flows
            wan_rx += down
            wan_tx += up
            if not state.device.wired:
                load = loads.get(state.band)
                if load is None:  # the model has no radio on the device's band: fall back to 2.4 GHz
                    state.band = "2.4"
                    load = loads["2.4"]
                active = any(u[2] > 0 for u in usage.values())
                stations.append(station_record(ts, state, load, self.model.standard, down, up, pk_down, pk_up,
                                               active, dt, rng))
        for load in loads.values():
            out["radios"].append(radio_record(ts, load, dt, rng))
        line_load = max(wan_rx / cap_down if cap_down else 0.0, wan_tx / cap_up if cap_up else 0.0)
        out["probes"].extend(probe_records(ts, home, path, line_load, rng))
        throughput = (wan_rx + wan_tx) * 8.0 / dt / 1e6
        n_records = len(apps) + len(stations) - records_before
        out["health"].append(health_record(ts, self.model, self.boot_ts, self.mem_base_pct, throughput, wan_rx,
                                           wan_tx, flows, cpu_add, n_records, dt, rng))

    def _churned(self, state: DeviceState, progress: float) -> bool:
        """Whether a device has left a fading household (a few machines stay to the end)."""
        if state.churn_leave_at is None:
            rng = stream("churn", self.seed, state.device.mac)
            stays = state.device.device_class in ("iot", "camera") and rng.random() < 0.7
            state.churn_leave_at = 2.0 if stays else 0.15 + 0.8 * rng.random()
        return progress >= state.churn_leave_at

    def _inventory_report(self, end: int, full: bool) -> list[dict[str, Any]]:
        """Every device (full), or those that appeared or changed address, name, class or connection."""
        records = self._inventory(end)
        if full:
            self._last_full = end
            self._reported = {r["mac"]: _identity(r) for r in records}
            return records
        changed = [r for r in records if self._reported.get(r["mac"]) != _identity(r)]
        for r in changed:
            self._reported[r["mac"]] = _identity(r)
        return changed

    def _inventory(self, end: int) -> list[dict[str, Any]]:
        records = []
        for s in self.states:
            if s.first_seen is None or s.last_seen is None or s.last_seen < end - INVENTORY_RETENTION_S:
                continue
            d = s.device
            records.append({
                "mac": d.mac, "ips": [d.ipv4] if d.ipv6 is None else [d.ipv4, d.ipv6], "hostname": d.hostname,
                "vendor": d.vendor, "device_class": d.reported_class, "class_confidence": d.class_confidence,
                "connection": "wired" if d.wired else s.band, "first_seen": s.first_seen, "last_seen": s.last_seen,
            })
        return records


def _identity(device: dict[str, Any]) -> tuple[Any, ...]:
    """What makes a device record 'changed' for an inventory of changes."""
    return (tuple(device["ips"] or ()), device["hostname"], device["device_class"], device["connection"])


def _within(ts: int, dt: float, rng: random.Random) -> int:
    """A whole second in the sample interval that ends at ``ts``."""
    return ts - int(rng.random() * dt)


def _add_path(path: PathState, effect: Effect, ts: int) -> PathState:
    params = effect.params
    weight = 1.0
    if params.get("shape") == "bell":
        weight = math.sin(math.pi * (ts - effect.start_ts) / max(1, effect.end_ts - effect.start_ts)) ** 0.7
    rtt = float(params.get("rtt_add_ms", 0.0)) * weight
    jitter = float(params.get("jitter_add_ms", 0.0)) * weight
    loss = float(params.get("loss_pct", 0.0)) / 100.0 * weight
    if params.get("first_hop", True):
        return PathState(path.access_rtt_ms + rtt, path.access_jitter_ms + jitter, path.access_loss + loss,
                         path.core_rtt_ms, path.core_jitter_ms, path.core_loss)
    return PathState(path.access_rtt_ms, path.access_jitter_ms, path.access_loss, path.core_rtt_ms + rtt,
                     path.core_jitter_ms + jitter, path.core_loss + loss)


def simulate_home(home: Home, effects: list[Effect], cadence: Cadence, seed: int) -> list[tuple[int, dict[str, Any]]]:
    """Every report of one home (for tests and small runs)."""
    sim = HomeSimulator(home, effects, cadence, seed)
    reports = []
    while (item := sim.next_report()) is not None:
        reports.append(item)
    return reports

