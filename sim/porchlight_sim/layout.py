"""A worker's homes flattened into arrays: people, devices, radios, activities, standby trickles, app slots.

The lockstep engine (lockstep.py) simulates all of a worker's homes at once over these arrays. Rows of one
home are contiguous and in the order its report lists them: devices by MAC, radios by interface, app slots
by (MAC, application); ``*_offsets[h]:*_offsets[h + 1]`` are home ``h``'s rows. Built once per worker from
the fleet (pure: same homes, same arrays).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .apps import APPS, STREAMING_APPS
from .draws import U64, home_key, row_keys
from .fleet import Home
from .gateways import MODELS_BY_NAME
from .rhythms import CURVES, STANDBY
from .traffic import KBPS_TO_BYTES_PER_S, DeviceState

BANDS: tuple[str, ...] = ("2.4", "5", "6")
BAND_CODE = {b: i for i, b in enumerate(BANDS)}
STANDARDS: tuple[str, ...] = ("n", "ac", "ax", "be")
CURVE_NAMES: tuple[str, ...] = tuple(CURVES)
#: Who must be around for an activity: machines, the owner, anyone, a home worker.
NEEDS_NONE, NEEDS_OWNER, NEEDS_ANYONE, NEEDS_WFH = 0, 1, 2, 3
#: When a device wants the network: always, with its owner home, owner home and awake, anyone awake home.
WANT_ALWAYS, WANT_OWNER_HOME, WANT_OWNER_AWAKE, WANT_ANYONE = 0, 1, 2, 3
ACCESS: tuple[str, ...] = ("fiber", "cable", "dsl")
NEVER = np.iinfo(np.int64).max // 4

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
B = NDArray[np.bool_]
Obj = NDArray[np.object_]


def _i(values: Iterable[int]) -> I64:
    return np.fromiter(values, dtype=np.int64)


def _f(values: Iterable[float]) -> F64:
    return np.fromiter(values, dtype=np.float64)


def _o(values: list[object]) -> Obj:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _offsets(owner: list[int], n: int) -> I64:
    return np.concatenate([[0], np.cumsum(np.bincount(np.array(owner, dtype=np.int64), minlength=n))]).astype(
        np.int64)


@dataclass
class Layout:
    """Static arrays of a worker's homes (see the module docstring for the row order)."""

    homes: list[Home]
    # homes
    home_usage: F64
    home_cap_down: F64
    home_cap_up: F64
    home_capacity: F64
    home_cores: F64
    home_mem_kb: I64
    home_access: I64
    home_hop_rtt: F64
    home_hop_jitter: F64
    home_target_rtt: F64  # (H, 2): 1.1.1.1 and 8.8.8.8
    home_model_rank: I64
    home_radio: I64  # (H, 3): radio row per band, -1 where the gateway has none
    # people
    person_home: I64
    person_wfh: B
    # devices
    dev_home: I64
    dev_owner: I64
    dev_want: I64
    dev_wired: B
    dev_joined: I64
    dev_tx_power: F64
    dev_nss: I64
    dev_rank: I64
    dev_small: B
    dev_fading: F64
    dev_band: I64
    dev_distance: F64
    dev_walls: I64
    dev_iot: B
    dev_mac: Obj
    dev_keys: U64
    dev_offsets: I64
    # radios
    radio_home: I64
    radio_band: I64
    radio_width: I64
    radio_nss: I64
    radio_noise: F64
    radio_busy: F64
    radio_iface: Obj
    radio_band_name: Obj
    radio_channel: I64
    radio_keys: U64
    radio_offsets: I64
    # activities (spells)
    act_dev: I64
    act_slot: I64
    act_curve: I64
    act_weight: F64
    act_down: F64
    act_up: F64
    act_session: F64
    act_needs: I64
    act_streaming: B
    act_keys: U64
    # standby trickles
    sb_dev: I64
    sb_slot: I64
    sb_down: F64
    sb_up: F64
    sb_chance: F64
    sb_keys: U64
    # app slots: one per (device, application) the device can report
    slot_dev: I64
    slot_home: I64
    slot_smtp: B
    slot_mac: Obj
    slot_app: Obj
    slot_pkt_down: I64
    slot_pkt_up: I64
    slot_flows: F64
    slot_new: F64
    slot_dests: F64
    slot_keys: U64
    slot_offsets: I64
    home_keys: U64


def build_layout(homes: list[Home], seed: int) -> Layout:
    """The arrays of ``homes`` (one worker's share of the fleet)."""
    hk = [home_key(seed, h.home_id) for h in homes]
    H = len(homes)
    person_home: list[int] = []
    person_wfh: list[bool] = []
    dev: dict[str, list[object]] = {k: [] for k in (
        "home", "owner", "want", "wired", "joined", "tx", "nss", "rank", "small", "fading", "band", "distance",
        "walls", "iot", "mac", "key", "local")}
    radio: dict[str, list[object]] = {k: [] for k in (
        "home", "band", "width", "nss", "noise", "busy", "iface", "name", "channel", "key", "local")}
    act: dict[str, list[object]] = {k: [] for k in (
        "dev", "slot", "curve", "weight", "down", "up", "session", "needs", "streaming", "key", "local")}
    sb: dict[str, list[object]] = {k: [] for k in ("dev", "slot", "down", "up", "chance", "key", "local")}
    slot: dict[str, list[object]] = {k: [] for k in ("dev", "home", "smtp", "mac", "app", "key", "local")}
    home_radio = np.full((H, 3), -1, dtype=np.int64)
    curve_index = {c: i for i, c in enumerate(CURVE_NAMES)}
    for h, home in enumerate(homes):
        first_person = len(person_home)
        for p in home.household.people:
            person_home.append(h)
            person_wfh.append(p.kind == "wfh")
        bands = {r.band for r in home.radios}
        for local, r in enumerate(sorted(home.radios, key=lambda r: r.iface)):
            home_radio[h, BAND_CODE[r.band]] = len(radio["home"])
            for key, value in (("home", h), ("band", BAND_CODE[r.band]), ("width", r.width_mhz), ("nss", r.nss),
                               ("noise", r.noise_dbm), ("busy", r.neighbour_busy_pct), ("iface", r.iface),
                               ("name", r.band), ("channel", r.channel), ("key", hk[h]), ("local", local)):
                radio[key].append(value)
        n_slot = n_act = n_sb = 0
        for local, d in enumerate(sorted(home.devices, key=lambda d: d.mac)):
            state = DeviceState.of(d, home.household.office_app)
            d_row = len(dev["home"])
            cls = d.device_class
            owned = d.owner is not None
            want = (WANT_OWNER_HOME if cls == "phone" and owned else WANT_OWNER_AWAKE
                    if cls in ("laptop", "tablet") and owned else WANT_ANYONE
                    if cls in ("laptop", "tablet", "desktop") else WANT_ALWAYS)
            for key, value in (
                    ("home", h), ("owner", first_person + d.owner if owned else -1), ("want", want),
                    ("wired", d.wired), ("joined", d.joined_ts if d.joined_ts is not None else -1),
                    ("tx", d.tx_power_dbm), ("nss", d.nss), ("rank", STANDARDS.index(d.standard)),
                    ("small", cls in ("phone", "tablet")), ("fading", 3.0 if owned else 1.2),
                    ("band", BAND_CODE[d.band if d.band in bands else "2.4"]), ("distance", d.distance_m),
                    ("walls", d.walls), ("iot", cls in ("iot", "camera")), ("mac", d.mac), ("key", hk[h]),
                    ("local", local)):
                dev[key].append(value)
            apps = sorted({a.app for a in state.activities} | {s[0] for s in STANDBY[cls]}
                          | ({"smtp"} if cls in ("laptop", "desktop") else set()))
            slot_of = {}
            for app in apps:
                slot_of[app] = len(slot["dev"])
                for key, value in (("dev", d_row), ("home", h), ("smtp", app == "smtp"), ("mac", d.mac),
                                   ("app", app), ("key", hk[h]), ("local", n_slot)):
                    slot[key].append(value)
                n_slot += 1
            for a in state.activities:
                needs = (NEEDS_NONE if a.needs == "none" else NEEDS_WFH if a.wfh_only else
                         NEEDS_OWNER if a.needs == "owner" and owned else NEEDS_ANYONE)
                for key, value in (("dev", d_row), ("slot", slot_of[a.app]), ("curve", curve_index[a.curve]),
                                   ("weight", a.weight), ("down", a.down_kbps * KBPS_TO_BYTES_PER_S),
                                   ("up", a.up_kbps * KBPS_TO_BYTES_PER_S), ("session", a.session_s),
                                   ("needs", needs), ("streaming", a.app in STREAMING_APPS), ("key", hk[h]),
                                   ("local", n_act)):
                    act[key].append(value)
                n_act += 1
            for app, down, up, chance in STANDBY[cls]:
                for key, value in (("dev", d_row), ("slot", slot_of[app]), ("down", down * KBPS_TO_BYTES_PER_S),
                                   ("up", up * KBPS_TO_BYTES_PER_S), ("chance", chance), ("key", hk[h]),
                                   ("local", n_sb)):
                    sb[key].append(value)
                n_sb += 1
    models = [MODELS_BY_NAME[h.model] for h in homes]
    shapes = [APPS[str(a)] for a in slot["app"]]
    return Layout(
        homes=homes,
        home_usage=_f(h.household.usage for h in homes),
        home_cap_down=_f(h.plan.down_mbps * 125_000.0 for h in homes),
        home_cap_up=_f(h.plan.up_mbps * 125_000.0 for h in homes),
        home_capacity=_f(m.capacity_mbps for m in models), home_cores=_f(m.cores for m in models),
        home_mem_kb=_i(m.mem_total_kb for m in models), home_access=_i(ACCESS.index(h.access) for h in homes),
        home_hop_rtt=_f(h.first_hop_rtt_ms for h in homes), home_hop_jitter=_f(h.first_hop_jitter_ms for h in homes),
        home_target_rtt=np.array([[dict(h.target_rtt_ms)[t] for t in ("1.1.1.1", "8.8.8.8")] for h in homes],
                                 dtype=np.float64).reshape(H, 2),
        home_model_rank=_i(STANDARDS.index(m.standard) for m in models), home_radio=home_radio,
        person_home=np.array(person_home, dtype=np.int64), person_wfh=np.array(person_wfh, dtype=bool),
        dev_home=np.array(dev["home"], dtype=np.int64), dev_owner=np.array(dev["owner"], dtype=np.int64),
        dev_want=np.array(dev["want"], dtype=np.int64), dev_wired=np.array(dev["wired"], dtype=bool),
        dev_joined=np.array(dev["joined"], dtype=np.int64), dev_tx_power=np.array(dev["tx"], dtype=np.float64),
        dev_nss=np.array(dev["nss"], dtype=np.int64), dev_rank=np.array(dev["rank"], dtype=np.int64),
        dev_small=np.array(dev["small"], dtype=bool), dev_fading=np.array(dev["fading"], dtype=np.float64),
        dev_band=np.array(dev["band"], dtype=np.int64), dev_distance=np.array(dev["distance"], dtype=np.float64),
        dev_walls=np.array(dev["walls"], dtype=np.int64), dev_iot=np.array(dev["iot"], dtype=bool),
        dev_mac=_o(dev["mac"]), dev_keys=row_keys(dev["key"], dev["local"]),  # type: ignore[arg-type]
        dev_offsets=_offsets(dev["home"], H),  # type: ignore[arg-type]
        radio_home=np.array(radio["home"], dtype=np.int64), radio_band=np.array(radio["band"], dtype=np.int64),
        radio_width=np.array(radio["width"], dtype=np.int64), radio_nss=np.array(radio["nss"], dtype=np.int64),
        radio_noise=np.array(radio["noise"], dtype=np.float64), radio_busy=np.array(radio["busy"], dtype=np.float64),
        radio_iface=_o(radio["iface"]), radio_band_name=_o(radio["name"]),
        radio_channel=np.array(radio["channel"], dtype=np.int64),
        radio_keys=row_keys(radio["key"], radio["local"]),  # type: ignore[arg-type]
        radio_offsets=_offsets(radio["home"], H),  # type: ignore[arg-type]
        act_dev=np.array(act["dev"], dtype=np.int64), act_slot=np.array(act["slot"], dtype=np.int64),
        act_curve=np.array(act["curve"], dtype=np.int64), act_weight=np.array(act["weight"], dtype=np.float64),
        act_down=np.array(act["down"], dtype=np.float64), act_up=np.array(act["up"], dtype=np.float64),
        act_session=np.array(act["session"], dtype=np.float64), act_needs=np.array(act["needs"], dtype=np.int64),
        act_streaming=np.array(act["streaming"], dtype=bool),
        act_keys=row_keys([hk[int(dev["home"][int(d)])] for d in act["dev"]], act["local"]),  # type: ignore
        sb_dev=np.array(sb["dev"], dtype=np.int64), sb_slot=np.array(sb["slot"], dtype=np.int64),
        sb_down=np.array(sb["down"], dtype=np.float64), sb_up=np.array(sb["up"], dtype=np.float64),
        sb_chance=np.array(sb["chance"], dtype=np.float64),
        sb_keys=row_keys([hk[int(dev["home"][int(d)])] for d in sb["dev"]], sb["local"]),  # type: ignore
        slot_dev=np.array(slot["dev"], dtype=np.int64), slot_home=np.array(slot["home"], dtype=np.int64),
        slot_smtp=np.array(slot["smtp"], dtype=bool), slot_mac=_o(slot["mac"]), slot_app=_o(slot["app"]),
        slot_pkt_down=_i(s.pkt_down_bytes for s in shapes), slot_pkt_up=_i(s.pkt_up_bytes for s in shapes),
        slot_flows=_f(s.flows for s in shapes), slot_new=_f(s.new_flows for s in shapes),
        slot_dests=_f(s.dests for s in shapes),
        slot_keys=row_keys(slot["key"], slot["local"]),  # type: ignore[arg-type]
        slot_offsets=_offsets(slot["home"], H),  # type: ignore[arg-type]
        home_keys=row_keys(hk, [0] * H),
    )
