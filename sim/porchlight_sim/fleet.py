"""The simulated fleet: homes in a region > area > node hierarchy, their plans, gateways and devices.

``build_fleet`` is a pure function of a ``FleetSpec``: the same spec gives the same fleet in every process,
so worker processes rebuild it rather than receive it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache

from . import gateways
from .randomness import clamp, hex_token, stream, weighted
from .rhythms import DAY, HOUR, Person
from .vendors import FIRST_NAMES, KINDS, DeviceKind, oui_table, vendor_of
from .wifi_physics import NOISE_FLOOR_DBM, best_band, received_dbm

REGION_NAMES: tuple[str, ...] = ("north", "central", "south", "east", "west", "coast", "valley", "metro")


@dataclass(frozen=True, slots=True)
class Plan:
    """A service plan: name and provisioned rates."""

    name: str
    down_mbps: float
    up_mbps: float


PLANS: dict[str, tuple[tuple[Plan, float], ...]] = {
    "fiber": ((Plan("essential-100", 100, 20), 0.30), (Plan("family-500", 500, 100), 0.45),
              (Plan("gigabit-1000", 1000, 300), 0.25)),
    "cable": ((Plan("essential-100", 100, 10), 0.40), (Plan("family-500", 500, 25), 0.45),
              (Plan("gigabit-1000", 1000, 50), 0.15)),
    "dsl": ((Plan("basic-50", 50, 10), 0.70), (Plan("essential-100", 100, 20), 0.30)),
}

#: Round-trip time to the first hop (ms) and its jitter, by access technology.
ACCESS_RTT_MS: dict[str, tuple[float, float]] = {"fiber": (1.6, 0.25), "cable": (9.0, 2.5), "dsl": (13.0, 1.8)}
#: Probe targets beyond the first hop, with the extra round trip (ms) to reach them from the ISP's core.
PROBE_TARGETS: tuple[tuple[str, float], ...] = (("1.1.1.1", 4.0), ("8.8.8.8", 9.0))


@dataclass(frozen=True, slots=True)
class Device:
    """One device of a home, as it really is (the ground truth behind what the agent reports)."""

    mac: str
    #: What the device really is.
    device_class: str
    #: Vendor as the agent reports it (its OUI table; None for a private MAC or an unknown prefix).
    vendor: str | None
    hostname: str | None
    standard: str
    nss: int
    tx_power_dbm: float
    wired: bool
    band: str
    distance_m: float
    walls: int
    #: Index of the person who carries it; None for a shared device.
    owner: int | None
    ipv4: str
    ipv6: str | None
    #: When the device first joins the network (None: there from the start).
    joined_ts: int | None = None
    #: What the agent's classifier says about it (not always the truth).
    reported_class: str = "unknown"
    class_confidence: float = 0.5
    bands: tuple[str, ...] = ("2.4", "5")

    def signal_dbm(self, band: str | None = None) -> float:
        """Mean signal the gateway receives from it on ``band`` (its own band by default)."""
        return received_dbm(self.tx_power_dbm, band or self.band, self.distance_m, self.walls)


@dataclass(frozen=True, slots=True)
class Radio:
    """One radio of a home's gateway: where it sits and how crowded its channel is."""

    band: str
    iface: str
    channel: int
    width_mhz: int
    nss: int
    tx_power_dbm: float
    noise_dbm: float
    #: Busy share from neighbouring networks at the quietest hour (rises in the evening).
    neighbour_busy_pct: float


@dataclass(frozen=True, slots=True)
class Household:
    """Who lives in a home and how much they use the network."""

    people: tuple[Person, ...]
    #: Overall usage multiplier (log-normal across homes).
    usage: float
    #: The video-call app the home works with: teams or zoom.
    office_app: str


@dataclass(frozen=True, slots=True)
class Home:
    """A subscriber's home: where it is on the network, its plan, gateway, radios, people and devices."""

    index: int
    home_id: str
    gateway_id: str
    subscriber_ref: str
    region: str
    area: str
    node: str
    access: str
    plan: Plan
    tenure_start: int
    #: When the gateway first came online (on the tenure start day; before the run for old customers).
    installed_ts: int
    dwelling: str
    model: str
    firmware: str
    radios: tuple[Radio, ...]
    household: Household
    devices: tuple[Device, ...]
    first_hop_rtt_ms: float
    first_hop_jitter_ms: float
    target_rtt_ms: tuple[tuple[str, float], ...]
    lan_prefix: str = "192.168.1"

    def radio(self, band: str) -> Radio | None:
        """The radio on ``band``, if the gateway has one."""
        for r in self.radios:
            if r.band == band:
                return r
        return None


@dataclass(frozen=True, slots=True)
class FleetSpec:
    """What fleet to build: size, seed, the simulated span and the shape of the network."""

    homes: int
    seed: int
    start_ts: int
    end_ts: int
    regions: int = 3
    areas_per_region: int = 4
    nodes_per_area: int = 5
    #: Share of homes whose tenure started in the last two weeks of the run.
    new_home_share: float = 0.04
    id_prefix: str = "h"


@dataclass(frozen=True, slots=True)
class Fleet:
    """Every home of the simulation and the network hierarchy they sit in."""

    spec: FleetSpec
    homes: tuple[Home, ...]
    #: node -> (region, area, access technology)
    nodes: dict[str, tuple[str, str, str]] = field(default_factory=dict)

    def homes_behind(self, *, region: str | None = None, area: str | None = None,
                     node: str | None = None) -> list[Home]:
        """Homes under a region, an area or a node."""
        return [h for h in self.homes
                if (region is None or h.region == region) and (area is None or h.area == area)
                and (node is None or h.node == node)]


def build_fleet(spec: FleetSpec) -> Fleet:
    """The fleet a spec describes; the same spec always gives the same fleet."""
    rng = stream("fleet", spec.seed)
    nodes = _network(spec, rng)
    node_names = list(nodes)
    node_weights = [(n, 0.6 + rng.random() * 0.8) for n in node_names]
    homes = tuple(_home(spec, i, weighted(stream("placement", spec.seed, i), node_weights), nodes)
                  for i in range(spec.homes))
    return Fleet(spec, homes, nodes)


def _network(spec: FleetSpec, rng: random.Random) -> dict[str, tuple[str, str, str]]:
    nodes: dict[str, tuple[str, str, str]] = {}
    for r in range(spec.regions):
        region = REGION_NAMES[r] if r < len(REGION_NAMES) else f"region{r + 1}"
        for a in range(spec.areas_per_region):
            area = f"{region}-a{a + 1}"
            tech_weights = (("fiber", 0.55), ("cable", 0.30), ("dsl", 0.15))
            area_tech = weighted(rng, tech_weights)
            for n in range(spec.nodes_per_area):
                tech = area_tech if rng.random() < 0.8 else weighted(rng, tech_weights)
                nodes[f"{area}-n{n + 1}"] = (region, area, tech)
    return nodes


def _home(spec: FleetSpec, index: int, node: str, nodes: dict[str, tuple[str, str, str]]) -> Home:
    rng = stream("home-build", spec.seed, index)
    region, area, access = nodes[node]
    home_id = f"{spec.id_prefix}{index:06d}"
    model = weighted(rng, [(m, m.share) for m in gateways.MODELS])
    firmware = weighted(rng, list(model.firmwares))
    plan = weighted(rng, list(PLANS[access]))
    if rng.random() < spec.new_home_share:
        installed = spec.end_ts - int(rng.uniform(0.5, 14.0) * DAY)
        installed = max(installed, spec.start_ts)
    else:
        installed = spec.start_ts - int(rng.uniform(30, 3000) * DAY)
    installed -= installed % 60
    tenure_start = installed - installed % DAY
    if installed >= spec.start_ts:  # installers work days: 08:00-18:00
        installed = max(spec.start_ts, tenure_start + int((8 + rng.random() * 10) * HOUR))
    dwelling = "apartment" if rng.random() < 0.45 else "house"
    household = _household(rng)
    radios = tuple(_radio(rng, spec_, dwelling) for spec_ in model.radios)
    lan_prefix = "192.168.1"
    devices = _devices(rng, household, model.bands, dwelling, lan_prefix, spec, installed)
    base_rtt, jitter = ACCESS_RTT_MS[access]
    return Home(
        index=index, home_id=home_id, gateway_id=f"gw-{hex_token(rng, 12)}",
        subscriber_ref=f"SUB{rng.randrange(10_000_000, 99_999_999)}", region=region, area=area, node=node,
        access=access, plan=plan, tenure_start=tenure_start, installed_ts=installed, dwelling=dwelling,
        model=model.name, firmware=firmware, radios=radios, household=household, devices=devices,
        first_hop_rtt_ms=round(base_rtt * rng.uniform(0.7, 1.5), 2),
        first_hop_jitter_ms=round(jitter * rng.uniform(0.6, 1.5), 2),
        target_rtt_ms=tuple((t, round(extra * rng.uniform(0.8, 1.6), 2)) for t, extra in PROBE_TARGETS),
        lan_prefix=lan_prefix,
    )


def _radio(rng: random.Random, spec: gateways.RadioSpec, dwelling: str) -> Radio:
    crowded = dwelling == "apartment"
    base = {"2.4": (22.0, 10.0), "5": (6.0, 2.5), "6": (1.0, 0.5)}[spec.band]
    busy = base[0] if crowded else base[1]
    return Radio(
        band=spec.band, iface=gateways.RADIO_IFACE[spec.band], channel=rng.choice(gateways.CHANNELS[spec.band]),
        width_mhz=spec.width_mhz, nss=spec.nss, tx_power_dbm=spec.tx_power_dbm,
        noise_dbm=NOISE_FLOOR_DBM[spec.band] + rng.uniform(-1.5, 2.0),
        neighbour_busy_pct=round(busy * rng.uniform(0.5, 1.6), 1),
    )


def _household(rng: random.Random) -> Household:
    size = weighted(rng, ((1, 0.30), (2, 0.35), (3, 0.15), (4, 0.15), (5, 0.05)))
    adults = min(size, 2)
    people: list[Person] = []
    for _ in range(adults):
        kind = weighted(rng, (("commuter", 0.52), ("wfh", 0.33), ("home", 0.15)))
        people.append(Person(kind, wake_h=6.3 + rng.random() * 2.0, sleep_h=22.4 + rng.random() * 1.8))
    for _ in range(size - adults):
        people.append(Person("student", wake_h=6.8 + rng.random(), sleep_h=21.5 + rng.random() * 2.5))
    usage = clamp(rng.lognormvariate(0.0, 0.45), 0.2, 4.0)
    return Household(tuple(people), round(usage, 3), "teams" if rng.random() < 0.6 else "zoom")


def _counts(rng: random.Random, household: Household) -> list[tuple[str, int | None]]:
    """(class, owner) for every device the household has."""
    people = household.people
    wanted: list[tuple[str, int | None]] = []
    for i, person in enumerate(people):
        if person.kind != "student" or rng.random() < 0.85:
            wanted.append(("phone", i))
        if person.kind != "student" and rng.random() < 0.8:
            wanted.append(("laptop", i))
        if person.kind == "student" and rng.random() < 0.5:
            wanted.append(("tablet", i))
    kids = sum(p.kind == "student" for p in people)
    shared: list[tuple[str, float]] = [
        ("tv", 0.92), ("tv", 0.35 + 0.1 * kids), ("streamer", 0.45), ("console", 0.45 if kids else 0.15),
        ("tablet", 0.25), ("desktop", 0.22), ("printer", 0.35), ("nas", 0.07), ("camera", 0.25),
        ("camera", 0.1), ("speaker", 0.45), ("speaker", 0.2),
    ]
    for cls, chance in shared:
        if rng.random() < chance:
            wanted.append((cls, None))
    iot = int(clamp(rng.expovariate(1 / 2.5), 0, 10))
    wanted.extend(("iot", None) for _ in range(iot))
    return wanted


def _mac(rng: random.Random, kind: DeviceKind) -> str:
    if rng.random() < kind.private_mac_share:
        first = (rng.getrandbits(8) & 0xFC) | 0x02
        return ":".join(f"{b:02x}" for b in [first, *(rng.getrandbits(8) for _ in range(5))])
    return kind.ouis[rng.randrange(len(kind.ouis))] + ":" + ":".join(f"{rng.getrandbits(8):02x}" for _ in range(3))


def _hostname(rng: random.Random, kind: DeviceKind, mac: str, owner_name: str) -> str | None:
    template = kind.hostnames[rng.randrange(len(kind.hostnames))]
    if template is None:
        return None
    return template.format(owner=owner_name, mac6=mac.replace(":", "")[-6:].upper(), hex8=hex_token(rng, 8),
                           n=rng.randrange(100, 999))


def _placement(rng: random.Random, cls: str, dwelling: str) -> tuple[float, int]:
    scale = 0.75 if dwelling == "apartment" else 1.0
    if cls in ("tv", "streamer", "console", "nas"):
        return round(rng.uniform(2.0, 7.0) * scale, 1), rng.choice((0, 0, 1))
    if cls == "camera":
        return round(rng.uniform(5.0, 13.0) * scale, 1), rng.choice((1, 2, 2, 3))
    return round(clamp(rng.lognormvariate(1.6, 0.45), 1.0, 16.0) * scale, 1), rng.choice((0, 1, 1, 2, 2, 3))


_CLASS_CONFIDENCE: dict[str, tuple[float, float]] = {
    "phone": (0.75, 0.95), "laptop": (0.7, 0.9), "desktop": (0.6, 0.85), "tablet": (0.6, 0.85),
    "tv": (0.8, 0.95), "streamer": (0.8, 0.95), "console": (0.85, 0.98), "speaker": (0.7, 0.9),
    "camera": (0.7, 0.9), "iot": (0.5, 0.8), "printer": (0.85, 0.98), "nas": (0.7, 0.9),
}

#: What the agent says about a device: (mac, hostname, private) -> (vendor, class, confidence).
AgentView = Callable[[str, "str | None", bool], tuple["str | None", str, float]]


@lru_cache(maxsize=1)
def agent_view() -> AgentView | None:
    """The agent's own OUI table and device classifier, so devices are reported as the agent would report
    them (including its misses); None when the agent package is not installed."""
    try:
        from porchlight_agent.collectors.devclass import DeviceClassifier
        from porchlight_agent.collectors.vendors import OuiTable
    except ImportError:  # pragma: no cover - the simulator can run without the agent
        return None
    oui = OuiTable.load()
    classifier = DeviceClassifier.load()

    def view(mac: str, hostname: str | None, private: bool) -> tuple[str | None, str, float]:
        vendor = oui.vendor(mac)
        guess = classifier.classify(hostname=hostname, vendor=vendor, randomised=private)
        return vendor, guess.device_class, guess.confidence

    return view


def _own_view(cls: str, mac: str, hostname: str | None, draw: float) -> tuple[str | None, str, float]:
    """The simulator's stand-in for the agent's classifier (used when the agent is not installed)."""
    private = bool(int(mac[:2], 16) & 0x02)
    low, high = _CLASS_CONFIDENCE[cls]
    if private and hostname is None:
        return None, "unknown", 0.2
    return vendor_of(mac, oui_table()), cls, round(low + (high - low) * draw, 2)


def _devices(rng: random.Random, household: Household, bands: tuple[str, ...], dwelling: str, lan: str,
             spec: FleetSpec, installed: int) -> tuple[Device, ...]:
    owner_names = [FIRST_NAMES[rng.randrange(len(FIRST_NAMES))] for _ in household.people]
    devices: list[Device] = []
    used_macs: set[str] = set()
    for n, (cls, owner) in enumerate(_counts(rng, household)):
        kind = weighted(rng, list(KINDS[cls]))
        mac = _mac(rng, kind)
        while mac in used_macs:
            mac = _mac(rng, kind)
        used_macs.add(mac)
        wired = rng.random() < kind.wired_share
        distance, walls = _placement(rng, cls, dwelling)
        dev_bands = tuple(b for b in kind.bands if b in bands)
        band = "wired" if wired else best_band(kind.tx_power_dbm, dev_bands, distance, walls)
        private = bool(int(mac[:2], 16) & 0x02)
        hostname = _hostname(rng, kind, mac, owner_names[owner] if owner is not None else "Home")
        view = agent_view()
        draw = rng.random()  # drawn either way, so the fleet is the same with or without the agent installed
        vendor, reported, confidence = view(mac, hostname, private) if view else _own_view(cls, mac, hostname, draw)
        devices.append(Device(
            mac=mac, device_class=cls, vendor=vendor, hostname=hostname,
            standard=kind.standard, nss=kind.nss, tx_power_dbm=kind.tx_power_dbm + rng.uniform(-2.0, 1.0),
            wired=wired, band=band, distance_m=distance, walls=walls, owner=owner,
            ipv4=f"{lan}.{100 + n}",
            ipv6=f"fd{hex_token(rng, 2)}:{hex_token(rng, 4)}:{hex_token(rng, 4)}::{hex_token(rng, 4)}"
            if cls in ("phone", "laptop", "tablet", "desktop") else None,
            reported_class=reported, class_confidence=confidence, bands=dev_bands,
        ))
    # Some devices arrive during the run (a new phone, a new TV): a benign change the analytics must not
    # flag. Only homes that were there before the run get one.
    if installed < spec.start_ts and devices and rng.random() < 0.08:
        span = spec.end_ts - spec.start_ts
        pick = rng.randrange(len(devices))
        joined = spec.start_ts + int(span * rng.uniform(0.3, 0.95))
        joined -= joined % 60
        devices[pick] = replace(devices[pick], joined_ts=joined)
    return tuple(devices)
