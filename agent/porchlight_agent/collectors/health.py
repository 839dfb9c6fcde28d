"""Health collector: the gateway's own state (uptime, load, CPU, memory, WAN counters, conntrack size) and the
agent's footprint, plus the identity (model, firmware) for the report header."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import ClassVar

from .. import __version__ as AGENT_VERSION
from ..sources import Sources
from .counters import counter_delta
from .wanlink import LinkState, default_route, down_transitions, read_link

__all__ = [
    "CpuTimes", "HealthCollector", "HealthSample", "Identity", "parse_loadavg", "parse_meminfo",
    "parse_openwrt_release", "parse_proc_stat", "parse_self_stat_ticks", "parse_status_rss_kb",
    "parse_uptime",
]


@dataclass(frozen=True, slots=True)
class HealthSample:
    """One health record (schema section ``health``)."""

    SECTION: ClassVar[str] = "health"

    ts: int
    uptime_s: int | None = None
    load1: float | None = None
    cpu_pct: float | None = None
    mem_used_pct: float | None = None
    mem_total_kb: int | None = None
    wan_up: bool | None = None
    wan_flaps: int | None = None
    wan_rx_bytes: int | None = None
    wan_tx_bytes: int | None = None
    conntrack_entries: int | None = None
    agent_cpu_ms: int | None = None
    agent_rss_kb: int | None = None


@dataclass(frozen=True, slots=True)
class Identity:
    """What the report header says about the gateway: hardware model, firmware and agent version."""

    model: str
    firmware: str
    agent_version: str


@dataclass(frozen=True, slots=True)
class CpuTimes:
    """Aggregate CPU time from /proc/stat, in clock ticks: busy and total."""

    busy: int
    total: int


# ---- pure parsers -------------------------------------------------------------------------------------

def parse_uptime(text: str) -> int | None:
    """Whole seconds since boot from /proc/uptime (``"350735.47 234388.90"``)."""
    try:
        return int(float(text.split()[0]))
    except (IndexError, ValueError):
        return None


def parse_loadavg(text: str) -> float | None:
    """The one-minute load average from /proc/loadavg."""
    try:
        return float(text.split()[0])
    except (IndexError, ValueError):
        return None


def parse_proc_stat(text: str) -> CpuTimes | None:
    """Aggregate busy/total ticks from the first ``cpu`` line of /proc/stat.

    Idle and iowait are idle; guest time is already inside user time, so it is not added again.
    """
    for line in text.splitlines():
        if line.startswith("cpu "):
            try:
                values = [int(v) for v in line.split()[1:]]
            except ValueError:
                return None
            counted = values[:8]  # user nice system idle iowait irq softirq steal
            total = sum(counted)
            idle = counted[3] + (counted[4] if len(counted) > 4 else 0)
            return CpuTimes(busy=total - idle, total=total)
    return None


def parse_meminfo(text: str) -> tuple[int | None, float | None]:
    """(MemTotal in KiB, share used excluding caches in %) from /proc/meminfo.

    Kernels before 3.14 have no MemAvailable: MemFree + Buffers + Cached stands in for it.
    """
    values: dict[str, int] = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts:
            try:
                values[key] = int(parts[0])
            except ValueError:
                continue
    total = values.get("MemTotal")
    if not total:
        return None, None
    available = values.get("MemAvailable")
    if available is None:
        available = values.get("MemFree", 0) + values.get("Buffers", 0) + values.get("Cached", 0)
    used_pct = round(100.0 * max(total - available, 0) / total, 1)
    return total, used_pct


def parse_self_stat_ticks(text: str) -> int | None:
    """utime + stime in clock ticks from /proc/self/stat (the name in parentheses may hold spaces)."""
    _, sep, rest = text.rpartition(")")
    if not sep:
        return None
    fields = rest.split()
    try:
        return int(fields[11]) + int(fields[12])  # fields 14 and 15 of the whole line
    except (IndexError, ValueError):
        return None


def parse_status_rss_kb(text: str) -> int | None:
    """VmRSS in KiB from /proc/self/status."""
    for line in text.splitlines():
        if line.startswith("VmRSS:"):
            try:
                return int(line.split()[1])
            except (IndexError, ValueError):
                return None
    return None


def parse_openwrt_release(text: str) -> dict[str, str]:
    """The shell-style KEY='value' pairs of /etc/openwrt_release (or /etc/os-release)."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, raw = line.strip().partition("=")
        if not sep or not key or key.startswith("#"):
            continue
        try:
            words = shlex.split(raw)
        except ValueError:
            words = [raw.strip("'\"")]
        values[key] = " ".join(words)
    return values


def _int_file(sources: Sources, path: str) -> int | None:
    text = sources.read_optional(path)
    if text is None:
        return None
    try:
        return int(text.strip())
    except ValueError:
        return None


# ---- the collector -----------------------------------------------------------------------------------

class HealthCollector:
    """Samples the gateway's health once per call, keeping the previous counters for per-interval deltas.

    ``wan`` names the WAN interface; when None it is the interface of the default route, looked up on every
    sample (a PPPoE interface comes and goes). ``model`` and ``firmware`` override what the gateway says
    about itself (for gateways that are not OpenWrt).
    """

    name = "health"

    def __init__(self, sources: Sources, *, wan: str | None = None, model: str | None = None,
                 firmware: str | None = None) -> None:
        self._sources = sources
        self._wan = wan
        self._model = model
        self._firmware = firmware
        self._cpu: CpuTimes | None = None
        self._self_ticks: int | None = None
        self._wan_name: str | None = None
        self._wan_rx: int | None = None
        self._wan_tx: int | None = None
        self._link: LinkState | None = None

    def identity(self) -> Identity:
        """Model and firmware for the report header: the constructor's overrides first, then OpenWrt's
        /tmp/sysinfo/model and /etc/openwrt_release, then the device tree, DMI and /etc/os-release."""
        src = self._sources
        model = self._model
        if model is None:
            for path in ("/tmp/sysinfo/model", "/sys/firmware/devicetree/base/model",
                         "/sys/class/dmi/id/product_name"):
                text = src.read_optional(path)
                if text and text.strip("\x00\n "):
                    model = text.strip("\x00\n ")
                    break
        firmware = self._firmware
        if firmware is None:
            release = src.read_optional("/etc/openwrt_release")
            if release is not None:
                values = parse_openwrt_release(release)
                firmware = " ".join(v for v in (values.get("DISTRIB_RELEASE"), values.get("DISTRIB_REVISION"))
                                    if v) or None
            if firmware is None:
                os_release = src.read_optional("/etc/os-release")
                if os_release is not None:
                    firmware = parse_openwrt_release(os_release).get("PRETTY_NAME")
        return Identity(model=model or "unknown", firmware=firmware or "unknown", agent_version=AGENT_VERSION)

    def wan_interface(self) -> str | None:
        """The WAN interface in use: the configured one, or the default route's."""
        if self._wan is not None:
            return self._wan
        route = default_route(self._sources)
        return route.interface if route else None

    def collect(self, ts: int) -> list[HealthSample]:
        """One health record for the sample ending at ``ts``."""
        src = self._sources
        uptime = src.read_optional("/proc/uptime")
        loadavg = src.read_optional("/proc/loadavg")
        meminfo = src.read_optional("/proc/meminfo")
        mem_total, mem_used_pct = parse_meminfo(meminfo) if meminfo else (None, None)
        wan_up, wan_flaps, wan_rx, wan_tx = self._wan_readings()
        return [HealthSample(
            ts=ts,
            uptime_s=parse_uptime(uptime) if uptime else None,
            load1=parse_loadavg(loadavg) if loadavg else None,
            cpu_pct=self._cpu_pct(),
            mem_used_pct=mem_used_pct,
            mem_total_kb=mem_total,
            wan_up=wan_up,
            wan_flaps=wan_flaps,
            wan_rx_bytes=wan_rx,
            wan_tx_bytes=wan_tx,
            conntrack_entries=_int_file(src, "/proc/sys/net/netfilter/nf_conntrack_count"),
            agent_cpu_ms=self._agent_cpu_ms(),
            agent_rss_kb=self._agent_rss_kb(),
        )]

    def _cpu_pct(self) -> float | None:
        text = self._sources.read_optional("/proc/stat")
        current = parse_proc_stat(text) if text else None
        previous, self._cpu = self._cpu, current
        if previous is None or current is None:
            return None
        total = current.total - previous.total
        busy = current.busy - previous.busy
        if total <= 0 or busy < 0:
            return None  # no time passed, or the counters restarted (a reboot between samples)
        return round(100.0 * busy / total, 1)

    def _wan_readings(self) -> tuple[bool, int | None, int | None, int | None]:
        """(link up, down transitions, rx bytes, tx bytes) over the interval."""
        wan = self.wan_interface()
        if wan is None:
            self._wan_name, self._wan_rx, self._wan_tx, self._link = None, None, None, None
            return False, None, None, None
        src = self._sources
        link = read_link(src, wan)
        renamed = wan != self._wan_name
        rx = _int_file(src, f"/sys/class/net/{wan}/statistics/rx_bytes")
        tx = _int_file(src, f"/sys/class/net/{wan}/statistics/tx_bytes")
        readings = (
            link.up if link else False,
            None if renamed else down_transitions(self._link, link),
            counter_delta(self._wan_rx, rx, reset=renamed),
            counter_delta(self._wan_tx, tx, reset=renamed),
        )
        self._wan_name, self._wan_rx, self._wan_tx, self._link = wan, rx, tx, link
        return readings

    def _agent_cpu_ms(self) -> int | None:
        text = self._sources.read_optional("/proc/self/stat")
        ticks = parse_self_stat_ticks(text) if text else None
        previous, self._self_ticks = self._self_ticks, ticks
        delta = counter_delta(previous, ticks)
        return None if delta is None else delta * 1000 // self._sources.clock_ticks

    def _agent_rss_kb(self) -> int | None:
        text = self._sources.read_optional("/proc/self/status")
        return parse_status_rss_kb(text) if text else None
