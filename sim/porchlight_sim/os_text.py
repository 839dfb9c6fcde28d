"""What an OpenWrt gateway prints, as text: ``iw`` dumps, ``ping``, conntrack lines, DHCP leases, /proc files.

Pure functions from values to text in the exact formats the agent's collectors parse (mt76/ath11k-style
``iw``, busybox ``ping``, /proc/net/nf_conntrack with accounting on). gateway_state.py keeps the cumulative
counters and decides what to render.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


def freq_mhz(band: str, channel: int) -> int:
    """Centre frequency of a primary channel."""
    if band == "2.4":
        return 2407 + 5 * channel
    if band == "5":
        return 5000 + 5 * channel
    return 5950 + 5 * channel


@dataclass(frozen=True, slots=True)
class ApInterface:
    """An access-point interface for ``iw dev``."""

    phy: int
    name: str
    addr: str
    ssid: str
    band: str
    channel: int
    width_mhz: int


def iw_dev(interfaces: Sequence[ApInterface]) -> str:
    """``iw dev`` output listing access-point interfaces, highest phy first as iw prints them."""
    lines: list[str] = []
    for i in sorted(interfaces, key=lambda x: -x.phy):
        freq = freq_mhz(i.band, i.channel)
        lines += [
            f"phy#{i.phy}", f"\tInterface {i.name}", f"\t\tifindex {10 + i.phy}", f"\t\twdev 0x{i.phy}00000002",
            f"\t\taddr {i.addr}", f"\t\tssid {i.ssid}", "\t\ttype AP",
            f"\t\tchannel {i.channel} ({freq} MHz), width: {i.width_mhz} MHz, center1: {freq} MHz",
            "\t\ttxpower 20.00 dBm",
        ]
    return "\n".join(lines) + "\n"


def bitrate(standard: str, rate_mbps: float, mcs: int, nss: int, width_mhz: int) -> str:
    """An iw bitrate string, e.g. ``866.7 MBit/s VHT-MCS 9 80MHz short GI VHT-NSS 2``."""
    if standard == "be":
        return f"{rate_mbps:.1f} MBit/s {width_mhz}MHz EHT-MCS {mcs} EHT-NSS {nss} EHT-GI 0"
    if standard == "ax":
        return f"{rate_mbps:.1f} MBit/s {width_mhz}MHz HE-MCS {mcs} HE-NSS {nss} HE-GI 0 HE-DCM 0"
    if standard == "ac":
        return f"{rate_mbps:.1f} MBit/s VHT-MCS {mcs} {width_mhz}MHz short GI VHT-NSS {nss}"
    width = f" {width_mhz}MHz" if width_mhz != 20 else ""
    return f"{rate_mbps:.1f} MBit/s MCS {mcs + 8 * (nss - 1)}{width} short GI"


@dataclass(frozen=True, slots=True)
class StationDump:
    """One station as the driver reports it: cumulative counters and the last link state."""

    mac: str
    inactive_ms: int
    rx_bytes: int
    rx_packets: int
    tx_bytes: int
    tx_packets: int
    tx_retries: int
    tx_failed: int
    signal_dbm: int
    signal_avg_dbm: int
    tx_bitrate: str
    rx_bitrate: str
    tx_duration_us: int
    rx_duration_us: int
    expected_mbps: float
    connected_s: int


def station_dump(iface: str, stations: Iterable[StationDump]) -> str:
    """``iw dev IFACE station dump`` output."""
    lines: list[str] = []
    for s in stations:
        lines += [
            f"Station {s.mac} (on {iface})",
            f"\tinactive time:\t{s.inactive_ms} ms",
            f"\trx bytes:\t{s.rx_bytes}", f"\trx packets:\t{s.rx_packets}",
            f"\ttx bytes:\t{s.tx_bytes}", f"\ttx packets:\t{s.tx_packets}",
            f"\ttx retries:\t{s.tx_retries}", f"\ttx failed:\t{s.tx_failed}",
            "\trx drop misc:\t0",
            f"\tsignal:  \t{s.signal_dbm} [{s.signal_dbm - 2}, {s.signal_dbm - 3}] dBm",
            f"\tsignal avg:\t{s.signal_avg_dbm} [{s.signal_avg_dbm - 2}, {s.signal_avg_dbm - 3}] dBm",
            f"\ttx bitrate:\t{s.tx_bitrate}", f"\ttx duration:\t{s.tx_duration_us} us",
            f"\trx bitrate:\t{s.rx_bitrate}", f"\trx duration:\t{s.rx_duration_us} us",
            f"\texpected throughput:\t{s.expected_mbps:.3f}Mbps",
            "\tauthorized:\tyes", "\tauthenticated:\tyes", "\tassociated:\tyes", "\tWMM/WME:\tyes",
            "\tMFP:\t\tyes", "\tTDLS peer:\tno", "\tDTIM period:\t2", "\tbeacon interval:100",
            "\tshort slot time:yes",
            f"\tconnected time:\t{s.connected_s} seconds",
        ]
    return "\n".join(lines) + ("\n" if lines else "")


@dataclass(frozen=True, slots=True)
class SurveyChannel:
    """One channel's cumulative survey times (ms) and noise."""

    freq_mhz: int
    in_use: bool
    noise_dbm: int | None
    active_ms: int
    busy_ms: int
    rx_ms: int
    tx_ms: int


def survey_dump(iface: str, channels: Iterable[SurveyChannel]) -> str:
    """``iw dev IFACE survey dump`` output."""
    lines: list[str] = []
    for c in channels:
        lines.append(f"Survey data from {iface}")
        lines.append(f"\tfrequency:\t\t\t{c.freq_mhz} MHz" + (" [in use]" if c.in_use else ""))
        if c.noise_dbm is not None:
            lines.append(f"\tnoise:\t\t\t\t{c.noise_dbm} dBm")
        lines += [f"\tchannel active time:\t\t{c.active_ms} ms", f"\tchannel busy time:\t\t{c.busy_ms} ms",
                  f"\tchannel receive time:\t\t{c.rx_ms} ms", f"\tchannel transmit time:\t\t{c.tx_ms} ms"]
    return "\n".join(lines) + "\n"


def ping(address: str, sent: int, rtts_ms: Sequence[float | None]) -> str:
    """busybox ``ping -c N`` output; ``None`` in ``rtts_ms`` is a lost probe."""
    lines = [f"PING {address} ({address}): 56 data bytes"]
    got = [r for r in rtts_ms if r is not None]
    for seq, rtt in enumerate(rtts_ms):
        if rtt is not None:
            lines.append(f"64 bytes from {address}: seq={seq} ttl=57 time={rtt:.3f} ms")
    lines += ["", f"--- {address} ping statistics ---",
              f"{sent} packets transmitted, {len(got)} packets received, {round(100 * (sent - len(got)) / sent)}% "
              "packet loss"]
    if got:
        lines.append(f"round-trip min/avg/max = {min(got):.3f}/{sum(got) / len(got):.3f}/{max(got):.3f} ms")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True, slots=True)
class ConntrackFlow:
    """One tracked flow with cumulative accounting (orig = from the home, reply = towards it)."""

    proto: str
    src: str
    dst: str
    sport: int
    dport: int
    wan_ip: str
    orig_packets: int
    orig_bytes: int
    reply_packets: int
    reply_bytes: int
    timeout_s: int


def conntrack_line(f: ConntrackFlow) -> str:
    """One /proc/net/nf_conntrack line (IPv4, NAT to ``wan_ip``, accounting on)."""
    if f.proto == "tcp":
        head = f"ipv4     2 tcp      6 {f.timeout_s} ESTABLISHED"
    else:
        head = f"ipv4     2 udp      17 {f.timeout_s}"
    return (f"{head} src={f.src} dst={f.dst} sport={f.sport} dport={f.dport} packets={f.orig_packets} "
            f"bytes={f.orig_bytes} src={f.dst} dst={f.wan_ip} sport={f.dport} dport={f.sport} "
            f"packets={f.reply_packets} bytes={f.reply_bytes} [ASSURED] mark=0 zone=0 use=2")


def dhcp_leases(leases: Iterable[tuple[int, str, str, str | None]]) -> str:
    """/tmp/dhcp.leases from (expiry, mac, ip, hostname)."""
    return "".join(f"{expiry} {mac} {ip} {host or '*'} 01:{mac}\n" for expiry, mac, ip, host in leases)


def ip_neigh(neighbours: Iterable[tuple[str, str]]) -> str:
    """``ip neigh show`` from (ip, mac) of reachable LAN neighbours."""
    return "".join(f"{ip} dev br-lan lladdr {mac} REACHABLE\n" for ip, mac in neighbours)


def proc_arp(neighbours: Iterable[tuple[str, str]]) -> str:
    """/proc/net/arp from (ip, mac)."""
    head = "IP address       HW type     Flags       HW address            Mask     Device\n"
    return head + "".join(f"{ip:<16} 0x1         0x2         {mac}     *        br-lan\n" for ip, mac in neighbours)


def proc_route(wan: str, gateway_hex: str) -> str:
    """/proc/net/route with a default route via ``gateway_hex`` (little-endian hex) on ``wan``."""
    return ("Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
            f"{wan}\t00000000\t{gateway_hex}\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
            "br-lan\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n")


def ipv4_hex_le(address: str) -> str:
    """An IPv4 address as /proc/net/route writes it (little-endian hex)."""
    parts = [int(p) for p in address.split(".")]
    return "".join(f"{p:02X}" for p in reversed(parts))


def proc_stat(busy_ticks: int, idle_ticks: int) -> str:
    """/proc/stat's aggregate cpu line (user, nice, system, idle, iowait, irq, softirq, steal, guest...)."""
    user = busy_ticks * 6 // 10
    system = busy_ticks * 3 // 10
    softirq = busy_ticks - user - system
    return f"cpu  {user} 0 {system} {idle_ticks} 0 0 {softirq} 0 0 0\nintr 0\nctxt 0\nbtime 0\n"


def meminfo(total_kb: int, used_pct: float) -> str:
    """/proc/meminfo with MemAvailable set so that ``used_pct`` of memory is in use."""
    available = int(total_kb * (1.0 - used_pct / 100.0))
    return (f"MemTotal:       {total_kb} kB\nMemFree:        {available // 2} kB\n"
            f"MemAvailable:   {available} kB\nBuffers:        {available // 16} kB\n"
            f"Cached:         {available // 3} kB\n")


def self_stat(pid: int, utime_ticks: int, stime_ticks: int) -> str:
    """/proc/self/stat of the agent (python3) with the given CPU ticks in fields 14 and 15."""
    return (f"{pid} (python3) S 1 {pid} {pid} 0 -1 4194560 1200 0 0 0 {utime_ticks} {stime_ticks} 0 0 20 0 1 0 "
            "1000 30000000 4000 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 0 0 0 0 0 0\n")


def openwrt_release(firmware: str) -> str:
    """/etc/openwrt_release for a firmware string ``RELEASE REVISION``."""
    release, _, revision = firmware.partition(" ")
    return (f"DISTRIB_ID='OpenWrt'\nDISTRIB_RELEASE='{release}'\nDISTRIB_REVISION='{revision}'\n"
            "DISTRIB_TARGET='mediatek/filogic'\nDISTRIB_ARCH='aarch64_cortex-a53'\n"
            f"DISTRIB_DESCRIPTION='OpenWrt {release} {revision}'\nDISTRIB_TAINTS=''\n")
