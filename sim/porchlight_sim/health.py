"""The gateway's own health in one sample: uptime, CPU and load, memory, WAN counters, conntrack size."""

from __future__ import annotations

import random
from typing import Any

from .gateways import GatewayModel
from .randomness import clamp, normal


def health_record(ts: int, model: GatewayModel, boot_ts: int, mem_base_pct: float, throughput_mbps: float,
                  wan_rx: int, wan_tx: int, flows: int, cpu_add_pct: float, records: int, dt: float,
                  rng: random.Random) -> dict[str, Any]:
    """One ``health`` record. Memory creeps up slowly with uptime; CPU follows forwarded throughput."""
    uptime = max(0, ts - boot_ts)
    cpu = 3.0 + 4.0 * rng.random() + 45.0 * throughput_mbps / model.capacity_mbps + cpu_add_pct
    cpu = clamp(cpu + normal(rng), 0.5, 100.0)
    creep = min(12.0, 0.35 * uptime / 86_400)
    return {
        "ts": ts, "uptime_s": uptime,
        "load1": round(max(0.0, cpu / 100.0 * model.cores * 1.1 + normal(rng, 0.05)), 2),
        "cpu_pct": round(cpu, 1),
        "mem_used_pct": round(clamp(mem_base_pct + creep + normal(rng, 0.3), 5.0, 99.0), 1),
        "mem_total_kb": model.mem_total_kb,
        "wan_up": True, "wan_flaps": 0,
        "wan_rx_bytes": int(wan_rx * 1.03) + int(dt * 180), "wan_tx_bytes": int(wan_tx * 1.04) + int(dt * 120),
        "conntrack_entries": int(35 + flows * 1.6 + rng.random() * 10),
        "agent_cpu_ms": int((60 + 0.5 * records) * dt / 60.0 * (0.8 + 0.4 * rng.random())),
        "agent_rss_kb": 15_800 + rng.randrange(0, 1_200),
    }
