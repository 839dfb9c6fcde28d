"""The WAN interface: which one carries the default route, and its link state from /sys/class/net."""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

from ..sources import SourceError, Sources


@dataclass(frozen=True, slots=True)
class DefaultRoute:
    """The IPv4 default route: its interface and next hop (None for a point-to-point link)."""

    interface: str
    gateway: str | None


@dataclass(frozen=True, slots=True)
class LinkState:
    """A network interface's link at one moment: up or not, and its cumulative carrier change counts."""

    up: bool
    carrier_changes: int | None
    carrier_down_count: int | None


def parse_proc_net_route(text: str) -> DefaultRoute | None:
    """The default route from /proc/net/route (hex, little-endian addresses); the lowest metric wins."""
    best: tuple[int, DefaultRoute] | None = None
    for line in text.splitlines()[1:]:
        cols = line.split()
        if len(cols) < 8 or cols[1] != "00000000" or cols[7] != "00000000":
            continue
        try:
            flags = int(cols[3], 16)
            metric = int(cols[6])
            gw_raw = int(cols[2], 16)
        except ValueError:
            continue
        if not flags & 0x1:  # RTF_UP
            continue
        gateway = socket.inet_ntoa(struct.pack("<I", gw_raw)) if gw_raw else None
        if best is None or metric < best[0]:
            best = (metric, DefaultRoute(cols[0], gateway))
    return best[1] if best else None


def parse_ip_route(text: str) -> DefaultRoute | None:
    """The default route from ``ip route`` / ``ip route show default`` output (iproute2 or busybox)."""
    for line in text.splitlines():
        words = line.split()
        if not words or words[0] != "default":
            continue
        gateway = words[words.index("via") + 1] if "via" in words[:-1] else None
        if "dev" in words[:-1]:
            return DefaultRoute(words[words.index("dev") + 1], gateway)
    return None


def default_route(sources: Sources) -> DefaultRoute | None:
    """The default route, from /proc/net/route or else ``ip route``; None when there is none."""
    text = sources.read_optional("/proc/net/route")
    if text is not None:
        return parse_proc_net_route(text)
    try:
        return parse_ip_route(sources.run(["ip", "route", "show", "default"], timeout=3.0))
    except SourceError:  # no route source at all means no default route
        return None


def _int_or_none(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text.strip())
    except ValueError:
        return None


def read_link(sources: Sources, interface: str) -> LinkState | None:
    """Link state of ``interface``; None when the interface does not exist."""
    base = f"/sys/class/net/{interface}"
    operstate = sources.read_optional(f"{base}/operstate")
    if operstate is None:
        return None
    state = operstate.strip()
    carrier = _int_or_none(sources.read_optional(f"{base}/carrier"))
    # "unknown" is what many PPP and tunnel devices report while passing traffic: trust the carrier then.
    up = state == "up" or (state == "unknown" and carrier == 1)
    return LinkState(
        up=up,
        carrier_changes=_int_or_none(sources.read_optional(f"{base}/carrier_changes")),
        carrier_down_count=_int_or_none(sources.read_optional(f"{base}/carrier_down_count")),
    )


def down_transitions(previous: LinkState | None, current: LinkState | None) -> int | None:
    """Link-down transitions between two readings.

    Uses carrier_down_count where the kernel has it (4.16+); otherwise half the carrier changes, the odd
    one counted as a down when the link ends down. A counter that went backwards (interface recreated)
    counts from zero. None when there is nothing to compare.
    """
    if previous is None or current is None:
        return None
    if previous.carrier_down_count is not None and current.carrier_down_count is not None:
        delta = current.carrier_down_count - previous.carrier_down_count
        return delta if delta >= 0 else current.carrier_down_count
    if previous.carrier_changes is None or current.carrier_changes is None:
        return int(previous.up and not current.up)
    changes = current.carrier_changes - previous.carrier_changes
    if changes < 0:
        changes = current.carrier_changes
    if changes == 0:
        return 0
    if previous.up:
        return (changes + 1) // 2
    return changes // 2
