"""What the devices of a synthetic home do, minute by minute: sessions of applications (a film, a video
call, a game, browsing, a track of music, a software update) that start at the times of day people use
them, run for a realistic time at a realistic bit rate, and leave each (device, application) with bytes,
packets, flows (with identities that persist while a connection lasts) and remote addresses.

Bit rates and packet sizes are what these services use (HD streaming 5-8 Mbit/s, a video call ~2 Mbit/s
each way, a game ~100 kbit/s in small packets, TCP acknowledgements upstream), minute-to-minute variation
is multiplicative (log-normal) around a per-session rate, and idle devices still chatter (push channels,
IoT keep-alives). Used by bench/homes.py; there is no agent code here.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Final


@dataclass(frozen=True, slots=True)
class AppModel:
    """How one application moves data while a session of it is on."""

    down_mbps: float  # median downstream rate while on (a session draws its own around it)
    up_ratio: float  # upstream bytes per downstream byte (ACKs for TCP downloads, ~1 for calls)
    pkt_down: int  # mean packet size downstream, bytes
    pkt_up: int  # mean packet size upstream, bytes
    flows: int  # connections a session keeps open
    new_per_min: float  # short connections opened per minute (page loads, chunks, API calls)
    dests: int  # size of the remote address pool of one session
    minutes: float  # median session length
    burst: float  # minute-to-minute log-normal sigma (0.2 steady stream .. 1.5 bursty browsing)
    duty: float = 1.0  # share of a session's minutes that move data (a music player fetches, then plays)


APPS: Final[dict[str, AppModel]] = {
    "netflix": AppModel(6.0, 0.02, 1400, 60, 3, 0.3, 3, 55, 0.25),
    "youtube": AppModel(4.0, 0.03, 1350, 60, 3, 0.6, 4, 25, 0.35),
    "disneyplus": AppModel(5.5, 0.02, 1400, 60, 3, 0.3, 3, 50, 0.25),
    "primevideo": AppModel(5.0, 0.02, 1400, 60, 3, 0.3, 3, 50, 0.25),
    "twitch": AppModel(4.5, 0.03, 1350, 60, 2, 0.2, 2, 45, 0.2),
    "tiktok": AppModel(3.0, 0.05, 1300, 80, 4, 2.0, 8, 12, 0.6),
    "instagram": AppModel(1.8, 0.06, 1250, 80, 4, 1.5, 8, 10, 0.7),
    "facebook": AppModel(1.0, 0.08, 1200, 80, 4, 1.5, 8, 8, 0.8),
    "spotify": AppModel(0.9, 0.04, 1350, 60, 2, 0.2, 2, 40, 0.3, duty=0.35),
    "zoom": AppModel(1.8, 0.9, 1000, 950, 3, 0.1, 2, 40, 0.25),
    "teams": AppModel(1.6, 0.8, 1000, 900, 4, 0.3, 3, 45, 0.3),
    "facetime": AppModel(1.4, 1.0, 1000, 1000, 2, 0.05, 1, 12, 0.3),
    "whatsapp": AppModel(0.05, 0.6, 600, 300, 1, 0.1, 1, 4, 0.9),
    "gaming": AppModel(0.12, 0.6, 180, 130, 2, 0.05, 2, 70, 0.25),
    "google": AppModel(0.6, 0.15, 1200, 120, 3, 1.5, 10, 6, 1.0),
    "apple": AppModel(0.3, 0.15, 1200, 120, 2, 0.8, 6, 5, 1.0),
    "icloud": AppModel(0.4, 3.0, 1300, 1400, 2, 0.3, 3, 15, 0.9),
    "quic": AppModel(1.2, 0.08, 1250, 90, 2, 1.5, 8, 6, 1.0),
    "unclassified": AppModel(0.8, 0.15, 1150, 110, 2, 2.0, 12, 6, 1.1),
    "apple_updates": AppModel(60.0, 0.02, 1450, 60, 4, 0.5, 3, 6, 0.3),
    "windows_update": AppModel(45.0, 0.02, 1450, 60, 6, 1.0, 4, 10, 0.4),
    "email": AppModel(0.02, 0.3, 900, 200, 1, 0.1, 1, 2, 0.8),
    "dns": AppModel(0.003, 0.6, 150, 75, 0, 6.0, 2, 1, 0.5),
    "ntp": AppModel(0.0001, 1.0, 90, 90, 0, 0.1, 2, 1, 0.1),
}

#: The (applications it starts, starts per hour at its busiest, profile of the day) of each device class.
ACTIVITIES: Final[dict[str, tuple[tuple[str, float], ...]]] = {
    "phone": (("youtube", 0.2), ("tiktok", 0.3), ("instagram", 0.4), ("facebook", 0.3), ("whatsapp", 1.5),
              ("spotify", 0.1), ("facetime", 0.05), ("google", 1.0), ("quic", 0.8), ("unclassified", 1.0),
              ("apple_updates", 0.005)),
    "tablet": (("youtube", 0.3), ("disneyplus", 0.05), ("google", 0.6), ("quic", 0.5), ("unclassified", 0.5)),
    "laptop": (("zoom", 0.15), ("teams", 0.15), ("google", 1.5), ("quic", 1.0), ("unclassified", 1.5),
               ("youtube", 0.2), ("email", 1.0), ("icloud", 0.1), ("windows_update", 0.01)),
    "desktop": (("google", 1.0), ("quic", 0.8), ("unclassified", 1.2), ("gaming", 0.15), ("twitch", 0.05),
                ("windows_update", 0.01), ("email", 0.5)),
    "tv": (("netflix", 0.25), ("youtube", 0.2), ("disneyplus", 0.1), ("primevideo", 0.1)),
    "streamer": (("netflix", 0.3), ("youtube", 0.25), ("primevideo", 0.15), ("twitch", 0.05)),
    "console": (("gaming", 0.35), ("twitch", 0.05), ("unclassified", 0.4)),
    "speaker": (("spotify", 0.5),),
    "iot": (),
    "camera": (),
    "printer": (),
    "nas": (("icloud", 0.1),),
}
#: When each class is used: peak hours with a weight (the rest of the day is scaled down).
_DAY: Final[dict[str, tuple[tuple[float, float], ...]]] = {
    "evening": ((7, 0.15), (12, 0.25), (17, 0.5), (19, 1.0), (22, 1.0), (23.5, 0.4), (1, 0.05)),
    "awake": ((7, 0.6), (9, 0.4), (12, 0.7), (17, 0.6), (20, 1.0), (23, 0.6), (1, 0.1)),
    "work": ((8, 0.3), (9, 1.0), (12, 0.6), (13, 1.0), (17, 0.5), (20, 0.5), (23, 0.2), (1, 0.02)),
}
_CLASS_DAY: Final = {"phone": "awake", "tablet": "awake", "laptop": "work", "desktop": "work", "tv": "evening",
                     "streamer": "evening", "console": "evening", "speaker": "awake", "nas": "evening"}
#: Background chatter of idle devices: (application, bytes per minute, minutes between bursts).
BACKGROUND: Final[dict[str, tuple[tuple[str, int, float], ...]]] = {
    "phone": (("apple", 1_800, 3.0), ("google", 1_500, 4.0), ("whatsapp", 600, 6.0)),
    "tablet": (("apple", 1_200, 5.0),),
    "laptop": (("apple", 2_000, 4.0), ("unclassified", 2_500, 3.0), ("ntp", 90, 17.0)),
    "desktop": (("unclassified", 3_000, 2.0), ("ntp", 90, 17.0)),
    "tv": (("unclassified", 2_000, 5.0), ("netflix", 800, 30.0)),
    "streamer": (("google", 1_500, 4.0),),
    "console": (("unclassified", 1_200, 6.0),),
    "speaker": (("google", 900, 2.0), ("spotify", 300, 10.0)),
    "iot": (("unclassified", 350, 1.0), ("ntp", 90, 60.0)),
    "camera": (("unclassified", 120_000, 1.0),),  # a cloud camera uploads motion clips and a thumbnail
    "printer": (("unclassified", 250, 15.0),),
    "nas": (("unclassified", 4_000, 2.0), ("ntp", 90, 17.0)),
}
_TCP_ACK: Final = 66


def day_weight(kind: str, hour: float) -> float:
    """How busy a device of this daily profile is at this hour (0..1), piecewise linear over the day."""
    points = sorted(_DAY.get(kind, _DAY["awake"]))
    xs = [h for h, _ in points]
    for i, x in enumerate(xs):
        if hour < x:
            h0, w0 = points[i - 1] if i else (points[-1][0] - 24, points[-1][1])
            h1, w1 = points[i]
            return w0 + (w1 - w0) * (hour - h0) / (h1 - h0)
    h0, w0 = points[-1]
    h1, w1 = points[0][0] + 24, points[0][1]
    return w0 + (w1 - w0) * (hour - h0) / (h1 - h0)


@dataclass(slots=True)
class Session:
    """One use of an application by one device."""

    app: str
    minutes_left: int
    mbps: float
    flows: list[int]
    remotes: list[int]


@dataclass(slots=True)
class Minute:
    """What one (device, application) did in one minute."""

    bytes_down: int = 0
    bytes_up: int = 0
    packets_down: int = 0
    packets_up: int = 0
    flow_ids: set[int] = field(default_factory=set)
    new_flows: int = 0
    remotes: set[int] = field(default_factory=set)


class Ids:
    """Flow ids and remote addresses of one home (remote pools are per application, shared by devices)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._next = 0
        self._pools: dict[str, int] = {}

    def flow(self) -> int:
        self._next += 1
        return self._next

    def remote(self, app: str) -> int:
        """An address of the application's servers: a few popular ones, a long tail (Zipf-like)."""
        base = self._pools.setdefault(app, len(self._pools) * 100_000)
        return base + int(self.rng.paretovariate(1.1)) % 5_000


class DeviceTraffic:
    """The sessions of one device and the traffic they make each minute."""

    def __init__(self, cls: str, rng: random.Random, ids: Ids, *, heavy: float = 1.0) -> None:
        self.cls = cls
        self.rng = rng
        self.ids = ids
        self.heavy = heavy  # how much this household uses this device (0.5 .. 2)
        self.sessions: list[Session] = []
        self.keepalive: dict[str, int] = {}  # background app -> its long-lived flow id

    def _start(self, app: str) -> Session:
        rng, model = self.rng, APPS[app]
        minutes = max(1, round(model.minutes * rng.lognormvariate(0, 0.6)))
        mbps = model.down_mbps * rng.lognormvariate(0, 0.35)
        flows = [self.ids.flow() for _ in range(model.flows)]
        remotes = [self.ids.remote(app) for _ in range(max(1, model.dests))]
        return Session(app, minutes, mbps, flows, remotes)

    def minute(self, hour: float, present: bool, activity: float) -> dict[str, Minute]:
        """Traffic per application for the minute; nothing when the device is away."""
        if not present:
            self.sessions.clear()
            return {}
        rng = self.rng
        out: dict[str, Minute] = {}
        weight = day_weight(_CLASS_DAY.get(self.cls, "awake"), hour) * activity * self.heavy
        choices = ACTIVITIES.get(self.cls, ())
        if not self.sessions and choices:  # one thing at a time in the foreground
            total = sum(per_hour for _, per_hour in choices)
            if rng.random() < total * weight / 60:
                self.sessions.append(self._start(rng.choices([a for a, _ in choices],
                                                             [w for _, w in choices])[0]))
        for session in self.sessions:
            self._session_minute(session, out.setdefault(session.app, Minute()))
            session.minutes_left -= 1
        self.sessions = [s for s in self.sessions if s.minutes_left > 0]
        for app, per_min, every in BACKGROUND.get(self.cls, ()):
            if rng.random() < 1 / every:
                self._background(app, per_min * every, out.setdefault(app, Minute()))
        return {app: m for app, m in out.items() if m.bytes_down or m.bytes_up or m.new_flows}

    def _session_minute(self, session: Session, m: Minute) -> None:
        rng, model = self.rng, APPS[session.app]
        if rng.random() > model.duty:
            m.flow_ids.update(session.flows[:1])  # the connection stays open, a keep-alive crosses it
            m.bytes_down += 140
            m.bytes_up += 120
            m.packets_down += 2
            m.packets_up += 2
            return
        down = int(session.mbps * 1e6 / 8 * 60 * rng.lognormvariate(-model.burst ** 2 / 2, model.burst))
        self._move(model, down, m)
        m.flow_ids.update(session.flows)
        m.remotes.update(session.remotes[: max(1, len(session.flows))])
        new = _poisson(rng, model.new_per_min)
        for _ in range(new):
            m.flow_ids.add(self.ids.flow())
            m.remotes.add(rng.choice(session.remotes) if rng.random() < 0.6 else self.ids.remote(session.app))
        m.new_flows += new

    def _background(self, app: str, nbytes: int, m: Minute) -> None:
        model, rng = APPS[app], self.rng
        self._move(model, int(nbytes * rng.lognormvariate(-0.125, 0.5)), m)
        if app in ("ntp", "dns") or rng.random() < 0.2:
            m.flow_ids.add(self.ids.flow())
            m.new_flows += 1
        else:
            flow = self.keepalive.get(app)
            if flow is None:
                flow = self.keepalive[app] = self.ids.flow()
                m.new_flows += 1
            m.flow_ids.add(flow)
        m.remotes.add(self.ids.remote(app))

    def _move(self, model: AppModel, down: int, m: Minute) -> None:
        """Bytes and packets both ways for ``down`` bytes downstream."""
        rng = self.rng
        packets_down = max(1, round(down / model.pkt_down))
        if model.up_ratio < 0.1:  # a TCP download: the upstream is acknowledgements, one per two segments
            packets_up = max(1, round(packets_down / 2 * rng.uniform(0.9, 1.1)))
            up = packets_up * _TCP_ACK + int(down * model.up_ratio * rng.uniform(0.2, 0.6))
        else:
            up = int(down * model.up_ratio * rng.lognormvariate(0, 0.2))
            packets_up = max(1, round(up / model.pkt_up))
        m.bytes_down += down
        m.packets_down += packets_down
        m.bytes_up += up
        m.packets_up += packets_up


def gateway_minute(rng: random.Random, ids: Ids, lookups: int, *, report_minute: bool,
                   dns_flows: list[int]) -> dict[str, Minute]:
    """The gateway's own traffic: forwarding DNS for the home, NTP, and the agent's own reports."""
    out: dict[str, Minute] = {}
    dns = out.setdefault("dns", Minute())
    queries = lookups + _poisson(rng, 3)
    dns.bytes_up, dns.packets_up = queries * 75, queries
    dns.bytes_down, dns.packets_down = queries * 160, queries
    dns.new_flows = queries  # one conntrack entry per query port
    dns.flow_ids.update(ids.flow() for _ in range(queries))
    dns.remotes.update(dns_flows)  # the ISP's two resolvers
    if rng.random() < 1 / 17:
        ntp = out.setdefault("ntp", Minute())
        ntp.bytes_up = ntp.bytes_down = 90 * 4
        ntp.packets_up = ntp.packets_down = 4
        ntp.new_flows = 4
        ntp.flow_ids.update(ids.flow() for _ in range(4))
        ntp.remotes.update(ids.remote("ntp") for _ in range(4))
    if report_minute:
        own = out.setdefault("unclassified", Minute())
        own.bytes_up, own.packets_up = 1_400 + int(rng.uniform(0, 900)), 6
        own.bytes_down, own.packets_down = 420, 5
        own.flow_ids.add(1)  # the agent's long-lived MQTT connection
        own.remotes.add(-1)
    return out


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k

