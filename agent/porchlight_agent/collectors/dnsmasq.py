"""Pure parsers for what dnsmasq leaves on the gateway: the DHCP lease file and its log lines (DNS answers
from ``log-queries``, DHCP vendor classes from ``log-dhcp``), plus a follower that reads a log incrementally.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from ..privacy import normalize_mac
from ..sources import Sources

__all__ = ["DnsAnswer", "DnsmasqLog", "Lease", "LogFollower", "parse_leases", "parse_log"]


@dataclass(frozen=True, slots=True)
class Lease:
    """One DHCPv4 lease. ``expiry`` 0 means an infinite lease."""

    expiry: int
    mac: str
    ip: str
    hostname: str | None
    client_id: str | None


def parse_leases(text: str) -> list[Lease]:
    """Leases from /tmp/dhcp.leases (``expiry mac ip hostname client-id``); DHCPv6 lines (after ``duid``,
    whose second column is an IAID, not a MAC) and malformed lines are skipped."""
    leases = []
    for line in text.splitlines():
        cols = line.split()
        if len(cols) < 4 or cols[0] == "duid":
            continue
        mac = normalize_mac(cols[1])
        if mac is None:
            continue
        try:
            expiry = int(cols[0])
        except ValueError:
            continue
        hostname = cols[3] if cols[3] != "*" else None
        client_id = cols[4] if len(cols) > 4 and cols[4] != "*" else None
        leases.append(Lease(expiry, mac, cols[2], hostname, client_id))
    return leases


@dataclass(frozen=True, slots=True)
class DnsAnswer:
    """An address the resolver handed out, and the names it answered for (the query and its CNAMEs)."""

    ip: str
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DnsmasqLog:
    """What a batch of dnsmasq log lines says: DNS answers, and DHCP vendor classes by MAC."""

    answers: list[DnsAnswer]
    vendor_classes: dict[str, str]
    hostnames: dict[str, str]


_REPLY_KINDS: Final = ("reply", "cached")


def _message(line: str) -> tuple[str, str] | None:
    """(program, message) of a syslog/logread line from dnsmasq or dnsmasq-dhcp."""
    at = line.find("dnsmasq")
    if at < 0:
        return None
    close = line.find("]: ", at)
    if close < 0:
        colon = line.find(": ", at)
        if colon < 0:
            return None
        return line[at:colon], line[colon + 2:]
    return line[at:line.find("[", at)], line[close + 3:]


def parse_log(lines: Iterator[str] | list[str]) -> DnsmasqLog:
    """DNS answers (``reply``/``cached <name> is <ip>``, CNAME chains attributed to the queried name too)
    and DHCP facts (``vendor class:`` joined to the ``DHCPACK`` of the same transaction)."""
    answers: list[DnsAnswer] = []
    vendor_by_xid: dict[str, str] = {}
    vendor_classes: dict[str, str] = {}
    hostnames: dict[str, str] = {}
    chain_head: str | None = None
    for line in lines:
        parsed = _message(line)
        if parsed is None:
            continue
        program, msg = parsed
        if program == "dnsmasq":
            words = msg.split()
            if len(words) == 4 and words[0] in _REPLY_KINDS and words[2] == "is":
                name, answer = words[1].lower().rstrip("."), words[3]
                if answer == "<CNAME>":
                    if chain_head is None:
                        chain_head = name
                    continue
                if answer[0].isdigit() or ":" in answer:
                    names = (chain_head, name) if chain_head and chain_head != name else (name,)
                    answers.append(DnsAnswer(answer.lower(), names))
                continue
            chain_head = None  # a query/forwarded line starts a new answer
        elif program == "dnsmasq-dhcp":
            xid, _, rest = msg.partition(" ")
            if not xid.isdigit():
                xid, rest = "", msg
            if rest.startswith("vendor class: "):
                vendor_by_xid[xid] = rest[len("vendor class: "):].strip()
            elif rest.startswith("DHCPACK("):
                words = rest.split()
                mac = normalize_mac(words[2]) if len(words) > 2 else None
                if mac is None:
                    continue
                if xid in vendor_by_xid:
                    vendor_classes[mac] = vendor_by_xid.pop(xid)
                if len(words) > 3:
                    hostnames[mac] = words[3]
    return DnsmasqLog(answers, vendor_classes, hostnames)


class LogFollower:
    """Reads a growing dnsmasq log through the Sources seam, a bounded chunk per call, and remembers the
    latest names per answered address (at most ``max_addresses``, oldest forgotten first)."""

    def __init__(self, sources: Sources, path: str, *, max_addresses: int = 16384,
                 chunk_bytes: int = 1 << 20) -> None:
        self._sources = sources
        self.path = path
        self._offset: int | None = None
        self._chunk = chunk_bytes
        self._max = max_addresses
        self.names_by_ip: OrderedDict[str, tuple[str, ...]] = OrderedDict()
        self.vendor_classes: dict[str, str] = {}
        self.hostnames: dict[str, str] = {}

    def poll(self) -> int:
        """Read what was appended since the last call; returns the number of DNS answers learnt."""
        text, self._offset = self._sources.read_new(self.path, self._offset, self._chunk)
        if not text:
            return 0
        parsed = parse_log(text.splitlines())
        for answer in parsed.answers:
            self.names_by_ip.pop(answer.ip, None)
            self.names_by_ip[answer.ip] = answer.names
        while len(self.names_by_ip) > self._max:
            self.names_by_ip.popitem(last=False)
        self.vendor_classes.update(parsed.vendor_classes)
        self.hostnames.update(parsed.hostnames)
        return len(parsed.answers)
