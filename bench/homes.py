"""Synthetic but realistic home reports, for training zstd dictionaries and measuring wire size.

A home has devices (some on Wi-Fi, some wired), two radios, a pool of (device, application) pairs that are
busy at some times of day and idle at others, and three probe targets. Each report covers 300 s sampled
every 60 s and is built by the agent's own ReportBuilder, so rounding and record order are the agent's.
Values follow what OpenWrt gateways report: PHY rates from the MCS tables, dBm as integers, byte counters
that are heavy-tailed (mostly small, sometimes a video stream), IPv6 addresses for about half the devices.

    python bench/homes.py --profile typical --seed 1 --reports 1 | head -c 2000
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass, make_dataclass
from typing import Any

from porchlight_agent.report import HeaderIdentity, ReportBuilder
from porchlight_wire.schema import SECTIONS

#: A record class per schema section, every field optional: what the collectors return, by name.
RECORDS: dict[str, type] = {
    s.key: make_dataclass(f"{s.key.title()}Record", [(f.name, Any, None) for f in s.fields], frozen=True,
                          slots=True, namespace={"SECTION": s.key})
    for s in SECTIONS
}

APPS = {  # app -> (down bytes per busy minute, up share, packet size, flows, dests)
    "netflix": (40e6, 0.02, 1400, 3, 2), "youtube": (25e6, 0.03, 1350, 3, 3),
    "disney": (30e6, 0.02, 1400, 3, 2), "spotify": (1.2e6, 0.05, 1200, 2, 2), "zoom": (9e6, 0.8, 1000, 4, 3),
    "teams": (7e6, 0.7, 1000, 6, 4),
    "facetime": (6e6, 0.9, 1000, 2, 2), "gaming": (1.5e6, 0.5, 300, 2, 2), "steam": (120e6, 0.01, 1450, 6, 4),
    "cloud_backup": (0.3e6, 8.0, 1400, 4, 3), "web": (4e6, 0.1, 1100, 14, 9), "quic": (6e6, 0.08, 1200, 8, 6),
    "dns": (9e3, 0.5, 120, 2, 1), "ntp": (180, 1.0, 90, 1, 1), "unclassified": (0.4e6, 0.6, 400, 2, 2),
}
CLASSES = {  # device class -> (apps it uses, Wi-Fi?, hostnames, vendor)
    "phone": (["youtube", "web", "quic", "dns", "spotify", "facetime", "unclassified"], True,
              ["iPhone", "Galaxy-S23", "Pixel-8", "android-{hex}"], "Apple, Inc."),
    "laptop": (["web", "quic", "zoom", "teams", "dns", "ntp", "cloud_backup"], True,
               ["MacBook-Pro", "DESKTOP-{HEX}", "thinkpad-{hex}"], "Intel Corporate"),
    "tv": (["netflix", "youtube", "disney", "dns", "ntp"], True, ["LGwebOSTV", "Samsung-TV", "BRAVIA"],
           "LG Electronics"),
    "streamer": (["netflix", "disney", "youtube", "dns"], True, ["Chromecast", "Roku-Ultra", "AppleTV"],
                 "Google, Inc."),
    "console": (["gaming", "steam", "dns", "web"], False, ["PS5-{hex}", "XboxOne"], "Sony Interactive Entertainment"),
    "speaker": (["spotify", "dns", "ntp"], True, ["Sonos-{hex}", "Echo-Dot"], "Sonos, Inc."),
    "iot": (["unclassified", "dns", "ntp"], True, ["ESP_{HEX}", "shellyplug-{hex}", "tuya-{hex}"], "Espressif Inc."),
    "tablet": (["youtube", "web", "quic", "dns", "disney"], True, ["iPad", "Galaxy-Tab"], "Apple, Inc."),
    "desktop": (["web", "quic", "steam", "dns", "ntp", "teams"], False, ["DESKTOP-{HEX}", "workstation"], "Dell Inc."),
    "printer": (["unclassified", "dns"], True, ["HP-LaserJet", "EPSON-{hex}"], "HP Inc."),
}
RATES = {  # (standard, width) -> PHY rates by MCS (2 spatial streams, short GI), Mbit/s
    ("ax", 80): [72.1, 144.1, 216.2, 288.2, 432.4, 576.5, 648.5, 720.6, 864.7, 960.8, 1080.9, 1201.0],
    ("ac", 80): [65.0, 130.0, 195.0, 260.0, 390.0, 520.0, 585.0, 650.0, 780.0, 866.7],
    ("n", 20): [14.4, 28.9, 43.3, 57.8, 86.7, 115.6, 130.0, 144.4],
    ("ax", 20): [17.2, 34.4, 51.6, 68.8, 103.2, 137.6, 154.9, 172.1, 206.5, 229.4, 258.1, 286.8],
}


@dataclass(frozen=True, slots=True)
class Profile:
    """How big a home is."""

    name: str
    devices: int
    stations: int
    app_pairs: int  # active (device, app) pairs per sample, on average
    probe_targets: int = 3


TYPICAL = Profile("typical", devices=8, stations=6, app_pairs=12)
BUSY = Profile("busy", devices=40, stations=16, app_pairs=60)
PROFILES = {p.name: p for p in (TYPICAL, BUSY)}


def _busy_factor(ts: int) -> float:
    """How active a home is at this time of day (0.1 at 4 am .. 1.0 in the evening)."""
    hour = (ts % 86400) / 3600
    return 0.1 + 0.9 * max(0.0, math.sin(math.pi * (hour - 6) / 18)) ** 2 if 6 <= hour <= 24 else 0.1


class SyntheticHome:
    """One home that produces consecutive reports."""

    def __init__(self, profile: Profile, seed: int, start_ts: int = 1_700_000_100, *, counter_digits: int = 0,
                 devices_every: int = 1) -> None:
        self.profile = profile
        self.counter_digits = counter_digits
        self.devices_every = devices_every  # 1: the inventory in every report (schema 1.0); N: every Nth
        self.rng = rng = random.Random(seed)
        self.ts = start_ts - start_ts % 300
        self.seq = 0
        self.boot_id = f"{rng.getrandbits(64):016x}"
        self.identity = HeaderIdentity(f"home-{seed:06d}", f"gw-{rng.getrandbits(32):08x}",
                                       rng.choice(["Linksys E8450 (UBI)", "GL.iNet GL-MT6000", "TP-Link Archer C7 v5",
                                                   "Xiaomi Redmi Router AX6000"]),
                                       rng.choice(["23.05.3 r23809-234f1a2efa", "23.05.5 r24106-10cc5fcd00",
                                                   "24.10.0 r28427-6df0e3d02a"]), "0.1.0")
        classes = list(CLASSES)
        self.devices: list[dict[str, Any]] = []
        for i in range(profile.devices):
            cls = classes[i % len(classes)] if i < len(classes) else rng.choice(classes)
            apps, wifi, names, vendor = CLASSES[cls]
            randomized = cls in ("phone", "tablet") and rng.random() < 0.6
            first = (0x02 | rng.getrandbits(8) & 0xFC) if randomized else rng.choice([0x3C, 0xA4, 0xF0, 0xB8])
            mac = ":".join(f"{b:02x}" for b in [first, *(rng.getrandbits(8) for _ in range(5))])
            name = rng.choice(names).format(hex=f"{rng.getrandbits(24):06x}", HEX=f"{rng.getrandbits(28):07X}")
            ips = [f"192.168.1.{100 + i}"]
            if rng.random() < 0.5:
                ips.append("2001:db8:" + ":".join(f"{rng.getrandbits(16):x}" for _ in range(6)))
            self.devices.append({"mac": mac, "class": cls, "apps": apps, "wifi": wifi, "hostname": name,
                                 "vendor": None if randomized else vendor, "ips": ips,
                                 "first_seen": self.ts - 86400 * rng.randint(1, 90)})
        wifi_devices = [d for d in self.devices if d["wifi"]][: profile.stations]
        while len(wifi_devices) < profile.stations:  # busy homes: make more devices wireless
            extra = rng.choice([d for d in self.devices if d not in wifi_devices])
            extra["wifi"] = True
            wifi_devices.append(extra)
        self.radios = [{"radio": "phy0-ap0", "band": "2.4", "channel": rng.choice([1, 6, 11]), "width": 20,
                        "noise": rng.randint(-95, -89), "busy": rng.uniform(15, 55)},
                       {"radio": "phy1-ap0", "band": "5", "channel": rng.choice([36, 44, 100, 149]), "width": 80,
                        "noise": rng.randint(-97, -92), "busy": rng.uniform(3, 25)}]
        self.stations = []
        for d in wifi_devices:
            on5 = rng.random() < 0.65
            standard = rng.choice(["ax", "ac"]) if on5 else rng.choice(["n", "ax"])
            width = 80 if on5 else 20
            self.stations.append({"device": d, "radio": self.radios[1 if on5 else 0], "standard": standard,
                                  "width": width, "base_signal": rng.randint(-78, -42),
                                  "signal": 0, "connected": rng.randint(60, 86400 * 3)})
        pool = [(d, app) for d in self.devices for app in d["apps"]]
        rng.shuffle(pool)
        self.pairs = pool[: max(profile.app_pairs * 2, 1)]
        self.uptime = rng.randint(3600, 86400 * 40)

    def reports(self, count: int) -> Iterator[dict[str, Any]]:
        """The next ``count`` reports of this home."""
        for _ in range(count):
            yield self._report()

    def _report(self) -> dict[str, Any]:
        rng = self.rng
        builder = ReportBuilder(self.ts, 60, counter_digits=self.counter_digits)
        for k in range(1, 6):
            ts = self.ts + 60 * k
            activity = _busy_factor(ts)
            builder.add("wifi", self._wifi(ts, activity))
            builder.add("apps", self._apps(ts, activity))
            builder.add("probes", self._probes(ts))
            builder.add("health", self._health(ts, activity))
        if self.seq % self.devices_every == 0:
            builder.add("inventory", self._devices(self.ts + 300))
        if rng.random() < 0.05:
            d = rng.choice(self.stations)["device"]
            builder.add_event(self.ts + rng.randint(1, 299), rng.choice(["connect", "disconnect", "roam"]),
                              mac=d["mac"])
        self.ts += 300
        self.seq += 1
        return builder.build(self.identity, boot_id=self.boot_id, seq=self.seq - 1, end_ts=self.ts)

    def _wifi(self, ts: int, activity: float) -> list[Any]:
        rng, out = self.rng, []
        for radio in self.radios:
            radio["busy"] = min(95.0, max(1.0, radio["busy"] + rng.gauss(0, 3)))
            count = sum(1 for s in self.stations if s["radio"] is radio)
            out.append(RECORDS["radios"](ts=ts, radio=radio["radio"], band=radio["band"], channel=radio["channel"],
                                         width_mhz=radio["width"], noise_dbm=radio["noise"], busy_pct=radio["busy"],
                                         tx_pct=radio["busy"] * rng.uniform(0.2, 0.5),
                                         rx_pct=radio["busy"] * rng.uniform(0.1, 0.3), stations=count))
        for st in self.stations:
            st["signal"] = max(-90, min(-30, st["base_signal"] + round(rng.gauss(0, 2))))
            st["connected"] += 60
            rates = RATES[(st["standard"], st["width"])]
            quality = min(len(rates) - 1, max(0, (st["signal"] + 85) // 4))
            tx_mcs = max(0, min(len(rates) - 1, quality + rng.randint(-1, 1)))
            rx_mcs = max(0, min(len(rates) - 1, quality + rng.randint(-2, 0)))
            busy = rng.random() < activity * 0.5
            tx_bytes = int(rng.lognormvariate(15.5, 1.5)) if busy else int(rng.lognormvariate(8, 1.5))
            rx_bytes = int(tx_bytes * rng.uniform(0.02, 0.15)) + rng.randint(100, 3000)
            tx_packets, rx_packets = tx_bytes // 1200 + rng.randint(2, 40), rx_bytes // 300 + rng.randint(2, 40)
            out.append(RECORDS["stations"](
                ts=ts, mac=st["device"]["mac"], radio=st["radio"]["radio"], band=st["radio"]["band"],
                signal_dbm=st["signal"], signal_avg_dbm=st["signal"] + rng.randint(-1, 1),
                noise_dbm=st["radio"]["noise"], tx_rate_mbps=rates[tx_mcs], rx_rate_mbps=rates[rx_mcs],
                tx_mcs=tx_mcs, tx_nss=2, tx_width_mhz=st["width"], rx_mcs=rx_mcs,
                rx_nss=2 if rng.random() < 0.8 else 1, rx_width_mhz=st["width"],
                tx_retries=int(tx_packets * rng.uniform(0, 0.15)),
                tx_failed=rng.choice([0, 0, 0, 0, 1, 2]), tx_bytes=tx_bytes, rx_bytes=rx_bytes,
                tx_packets=tx_packets, rx_packets=rx_packets, inactive_ms=rng.randint(0, 12000),
                connected_s=st["connected"], expected_tput_mbps=rates[tx_mcs] * rng.uniform(0.55, 0.7),
                standard=st["standard"]))
        return out

    def _apps(self, ts: int, activity: float) -> list[Any]:
        rng, out = self.rng, []
        share = min(1.0, self.profile.app_pairs / len(self.pairs) * (0.4 + activity))
        for device, app in self.pairs:
            if rng.random() > share:
                continue
            down_rate, up_share, pkt, flows, dests = APPS[app]
            down = int(down_rate * rng.lognormvariate(-1.5, 1.2))
            up = int(down * up_share * rng.uniform(0.5, 1.5)) + rng.randint(40, 400)
            out.append(RECORDS["apps"](ts=ts, mac=device["mac"], app=app, bytes_up=up, bytes_down=down,
                                       packets_up=up // max(pkt // 6, 60) + 1, packets_down=down // pkt + 1,
                                       flows=max(1, round(flows * rng.uniform(0.3, 1.5))),
                                       new_flows=rng.randint(0, flows),
                                       dests=max(1, round(dests * rng.uniform(0.3, 1.2)))))
        return out

    def _probes(self, ts: int) -> list[Any]:
        rng, out = self.rng, []
        targets = [("first_hop", "icmp", 0.6), ("1.1.1.1", "icmp", 12.0), ("dns", "dns", 9.0)]
        for target, kind, base in targets[: self.profile.probe_targets]:
            samples = [base * rng.lognormvariate(0, 0.25) for _ in range(5)]
            lost = 1 if rng.random() < 0.02 else 0
            kept = samples[lost:]
            jitter = sum(abs(a - b) for a, b in itertools.pairwise(kept)) / max(len(kept) - 1, 1)
            out.append(RECORDS["probes"](ts=ts, target=target, kind=kind, sent=5, lost=lost,
                                         rtt_ms=sum(kept) / len(kept), rtt_min_ms=min(kept), rtt_max_ms=max(kept),
                                         jitter_ms=jitter))
        return out

    def _health(self, ts: int, activity: float) -> list[Any]:
        rng = self.rng
        self.uptime += 60
        return [RECORDS["health"](ts=ts, uptime_s=self.uptime, load1=rng.uniform(0.0, 0.6) + activity * 0.4,
                                  cpu_pct=rng.uniform(2, 10) + activity * 15, mem_used_pct=rng.uniform(28, 34),
                                  mem_total_kb=507_904, wan_up=True, wan_flaps=0,
                                  wan_rx_bytes=int(rng.lognormvariate(16.5, 1.5) * activity),
                                  wan_tx_bytes=int(rng.lognormvariate(14, 1.5) * activity),
                                  conntrack_entries=rng.randint(80, 600), agent_cpu_ms=rng.randint(40, 260),
                                  agent_rss_kb=rng.randint(12_400, 13_900))]

    def _devices(self, ts: int) -> list[Any]:
        return [RECORDS["devices"](mac=d["mac"], ips=d["ips"], hostname=d["hostname"], vendor=d["vendor"],
                                   device_class=d["class"], class_confidence=0.9 if d["vendor"] else 0.6,
                                   connection=("5" if any(s["device"] is d and s["radio"]["band"] == "5"
                                                          for s in self.stations) else "2.4") if d["wifi"] else "wired",
                                   first_seen=d["first_seen"], last_seen=ts - self.rng.choice([0, 0, 0, 60, 3600]))
                for d in self.devices]


def main(argv: list[str] | None = None) -> int:
    """Print synthetic reports as JSON lines."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", choices=sorted(PROFILES), default="typical")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reports", type=int, default=1)
    args = parser.parse_args(argv)
    for doc in SyntheticHome(PROFILES[args.profile], args.seed).reports(args.reports):
        sys.stdout.write(json.dumps(doc, separators=(",", ":")) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
