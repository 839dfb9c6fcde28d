"""The Wi-Fi component of the hourly QoE score: each station's link and the air it shares, weighted by use.

A station scores the worst of its signal, PHY rate and retries, and of the air on its band: channel busy time
*not* caused by the home's own traffic (the neighbours' networks, an interferer). Stations are averaged weighted by
what the household uses them for (``station_weights``). A flooded band nobody in the home uses moves nothing; the
same flood on the band the TV streams over scores as badly as a weak signal would. Thresholds and sources:
docs/analytics.md, section 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .qoe_ramp import REASON_BELOW, ComponentScore, Ramp, ramp, worst
from .reasons import Reason, human_bytes

#: Signal (dBm): -67 is the usual design target for voice/video, -70 is "fair", -80 "poor" (Cisco/Aruba/Wi-Fi
#: Alliance design guides); below -85 data barely flows.
SIGNAL_RAMP: Ramp = ((-85.0, 0.0), (-80.0, 20.0), (-70.0, 70.0), (-67.0, 85.0), (-60.0, 100.0))
#: Downlink PHY rate (Mbit/s): 6 Mbit/s is the lowest OFDM rate (the station barely holds on); 24 carries one
#: HD stream; 72 is a single-stream 2.4 GHz 802.11n link, normal for speakers, cameras and printers.
PHY_RATE_RAMP: Ramp = ((6.0, 0.0), (12.0, 20.0), (24.0, 60.0), (50.0, 85.0), (100.0, 100.0))
#: Share of frames retransmitted (%): 10 % is normal on a busy channel, 30 % hurts, 50 % is broken.
RETRY_RAMP: Ramp = ((10.0, 100.0), (30.0, 50.0), (50.0, 0.0))
#: Channel busy time not caused by the home itself (%): above ~50 % latency grows (every frame waits for the air);
#: 70 % is congested, 90 % is saturated.
BUSY_RAMP: Ramp = ((40.0, 100.0), (70.0, 50.0), (90.0, 0.0))
#: Other networks' air above this home's own normal for the band and hour of day (points of busy time): a neighbour
#: that starts flooding an empty channel takes air the household had, long before the absolute ramp calls the channel
#: crowded (8 % -> 50 % busy halves what is left for the home, and every frame waits longer). Under 15 points is the
#: hour-to-hour wobble of the neighbours' own evening; 30 points is a new, heavy user of the channel.
SURGE_RAMP: Ramp = ((15.0, 100.0), (30.0, 70.0), (50.0, 40.0), (70.0, 10.0))
#: Without a usual share known for the home's devices, every device weighs its traffic plus this much, so an idle
#: device still counts a little.
IDLE_WEIGHT_BYTES = 1_000_000
#: A device (or a band) weighing at least this share of the stations' weight can be named as a reason.
REASON_WEIGHT_SHARE = 0.1
#: A device carrying at least this share of the home's traffic over the last days is one the household relies on:
#: its link (and air) caps the Wi-Fi score in every hour, idle or not (the TV that buffers every evening is the
#: home's problem whatever the phones do). Below it, a device is only averaged in.
RELIED_ON_SHARE = 0.1
#: ... unless it moves with people: a phone's weak hour is where its owner sat, not the home's coverage (the same
#: classes the activity list never calls "silent").
MOBILE_CLASSES = frozenset({"phone", "tablet", "laptop", "watch", "wearable"})


@dataclass(frozen=True, slots=True)
class DeviceHour:
    """One Wi-Fi station over one hour: hourly means of its link and the traffic it carried."""

    mac: str
    label: str
    band: str | None
    signal_dbm: float | None
    tx_rate_mbps: float | None
    retry_pct: float | None
    traffic_bytes: int
    #: Its share of the home's device traffic over the last days (device_usage), None when unknown.
    usual_share: float | None = None
    device_class: str | None = None


@dataclass(frozen=True, slots=True)
class RadioHour:
    """One radio over one hour: mean channel busy time and, when known, the home's own share of it."""

    band: str | None
    busy_pct: float | None
    #: The radio's own transmit + receive air time (%), part of busy_pct; None when not reported.
    own_pct: float | None = None
    #: The home's normal foreign busy time on this band at this hour of the day (%), None while unknown.
    normal_foreign_pct: float | None = None

    @property
    def foreign_busy_pct(self) -> float | None:
        """Busy time the home did not cause itself (all of it when its own air time is unknown)."""
        if self.busy_pct is None:
            return None
        return max(0.0, self.busy_pct - (self.own_pct or 0.0))


def station_weights(devices: Sequence[DeviceHour]) -> list[float]:
    """How much each station's link counts in the hour's Wi-Fi score (shares of 1; see docs/analytics.md).

    A station counts by what the household uses it for: the larger of its share of this hour's traffic and its
    usual share of the home's traffic over the last days. The TV that streams every evening weighs in even in an
    hour it is idle; a speaker that moves a few kilobytes a day weighs (almost) nothing, even in a quiet hour.
    Without any usual share known (no history yet), each station weighs its hour's traffic plus
    IDLE_WEIGHT_BYTES. A station with no usual share of its own (a new device) counts by this hour's share.
    """
    if not devices:
        return []
    total = sum(d.traffic_bytes for d in devices)
    if any(d.usual_share is not None for d in devices):
        raw = [max(d.traffic_bytes / total if total else 0.0, d.usual_share or 0.0) for d in devices]
        if sum(raw) > 0:
            return [w / sum(raw) for w in raw]
    floor = [d.traffic_bytes + IDLE_WEIGHT_BYTES for d in devices]
    return [w / sum(floor) for w in floor]


def foreign_by_band(radios: Sequence[RadioHour]) -> dict[str | None, tuple[float, float]]:
    """Per band: (mean busy time, mean busy time not caused by the home) over the band's radios (%)."""
    by_band: dict[str | None, list[RadioHour]] = {}
    for r in radios:
        if r.busy_pct is not None:
            by_band.setdefault(r.band, []).append(r)
    return {band: (sum(r.busy_pct or 0.0 for r in rs) / len(rs), sum(r.foreign_busy_pct or 0.0 for r in rs) / len(rs))
            for band, rs in by_band.items()}


def _band_normal(radios: Sequence[RadioHour], band: str | None) -> float | None:
    normals = [r.normal_foreign_pct for r in radios if r.band == band and r.normal_foreign_pct is not None]
    return sum(normals) / len(normals) if normals else None


def air_scores(radios: Sequence[RadioHour]) -> dict[str | None, tuple[float, Reason]]:
    """Per band: the score of its air and the reason in words. The air scores the worse of the foreign busy time
    through BUSY_RAMP and, where the home's normal for the band and hour is known, its rise over that normal
    through SURGE_RAMP."""
    out: dict[str | None, tuple[float, Reason]] = {}
    for band, (busy, foreign) in foreign_by_band(radios).items():
        own = busy - foreign
        where = f"{band} GHz " if band else ""
        score = ramp(foreign, BUSY_RAMP)
        numbers: dict[str, str | float | int] = {"band": band or "", "busy_pct": round(busy, 1),
                                                 "foreign_busy_pct": round(foreign, 1)}
        normal = _band_normal(radios, band)
        usual = ""
        if normal is not None:
            score = min(score, ramp(foreign - normal, SURGE_RAMP))
            numbers["normal_foreign_busy_pct"] = round(normal, 1)
            numbers["above_normal_pct"] = round(foreign - normal, 1)
            usual = f"; at this hour other networks normally take {normal:.0f}%"
        text = (f"The {where}Wi-Fi channel was busy {busy:.0f}% of the time, {foreign:.0f}% with other networks' "
                f"traffic or interference (this home's own use: {own:.0f}%; under 40% is comfortable{usual}).")
        out[band] = (score, Reason("channel_busy", text, numbers))
    return out


def _carried(d: DeviceHour, total: int) -> str:
    share = d.traffic_bytes / total if total else 0.0
    text = f"while it carried {human_bytes(d.traffic_bytes)} ({share:.0%} of the home's Wi-Fi traffic)"
    if d.usual_share is not None and d.usual_share >= REASON_WEIGHT_SHARE:
        text += f"; it normally carries {d.usual_share:.0%} of the home's traffic"
    return text


def link_score(d: DeviceHour, total: int) -> tuple[float, tuple[Reason, ...]] | None:
    """A station's link: the worst of its signal, PHY rate and retries, except that a weak signal does not count
    while the link it predicts is measured comfortable (PHY rate and retries both scoring REASON_BELOW or more);
    None without any measurement.

    The signal predicts the link; the PHY rate and the retries are the link. A laptop at -74 dBm on 5 GHz that
    still links at 144 Mbit/s with 6 % retries serves its user well, and its home is not "struggling" over it; a TV
    at -80 dBm on 2.4 GHz that links at 20 Mbit/s with 30 % retries does not, and the weak signal is the reason.
    """
    metrics = _link_metrics(d, total)
    if not metrics:
        return None
    measured = [(v, r) for v, r in metrics if r is None or r.code != "weak_signal"]
    if len(measured) == 2 and min(v for v, _ in measured) >= REASON_BELOW:
        return worst(measured)
    return worst(metrics)


def _link_metrics(d: DeviceHour, total: int) -> list[tuple[float, Reason | None]]:
    """The station's signal, PHY rate and retries, scored, each with its reason in words."""
    share = d.traffic_bytes / total if total else 0.0
    carried = _carried(d, total)
    numbers: dict[str, str | float | int] = {"mac": d.mac, "traffic_bytes": d.traffic_bytes,
                                             "traffic_share": round(share, 3)}
    if d.usual_share is not None:
        numbers["usual_share"] = round(d.usual_share, 3)
    metrics: list[tuple[float, Reason | None]] = []
    if d.signal_dbm is not None:
        metrics.append((ramp(d.signal_dbm, SIGNAL_RAMP), Reason(
            "weak_signal", f"The {d.label} had a weak Wi-Fi signal ({d.signal_dbm:.0f} dBm; -67 dBm or better is "
            f"good for video) {carried}.", {**numbers, "signal_dbm": round(d.signal_dbm, 1)})))
    if d.tx_rate_mbps is not None:
        metrics.append((ramp(d.tx_rate_mbps, PHY_RATE_RAMP), Reason(
            "low_phy_rate", f"The {d.label} linked at only {d.tx_rate_mbps:.0f} Mbit/s (50+ is comfortable) "
            f"{carried}.", {**numbers, "tx_rate_mbps": round(d.tx_rate_mbps, 1)})))
    if d.retry_pct is not None:
        metrics.append((ramp(d.retry_pct, RETRY_RAMP), Reason(
            "wifi_retries", f"{d.retry_pct:.0f}% of the Wi-Fi frames to the {d.label} had to be sent again (under "
            f"10% is normal) {carried}.", {**numbers, "retry_pct": round(d.retry_pct, 1)})))
    return metrics


def wifi_component(devices: Sequence[DeviceHour], radios: Sequence[RadioHour]) -> ComponentScore:
    """Wi-Fi: each station as good as the worst of its link and its band's air, weighted by what the household
    uses it for, and no better than the worst device that stays in place and that the household relies on
    (RELIED_ON_SHARE, not MOBILE_CLASSES); without stations, the air alone."""
    air = air_scores(radios)
    if not devices and not air:
        return ComponentScore("wifi", None)
    total = sum(d.traffic_bytes for d in devices)
    weighted = weight_sum = 0.0
    reasons: list[tuple[float, Reason]] = []
    band_weight: dict[str | None, float] = {}
    relied_on: list[float] = []
    for d, w in zip(devices, station_weights(devices), strict=True):
        link = link_score(d, total)
        if link is None or w <= 0:
            continue
        link_value, link_reasons = link
        band_air = air.get(d.band)
        dev_score = min(link_value, band_air[0]) if band_air else link_value
        weighted += w * dev_score
        weight_sum += w
        band_weight[d.band] = band_weight.get(d.band, 0.0) + w
        relied = d.usual_share is not None and d.usual_share >= RELIED_ON_SHARE and \
            d.device_class not in MOBILE_CLASSES
        if relied:
            relied_on.append(dev_score)
        # A weak link on a device the household hardly uses is not worth a rep's breath.
        if link_reasons and (w >= REASON_WEIGHT_SHARE or relied):
            reasons.append((link_value, link_reasons[0]))
    if weight_sum:
        score = min([weighted / weight_sum, *relied_on])
        named = {band for band, bw in band_weight.items() if bw / weight_sum >= REASON_WEIGHT_SHARE}
    elif air:
        score = sum(a for a, _ in air.values()) / len(air)
        named = set(air)
    else:
        return ComponentScore("wifi", None)
    for band, (air_score, reason) in air.items():
        if air_score < REASON_BELOW and band in named:
            reasons.append((air_score, reason))
    return ComponentScore("wifi", round(score, 1), tuple(r for _, r in sorted(reasons, key=lambda sr: sr[0])))
