"""Synthetic reports of a typical home, for integration tests and benchmarks (not used in production).

A typical home (docs/storage.md): ~8 devices, ~6 Wi-Fi stations on 2 radios, 12-16 active (device, app)
pairs per report, 3 probe targets, 60 s sampling and 300 s reports, sent as the agent sends them (schema
1.0): one aggregated record per entity per report, the full inventory hourly. Values drift plausibly so
compression and storage figures are realistic; a seeded generator makes every home reproducible.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Final

from porchlight_wire import build_report

APPS: Final = ("netflix", "youtube", "zoom", "web", "quic", "dns", "gaming", "spotify", "icloud", "whatsapp",
               "tiktok", "unclassified")
CLASSES: Final = ("phone", "laptop", "tv", "tablet", "streamer", "speaker", "iot", "console")
TARGETS: Final = (("first_hop", "icmp"), ("8.8.8.8", "icmp"), ("dns", "dns"))


@dataclass
class Home:
    """A simulated home: its ids, devices and the state that drifts from report to report."""

    home_id: str
    gateway_id: str
    boot_id: str
    rng: random.Random
    devices: list[dict[str, Any]] = field(default_factory=list)
    seq: int = 0
    uptime_s: int = 86_400

    @classmethod
    def typical(cls, index: int, prefix: str = "home", seed: int = 7) -> Home:
        """The index-th typical home (8 devices, 6 of them on Wi-Fi)."""
        rng = random.Random(seed * 1_000_003 + index)
        home = cls(f"{prefix}-{index:06d}", f"gw-{prefix}-{index:06d}", f"boot-{rng.getrandbits(48):012x}", rng)
        for d in range(8):
            mac = f"02:{index >> 16 & 255:02x}:{index >> 8 & 255:02x}:{index & 255:02x}:{d:02x}:01"
            wifi = d < 6
            home.devices.append({
                "mac": mac, "hostname": f"{CLASSES[d]}-{d}", "vendor": "Acme", "device_class": CLASSES[d],
                "class_confidence": 0.8, "connection": ("5" if d % 3 else "2.4") if wifi else "wired",
                "ips": [f"192.168.1.{10 + d}"], "wifi": wifi, "base_signal": -45 - rng.randint(0, 30),
                "base_rate": rng.choice((144, 286, 573, 866, 1201)),
            })
        return home

    def report(self, end_ts: int, *, sample_interval_s: int = 60, report_interval_s: int = 300,
               seq: int | None = None, extra_sections: dict[str, list[dict[str, Any]]] | None = None
               ) -> dict[str, Any]:
        """The next report (or report ``seq``) ending at end_ts, one aggregated record per entity (schema 1.0).

        The full device inventory is sent with the first report and then once an hour (12 reports); the
        others carry no device changes, as the agent does.
        """
        rng = self.rng
        if seq is None:
            seq = self.seq
            self.seq += 1
        samples = max(1, report_interval_s // sample_interval_s)
        self.uptime_s += report_interval_s
        start_ts = end_ts - report_interval_s

        def total(mean: float) -> int:
            return sum(int(rng.expovariate(1 / mean)) for _ in range(samples))

        stations = []
        for d in (d for d in self.devices if d["wifi"]):
            signal = d["base_signal"] + rng.randint(-3, 3)
            band = d["connection"]
            stations.append({
                "mac": d["mac"], "radio": "phy1-ap0" if band == "5" else "phy0-ap0", "band": band,
                "samples": samples, "signal_dbm": signal + rng.randint(-2, 2), "signal_avg_dbm": signal,
                "signal_min_dbm": signal - rng.randint(0, 4), "tx_rate_mbps": float(d["base_rate"]),
                "tx_rate_min_mbps": float(d["base_rate"] // 2), "rx_rate_mbps": float(d["base_rate"] // 2),
                "tx_bytes": total(3e6), "rx_bytes": total(4e5), "tx_packets": rng.randint(100, 5000) * samples,
                "rx_packets": rng.randint(100, 3000) * samples, "tx_retries": rng.randint(0, 300) * samples,
                "tx_failed": rng.randint(0, 5), "inactive_ms": rng.randint(0, 2000),
                "connected_s": self.uptime_s // 2, "standard": "ax",
            })
        radios = [{"radio": name, "band": band, "samples": samples, "channel": channel,
                   "width_mhz": 20 if band == "2.4" else 80, "noise_dbm": -92 - rng.randint(0, 3),
                   "busy_pct": round(rng.uniform(5, 60), 1), "busy_max_pct": round(rng.uniform(60, 90), 1),
                   "tx_pct": round(rng.uniform(1, 20), 1), "rx_pct": round(rng.uniform(1, 20), 1), "stations": 3}
                  for name, band, channel in (("phy0-ap0", "2.4", 6), ("phy1-ap0", "5", 36))]
        pairs = [(d["mac"], APPS[(i * 5 + k) % len(APPS)]) for i, d in enumerate(self.devices) for k in range(2)]
        apps = [{"mac": mac, "app": app, "bytes_up": total(2e4), "bytes_down": total(4e5),
                 "packets_up": rng.randint(1, 400) * samples, "packets_down": rng.randint(1, 800) * samples,
                 "flows": rng.randint(1, 12), "new_flows": rng.randint(0, 4), "dests": rng.randint(1, 6),
                 "active_samples": rng.randint(1, samples)}
                for mac, app in rng.sample(pairs, min(len(pairs), 12 + rng.randint(0, 4)))]
        probes = []
        for target, kind in TARGETS:
            rtt = rng.uniform(1, 3) if target == "first_hop" else rng.uniform(8, 30)
            probes.append({"target": target, "kind": kind, "sent": 5 * samples, "lost": int(rng.random() < 0.1),
                           "rtt_ms": round(rtt, 2), "rtt_min_ms": round(rtt * 0.8, 2),
                           "rtt_max_ms": round(rtt * 1.6, 2), "jitter_ms": round(rtt * 0.1, 2)})
        health = [{"samples": samples, "uptime_s": self.uptime_s, "load1": round(rng.uniform(0.1, 1.5), 2),
                   "cpu_pct": round(rng.uniform(3, 40), 1), "cpu_max_pct": round(rng.uniform(40, 80), 1),
                   "mem_used_pct": round(rng.uniform(30, 60), 1), "mem_total_kb": 262_144, "wan_up": True,
                   "wan_down_s": 0, "wan_flaps": 0, "wan_rx_bytes": total(2e7), "wan_tx_bytes": total(2e6),
                   "conntrack_entries": rng.randint(100, 900), "agent_cpu_ms": rng.randint(50, 300) * samples,
                   "agent_rss_kb": 9000}]
        full = seq % 12 == 0
        devices = [{k: v for k, v in d.items() if k not in ("wifi", "base_signal", "base_rate")} |
                   {"first_seen": end_ts - 86_400, "last_seen": end_ts} for d in self.devices] if full else []
        header = {"home_id": self.home_id, "gateway_id": self.gateway_id, "model": "Acme AX3000",
                  "firmware": "OpenWrt 23.05.3 r23809", "agent_version": "0.1.0", "boot_id": self.boot_id,
                  "seq": seq, "start_ts": start_ts, "end_ts": end_ts, "sample_interval_s": sample_interval_s,
                  "kind": "periodic", "flags": [], "dropped_reports": 0, "queue_depth": 0,
                  "inventory": "full" if full else "changes"}
        sections: dict[str, list[dict[str, Any]]] = {
            "stations": stations, "radios": radios, "devices": devices, "apps": apps, "probes": probes,
            "health": health,
        }
        for key, records in (extra_sections or {}).items():
            sections[key] = records
        return build_report(header, sections)


def rows_in(doc: dict[str, Any]) -> int:
    """Records in a report across its sections."""
    return sum(len(next(iter(cols.values()), [])) for key, cols in doc.items()
               if key not in ("schema", "header") and isinstance(cols, dict))
