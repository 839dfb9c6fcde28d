"""QoE probe records of one sample: first hop, two targets beyond the ISP's core, and the DNS resolver.

Latency is the access line's own (by technology), plus bufferbloat when the home fills its line, plus
whatever faults add: an access-network fault or a gateway that adds latency hits the first hop and
everything beyond it; congestion in the ISP's core only hits what lies beyond the first hop.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from .fleet import Home

ICMP_PROBES_PER_RUN = 5
DNS_QUERIES_PER_RUN = 2
_BLOAT_MS = {"fiber": 8.0, "cable": 45.0, "dsl": 35.0}


@dataclass(frozen=True, slots=True)
class PathState:
    """Extra delay, jitter and loss on the path at one moment: at the access (first hop and beyond) and in
    the core (beyond the first hop only)."""

    access_rtt_ms: float = 0.0
    access_jitter_ms: float = 0.0
    access_loss: float = 0.0
    core_rtt_ms: float = 0.0
    core_jitter_ms: float = 0.0
    core_loss: float = 0.0


CLEAR = PathState()


def _lost(sent: int, p: float, rng: random.Random) -> int:
    if p <= 0.0:
        return 0
    return sum(1 for _ in range(sent) if rng.random() < p)


def _record(ts: int, target: str, kind: str, sent: int, lost: int, rtt: float, jitter: float,
            rng: random.Random) -> dict[str, Any]:
    if lost >= sent:
        return {"ts": ts, "target": target, "kind": kind, "sent": sent, "lost": lost, "rtt_ms": None,
                "rtt_min_ms": None, "rtt_max_ms": None, "jitter_ms": None}
    low = max(0.1, rtt - jitter * (0.5 + rng.random()))
    high = rtt + jitter * (1.5 + 2.5 * rng.random())
    return {"ts": ts, "target": target, "kind": kind, "sent": sent, "lost": lost, "rtt_ms": round(rtt, 2),
            "rtt_min_ms": round(low, 2), "rtt_max_ms": round(high, 2), "jitter_ms": round(jitter, 2)}


def probe_records(ts: int, home: Home, path: PathState, line_load: float, rng: random.Random) -> list[dict[str, Any]]:
    """Probe records for one run. ``line_load`` is the busier direction's share of the plan's rate (0-1+)."""
    bloat = _BLOAT_MS[home.access] * min(line_load, 1.2) ** 2
    base_jitter = home.first_hop_jitter_ms
    hop_rtt = home.first_hop_rtt_ms * (0.9 + 0.2 * rng.random()) + bloat * (0.7 + 0.6 * rng.random())
    hop_rtt += path.access_rtt_ms * (0.8 + 0.4 * rng.random())
    hop_jitter = base_jitter * (0.6 + 0.8 * rng.random()) + bloat * 0.2
    hop_jitter += path.access_jitter_ms * (0.7 + 0.6 * rng.random())
    base_loss = 0.0005 + 0.004 * max(0.0, line_load - 0.9)
    hop_loss = base_loss + path.access_loss
    records = [_record(ts, "first_hop", "icmp", ICMP_PROBES_PER_RUN, _lost(ICMP_PROBES_PER_RUN, hop_loss, rng),
                       hop_rtt, hop_jitter, rng)]
    for target, extra in home.target_rtt_ms:
        rtt = hop_rtt + extra * (0.95 + 0.1 * rng.random()) + path.core_rtt_ms * (0.8 + 0.4 * rng.random())
        jitter = hop_jitter + 0.2 + path.core_jitter_ms * (0.7 + 0.6 * rng.random())
        loss = hop_loss + path.core_loss
        records.append(_record(ts, target, "icmp", ICMP_PROBES_PER_RUN, _lost(ICMP_PROBES_PER_RUN, loss, rng),
                               rtt, jitter, rng))
    # The ISP's resolver sits just behind the first hop; a cache miss adds a recursive lookup.
    dns_rtt = hop_rtt + 0.8 + (rng.uniform(12.0, 60.0) + path.core_rtt_ms if rng.random() < 0.2 else 0.0)
    records.append(_record(ts, "dns", "dns", DNS_QUERIES_PER_RUN,
                           _lost(DNS_QUERIES_PER_RUN, hop_loss, rng), dns_rtt, hop_jitter * 0.5, rng))
    return records
