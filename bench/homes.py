"""Synthetic but realistic homes whose reports are built by the agent's own code, for training zstd
dictionaries and measuring wire size.

A home is a gateway (model, memory, what its Wi-Fi driver reports, access technology and plan), two radios,
devices of the classes people own (some wired, most on Wi-Fi; phones leave for work, laptops sleep at
night, guests come and go), and what those devices do minute by minute (bench/home_traffic.py). Five fake
collectors turn that state into the per-sample records the real ones return (same classes' fields, the
same first-sample baselines), and the agent's ``SamplingLoop`` samples them every 60 s and cuts a report
every 300 s, so aggregation, inventory changes, rounding and record order are the agent's.

Measured values look like what OpenWrt gateways report: signal in whole dBm following the device's
placement with slow fading, PHY rates from the 802.11n/ac/ax MCS tables chosen from the signal-to-noise
ratio by rate control (and the legacy rates idle stations show), station counters that carry exactly the
device's application traffic plus LAN chatter, retries that grow as the signal weakens, channel busy time
from the home's own air time plus the neighbours', probe round trips that depend on the access technology
and swell when the line is loaded (bufferbloat), gateway CPU that follows the traffic it forwards.

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from home_traffic import DeviceTraffic, Ids, Minute, day_weight, gateway_minute
from porchlight_agent.collectors.apps import AppSample
from porchlight_agent.collectors.events import Event
from porchlight_agent.collectors.health import HealthSample
from porchlight_agent.collectors.inventory import Device
from porchlight_agent.collectors.probes import ProbeSample
from porchlight_agent.collectors.wifi import RadioSample, StationSample
from porchlight_agent.inventory_diff import FULL_EVERY_S, InventoryTracker
from porchlight_agent.loop import Intervals, SamplingLoop
from porchlight_agent.report import HeaderIdentity

# ---- PHY rates ---------------------------------------------------------------------------------------------

#: Data subcarriers per width, bits per subcarrier per MCS, and symbol time (us, short GI / HE 0.8 us GI).
_SUBCARRIERS = {"n": {20: 52, 40: 108}, "ac": {20: 52, 40: 108, 80: 234, 160: 468},
                "ax": {20: 234, 40: 468, 80: 980, 160: 1960}}
_BITS = [0.5, 1, 1.5, 2, 3, 4, 4.5, 5, 6, 20 / 3, 7.5, 25 / 3]
_SYMBOL_US = {"n": 3.6, "ac": 3.6, "ax": 13.6}
_MAX_MCS = {"n": 7, "ac": 9, "ax": 11}
#: SNR (dB) each MCS needs, roughly, for a packet error rate rate control accepts.
_SNR_FOR_MCS = [2, 5, 9, 11, 15, 18, 20, 25, 29, 31, 34, 37]
_LEGACY = [6.0, 12.0, 24.0]


def phy_rate(standard: str, width: int, mcs: int, nss: int) -> float:
    """The PHY rate iw prints (Mbit/s, one decimal) for a standard, width, MCS and stream count."""
    return round(_SUBCARRIERS[standard][width] * _BITS[mcs] * nss / _SYMBOL_US[standard], 1)


def best_mcs(standard: str, snr: float) -> int:
    """The highest MCS the SNR supports (0 at worst)."""
    best = 0
    for mcs in range(_MAX_MCS[standard] + 1):
        if snr >= _SNR_FOR_MCS[mcs]:
            best = mcs
    return best


# ---- the home ----------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Profile:
    """How big a home is: its Wi-Fi and wired devices by class."""

    name: str
    wifi: tuple[str, ...]
    wired: tuple[str, ...]
    guests_per_day: float = 0.0

    @property
    def devices(self) -> int:
        return len(self.wifi) + len(self.wired)


TYPICAL = Profile("typical", wifi=("phone", "phone", "laptop", "tablet", "tv", "iot"), wired=("console", "desktop"),
                  guests_per_day=0.1)
BUSY = Profile("busy", wifi=("phone",) * 5 + ("tablet",) * 2 + ("laptop",) * 3 + ("tv",) * 2
               + ("streamer", "speaker", "speaker", "speaker") + ("iot",) * 6 + ("camera",) * 2,
               wired=("desktop", "desktop", "console", "console", "tv", "streamer", "nas", "printer")
               + ("iot",) * 5 + ("camera",) * 3, guests_per_day=0.5)
PROFILES = {p.name: p for p in (TYPICAL, BUSY)}

#: model, total memory (KiB), used share, whether the driver reports air time and expected throughput.
GATEWAYS = [("GL.iNet GL-MT6000", 1_011_112, 22.0, True, True), ("Linksys E8450 (UBI)", 500_320, 31.0, True, True),
            ("TP-Link Archer C7 v5", 120_936, 48.0, False, True),
            ("Xiaomi Redmi Router AX6000", 504_956, 29.0, True, True)]
FIRMWARE = ["23.05.3 r23809-234f1a2efa", "23.05.5 r24106-10cc5fcd00", "24.10.0 r28427-6df0e3d02a"]
#: access technology -> (first hop ms, Internet ms, downstream plans in Mbit/s)
ACCESS = {"fiber": (1.2, 9.0, (300, 500, 1000)), "cable": (8.0, 16.0, (100, 300, 500)),
          "dsl": (10.0, 21.0, (40, 80, 100))}
HOSTNAMES = {"phone": ["iPhone", "Galaxy-S23", "Pixel-8", "android-{hex}"], "tablet": ["iPad", "Galaxy-Tab-S8"],
             "laptop": ["MacBook-Pro", "DESKTOP-{HEX}", "thinkpad-{hex}"], "desktop": ["DESKTOP-{HEX}", "workstation"],
             "tv": ["LGwebOSTV", "Samsung-TV", "BRAVIA-4K"], "streamer": ["Chromecast", "Roku-Ultra", "AppleTV"],
             "console": ["PS5-{hex}", "XboxSeriesX"], "speaker": ["Sonos-{hex}", "Echo-Dot"],
             "iot": ["ESP_{HEX}", "shellyplug-{hex}", "tuya-{hex}", None], "camera": ["Wyze-Cam", "reolink-{hex}"],
             "printer": ["HP-LaserJet", "EPSON{HEX}"], "nas": ["synology-ds220", "truenas"]}
VENDORS = {"phone": ["Apple, Inc.", "Samsung Electronics Co.,Ltd", "Google, Inc."], "tablet": ["Apple, Inc."],
           "laptop": ["Apple, Inc.", "Intel Corporate", "Lenovo"],
           "desktop": ["Dell Inc.", "Micro-Star INTL CO., LTD."],
           "tv": ["LG Electronics", "Samsung Electronics Co.,Ltd", "Sony Corporation"],
           "streamer": ["Google, Inc.", "Roku, Inc", "Apple, Inc."],
           "console": ["Sony Interactive Entertainment Inc.", "Microsoft Corporation"],
           "speaker": ["Sonos, Inc.", "Amazon Technologies Inc."], "iot": ["Espressif Inc.", "Tuya Smart Inc."],
           "camera": ["Wyze Labs Inc", "Reolink Innovation Limited"], "printer": ["HP Inc.", "Seiko Epson Corporation"],
           "nas": ["Synology Incorporated"]}
#: class -> (standard, streams, prefers 5 GHz)
WIFI_CAPS = {"phone": ("ax", 2, True), "tablet": ("ac", 2, True), "laptop": ("ax", 2, True), "tv": ("ac", 2, True),
             "streamer": ("ac", 1, True), "speaker": ("ac", 1, True), "iot": ("n", 1, False),
             "camera": ("n", 1, False)}


def _hour(ts: int) -> float:
    return (ts % 86400) / 3600


class HomeDevice:
    """One device: who it is (inventory), how it is connected, and where it is."""

    def __init__(self, home: SyntheticHome, cls: str, wifi: bool, index: int, *, guest: bool = False) -> None:
        rng = home.rng
        self.cls, self.wifi, self.guest = cls, wifi, guest
        randomised = cls in ("phone", "tablet") and (guest or rng.random() < 0.6)
        first = (0x02 | rng.getrandbits(8) & 0xFC) if randomised else rng.choice([0x3C, 0xA4, 0xF0, 0xB8, 0x48])
        self.mac = ":".join(f"{b:02x}" for b in [first, *(rng.getrandbits(8) for _ in range(5))])
        name = rng.choice(HOSTNAMES[cls])
        hexes = {"hex": f"{rng.getrandbits(24):06x}", "HEX": f"{rng.getrandbits(28):07X}"} if name else {}
        self.hostname = name.format(**hexes) if name else None
        self.vendor = None if randomised else rng.choice(VENDORS[cls])
        self.confidence = round(rng.uniform(0.55, 0.95), 2) if self.vendor else round(rng.uniform(0.3, 0.6), 2)
        self.ipv4 = f"192.168.1.{100 + index}"
        self.ipv6 = rng.random() < 0.6 and cls not in ("iot", "camera", "printer")
        self.v6_prefix = f"2001:db8:4f1c:{rng.getrandbits(8):x}00:"
        self.rotate_at = rng.uniform(0, 24)  # when its temporary IPv6 address is replaced each day
        self.v6_temp = self._v6(rng)
        self.first_seen = home.start - (0 if guest else 86400 * rng.randint(1, 120))
        self.last_seen: int | None = None
        self.traffic = DeviceTraffic(cls, rng, home.ids, heavy=rng.lognormvariate(0, 0.4))
        self.leaves_for_work = (cls == "phone" and rng.random() < 0.7) or (cls == "laptop" and rng.random() < 0.3)
        self.leave, self.back = rng.uniform(7.5, 9.0), rng.uniform(16.5, 19.0)
        self.away_today = False
        self.here = True
        self.until: int | None = None  # a guest's departure
        if wifi:
            standard, self.nss, prefers5 = WIFI_CAPS.get(cls, ("ac", 2, True))
            self.standard = standard
            self.on5 = prefers5 and rng.random() < 0.9
            self.placement = rng.uniform(-74, -44)  # signal at the usual spot, dBm on 5 GHz
            self.room = 0.0  # offset while carried to another room
            self.fade = 0.0
            self.avg: float | None = None
            self.connected = rng.randint(600, 86400 * 5)

    def _v6(self, rng: random.Random) -> str:
        return self.v6_prefix + ":".join(f"{rng.getrandbits(16):x}" for _ in range(4))

    def ips(self) -> list[str]:
        return [self.ipv4, self.v6_temp] if self.ipv6 else [self.ipv4]

    def move(self, ts: int, rng: random.Random) -> bool:
        """Whether the device is at home (and awake) this minute; called once per minute."""
        self.here = self._present(ts, rng)
        return self.here

    def _present(self, ts: int, rng: random.Random) -> bool:
        if self.until is not None:
            return ts < self.until
        hour = _hour(ts)
        if self.cls == "laptop" and (hour < 7.0 or hour >= 23.5):
            return False  # asleep: its Wi-Fi is off
        if not self.leaves_for_work:
            return True
        if abs(hour - self.leave) < 1 / 120:  # decide once a day, at leaving time
            self.away_today = (ts // 86400) % 7 not in (2, 3) and rng.random() < 0.85  # weekdays, mostly
        return not (self.away_today and self.leave <= hour < self.back)


class SyntheticHome:
    """One home whose agent produces consecutive reports."""

    def __init__(self, profile: Profile, seed: int, start_ts: int = 1_700_000_100, *, counter_digits: int = 0,
                 full_every_s: int = FULL_EVERY_S) -> None:
        self.profile = profile
        self.rng = rng = random.Random(seed)
        self.start = start_ts - start_ts % 300
        self.ids = Ids(rng)
        model, self.mem_total, self.mem_used, self.airtime, self.expected = rng.choice(GATEWAYS)
        self.identity = HeaderIdentity(f"home-{seed:06d}", f"gw-{rng.getrandbits(32):08x}", model,
                                       rng.choice(FIRMWARE), "0.1.0")
        self.boot_id = f"{rng.getrandbits(64):016x}"
        self.access = rng.choice(list(ACCESS))
        hop, internet, plans = ACCESS[self.access]
        self.hop_ms, self.internet_ms = hop * rng.uniform(0.7, 1.4), internet * rng.uniform(0.8, 1.5)
        self.plan_mbps = rng.choice(plans)
        self.devices = [HomeDevice(self, cls, True, i) for i, cls in enumerate(profile.wifi)]
        self.devices += [HomeDevice(self, cls, False, len(profile.wifi) + i) for i, cls in enumerate(profile.wired)]
        self.radios = {"2.4": {"radio": "phy0-ap0", "channel": rng.choice([1, 6, 11]), "width": 20,
                               "noise": rng.randint(-95, -89), "neighbours": rng.uniform(8, 40)},
                       "5": {"radio": "phy1-ap0", "channel": rng.choice([36, 44, 100, 149]), "width": 80,
                             "noise": rng.randint(-98, -92), "neighbours": rng.uniform(1, 12)}}
        self.uptime = rng.randint(3600, 86400 * 40)
        self.rss = rng.randint(12_900, 14_100)
        self.dns_servers = [self.ids.remote("dns"), self.ids.remote("dns")]
        self.now: int | None = None
        self.minute: dict[HomeDevice, dict[str, Minute]] = {}
        self.gateway: dict[str, Minute] = {}
        self.associated: dict[HomeDevice, str] = {}
        self.first = True
        self.loop = SamplingLoop([_Health(self), _Wifi(self), _Inventory(self), _Apps(self), _Probes(self)],
                                 Intervals(60, 300), self.start, counter_digits=counter_digits)
        self.loop.inventory = InventoryTracker(full_every_s)
        self.loop.builder.add_event(self.start, "agent_start", detail="version=0.1.0")
        self.loop.step(self.start)
        self.seq = 0
        self.ts = self.start

    def reports(self, count: int) -> Iterator[dict[str, Any]]:
        """The next ``count`` reports of this home."""
        for _ in range(count):
            finished = None
            while finished is None:
                self.ts += 60
                finished = self.loop.step(self.ts)
            yield finished.build(self.identity, boot_id=self.boot_id, seq=self.seq)
            self.seq += 1

    # ---- the home's minute, computed once per sample time, read by every fake collector ----

    def advance(self, ts: int) -> None:
        if self.now == ts:
            return
        self.first = self.now is None
        self.now = ts
        rng, hour = self.rng, _hour(ts)
        if rng.random() < self.profile.guests_per_day / 1440 * 3 * day_weight("evening", hour):
            guest = HomeDevice(self, "phone", True, len(self.devices), guest=True)
            guest.until = ts + int(rng.uniform(1, 4) * 3600)
            self.devices.append(guest)
        self.devices = [d for d in self.devices if d.until is None or ts < d.until + 12 * 3600]  # lease expiry
        activity = 1.0 if (ts // 86400) % 7 not in (2, 3) else 1.2
        self.minute = {}
        lookups = 0
        for device in self.devices:
            present = device.move(ts, rng)
            if device.ipv6 and abs(hour - device.rotate_at) < 1 / 120:
                device.v6_temp = device._v6(rng)
            traffic = device.traffic.minute(hour, present, activity)
            if traffic:
                device.last_seen = ts
                lookups += sum(m.new_flows for m in traffic.values()) // 3
            elif present and (device.last_seen is None or rng.random() < 0.3):
                device.last_seen = ts
            self.minute[device] = traffic
        self.gateway = gateway_minute(rng, self.ids, lookups, report_minute=ts % 300 == 0,
                                      dns_flows=self.dns_servers)

    def down_mbps(self) -> float:
        total = sum(m.bytes_down for t in self.minute.values() for m in t.values())
        return total * 8 / 60 / 1e6


# ---- fake collectors: the per-sample records the real ones return -----------------------------------------

class _Fake:
    name = ""

    def __init__(self, home: SyntheticHome) -> None:
        self.home = home


class _Health(_Fake):
    name = "health"

    def collect(self, ts: int) -> list[HealthSample]:
        home, rng = self.home, self.home.rng
        home.advance(ts)
        home.uptime += 60
        home.mem_used = min(90.0, max(10.0, home.mem_used + rng.gauss(0, 0.04)))
        home.rss += rng.choice([0, 0, 0, 4, -4, 8]) if rng.random() < 0.3 else 0
        mbps = home.down_mbps()
        cpu = 1.5 + 0.06 * mbps + rng.lognormvariate(0, 0.5)
        down = sum(m.bytes_down for t in home.minute.values() for m in t.values())
        up = sum(m.bytes_up for t in home.minute.values() for m in t.values())
        flows = sum(len(m.flow_ids) for t in home.minute.values() for m in t.values())
        first = home.first
        return [HealthSample(
            ts=ts, uptime_s=home.uptime, load1=round(0.05 + cpu / 40 + rng.uniform(0, 0.15), 2),
            cpu_pct=None if first else round(min(cpu, 100.0), 1), mem_used_pct=round(home.mem_used, 1),
            mem_total_kb=home.mem_total, wan_up=True, wan_flaps=None if first else 0,
            wan_rx_bytes=None if first else int(down * 1.03) + rng.randint(2_000, 9_000),
            wan_tx_bytes=None if first else int(up * 1.05) + rng.randint(1_500, 6_000),
            conntrack_entries=40 + flows + rng.randint(0, 30), agent_cpu_ms=None if first else int(
                rng.lognormvariate(math.log(90), 0.25) + (40 if ts % 300 == 0 else 0)),
            agent_rss_kb=home.rss)]


class _Wifi(_Fake):
    name = "wifi"

    def collect(self, ts: int) -> list[RadioSample | StationSample | Event]:
        home, rng = self.home, self.home.rng
        home.advance(ts)
        out: list[RadioSample | StationSample | Event] = []
        airtime = {"2.4": [0.0, 0.0], "5": [0.0, 0.0]}
        stations: dict[str, int] = {"2.4": 0, "5": 0}
        now: dict[HomeDevice, str] = {}
        for device in home.devices:
            if not device.wifi or not device.here:
                continue
            record = self._station(device, ts, airtime, home.first or device not in home.associated)
            now[device] = record.band or "5"
            stations[now[device]] += 1
            out.append(record)
        for device, band in now.items():
            before = home.associated.get(device)
            if before is None and not home.first:
                out.append(Event(ts=ts, kind="connect", mac=device.mac, detail=home.radios[band]["radio"]))
            elif before is not None and before != band:
                out.append(Event(ts=ts, kind="roam", mac=device.mac,
                                 detail=f"{home.radios[before]['radio']}->{home.radios[band]['radio']}"))
        for device, band in home.associated.items():
            if device not in now:
                out.append(Event(ts=ts, kind="disconnect", mac=device.mac, detail=home.radios[band]["radio"]))
        home.associated = now
        hour = _hour(ts)
        for band, radio in home.radios.items():
            evening = 0.5 + 0.6 * day_weight("evening", hour)
            busy_neighbours = radio["neighbours"] * evening * rng.lognormvariate(0, 0.2)
            tx, rx = (100 * a / 60_000 for a in airtime[band])
            beacons = 1.2 if band == "2.4" else 0.6
            busy = min(100.0, busy_neighbours + tx + rx + beacons)
            noise = radio["noise"] + (rng.choice([-1, 1]) if rng.random() < 0.15 else 0)
            out.append(RadioSample(
                ts=ts, radio=radio["radio"], band=band, channel=radio["channel"], width_mhz=radio["width"],
                noise_dbm=noise, busy_pct=None if home.first else round(busy, 1),
                tx_pct=None if home.first else round(min(tx + beacons, 100.0), 1),
                rx_pct=None if home.first else round(min(rx + busy_neighbours * 0.35, 100.0), 1),
                stations=stations[band]))
        return out

    def _station(self, d: HomeDevice, ts: int, airtime: dict[str, list[float]], baseline: bool) -> StationSample:
        home, rng = self.home, self.home.rng
        if d.cls in ("phone", "tablet", "laptop") and rng.random() < 1 / 45:
            d.room = rng.choice([0.0, 0.0, -4.0, -8.0, -13.0, 3.0])  # carried to another room
        d.fade = 0.85 * d.fade + rng.gauss(0, 1.3)
        on5 = d.on5 and d.placement + d.room > -78  # band steering: too weak on 5 GHz, so 2.4
        band = "5" if on5 else "2.4"
        signal = round(d.placement + d.room + d.fade + (0 if on5 else 7))
        signal = max(-92, min(-25, signal))
        d.avg = signal if d.avg is None else 0.8 * d.avg + 0.2 * signal
        radio = home.radios[band]
        standard = d.standard if on5 or d.standard != "ac" else "n"  # an 11ac client is 11n on 2.4 GHz
        width = radio["width"] if standard != "n" or radio["width"] <= 40 else 40
        snr = signal - radio["noise"]
        traffic = home.minute.get(d, {})
        down = sum(m.bytes_down for m in traffic.values())
        up = sum(m.bytes_up for m in traffic.values())
        pk_down = sum(m.packets_down for m in traffic.values()) + rng.randint(3, 25)  # ARP, mDNS, multicast
        pk_up = sum(m.packets_up for m in traffic.values()) + rng.randint(2, 12)
        tx_bytes, rx_bytes = down + pk_down * 14 + rng.randint(300, 2_500), up + pk_up * 14 + rng.randint(200, 900)
        nss = d.nss if snr >= 22 else 1
        tx_mcs = max(0, best_mcs(standard, snr) - rng.choice([0, 0, 1, 1, 2]))
        rx_mcs = max(0, best_mcs(standard, snr - 3) - rng.choice([0, 1, 1, 2]))
        idle = down < 20_000
        if idle and rng.random() < 0.4:  # an idle station's last frame went out at a legacy rate
            tx_rate, tx_m, tx_n, tx_w = rng.choice(_LEGACY), None, None, None
        else:
            tx_rate, tx_m, tx_n, tx_w = phy_rate(standard, width, tx_mcs, nss), tx_mcs, nss, width
        rx_nss = nss if rng.random() < 0.7 else 1
        rx_rate = phy_rate(standard, width, rx_mcs, rx_nss)
        weak = 1 / (1 + math.exp((signal + 72) / 4))
        retries = int(pk_down * (0.03 + 0.3 * weak) * rng.lognormvariate(0, 0.3))
        failed = sum(1 for _ in range(min(pk_down, 50)) if rng.random() < 0.002 + 0.02 * weak)
        tx_ms = int(tx_bytes * 8 / (tx_rate * 1000 * 0.7) + pk_down * 0.02)
        rx_ms = int(rx_bytes * 8 / (rx_rate * 1000 * 0.7) + pk_up * 0.02)
        airtime[band][0] += tx_ms
        airtime[band][1] += rx_ms
        if baseline:
            d.connected = rng.randint(5, 50) if not home.first else d.connected
        d.connected += 60
        counters = not home.first  # the first sample is the baseline; a station that joined reports all
        return StationSample(
            ts=ts, mac=d.mac, radio=radio["radio"], band=band, signal_dbm=signal,
            signal_avg_dbm=round(d.avg), noise_dbm=radio["noise"], tx_rate_mbps=tx_rate, rx_rate_mbps=rx_rate,
            tx_mcs=tx_m, tx_nss=tx_n, tx_width_mhz=tx_w, rx_mcs=rx_mcs, rx_nss=rx_nss, rx_width_mhz=width,
            tx_retries=retries if counters else None, tx_failed=failed if counters else None,
            tx_bytes=tx_bytes if counters else None, rx_bytes=rx_bytes if counters else None,
            tx_packets=pk_down if counters else None, rx_packets=pk_up if counters else None,
            inactive_ms=rng.randint(0, 40) if not idle else min(int(rng.lognormvariate(7.5, 1.0)), 60_000),
            connected_s=d.connected,
            expected_tput_mbps=round(tx_rate * rng.uniform(0.55, 0.68), 3) if home.expected else None,
            airtime_tx_ms=tx_ms if counters and home.airtime else None,
            airtime_rx_ms=rx_ms if counters and home.airtime else None,
            standard=d.standard)


class _Inventory(_Fake):
    name = "inventory"

    def collect(self, ts: int) -> list[Device]:
        home = self.home
        home.advance(ts)
        out = []
        for d in home.devices:
            if d.wifi:
                band = home.associated.get(d)
                connection = band or ("5" if d.on5 else "2.4")
            else:
                connection = "wired"
            out.append(Device(mac=d.mac, ips=d.ips(), hostname=d.hostname, vendor=d.vendor, device_class=d.cls,
                              class_confidence=d.confidence, connection=connection, first_seen=d.first_seen,
                              last_seen=d.last_seen))
        return out


class _Apps(_Fake):
    name = "apps"

    def collect(self, ts: int) -> list[AppSample]:
        home = self.home
        home.advance(ts)
        if home.first:
            return []  # the first reading of the flow table is a baseline
        out = []
        rows = [(d.mac, app, m) for d, traffic in home.minute.items() for app, m in traffic.items()]
        rows += [("", app, m) for app, m in home.gateway.items()]
        for mac, app, m in rows:
            out.append(AppSample(ts=ts, mac=mac, app=app, bytes_up=m.bytes_up, bytes_down=m.bytes_down,
                                 packets_up=m.packets_up, packets_down=m.packets_down, flows=len(m.flow_ids),
                                 new_flows=m.new_flows, dests=len(m.remotes), flow_ids=frozenset(m.flow_ids),
                                 remotes=frozenset(str(r) for r in m.remotes)))
        return out


class _Probes(_Fake):
    name = "probes"

    def collect(self, ts: int) -> list[ProbeSample]:
        home, rng = self.home, self.home.rng
        home.advance(ts)
        load = min(home.down_mbps() / home.plan_mbps, 1.0)
        bloat = 60.0 * load ** 4  # queueing delay when the line is close to full
        out = []
        for target, base, count in (("first_hop", home.hop_ms, 5), ("1.1.1.1", home.internet_ms, 5)):
            rtts = []
            for _ in range(count):
                if rng.random() < 0.002 + 0.02 * load ** 4:
                    continue
                wire = base * rng.lognormvariate(0, 0.08)
                rtts.append(round(wire + rng.expovariate(1 / (0.05 * base + bloat + 0.01)), 3))
            out.append(_probe(ts, target, "icmp", count, rtts))
        cached = rng.random() < 0.85
        rtt = rng.uniform(0.15, 0.6) if cached else home.internet_ms * rng.uniform(0.9, 2.5) + bloat
        out.append(_probe(ts, "dns", "dns", 1, [round(rtt, 3)]))
        return out


def _probe(ts: int, target: str, kind: str, sent: int, rtts: list[float]) -> ProbeSample:
    pairs = list(itertools.pairwise(rtts))
    return ProbeSample(ts=ts, target=target, kind=kind, sent=sent, lost=sent - len(rtts),
                       rtt_ms=round(sum(rtts) / len(rtts), 3) if rtts else None,
                       rtt_min_ms=min(rtts) if rtts else None, rtt_max_ms=max(rtts) if rtts else None,
                       jitter_ms=round(sum(abs(b - a) for a, b in pairs) / len(pairs), 3) if pairs else None)


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
