"""Who is home, which devices are on, and what each device sends and receives in one sample interval.

``DeviceState`` is the mutable side of a ``fleet.Device``: whether it is connected, since when, and which
of its activities are in a spell. ``app_usage`` turns the active spells and the standby trickle into
per-application byte counts; ``app_records`` turns those into the wire's ``apps`` records with packets,
flows, new flows and distinct destinations.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

from .apps import APPS
from .fleet import Device
from .randomness import NORMAL, NORMAL_BITS
from .rhythms import FAILED_TRY, PROFILES, STANDBY, Activity, propensity

KBPS_TO_BYTES_PER_S = 125.0
#: Log-normal noise (sigma 0.3) on a spell's rate, as a table.
_RATE_NOISE = tuple(math.exp(0.3 * z) for z in NORMAL)


@dataclass(slots=True)
class DeviceState:
    """A device's changing state during the run."""

    device: Device
    activities: tuple[Activity, ...]
    spells: list[bool]
    connected: bool = False
    connected_since: int = 0
    band: str = ""
    distance_m: float = 0.0
    walls: int = 0
    first_seen: int | None = None
    last_seen: int | None = None
    #: Link cache: (band, distance, walls) -> (mean signal dBm, fading sigma, standard, width, streams).
    signal_cache: dict[tuple[str, float, int], tuple[float, float, str, int, int]] = field(default_factory=dict)
    #: Set when the device has left for good (streaming box dead, household churned).
    gone: bool = False
    #: Fraction of the silent-churn fade after which this device leaves (None: it stays).
    churn_leave_at: float | None = None

    @classmethod
    def of(cls, device: Device, office_app: str) -> DeviceState:
        """Fresh state for a device; the office video app follows the household's choice."""
        acts = tuple(
            Activity(office_app, a.curve, a.weight, a.down_kbps, a.up_kbps, a.session_s, a.needs, a.wfh_only)
            if a.wfh_only else a
            for a in PROFILES[device.device_class]
        )
        return cls(device, acts, [False] * len(acts), band=device.band, distance_m=device.distance_m,
                   walls=device.walls)


@dataclass(frozen=True, slots=True)
class Moment:
    """What the household is doing at one sample time (computed once per sample, shared by devices)."""

    ts: int
    dt: float
    #: Per person: (home, awake).
    people: tuple[tuple[bool, bool], ...]
    wfh_kinds: tuple[bool, ...]
    anyone_awake_home: bool
    usage: float


def wants_connection(state: DeviceState, moment: Moment) -> bool:
    """Whether the device would be on the network now (before faults): mobiles follow their owner."""
    device = state.device
    if state.gone:
        return False
    if device.joined_ts is not None and moment.ts < device.joined_ts:
        return False
    cls = device.device_class
    owner = device.owner
    if cls in ("phone", "laptop", "tablet") and owner is not None:
        home, awake = moment.people[owner]
        if cls == "phone":
            return home
        return home and awake
    if cls in ("laptop", "tablet", "desktop"):
        return moment.anyone_awake_home
    return True


def _allowed(activity: Activity, device: Device, moment: Moment) -> bool:
    needs = activity.needs
    if needs == "none":
        return True
    owner = device.owner
    if activity.wfh_only:
        if owner is not None:
            home, awake = moment.people[owner]
            return home and awake and moment.wfh_kinds[owner]
        return any(h and a and w for (h, a), w in zip(moment.people, moment.wfh_kinds, strict=True))
    if needs == "owner" and owner is not None:
        home, awake = moment.people[owner]
        return home and awake
    return moment.anyone_awake_home


_PRESENCE: dict[tuple[float, float], float] = {}
_LEAVE: dict[tuple[float, float], float] = {}


def _leave(dt: float, session_s: float) -> float:
    """Chance that a spell of mean length ``session_s`` ends within ``dt`` seconds."""
    key = (dt, session_s)
    found = _LEAVE.get(key)
    if found is None:
        found = _LEAVE[key] = 1.0 - math.exp(-dt / session_s)
    return found


def _presence(chance_per_minute: float, dt: float) -> float:
    """Chance that a bursty app talks at least once in ``dt`` seconds."""
    key = (chance_per_minute, dt)
    found = _PRESENCE.get(key)
    if found is None:
        found = _PRESENCE[key] = 1.0 - (1.0 - chance_per_minute) ** (dt / 60.0)
    return found


def app_usage(state: DeviceState, moment: Moment, rng: random.Random, scale: float,
              silenced: frozenset[str]) -> dict[str, list[float]]:
    """Bytes per application this sample: ``{app: [down, up, activity, tries]}`` where activity is the number of
    active minutes (spells) behind it (0 for standby trickle only) and tries the new flows of failed attempts.

    ``scale`` multiplies the chance of every human spell (usage fading, days out); ``silenced`` lists apps
    the device cannot use now (a broken streaming box): a spell that would begin there is a failed attempt
    (rhythms.FAILED_TRY) and ends at once.
    """
    device = state.device
    dt = moment.dt
    ts = moment.ts
    usage: dict[str, list[float]] = {}
    spells = state.spells
    rand = rng.random
    for i, act in enumerate(state.activities):
        was = spells[i]
        # The spell model of rhythms.session_step, inlined with its exponential cached: this loop runs for
        # every activity of every connected device in every sample.
        if _allowed(act, device, moment):
            p = propensity(act.curve, ts) * act.weight
            if act.needs != "none":
                p *= moment.usage * scale
        else:
            p = 0.0
        if p <= 0.0:
            spells[i] = False
            continue
        leave = _leave(dt, act.session_s)
        if act.app in silenced:
            spells[i] = False
            if (p >= 0.97 or rand() < p / (1.0 - p) * leave) and rand() < FAILED_TRY.chance:
                _add_failed_try(usage, act.app, rng)
            continue
        if was:
            on = rand() >= leave
        elif p >= 0.97:
            on = True
        else:
            on = rand() < p / (1.0 - p) * leave
        spells[i] = on
        if not on:
            continue
        # The whole interval, also for a spell that just began: the chain's share of intervals on is the
        # activity's propensity at any cadence, so bytes per day do not depend on dt (crediting a fresh spell
        # with part of its interval lost 15 % of the traffic at a 15-minute cadence against a 1-minute one).
        share = dt
        noise = _RATE_NOISE[rng.getrandbits(NORMAL_BITS)]
        entry = usage.get(act.app)
        down = act.down_kbps * KBPS_TO_BYTES_PER_S * share * noise
        up = act.up_kbps * KBPS_TO_BYTES_PER_S * share * noise
        if entry is None:
            usage[act.app] = [down, up, share / 60.0, 0.0]
        else:
            entry[0] += down
            entry[1] += up
            entry[2] += share / 60.0
    for app, down_kbps, up_kbps, chance in STANDBY[device.device_class]:
        present = _presence(chance, dt)
        if present < 1.0 and rng.random() >= present:
            continue
        # Bytes when present carry the mean rate over the whole interval, so totals do not depend on dt.
        scale = KBPS_TO_BYTES_PER_S * dt * (0.4 + 1.2 * rng.random()) / present
        entry = usage.get(app)
        if entry is None:
            usage[app] = [down_kbps * scale, up_kbps * scale, 0.0, 0.0]
        else:
            entry[0] += down_kbps * scale
            entry[1] += up_kbps * scale
    return usage


def _add_failed_try(usage: dict[str, list[float]], app: str, rng: random.Random) -> None:
    """One failed attempt to use ``app``: a few short connections, a handshake and an error reply each."""
    flows = rng.randint(FAILED_TRY.min_flows, FAILED_TRY.max_flows)
    down = flows * FAILED_TRY.down_bytes_per_flow * (0.6 + 0.8 * rng.random())
    up = flows * FAILED_TRY.up_bytes_per_flow * (0.6 + 0.8 * rng.random())
    entry = usage.get(app)
    if entry is None:
        usage[app] = [down, up, 0.0, float(flows)]
    else:
        entry[0] += down
        entry[1] += up
        entry[3] += flows


@dataclass(slots=True)
class Totals:
    """Sums over the ``apps`` records of one device in one sample (what its station and the WAN carry)."""

    bytes_down: int = 0
    bytes_up: int = 0
    packets_down: int = 0
    packets_up: int = 0
    flows: int = 0

    def add(self, record: dict[str, Any]) -> None:
        """Count one more record."""
        self.bytes_down += record["bytes_down"]
        self.bytes_up += record["bytes_up"]
        self.packets_down += record["packets_down"]
        self.packets_up += record["packets_up"]
        self.flows += record["flows"]


def app_records(ts: int, mac: str, usage: dict[str, list[float]], dt: float, rng: random.Random,
                out: list[dict[str, Any]], totals: Totals) -> None:
    """Append the wire ``apps`` records of one device for one sample to ``out``, and sum them in ``totals``."""
    minutes = dt / 60.0
    rand = rng.random
    for app, (down, up, active_min, tries) in usage.items():
        bytes_down = int(down)
        bytes_up = int(up)
        if bytes_down + bytes_up == 0:
            continue
        shape = APPS[app]
        if active_min > 0:
            flows = round(shape.flows * (0.6 + 0.8 * rand()) + shape.new_flows * active_min * 0.5) or 1
            new_flows = min(flows, round(shape.new_flows * active_min * (0.5 + rand())))
            dests = min(flows, round(shape.dests * (0.7 + 0.6 * rand()) * (1.0 + math.log1p(active_min) / 3.0))) or 1
        else:
            flows = 1 + (rand() < 0.3 * minutes)
            new_flows = int(rand() < 0.25 * minutes)
            dests = 1
        if tries:
            flows += int(tries)
            new_flows += int(tries)
        packets_up = (bytes_up // shape.pkt_up_bytes or 1) if bytes_up else 0
        packets_down = (bytes_down // shape.pkt_down_bytes or 1) if bytes_down else 0
        out.append({
            "ts": ts, "mac": mac, "app": app, "bytes_up": bytes_up, "bytes_down": bytes_down,
            "packets_up": packets_up, "packets_down": packets_down,
            "flows": flows, "new_flows": new_flows, "dests": dests,
        })
        totals.bytes_down += bytes_down
        totals.bytes_up += bytes_up
        totals.packets_down += packets_down
        totals.packets_up += packets_up
        totals.flows += flows


def spam_record(ts: int, mac: str, dt: float, params: dict[str, Any], rng: random.Random,
                mail: list[float] | None = None) -> dict[str, Any]:
    """The ``apps`` record of a spambot's SMTP burst in one sample: many short flows to many new hosts.

    ``mail`` is the device's own mail traffic of the sample ([down, up, active minutes]), folded in so there
    is one smtp record per device and sample.
    """
    minutes = dt / 60.0
    flows = max(1, round(float(params["flows_per_min"]) * minutes * (0.7 + 0.6 * rng.random())))
    dests = max(1, min(flows, round(float(params["dests_per_min"]) * minutes ** 0.85 * (0.7 + 0.6 * rng.random()))))
    bytes_up = int(flows * float(params["bytes_per_flow"]) * (0.8 + 0.4 * rng.random()))
    bytes_down = int(flows * 650 * (0.8 + 0.4 * rng.random()))
    if mail is not None:
        bytes_down += int(mail[0])
        bytes_up += int(mail[1])
    return {
        "ts": ts, "mac": mac, "app": "smtp", "bytes_up": bytes_up, "bytes_down": bytes_down,
        "packets_up": bytes_up // 900 + flows * 4, "packets_down": bytes_down // 120 + flows * 4,
        "flows": flows, "new_flows": max(1, round(flows * (0.85 + 0.15 * rng.random()))), "dests": dests,
    }
