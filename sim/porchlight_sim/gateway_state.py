"""Mode 1's synthetic gateway: what the agent's source seam sees of a simulated home.

``GatewayState.apply`` takes one simulated sample (the same records the fast path reports) and turns them
into what an OpenWrt gateway would show at that moment: cumulative driver counters behind ``iw`` station
and survey dumps, a conntrack table whose flows carry the sample's application bytes, DHCP leases and
neighbours, a dnsmasq query log naming the addresses the apps talk to, /proc and /sys files, and ``ping``
outputs and DNS replies with the sample's round-trip times. Files go under ``root``; commands are answered
by ``run`` (a Runner for ``porchlight_agent.sources.Sources``), DNS by ``udp`` with ``perf_clock`` moving
by the simulated resolution time.
"""

from __future__ import annotations

import random
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import os_text
from .fleet import Home
from .gateways import MODELS_BY_NAME
from .randomness import stream

WAN = "wan"
WAN_IP = "100.64.12.34"
WAN_GATEWAY = "100.64.0.1"
LAN_GATEWAY = "192.168.1.1"
SSID = "Porchlight-Home"
CLOCK_TICKS = 100
TCP_LINGER_S = 120  # a closed TCP flow stays in the table (TIME_WAIT) this long
UDP_LINGER_S = 180

#: How the real world reaches each application: (protocol, port, address template, resolver name). The
#: agent classifies by strong port, then by the names its resolver answered, then by prefix, then weak port.
ENDPOINTS: dict[str, tuple[str, int, str, str | None]] = {
    "netflix": ("tcp", 443, "45.57.{a}.{b}", None),
    "google": ("tcp", 443, "142.250.{a}.{b}", None),
    "zoom": ("udp", 8801, "170.114.{a}.{b}", None),
    "teams": ("udp", 3480, "52.113.{a}.{b}", None),
    "facebook": ("tcp", 443, "157.240.{a}.{b}", None),
    "gaming": ("udp", 27015, "155.133.{c}.{b}", None),
    "youtube": ("udp", 443, "208.117.{a}.{b}", "rr{n}---sn-4g5e6nsz.googlevideo.com"),
    "disneyplus": ("tcp", 443, "104.86.{a}.{b}", "vod-l3c-eu-north-{n}.media.dssott.com"),
    "primevideo": ("tcp", 443, "13.224.{a}.{b}", "d{n}xi40x97liuc.cloudfront.aiv-cdn.net"),
    "spotify": ("tcp", 443, "35.186.{a}.{b}", "audio{n}-ak.spotifycdn.com"),
    "instagram": ("tcp", 443, "185.89.{a}.{b}", "scontent-ams{n}-1.cdninstagram.com"),
    "tiktok": ("tcp", 443, "23.32.{a}.{b}", "v{n}m.tiktokcdn.com"),
    "whatsapp": ("tcp", 443, "163.70.{a}.{b}", "mmg{n}.whatsapp.net"),
    "facetime": ("udp", 3478, "17.253.{a}.{b}", "facetime.apple.com"),
    "icloud": ("tcp", 443, "17.248.{a}.{b}", "p{n}-content.icloud.com"),
    "windows_update": ("tcp", 443, "93.184.{a}.{b}", "tlu{n}.dl.delivery.mp.microsoft.com"),
    "smtp": ("tcp", 25, "{d}.{a}.{b}.{e}", None),
    "email": ("tcp", 993, "40.101.{a}.{b}", None),
    "quic": ("udp", 443, "151.101.{a}.{b}", None),
    "dns": ("udp", 53, "1.1.1.1", None),
    "ntp": ("udp", 123, "162.159.200.{b}", None),
    "unclassified": ("tcp", 443, "18.{a}.{b}.{e}", None),
}


@dataclass(slots=True)
class _Flow:
    proto: str
    src: str
    dst: str
    sport: int
    dport: int
    counters: list[int]  # orig packets, orig bytes, reply packets, reply bytes
    last_ts: int


@dataclass(slots=True)
class _Station:
    #: tx bytes, rx bytes, tx packets, rx packets, retries, failed, tx duration us, rx duration us
    counters: list[int] = field(default_factory=lambda: [0] * 8)
    connected_s: int = 0


@dataclass(slots=True)
class _Survey:
    active_ms: int = 0
    busy_ms: int = 0
    rx_ms: int = 0
    tx_ms: int = 0


class GatewayState:
    """The OS of one simulated gateway, rebuilt from each simulated sample."""

    def __init__(self, home: Home, root: Path, seed: int, boot_ts: int) -> None:
        self.home = home
        self.root = root
        self.model = MODELS_BY_NAME[home.model]
        self.rng = stream("gateway-os", seed, home.home_id)
        self.boot_ts = boot_ts
        self.ts = boot_ts
        self._stations: dict[str, _Station] = {}
        self._dumps: dict[str, str] = {}
        self._surveys: dict[str, _Survey] = {r.iface: _Survey() for r in home.radios}
        self._flows: dict[tuple[str, str], list[_Flow]] = {}
        self._next_port = 40_000
        self._named: set[str] = set()
        self._cpu = [0, 0]  # busy, idle ticks
        self._agent_ticks = 0
        self._wan = [0, 0]  # rx, tx bytes
        self._pings: dict[str, str] = {}
        self._dns_rtts: list[float | None] = []
        self._perf = 1000.0
        self._neighbours: list[tuple[str, str]] = []
        self._survey_text: dict[str, str] = {}
        self._addresses: dict[tuple[str, int], tuple[str, str | None]] = {}
        bssid = f"94:83:c4:{home.index >> 8 & 255:02x}:{home.index & 255:02x}"
        self.interfaces = [
            os_text.ApInterface(int(r.iface[3]), r.iface, f"{bssid}:{i:02x}", SSID, r.band, r.channel, r.width_mhz)
            for i, r in enumerate(home.radios)
        ]
        self._write_static()

    # ---- files ---------------------------------------------------------------------------------------

    def _write(self, path: str, text: str) -> None:
        target = self.root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)

    def _append(self, path: str, text: str) -> None:
        target = self.root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(text)

    def _write_static(self) -> None:
        self._write("/tmp/sysinfo/model", self.home.model + "\n")
        self._write("/tmp/sysinfo/board_name", self.home.model.lower().replace(" ", "-") + "\n")
        self.set_firmware(self.home.firmware)
        self._write("/etc/config/firewall", "config defaults\n\toption input 'REJECT'\n\toption forward 'REJECT'\n")
        self._write("/proc/sys/net/netfilter/nf_conntrack_acct", "1\n")
        self._write("/proc/sys/net/netfilter/nf_conntrack_max", "16384\n")
        self._write("/proc/net/route", os_text.proc_route(WAN, os_text.ipv4_hex_le(WAN_GATEWAY)))
        for name, value in (("operstate", "up"), ("carrier", "1"), ("carrier_changes", "2"),
                            ("carrier_down_count", "1")):
            self._write(f"/sys/class/net/{WAN}/{name}", value + "\n")
        self._write("/tmp/dnsmasq.log", "")

    def reboot(self, boot_ts: int, firmware: str) -> None:
        """The gateway restarted: drivers, conntrack and interface counters start from zero."""
        self.boot_ts = boot_ts
        self._stations.clear()
        self._dumps = {}
        self._surveys = {r.iface: _Survey() for r in self.home.radios}
        self._survey_text = {}
        self._flows.clear()
        self._cpu = [0, 0]
        self._agent_ticks = 0
        self._wan = [0, 0]
        self.set_firmware(firmware)
        self._write("/proc/net/nf_conntrack", "")

    def set_firmware(self, firmware: str) -> None:
        """What /etc/openwrt_release says."""
        self._write("/etc/openwrt_release", os_text.openwrt_release(firmware))

    # ---- one sample ----------------------------------------------------------------------------------

    def apply(self, ts: int, dt: float, sample: dict[str, list[dict[str, Any]]],
              devices: Sequence[dict[str, Any]]) -> None:
        """Make the gateway look as it does at ``ts``, after the simulated sample ending there."""
        self.ts = ts
        self._apply_stations(sample["stations"], dt)
        self._apply_radios(sample["radios"], dt)
        self._apply_apps(ts, sample["apps"], devices)
        self._apply_probes(sample["probes"])
        self._apply_health(sample["health"], dt)
        self._apply_inventory(ts, devices)

    def _apply_stations(self, records: list[dict[str, Any]], dt: float) -> None:
        seen: dict[str, list[os_text.StationDump]] = {i.name: [] for i in self.interfaces}
        for r in records:
            st = self._stations.get(r["mac"])
            if st is None or r["connected_s"] < st.connected_s:
                st = self._stations[r["mac"]] = _Station()  # (re)association: the driver starts from zero
            st.connected_s = r["connected_s"]
            c = st.counters
            for i, key in enumerate(("tx_bytes", "rx_bytes", "tx_packets", "rx_packets", "tx_retries", "tx_failed")):
                c[i] += r[key]
            c[6] += r["airtime_tx_ms"] * 1000
            c[7] += r["airtime_rx_ms"] * 1000
            standard = r["standard"]
            seen[r["radio"]].append(os_text.StationDump(
                mac=r["mac"], inactive_ms=r["inactive_ms"], rx_bytes=c[1], rx_packets=c[3], tx_bytes=c[0],
                tx_packets=c[2], tx_retries=c[4], tx_failed=c[5], signal_dbm=r["signal_dbm"],
                signal_avg_dbm=r["signal_avg_dbm"],
                tx_bitrate=os_text.bitrate(standard, r["tx_rate_mbps"], r["tx_mcs"], r["tx_nss"], r["tx_width_mhz"]),
                rx_bitrate=os_text.bitrate(standard, r["rx_rate_mbps"], r["rx_mcs"], r["rx_nss"], r["rx_width_mhz"]),
                tx_duration_us=c[6], rx_duration_us=c[7], expected_mbps=r["expected_tput_mbps"],
                connected_s=r["connected_s"]))
        present = {r["mac"] for r in records}
        for mac in [m for m in self._stations if m not in present]:
            del self._stations[mac]
        self._dumps = {iface: os_text.station_dump(iface, rows) for iface, rows in seen.items()}

    def _apply_radios(self, records: list[dict[str, Any]], dt: float) -> None:
        ms = int(dt * 1000)
        self._survey_text = {}
        for r in records:
            s = self._surveys[r["radio"]]
            s.active_ms += ms
            s.busy_ms += int(ms * r["busy_pct"] / 100.0)
            s.tx_ms += int(ms * r["tx_pct"] / 100.0)
            s.rx_ms += int(ms * r["rx_pct"] / 100.0)
            radio = next(x for x in self.home.radios if x.iface == r["radio"])
            other = radio.channel + (4 if radio.band == "5" else 5 if radio.band == "2.4" else 16)
            self._survey_text[r["radio"]] = os_text.survey_dump(r["radio"], [
                os_text.SurveyChannel(os_text.freq_mhz(radio.band, radio.channel), True, r["noise_dbm"],
                                      s.active_ms, s.busy_ms, s.rx_ms, s.tx_ms),
                os_text.SurveyChannel(os_text.freq_mhz(radio.band, other), False, None, 0, 0, 0, 0),
            ])

    def _address(self, app: str, slot: int) -> tuple[str, str | None]:
        """The remote address (and the name the resolver gave for it) of an app's ``slot``-th destination."""
        key = (app, slot)
        found = self._addresses.get(key)
        if found is None:
            _proto, _port, template, name = ENDPOINTS[app]
            rng = random.Random(f"{self.home.home_id}:{app}:{slot}")
            ip = template.format(a=rng.randrange(0, 127), b=rng.randrange(1, 254), c=rng.randrange(224, 255),
                                 d=rng.choice((23, 46, 62, 77, 80, 91, 185, 193, 212)), e=rng.randrange(1, 254))
            found = (ip, name.format(n=rng.randrange(1, 9)) if name else None)
            if len(self._addresses) > 50_000:
                self._addresses.clear()
            self._addresses[key] = found
        return found

    def _apply_apps(self, ts: int, records: list[dict[str, Any]], devices: Sequence[dict[str, Any]]) -> None:
        ips = {d["mac"]: d["ips"][0] for d in devices if d.get("ips")}
        log: list[str] = []
        stamp = _syslog_time(ts)
        for r in records:
            src = ips.get(r["mac"])
            if src is None or r["app"] not in ENDPOINTS:
                continue
            proto, port, _template, _name = ENDPOINTS[r["app"]]
            flows = self._flows.setdefault((r["mac"], r["app"]), [])
            alive = [f for f in flows if ts - f.last_ts < (TCP_LINGER_S if f.proto == "tcp" else UDP_LINGER_S)]
            new = min(int(r["new_flows"]), 400)
            keep = max(0, min(int(r["flows"]) - new, len(alive)))
            active = alive[-keep:] if keep else []
            dests = max(1, int(r["dests"]))
            base = self.rng.randrange(0, 1 << 20)
            for i in range(new if new or active else 1):
                ip, name = self._address(r["app"], (base + i % dests) if r["app"] == "smtp" else i % dests)
                if name is not None and ip not in self._named:
                    self._named.add(ip)
                    log.append(f"{stamp} dnsmasq[1811]: query[A] {name} from {src}\n"
                               f"{stamp} dnsmasq[1811]: forwarded {name} to 1.1.1.1\n"
                               f"{stamp} dnsmasq[1811]: reply {name} is {ip}\n")
                self._next_port = 40_000 + (self._next_port - 40_000 + 1) % 20_000
                flow = _Flow(proto, src, ip, self._next_port, port, [0, 0, 0, 0], ts)
                alive.append(flow)
                active.append(flow)
            share = 1.0 / len(active)
            for f in active:
                f.counters[0] += max(1, int(r["packets_up"] * share)) if r["packets_up"] else 0
                f.counters[1] += int(r["bytes_up"] * share)
                f.counters[2] += int(r["packets_down"] * share)
                f.counters[3] += int(r["bytes_down"] * share)
                f.last_ts = ts
            self._flows[(r["mac"], r["app"])] = alive[-600:]
        for key in list(self._flows):
            self._flows[key] = [f for f in self._flows[key]
                                if ts - f.last_ts < (TCP_LINGER_S if f.proto == "tcp" else UDP_LINGER_S)]
            if not self._flows[key]:
                del self._flows[key]
        lines = [os_text.conntrack_line(os_text.ConntrackFlow(
            f.proto, f.src, f.dst, f.sport, f.dport, WAN_IP, f.counters[0], f.counters[1], f.counters[2],
            f.counters[3], 431_999 if f.proto == "tcp" else 170)) for fl in self._flows.values() for f in fl]
        self._write("/proc/net/nf_conntrack", "\n".join(lines) + ("\n" if lines else ""))
        self._write("/proc/sys/net/netfilter/nf_conntrack_count", f"{len(lines)}\n")
        if log:
            self._append("/tmp/dnsmasq.log", "".join(log))

    def _apply_probes(self, records: list[dict[str, Any]]) -> None:
        self._pings = {}
        for r in records:
            if r["kind"] == "dns":
                rtt = r["rtt_ms"]
                self._dns_rtts = [None if i < r["lost"] or rtt is None else rtt * (0.8 + 0.4 * self.rng.random())
                                  for i in range(r["sent"])]
                continue
            address = WAN_GATEWAY if r["target"] == "first_hop" else r["target"]
            self._pings[address] = os_text.ping(address, r["sent"], self._rtts(r))

    def _rtts(self, r: dict[str, Any]) -> list[float | None]:
        sent, lost = r["sent"], r["lost"]
        if r["rtt_ms"] is None:
            return [None] * sent
        got = sent - lost
        low, high, mean = r["rtt_min_ms"], r["rtt_max_ms"], r["rtt_ms"]
        values = [low, high] + [mean + (self.rng.random() - 0.5) * r["jitter_ms"] for _ in range(max(0, got - 2))]
        values = values[:got]
        lost_at = set(self.rng.sample(range(sent), lost))
        it = iter(values)
        return [None if i in lost_at else max(0.05, next(it)) for i in range(sent)]

    def _apply_health(self, records: list[dict[str, Any]], dt: float) -> None:
        if not records:
            return
        h = records[-1]
        ticks = int(dt * CLOCK_TICKS * self.model.cores)
        busy = int(ticks * h["cpu_pct"] / 100.0)
        self._cpu[0] += busy
        self._cpu[1] += ticks - busy
        self._agent_ticks += int(h["agent_cpu_ms"] * CLOCK_TICKS / 1000)
        self._wan[0] += h["wan_rx_bytes"]
        self._wan[1] += h["wan_tx_bytes"]
        uptime = h["uptime_s"]
        self._write("/proc/uptime", f"{uptime}.{self.rng.randrange(10, 99)} {uptime * self.model.cores * 0.8:.2f}\n")
        load = h["load1"]
        self._write("/proc/loadavg", f"{load:.2f} {load * 0.9:.2f} {load * 0.8:.2f} 1/142 {4000 + uptime % 20000}\n")
        self._write("/proc/stat", os_text.proc_stat(self._cpu[0], self._cpu[1]))
        self._write("/proc/meminfo", os_text.meminfo(h["mem_total_kb"], h["mem_used_pct"]))
        self._write("/proc/self/stat", os_text.self_stat(1811, self._agent_ticks * 2 // 3, self._agent_ticks // 3))
        self._write("/proc/self/status", f"Name:\tpython3\nVmRSS:\t{h['agent_rss_kb']} kB\n")
        self._write(f"/sys/class/net/{WAN}/statistics/rx_bytes", f"{self._wan[0]}\n")
        self._write(f"/sys/class/net/{WAN}/statistics/tx_bytes", f"{self._wan[1]}\n")

    def _apply_inventory(self, ts: int, devices: Sequence[dict[str, Any]]) -> None:
        connected = {mac for mac in self._stations}
        leases = []
        neighbours = []
        for d in devices:
            if not d.get("ips"):
                continue
            if d["last_seen"] is not None and ts - d["last_seen"] < 12 * 3600:
                leases.append((ts + 12 * 3600, d["mac"], d["ips"][0], d["hostname"]))
            if d["mac"] in connected or (d["connection"] == "wired" and d["last_seen"] == ts):
                neighbours.append((d["ips"][0], d["mac"]))
        self._neighbours = neighbours
        self._write("/tmp/dhcp.leases", os_text.dhcp_leases(leases))
        self._write("/proc/net/arp", os_text.proc_arp(neighbours))

    # ---- the command runner and the DNS exchange ----------------------------------------------------

    def run(self, argv: Sequence[str], timeout: float) -> str:
        """Answer a command as the gateway would (a Runner for the agent's Sources)."""
        from porchlight_agent.sources import CommandFailed, CommandNotFound

        args = tuple(argv)
        if args == ("iw", "dev"):
            return os_text.iw_dev(self.interfaces)
        if len(args) == 4 and args[:2] == ("iw", "dev") and args[3] == "info":
            return os_text.iw_dev([i for i in self.interfaces if i.name == args[2]])
        if len(args) == 5 and args[:2] == ("iw", "dev") and args[3:] == ("station", "dump"):
            return self._dumps.get(args[2], "")
        if len(args) == 5 and args[:2] == ("iw", "dev") and args[3:] == ("survey", "dump"):
            return self._survey_text.get(args[2], "")
        if args == ("ip", "neigh", "show"):
            return os_text.ip_neigh(self._neighbours)
        if args == ("ip", "route", "show", "default"):
            return f"default via {WAN_GATEWAY} dev {WAN} proto static src {WAN_IP}\n"
        if args and args[0] == "ping":
            text = self._pings.get(args[-1])
            if text is None:
                raise CommandFailed(f"ping: bad address '{args[-1]}'", "", 1)
            if " 0 packets received" in text:
                raise CommandFailed("ping: no reply", text, 1)
            return text
        raise CommandNotFound(f"{args[0] if args else '?'}: not installed on the simulated gateway")

    def udp(self, host: str, port: int, payload: bytes, timeout: float) -> bytes:
        """Answer a DNS query from the resolver, taking the simulated resolution time on ``perf_clock``."""
        rtt = self._dns_rtts.pop(0) if self._dns_rtts else 1.0
        if rtt is None:
            self._perf += timeout
            raise TimeoutError(f"no reply from {host}:{port} within {timeout:g}s")
        self._perf += rtt / 1000.0
        txid = struct.unpack("!H", payload[:2])[0]
        question = payload[12:]
        answer = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + bytes([93, 184, 215, 14])
        return struct.pack("!HHHHHH", txid, 0x8180, 1, 1, 0, 0) + question + answer

    def perf_clock(self) -> float:
        """A perf_counter that moves only when the simulated resolver answers."""
        return self._perf


def _syslog_time(ts: int) -> str:
    return time.strftime("%b %d %H:%M:%S", time.gmtime(ts))
