"""Regional incidents: many homes of one area degrading within minutes of each other, as ONE incident.

Pure: each home's state over the last minutes (from the raw probe rows, so an incident is seen within one
report interval) and its place in the region/area/node hierarchy, in; incidents naming the smallest area that
explains the degradation, out. ``reconcile`` carries incidents from run to run: it opens new ones, updates
those that go on (the area may grow from a node to its area) and closes those that ended.

Each incident has one cause: the access network (loss, silence, or a round trip that rose at or before the
first hop) or congestion upstream of it (the round trip beyond the first hop rose). Homes are grouped per
cause, so an area outage and an evening's regional congestion that overlap stay two incidents, each named
at its own area, instead of the outage being swallowed by the wider one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from .qoe_score import loss_lower_bound_pct

LEVELS = ("region", "area", "node")
ACCESS, UPSTREAM = "access", "upstream"
CAUSES = (ACCESS, UPSTREAM)
#: In words, for people: what the cause means.
CAUSE_WORDS = {ACCESS: "access network", UPSTREAM: "congestion beyond the access network"}
#: A home whose round trip is up counts as congested upstream when at least this share of the rise lies beyond
#: the first hop (its own line and the access network are as usual).
UPSTREAM_SHARE_OF_RISE = 0.5
#: A home is degraded when its latest report lost at least this many probes and, with 95 % confidence, at least
#: this share (one home's evidence is weak on purpose: the group decides)...
DEGRADED_MIN_LOST = 3
DEGRADED_LOSS_PCT = 1.0
#: ...or its round trip beyond the first hop exceeded its own normal by this factor and this many ms...
DEGRADED_RTT_FACTOR = 1.5
DEGRADED_RTT_EXTRA_MS = 10.0
#: ...or the part of its round trip beyond the first hop (internet minus first hop: the home's own line and its
#: queueing cancel out) rose above its own normal by this many ms and this share: small for one home, but many
#: homes of one area rising together at once is how congestion upstream of the access network starts...
EXCESS_RISE_MS = 2.0
EXCESS_RISE_SHARE = 0.15
#: ...or it stopped reporting: its last report is older than this while it reported recently.
STALE_AFTER = timedelta(minutes=12)
#: A group is an incident candidate with at least this many degraded homes, this share of its homes...
MIN_HOMES = 3
MIN_FRACTION = 0.5
#: ...and this improbable under the fleet's background rate of degraded homes (binomial tail).
MAX_P_VALUE = 1e-4
#: The fleet background rate is clamped here, so a fleet-wide event still shows as regional incidents.
BACKGROUND_RATE_BOUNDS = (0.005, 0.05)
#: A parent area is replaced by one child that holds this share of its degraded homes.
CHILD_EXPLAINS = 0.8
#: When at least this share of the whole fleet stopped reporting at once, the cause is our collection (broker,
#: ingest), not the access network: staleness is then ignored (and logged by the job).
FLEET_STALE_SHARE = 0.5
#: An incident not seen again for this long is closed.
CLOSE_AFTER = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class HomeState:
    """One home's recent probe results and where it sits in the network."""

    home_id: str
    region: str | None
    area: str | None
    node: str | None
    last_report: datetime | None
    lost: int | None = None
    sent: int | None = None
    rtt_ms: float | None = None
    normal_rtt_ms: float | None = None
    first_bad: datetime | None = None  # earliest bad probe of the current degradation, when known
    first_hop_rtt_ms: float | None = None
    normal_excess_ms: float | None = None  # normal internet minus first-hop round trip

    def path(self, level: str) -> str | None:
        """The home's area at ``level`` as a path ('north', 'north/a3', 'north/a3/n12'); None when unknown."""
        parts = [self.region, self.area, self.node][: LEVELS.index(level) + 1]
        if any(p is None or p == "" for p in parts):
            return None
        return "/".join(p for p in parts if p)


def degradation(h: HomeState, now: datetime) -> str | None:
    """Why the home counts as degraded now, in words; None when it does not."""
    if h.last_report is not None and now - h.last_report >= STALE_AFTER:
        return f"no report for {int((now - h.last_report).total_seconds() // 60)} minutes"
    if h.lost is not None and h.sent and h.lost >= DEGRADED_MIN_LOST and \
            loss_lower_bound_pct(h.lost, h.sent) >= DEGRADED_LOSS_PCT:
        return f"{100 * h.lost / h.sent:.0f}% packet loss"
    if h.rtt_ms is not None and h.normal_rtt_ms is not None and \
            h.rtt_ms >= max(DEGRADED_RTT_FACTOR * h.normal_rtt_ms, h.normal_rtt_ms + DEGRADED_RTT_EXTRA_MS):
        return f"round trip {h.rtt_ms:.0f} ms against {h.normal_rtt_ms:.0f} ms normally"
    rise = excess_rise(h)
    if rise is not None and rise >= max(EXCESS_RISE_MS, EXCESS_RISE_SHARE * max(0.0, h.normal_excess_ms or 0.0)):
        return f"round trip beyond the first hop up {rise:.0f} ms"
    return None


def cause_of(h: HomeState, reason: str) -> str:
    """The cause family of a home's degradation: ACCESS or UPSTREAM (see the module docstring)."""
    if reason.startswith("round trip beyond"):
        return UPSTREAM
    if reason.startswith("round trip") and h.rtt_ms is not None and h.normal_rtt_ms is not None:
        rise = excess_rise(h)
        if rise is not None and rise >= UPSTREAM_SHARE_OF_RISE * (h.rtt_ms - h.normal_rtt_ms):
            return UPSTREAM
    return ACCESS


def excess_rise(h: HomeState) -> float | None:
    """How much the round trip beyond the first hop exceeds the home's normal for it (ms); None when unknown."""
    if h.rtt_ms is None or h.first_hop_rtt_ms is None or h.normal_excess_ms is None:
        return None
    return h.rtt_ms - h.first_hop_rtt_ms - h.normal_excess_ms


@dataclass(frozen=True, slots=True)
class Candidate:
    """An area whose homes degrade together now."""

    level: str
    area: str  # the name of the region, area or node (names are unique across the hierarchy)
    homes_total: int
    degraded: frozenset[str]
    p_value: float
    onset: datetime | None
    why: str
    path: str = ""  # region/area/node path, for walking the hierarchy
    cause: str = ACCESS

    @property
    def fraction(self) -> float:
        """Share of the area's reporting homes that are degraded."""
        return len(self.degraded) / self.homes_total if self.homes_total else 0.0


def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p), summed in log space (exact, fine for n in the thousands)."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    total = 0.0
    log_p, log_q = math.log(p), math.log1p(-p)
    log_n = math.lgamma(n + 1)
    for i in range(k, n + 1):
        term = math.exp(log_n - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_p + (n - i) * log_q)
        total += term
        if i > k + 50 and term < total * 1e-12:
            break  # past the mode the terms only shrink
    return min(1.0, total)


def _kind_of(reason: str) -> str:
    """The kind of a home's degradation, for counting ('high packet loss', ...)."""
    if reason.startswith("no report"):
        return "no recent report"
    if reason.endswith("packet loss"):
        return "high packet loss"
    if reason.startswith("round trip beyond"):
        return "round trip up beyond the first hop"
    if reason.startswith("round trip"):
        return "high round-trip time"
    return reason


def _summary(reasons: Iterable[str]) -> str:
    counts: dict[str, int] = {}
    for r in reasons:
        key = _kind_of(r)
        counts[key] = counts.get(key, 0) + 1
    return ", ".join(f"{n} with {k}" for k, n in sorted(counts.items(), key=lambda kv: -kv[1]))


def detect(homes: Sequence[HomeState], now: datetime) -> list[Candidate]:
    """Areas degrading together now, per cause, each named at the smallest level that explains it."""
    why: dict[str, dict[str, str]] = {cause: {} for cause in CAUSES}
    stale = sum(1 for h in homes if h.last_report is not None and now - h.last_report >= STALE_AFTER)
    ignore_stale = bool(homes) and stale / len(homes) >= FLEET_STALE_SHARE
    for h in homes:
        if ignore_stale and h.last_report is not None and now - h.last_report >= STALE_AFTER:
            h = replace(h, last_report=now)  # judge it on its last probes only
        w = degradation(h, now)
        if w is not None:
            why[cause_of(h, w)][h.home_id] = w
    if not any(why.values()):
        return []
    members: dict[tuple[str, str], list[HomeState]] = {}
    for h in homes:
        for level in LEVELS:
            p = h.path(level)
            if p is not None:
                members.setdefault((level, p), []).append(h)
    return [c for cause in CAUSES if why[cause] for c in _detect_cause(members, len(homes), why[cause], cause)]


def _detect_cause(members: dict[tuple[str, str], list[HomeState]], fleet_homes: int, why: dict[str, str],
                  cause: str) -> list[Candidate]:
    """detect() for the homes degraded by one cause; ``members`` are the homes of each (level, area path)."""
    lo, hi = BACKGROUND_RATE_BOUNDS
    background = min(hi, max(lo, len(why) / max(1, fleet_homes)))

    def candidate(level: str, area: str) -> Candidate | None:
        group = members.get((level, area), [])
        bad = [h for h in group if h.home_id in why]
        if len(bad) < MIN_HOMES or len(bad) / len(group) < MIN_FRACTION:
            return None
        p = binomial_tail(len(bad), len(group), background)
        if p > MAX_P_VALUE:
            return None
        onsets = sorted(h.first_bad for h in bad if h.first_bad is not None)
        onset = onsets[len(onsets) // 4] if onsets else None  # early, but not the earliest outlier
        return Candidate(level, area.rsplit("/", 1)[-1], len(group), frozenset(h.home_id for h in bad), p, onset,
                         _summary(why[h.home_id] for h in bad), area, cause)

    def children(level: str, area: str) -> list[str]:
        if level == LEVELS[-1]:
            return []
        child = LEVELS[LEVELS.index(level) + 1]
        return sorted({a for (lv, a) in members if lv == child and a.startswith(area + "/")})

    def resolve(c: Candidate) -> Candidate:
        kids = [k for a in children(c.level, c.path) if (k := candidate(LEVELS[LEVELS.index(c.level) + 1], a))]
        if kids:
            best = max(kids, key=lambda k: len(k.degraded))
            if len(best.degraded) >= CHILD_EXPLAINS * len(c.degraded):
                return resolve(best)
        return c

    found: list[Candidate] = []

    def walk(level: str, area: str) -> None:
        c = candidate(level, area)
        if c is not None:
            found.append(resolve(c))
            return
        for a in children(level, area):
            walk(LEVELS[LEVELS.index(level) + 1], a)

    for region in sorted({a for (lv, a) in members if lv == "region"}):
        walk("region", region)
    return found


@dataclass(frozen=True, slots=True)
class Incident:
    """A regional incident as stored: where, since when, which homes, and whether it is still going on."""

    incident_id: int | None
    level: str
    area: str
    started_at: datetime
    detected_at: datetime
    last_seen_at: datetime
    homes: frozenset[str]
    homes_total: int
    peak_degraded: int
    why: str
    ended_at: datetime | None = None
    history: tuple[str, ...] = field(default_factory=tuple)
    cause: str = ACCESS

    @property
    def is_open(self) -> bool:
        """Still going on."""
        return self.ended_at is None

    def summary(self) -> str:
        """The incident in one sentence a rep can read out."""
        state = "ongoing" if self.is_open else f"ended {self.ended_at:%H:%M}"
        return (f"Network incident ({CAUSE_WORDS.get(self.cause, self.cause)}) in {self.level} {self.area}: "
                f"{len(self.homes)} homes affected "
                f"(of {self.homes_total}) since {self.started_at:%Y-%m-%d %H:%M} UTC, {state}; {self.why}.")


def reconcile(open_incidents: Sequence[Incident], candidates: Sequence[Candidate], now: datetime) -> list[Incident]:
    """The incidents after this run: continued (possibly with a wider or narrower area), new, and closed.

    Returns every incident that changed or is new; an open incident not seen again for CLOSE_AFTER comes back
    closed, ended at the last time it was seen.
    """
    changed: list[Incident] = []
    matched: set[int] = set()
    for c in candidates:
        best: tuple[int, Incident] | None = None
        for i, inc in enumerate(open_incidents):
            if i in matched or inc.cause != c.cause:
                continue
            overlap = len(inc.homes & c.degraded) / max(1, min(len(inc.homes), len(c.degraded)))
            if inc.area == c.area or overlap >= 0.5:
                best = (i, inc)
                break
        if best is None:
            start = c.onset if c.onset is not None and c.onset <= now else now
            changed.append(Incident(None, c.level, c.area, start, now, now, c.degraded, c.homes_total,
                                    len(c.degraded), c.why, None, (f"{now:%H:%M} opened: {c.why}",), c.cause))
            continue
        i, inc = best
        matched.add(i)
        # Other open incidents this one now covers (a node found a minute before its area) are merged into it.
        for j, other in enumerate(open_incidents):
            if j not in matched and other.cause == c.cause and other.homes and \
                    len(other.homes & c.degraded) >= 0.5 * len(other.homes):
                matched.add(j)
                inc = replace(inc, homes=inc.homes | other.homes,
                              started_at=min(inc.started_at, other.started_at),
                              detected_at=min(inc.detected_at, other.detected_at))
                changed.append(replace(other, ended_at=now, history=(*other.history,
                                       f"{now:%H:%M} merged into the {c.level} {c.area} incident")))
        history = inc.history
        level, area = inc.level, inc.area
        if c.area != inc.area and LEVELS.index(c.level) < LEVELS.index(inc.level):
            # It spread: the wider area explains it now.
            level, area = c.level, c.area
            history = (*history, f"{now:%H:%M} widened to {c.level} {c.area}")
        changed.append(replace(inc, level=level, area=area, last_seen_at=now, homes=inc.homes | c.degraded,
                               homes_total=max(inc.homes_total, c.homes_total) if area == inc.area
                               else c.homes_total,
                               peak_degraded=max(inc.peak_degraded, len(c.degraded)), why=c.why, history=history))
    for i, inc in enumerate(open_incidents):
        if i not in matched and now - inc.last_seen_at >= CLOSE_AFTER:
            changed.append(replace(inc, ended_at=inc.last_seen_at,
                                   history=(*inc.history, f"{now:%H:%M} closed: no longer seen since "
                                                          f"{inc.last_seen_at:%H:%M}")))
    return changed


def homes_in_incidents(incidents: Iterable[Incident], start: datetime, end: datetime) -> dict[str, list[Incident]]:
    """For each home, the incidents that affected it at some time in [start, end)."""
    out: dict[str, list[Incident]] = {}
    for inc in incidents:
        stop = inc.ended_at or end
        if inc.started_at < end and stop >= start:
            for h in inc.homes:
                out.setdefault(h, []).append(inc)
    return out
