"""Struggling homes: poor experience, by absolute standards or against the home's own normal, for long enough.

Pure: hourly QoE scores in, a ranked finding with reasons and the likely place of the fault out. Homes whose
poor hours are explained by an open regional incident are kept off the list: the incident is the finding.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from .baselines import Baseline
from .reasons import Reason
from .segments import Segment, thresholds_for

#: An hour poor only relative to the home's own normal must also be below this: a 97-home dropping to 78 is noticed,
#: not a problem.
RELATIVE_CAP = 75.0
#: A moderate but long degradation counts too: this many points below the normal (and under RELATIVE_CAP + 5)
#: for at least SUSTAINED_HOURS hours of the window (an interfered channel all afternoon).
SUSTAINED_DROP = 15.0
SUSTAINED_HOURS = 6
#: ... or this many points below the normal in hours whose reasons name a crowded channel (other networks' air):
#: a neighbour flooding the channel all morning costs "only" 10-15 points, but it is a cause a rep can act on (a
#: channel change) and it is not where the home normally is.
SUSTAINED_AIR_DROP = 10.0
#: ... or, over a day, this many points of other networks' air above the home's own normal for the band and hour, in
#: SUSTAINED_HOURS hours, on a band the home's devices use (the QoE reason names only such bands), whatever the
#: score: a neighbour flooding the channel the phones use all day halves their air before anyone complains, and a
#: channel change is a cheap fix a rep can offer.
AIR_SURGE_POINTS = 25.0
#: The components a regional incident explains in a home's hour (seed 97: a reboot loop that ran through the
#: evening's regional congestion was kept off the list hour by hour).
INCIDENT_COMPONENTS = frozenset({"access", "stability"})
#: Reasons a single gateway restart brings with it.
RESTART_CODES = frozenset({"gateway_reboots", "wifi_disconnects"})
#: An hour counts as "in use" when the home moved at least this much; poor hours in use weigh double.
IN_USE_BYTES = 20_000_000
#: Places a fault can be, from the home outwards, with the words a rep uses.
PLACES: dict[str, str] = {
    "home_wifi": "in the home: the Wi-Fi",
    "home_device": "in the home: one device",
    "gateway": "in the home: the gateway",
    "access_network": "outside the home: our access network",
    "region": "outside the home: the wider network in the region",
}
#: Suggested actions by place.
ACTIONS: dict[str, str] = {
    "home_wifi": "Call the customer: offer Wi-Fi help (gateway placement, a mesh extender, or a channel change).",
    "home_device": "Call the customer: the named device has a poor Wi-Fi link; suggest moving it closer, a wired "
                   "connection or an extender.",
    "gateway": "Check the gateway remotely (logs, firmware, power); offer a replacement if it keeps restarting.",
    "access_network": "Open a network ticket for the line (first hop latency/loss, line drops); no call needed "
                      "unless it persists.",
    "region": "Check the regional network; tell the customer if it persists.",
}


@dataclass(frozen=True, slots=True)
class HourlyScore:
    """One stored hourly score of a home with its components, reasons and traffic."""

    hour: datetime
    score: float | None
    wifi: float | None = None
    access: float | None = None
    health: float | None = None
    stability: float | None = None
    reasons: tuple[Reason, ...] = ()
    traffic_bytes: int = 0

    def component(self, name: str) -> float | None:
        """A component score by name."""
        value: float | None = getattr(self, name)
        return value


@dataclass(frozen=True, slots=True)
class StrugglingFinding:
    """A home on the struggling list: how bad, where, why, and what to do."""

    home_id: str
    impact: float
    poor_hours: int
    worst_score: float
    mean_score: float
    place: str
    reasons: tuple[Reason, ...]
    action: str
    first_poor_hour: datetime
    last_poor_hour: datetime


def worst_component(poor: Sequence[HourlyScore]) -> str | None:
    """The component lowest on average over the poor hours."""
    comp_means: dict[str, float] = {}
    for name in ("wifi", "access", "health", "stability"):
        values = [v for h in poor if (v := h.component(name)) is not None]
        if values:
            comp_means[name] = sum(values) / len(values)
    return min(comp_means, key=lambda k: comp_means[k]) if comp_means else None


def _place_of(poor: Sequence[HourlyScore]) -> tuple[str, str | None]:
    """Where the fault most likely is: the component lowest over the poor hours, refined by its reasons."""
    worst = worst_component(poor)
    if worst is None:
        return "home_wifi", None
    codes = Counter(r.code for h in poor for r in h.reasons)
    if worst == "wifi":
        macs = Counter(str(r.numbers["mac"]) for h in poor for r in h.reasons[:1] if "mac" in r.numbers)
        if macs:
            mac, n = macs.most_common(1)[0]
            busy = codes.get("channel_busy", 0)
            if n >= 0.6 * len(poor) and busy < 0.5 * len(poor):
                return "home_device", mac
        return "home_wifi", None
    if worst == "health":
        return "gateway", None
    if worst == "stability":
        # The line dropping is the access network; every device dropping off the Wi-Fi is the gateway's radio.
        return ("access_network", None) if codes.get("wan_flaps", 0) >= codes.get("wifi_disconnects", 0) \
            else ("gateway", None)
    first_hop = codes.get("high_first_hop_latency", 0) + sum(
        1 for h in poor for r in h.reasons if r.code == "packet_loss" and "first_hop_loss_pct" in r.numbers)
    return ("access_network", None) if first_hop else ("region", None)


def _incident_explains(hour: HourlyScore, incident_hours: frozenset[datetime]) -> bool:
    """The hour falls in a regional incident the home belongs to, and what is worst in it is what such an incident
    does to a home (latency, loss, the line dropping): a gateway restarting or a weak Wi-Fi link during the evening's
    congestion is still the home's own trouble."""
    return hour.hour in incident_hours and worst_component([hour]) in INCIDENT_COMPONENTS


def _lone_restart(hour: HourlyScore) -> bool:
    """The hour's only trouble is one gateway restart (and the devices dropping with it): a firmware update or a
    power cut is an event, not a struggle, even for a new subscriber listed after one poor hour."""
    codes = {r.code for r in hour.reasons}
    once = any(r.code == "gateway_reboots" and r.numbers.get("reboots") == 1 for r in hour.reasons)
    return once and codes <= RESTART_CODES


def _air_surge(hour: HourlyScore) -> bool:
    """The hour's reasons name a channel the home uses whose air other networks took far beyond its normal."""
    return any(r.code == "channel_busy" and float(r.numbers.get("above_normal_pct", 0.0) or 0.0) >= AIR_SURGE_POINTS
               for r in hour.reasons)


def _crowded_air(hour: HourlyScore) -> bool:
    """The hour's reasons name a Wi-Fi channel crowded by other networks."""
    return any(r.code == "channel_busy" for r in hour.reasons)


def judge(home_id: str, hours: Iterable[HourlyScore], normal: Baseline | None, segment: Segment | None,
          incident_hours: frozenset[datetime] = frozenset(), *, min_poor_hours: int | None = None,
          recent: bool = False, explained: frozenset[str] = frozenset()) -> StrugglingFinding | None:
    """Decide whether a home struggled over ``hours``; None when it did not (or an incident explains it).

    An hour is poor when its score is under the segment's absolute bar, or more than the segment's drop below
    the home's own normal (median hourly score) and also under RELATIVE_CAP. Hours inside a regional incident the home
    belongs to do not count when what is worst in them is what the incident explains (INCIDENT_COMPONENTS).
    Over a day, SUSTAINED_HOURS hours SUSTAINED_DROP points below the normal also count, or
    SUSTAINED_AIR_DROP points in hours with a crowded channel, or SUSTAINED_HOURS hours with other networks' air
    AIR_SURGE_POINTS above the home's normal on a band its devices use (listed as the Wi-Fi whatever the score).
    ``min_poor_hours`` defaults to the segment's daily (or, with ``recent``, near-real-time) count.
    ``explained`` names components a cohort finding already explains for this home (its gateway's model and
    firmware were found worse on them): when that is what pulls the home down, the cohort is the finding and the
    home is not listed.
    """
    th = thresholds_for(segment)
    need = min_poor_hours if min_poor_hours is not None else (
        th.min_poor_hours_recent if recent else th.min_poor_hours_daily)
    scored = sorted((h for h in hours if h.score is not None), key=lambda h: h.hour)
    rel_bar = None
    if normal is not None and normal.n >= 24:
        rel_bar = min(RELATIVE_CAP, normal.median - max(th.drop_points, 3 * normal.scale(0.0, 0.0)))
    poor: list[HourlyScore] = []
    for h in scored:
        assert h.score is not None
        if _incident_explains(h, incident_hours):
            continue
        if h.score < th.poor_score or (rel_bar is not None and h.score < rel_bar):
            poor.append(h)
    if len(poor) < need and normal is not None and normal.n >= 24 and not recent:
        moderate_bar = min(RELATIVE_CAP + 5.0, normal.median - SUSTAINED_DROP)
        air_bar = min(RELATIVE_CAP + 10.0, normal.median - SUSTAINED_AIR_DROP)
        moderate = [h for h in scored if not _incident_explains(h, incident_hours) and h.score is not None
                    and (h.score < moderate_bar or (h.score < air_bar and _crowded_air(h)))]
        if len(moderate) >= SUSTAINED_HOURS:
            poor = moderate
    surge = False
    # A flooded channel is a finding of its own even in a home whose poor hours a cohort already explains (a bad
    # firmware does not change channels for the neighbours).
    if (len(poor) < need or worst_component(poor) in explained) and not recent:
        surged = [h for h in scored if not _incident_explains(h, incident_hours) and _air_surge(h)]
        if len(surged) >= SUSTAINED_HOURS:
            poor, surge = surged, True
    if len(poor) < need or (len(poor) == 1 and _lone_restart(poor[0])):
        return None
    if not surge and worst_component(poor) in explained:
        return None
    scores = [h.score for h in poor if h.score is not None]
    impact = sum((100.0 - s) * (2.0 if h.traffic_bytes >= IN_USE_BYTES else 1.0) for h, s in zip(poor, scores,
                                                                                                   strict=True))
    place, mac = ("home_wifi", None) if surge else _place_of(poor)
    in_use = sum(1 for h in poor if h.traffic_bytes >= IN_USE_BYTES)
    mean = sum(scores) / len(scores)
    what = (f"Other networks took far more of the Wi-Fi air than usual for {len(poor)} hour(s)" if surge
            else f"The connection was poor for {len(poor)} hour(s)")
    head = Reason("poor_hours", f"{what} ({in_use} of them while the home was using it): quality score averaged "
                  f"{mean:.0f}/100, "
                  f"lowest {min(scores):.0f}" + (f"; this home normally scores {normal.median:.0f}."
                                                   if normal is not None and normal.n >= 24 else "."),
                  {"poor_hours": len(poor), "in_use_hours": in_use, "mean_score": round(mean, 1),
                   "worst_score": min(scores), "normal_score": round(normal.median, 1) if normal else "",
                   "threshold": th.poor_score})
    # The most frequent specific reasons over the poor hours, each once, worst hour's wording.
    seen: dict[str, Reason] = {}
    counts: Counter[str] = Counter()
    for h in sorted(poor, key=lambda h: h.score or 0.0):
        for r in h.reasons:
            key = f"{r.code}:{r.numbers.get('mac', '')}"
            counts[key] += 1
            seen.setdefault(key, r)
    detail = [seen[k] for k, _ in counts.most_common(3)]
    if mac is not None:
        detail.sort(key=lambda r: r.numbers.get("mac") != mac)
    place_reason = Reason("likely_place", f"Most likely {PLACES[place]}" + (f" (device {mac})." if mac else "."),
                          {"place": place, **({"mac": mac} if mac else {})})
    return StrugglingFinding(home_id, round(impact, 1), len(poor), min(scores), round(mean, 1), place,
                             (head, *detail, place_reason), ACTIONS[place], poor[0].hour, poor[-1].hour)


def rank(findings: Iterable[StrugglingFinding]) -> list[StrugglingFinding]:
    """The struggling list, biggest impact first."""
    return sorted(findings, key=lambda f: (-f.impact, f.home_id))
