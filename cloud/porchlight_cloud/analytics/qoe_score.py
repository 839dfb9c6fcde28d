"""Per-home, per-hour Quality of Experience score (0-100) from four components that each stand on their own.

Components (each 0-100, 100 = nothing to improve) and the overall score are documented with their thresholds
and sources in docs/analytics.md. Every metric maps onto 0-100 by a piecewise-linear ramp between published
or field-practice thresholds; a component is as good as its worst metric, so its reasons name that metric.
A component with no data is ``None`` and the overall score uses the others.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from .qoe_ramp import REASON_BELOW, ComponentScore, Ramp, ramp, worst
from .qoe_wifi import (
    BUSY_RAMP,
    PHY_RATE_RAMP,
    RETRY_RAMP,
    SIGNAL_RAMP,
    DeviceHour,
    RadioHour,
    station_weights,
    wifi_component,
)
from .reasons import Reason

__all__ = ["BUSY_RAMP", "ComponentScore", "PHY_RATE_RAMP", "REASON_BELOW", "RETRY_RAMP", "SIGNAL_RAMP", "DeviceHour",
           "HomeHour", "QoeScore", "RadioHour", "Ramp", "combine", "ramp", "score_hour", "station_weights",
           "wifi_component"]

# --- Access network: probes to the first hop (the ISP's access network) and beyond ---------------------------
#: Round-trip time beyond the first hop (ms). ITU-T Y.1541 class 0 bounds one-way delay at 100 ms (200 ms round
#: trip); G.1010 puts interactive use under ~150 ms one-way. 30 ms round trip is a good broadband path.
RTT_RAMP: Ramp = ((30.0, 100.0), (60.0, 85.0), (100.0, 60.0), (200.0, 30.0), (400.0, 0.0))
#: First-hop round trip (ms): the access network itself answers within a few ms on fibre, ~10 ms on DOCSIS or DSL,
#: more under load (bufferbloat); 100 ms to the first hop is a broken access network.
FIRST_HOP_RTT_RAMP: Ramp = ((10.0, 100.0), (30.0, 85.0), (60.0, 55.0), (100.0, 20.0), (150.0, 0.0))
#: Jitter (ms): Y.1541 class 0/1 bounds delay variation at 50 ms; under 5 ms nothing notices it.
JITTER_RAMP: Ramp = ((5.0, 100.0), (15.0, 75.0), (30.0, 50.0), (50.0, 0.0))
#: Packet loss (%): Y.1541 class 0 bounds loss at 0.1 %; G.1010 voice/video tolerate ~1 %; 5 % is unusable.
LOSS_RAMP: Ramp = ((0.1, 100.0), (1.0, 60.0), (3.0, 20.0), (5.0, 0.0))

# --- Gateway health ------------------------------------------------------------------------------------------
#: Reboots in the hour: one is noticed (every device drops for a minute or two), two or more is a loop.
REBOOT_RAMP: Ramp = ((0.0, 100.0), (1.0, 40.0), (2.0, 0.0))
#: CPU busy (%) of the gateway, hourly mean.
CPU_RAMP: Ramp = ((70.0, 100.0), (90.0, 50.0), (100.0, 20.0))
#: Memory in use (%), excluding caches.
MEM_RAMP: Ramp = ((80.0, 100.0), (95.0, 40.0), (100.0, 0.0))

# --- Stability: Wi-Fi disconnects and WAN link flaps --------------------------------------------------------
#: Wi-Fi disconnect events per hour, all devices of the home (phones leaving the house make a few).
DISCONNECT_RAMP: Ramp = ((3.0, 100.0), (8.0, 60.0), (20.0, 0.0))
#: WAN link down transitions per hour.
WAN_FLAP_RAMP: Ramp = ((0.0, 100.0), (1.0, 60.0), (3.0, 0.0))

#: Weights of the components in the overall score's mean part.
WEIGHTS: dict[str, float] = {"wifi": 0.35, "access": 0.35, "health": 0.15, "stability": 0.15}
#: The overall score is this share of the worst component plus the rest of the weighted mean: one broken
#: component pulls the home down even when the others are perfect.
WORST_SHARE = 0.5
COMPONENTS = ("wifi", "access", "health", "stability")


@dataclass(frozen=True, slots=True)
class ProbeHour:
    """The hour's active probes: to the first hop and to targets beyond it (with probe counts when known)."""

    first_hop_rtt_ms: float | None = None
    first_hop_loss_pct: float | None = None
    rtt_ms: float | None = None
    jitter_ms: float | None = None
    loss_pct: float | None = None
    first_hop_sent: int | None = None
    first_hop_lost: int | None = None
    sent: int | None = None
    lost: int | None = None


#: One-sided 99 % confidence for the loss estimate (Wilson lower bound): one lost probe out of 20 is not "5 %
#: loss", while a sustained 5 % over an hour's 300 probes is.
LOSS_Z = 2.326


def loss_lower_bound_pct(lost: int, sent: int) -> float:
    """The Wilson score lower bound of the loss rate, in percent: what the probes prove at least."""
    if sent <= 0 or lost <= 0:
        return 0.0
    p = lost / sent
    z2 = LOSS_Z * LOSS_Z
    centre = p + z2 / (2 * sent)
    margin = LOSS_Z * math.sqrt(p * (1 - p) / sent + z2 / (4 * sent * sent))
    return max(0.0, 100.0 * (centre - margin) / (1 + z2 / sent))


@dataclass(frozen=True, slots=True)
class HealthHour:
    """The gateway's health over the hour."""

    reboots: int | None = None
    cpu_pct: float | None = None
    mem_used_pct: float | None = None


@dataclass(frozen=True, slots=True)
class StabilityHour:
    """Connection stability over the hour."""

    disconnects: int | None = None
    wan_flaps: int | None = None


@dataclass(frozen=True, slots=True)
class HomeHour:
    """Everything the score needs about one home for one hour."""

    home_id: str
    hour: datetime
    devices: Sequence[DeviceHour] = ()
    radios: Sequence[RadioHour] = ()
    probes: ProbeHour = field(default_factory=ProbeHour)
    health: HealthHour = field(default_factory=HealthHour)
    stability: StabilityHour = field(default_factory=StabilityHour)


@dataclass(frozen=True, slots=True)
class QoeScore:
    """The hour's overall score, each component and every reason, worst first."""

    home_id: str
    hour: datetime
    score: float | None
    components: dict[str, ComponentScore]
    reasons: tuple[Reason, ...]

    def component(self, name: str) -> float | None:
        """A component's score, None without data."""
        c = self.components.get(name)
        return c.score if c else None


def access_component(p: ProbeHour) -> ComponentScore:
    """Access network: latency, jitter and loss to the first hop and beyond."""
    m: list[tuple[float, Reason | None]] = []
    if p.rtt_ms is not None:
        m.append((ramp(p.rtt_ms, RTT_RAMP), Reason("high_latency", f"Internet round-trip time averaged "
                  f"{p.rtt_ms:.0f} ms (under 30 ms is good, over 100 ms is felt in calls and games).",
                  {"rtt_ms": round(p.rtt_ms, 1)})))
    if p.first_hop_rtt_ms is not None:
        m.append((ramp(p.first_hop_rtt_ms, FIRST_HOP_RTT_RAMP), Reason("high_first_hop_latency",
                  f"The first hop of our network took {p.first_hop_rtt_ms:.0f} ms to answer (normally under 10 ms).",
                  {"first_hop_rtt_ms": round(p.first_hop_rtt_ms, 1)})))
    if p.jitter_ms is not None:
        m.append((ramp(p.jitter_ms, JITTER_RAMP), Reason("high_jitter", f"Latency varied by {p.jitter_ms:.0f} ms "
                  "between packets (jitter; under 5 ms is good, over 30 ms breaks up calls).",
                  {"jitter_ms": round(p.jitter_ms, 1)})))
    loss_values = [(p.loss_pct, p.lost, p.sent, "to the Internet", "loss_pct"),
                   (p.first_hop_loss_pct, p.first_hop_lost, p.first_hop_sent, "to the first hop", "first_hop_loss_pct")]
    for value, lost, sent, where, key in loss_values:
        if lost is not None and sent:
            bound = loss_lower_bound_pct(lost, sent)
            m.append((ramp(bound, LOSS_RAMP), Reason("packet_loss", f"{lost} of {sent} test packets {where} were "
                      f"lost ({100 * lost / sent:.1f}%, at least {bound:.1f}% with 99% confidence; under 0.1% is good, "
                      "1% is felt in video calls).", {key: round(100 * lost / sent, 2), "lost": lost, "sent": sent})))
        elif value is not None:
            m.append((ramp(value, LOSS_RAMP), Reason("packet_loss", f"{value:.1f}% of packets {where} were lost "
                      "(under 0.1% is good, 1% is felt in video calls).", {key: round(value, 2)})))
    if not m:
        return ComponentScore("access", None)
    score, reasons = worst(m)
    return ComponentScore("access", round(score, 1), reasons)


def health_component(h: HealthHour) -> ComponentScore:
    """Gateway health: reboots, CPU and memory."""
    m: list[tuple[float, Reason | None]] = []
    if h.reboots is not None:
        m.append((ramp(h.reboots, REBOOT_RAMP), Reason("gateway_reboots", f"The gateway restarted {h.reboots} "
                  "time(s) this hour; every device loses its connection each time.", {"reboots": h.reboots})))
    if h.cpu_pct is not None:
        m.append((ramp(h.cpu_pct, CPU_RAMP), Reason("gateway_cpu", f"The gateway's processor was {h.cpu_pct:.0f}% "
                  "busy (under 70% is comfortable).", {"cpu_pct": round(h.cpu_pct, 1)})))
    if h.mem_used_pct is not None:
        m.append((ramp(h.mem_used_pct, MEM_RAMP), Reason("gateway_memory", f"The gateway's memory was "
                  f"{h.mem_used_pct:.0f}% full (under 80% is comfortable).",
                  {"mem_used_pct": round(h.mem_used_pct, 1)})))
    if not m:
        return ComponentScore("health", None)
    score, reasons = worst(m)
    return ComponentScore("health", round(score, 1), reasons)


def stability_component(s: StabilityHour) -> ComponentScore:
    """Stability: Wi-Fi disconnects and WAN link flaps."""
    m: list[tuple[float, Reason | None]] = []
    if s.disconnects is not None:
        m.append((ramp(s.disconnects, DISCONNECT_RAMP), Reason("wifi_disconnects", f"Devices dropped off the "
                  f"Wi-Fi {s.disconnects} times this hour (a few is normal as phones come and go).",
                  {"disconnects": s.disconnects})))
    if s.wan_flaps is not None:
        m.append((ramp(s.wan_flaps, WAN_FLAP_RAMP), Reason("wan_flaps", f"The Internet line went down "
                  f"{s.wan_flaps} time(s) this hour.", {"wan_flaps": s.wan_flaps})))
    if not m:
        return ComponentScore("stability", None)
    score, reasons = worst(m)
    return ComponentScore("stability", round(score, 1), reasons)


def combine(components: dict[str, ComponentScore]) -> float | None:
    """Overall score: WORST_SHARE x worst component + the rest x weighted mean of the available components."""
    present = {k: c.score for k, c in components.items() if c.score is not None}
    if not present:
        return None
    worst = min(present.values())
    wsum = sum(WEIGHTS[k] for k in present)
    mean = sum(WEIGHTS[k] * v for k, v in present.items()) / wsum
    return round(WORST_SHARE * worst + (1 - WORST_SHARE) * mean, 1)


def score_hour(h: HomeHour) -> QoeScore:
    """Score one home-hour: components, overall, and every reason ordered by the component it pulls down most."""
    comps = {
        "wifi": wifi_component(h.devices, h.radios),
        "access": access_component(h.probes),
        "health": health_component(h.health),
        "stability": stability_component(h.stability),
    }
    ordered = sorted((c for c in comps.values() if c.score is not None), key=lambda c: c.score or 0.0)
    reasons = tuple(r for c in ordered for r in c.reasons)
    return QoeScore(h.home_id, h.hour, combine(comps), comps, reasons)
