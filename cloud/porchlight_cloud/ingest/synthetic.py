"""Synthetic reports of a typical home, for integration tests and benchmarks (not used in production).

A typical home (docs/storage.md): ~8 devices, ~6 Wi-Fi stations on 2 radios, ~12 active (device, app) pairs
per sample, 3 probe targets, 60 s sampling and 300 s reports. Values drift plausibly so compression and
storage figures are realistic; a seeded generator makes every home reproducible.
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
        """The next report (or report ``seq``) ending at end_ts; advances the sequence number."""
        rng = self.rng
        if seq is None:
            seq = self.seq
            self.seq += 1
        start_ts = end_ts - report_interval_s
        times = list(range(start_ts + sample_interval_s, end_ts + 1, sample_interval_s))
        stations, radios, apps, probes, health = [], [], [], [], []
        wifi = [d for d in self.devices if d["wifi"]]
        pairs = [(d["mac"], APPS[(i * 5 + k) % len(APPS)]) for i, d in enumerate(self.devices) for k in range(2)]
        for ts in times:
            self.uptime_s += sample_interval_s
            for d in wifi:
                signal = d["base_signal"] + rng.randint(-3, 3)
                band = d["connection"]
                stations.append({
                    "ts": ts, "mac": d["mac"], "radio": "phy1-ap0" if band == "5" else "phy0-ap0", "band": band,
                    "signal_dbm": signal, "signal_avg_dbm": signal + rng.randint(-1, 1),
                    "tx_rate_mbps": float(d["base_rate"]), "rx_rate_mbps": float(d["base_rate"] // 2),
                    "tx_bytes": int(rng.expovariate(1 / 3e6)), "rx_bytes": int(rng.expovariate(1 / 4e5)),
                    "tx_packets": rng.randint(100, 5000), "rx_packets": rng.randint(100, 3000),
                    "tx_retries": rng.randint(0, 300), "tx_failed": rng.randint(0, 5),
                    "inactive_ms": rng.randint(0, 2000), "connected_s": self.uptime_s // 2, "standard": "ax",
                })
            for name, band, channel in (("phy0-ap0", "2.4", 6), ("phy1-ap0", "5", 36)):
                radios.append({"ts": ts, "radio": name, "band": band, "channel": channel,
                               "width_mhz": 20 if band == "2.4" else 80, "noise_dbm": -92 - rng.randint(0, 3),
                               "busy_pct": round(rng.uniform(5, 60), 1), "tx_pct": round(rng.uniform(1, 20), 1),
                               "rx_pct": round(rng.uniform(1, 20), 1), "stations": 3})
            for mac, app in rng.sample(pairs, 12):
                apps.append({"ts": ts, "mac": mac, "app": app, "bytes_up": int(rng.expovariate(1 / 2e4)),
                             "bytes_down": int(rng.expovariate(1 / 4e5)), "packets_up": rng.randint(1, 400),
                             "packets_down": rng.randint(1, 800), "flows": rng.randint(1, 12),
                             "new_flows": rng.randint(0, 4), "dests": rng.randint(1, 6)})
            for target, kind in TARGETS:
                rtt = rng.uniform(1, 3) if target == "first_hop" else rng.uniform(8, 30)
                probes.append({"ts": ts, "target": target, "kind": kind, "sent": 5, "lost": int(rng.random() < 0.05),
                               "rtt_ms": round(rtt, 2), "rtt_min_ms": round(rtt * 0.8, 2),
                               "rtt_max_ms": round(rtt * 1.6, 2), "jitter_ms": round(rtt * 0.1, 2)})
            health.append({"ts": ts, "uptime_s": self.uptime_s, "load1": round(rng.uniform(0.1, 1.5), 2),
                           "cpu_pct": round(rng.uniform(3, 40), 1), "mem_used_pct": round(rng.uniform(30, 60), 1),
                           "mem_total_kb": 262_144, "wan_up": True, "wan_flaps": 0,
                           "wan_rx_bytes": int(rng.expovariate(1 / 2e7)), "wan_tx_bytes": int(rng.expovariate(1 / 2e6)),
                           "conntrack_entries": rng.randint(100, 900), "agent_cpu_ms": rng.randint(50, 300),
                           "agent_rss_kb": 9000})
        devices = [{k: v for k, v in d.items() if k not in ("wifi", "base_signal", "base_rate")} |
                   {"first_seen": end_ts - 86_400, "last_seen": end_ts} for d in self.devices]
        header = {"home_id": self.home_id, "gateway_id": self.gateway_id, "model": "Acme AX3000",
                  "firmware": "OpenWrt 23.05.3 r23809", "agent_version": "0.1.0", "boot_id": self.boot_id,
                  "seq": seq, "start_ts": start_ts, "end_ts": end_ts, "sample_interval_s": sample_interval_s,
                  "kind": "periodic", "flags": [], "dropped_reports": 0, "queue_depth": 0}
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
