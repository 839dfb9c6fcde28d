"""Application classification from IP-level facts only: protocol and port, the names the gateway's resolver
answered for an address, and destination prefix tables. No payload is ever looked at, and what no rule
covers is 'unclassified': the classifier never guesses.

The tables are a JSON document (data/app_tables.json) that can be replaced at run time.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

__all__ = ["DEFAULT_APP_TABLES", "UNCLASSIFIED", "AppClassifier", "AppTableError"]

DEFAULT_APP_TABLES: Final = Path(__file__).resolve().parent.parent / "data" / "app_tables.json"
UNCLASSIFIED: Final = "unclassified"
_MAX_APP_ID: Final = 32


class AppTableError(ValueError):
    """A classification table document is malformed (the tables in use stay as they were)."""


def _app_id(value: Any) -> str:
    if not isinstance(value, str) or not value or len(value) > _MAX_APP_ID:
        raise AppTableError(f"bad application id {value!r}")
    return value


class AppClassifier:
    """Classifies a flow's far end. Build one per table version; instances are read-only."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        if not isinstance(doc, Mapping):
            raise AppTableError("tables must be a JSON object")
        self.version = str(doc.get("version", ""))
        self._strong: dict[tuple[str, int], str] = {}
        self._weak: dict[tuple[str, int], str] = {}
        self._names: dict[str, str] = {}
        self._v4: dict[int, dict[int, str]] = {}
        self._v6: dict[int, dict[int, str]] = {}
        try:
            self._load_ports(doc.get("ports", []))
            self._load_names(doc.get("names", {}))
            self._load_prefixes(doc.get("prefixes", {}))
        except (TypeError, KeyError, AttributeError) as exc:
            raise AppTableError(f"malformed tables: {exc}") from None
        self._v4_lengths = sorted(self._v4, reverse=True)
        self._v6_lengths = sorted(self._v6, reverse=True)

    @classmethod
    def load(cls, path: Path = DEFAULT_APP_TABLES) -> AppClassifier:
        """The tables shipped with the agent."""
        try:
            return cls(json.loads(path.read_text(encoding="utf-8")))
        except ValueError as exc:
            raise AppTableError(f"{path}: {exc}") from None

    def _load_ports(self, rules: Sequence[Mapping[str, Any]]) -> None:
        for rule in rules:
            proto = rule["proto"]
            if proto not in ("tcp", "udp", "sctp", "udplite"):
                raise AppTableError(f"bad protocol {proto!r}")
            target = self._weak if rule.get("strength", "strong") == "weak" else self._strong
            for port in rule["ports"]:
                if not isinstance(port, int) or not 0 < port < 65536:
                    raise AppTableError(f"bad port {port!r}")
                target[(proto, port)] = _app_id(rule["app"])

    def _load_names(self, names: Mapping[str, Sequence[str]]) -> None:
        for app, suffixes in names.items():
            for suffix in suffixes:
                if not isinstance(suffix, str) or not suffix:
                    raise AppTableError(f"bad name suffix {suffix!r}")
                self._names[suffix.lower().strip(".")] = _app_id(app)

    def _load_prefixes(self, prefixes: Mapping[str, Sequence[str]]) -> None:
        for app, cidrs in prefixes.items():
            _app_id(app)
            for cidr in cidrs:
                try:
                    net = ipaddress.ip_network(cidr, strict=False)
                except ValueError:
                    raise AppTableError(f"bad prefix {cidr!r}") from None
                table = self._v4 if net.version == 4 else self._v6
                shift = net.max_prefixlen - net.prefixlen
                table.setdefault(net.prefixlen, {})[int(net.network_address) >> shift] = app

    def by_prefix(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
        """The application whose published prefix holds ``address`` (longest prefix wins)."""
        value = int(address)
        if address.version == 4:
            for length in self._v4_lengths:
                app = self._v4[length].get(value >> (32 - length))
                if app is not None:
                    return app
        else:
            for length in self._v6_lengths:
                app = self._v6[length].get(value >> (128 - length))
                if app is not None:
                    return app
        return None

    def by_name(self, names: Sequence[str]) -> str | None:
        """The application of the first name (or one of its parent domains) the tables know."""
        for name in names:
            labels = name.lower().strip(".").split(".")
            for i in range(len(labels) - 1):
                app = self._names.get(".".join(labels[i:]))
                if app is not None:
                    return app
        return None

    def classify(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address, proto: str,
                 port: int | None, names: Sequence[str] = ()) -> str:
        """The application of a flow to ``address``:``port`` over ``proto``, or 'unclassified'."""
        if port is not None:
            strong = self._strong.get((proto, port))
            if strong is not None:
                return strong
        app = self.by_name(names) if names else None
        if app is None:
            app = self.by_prefix(address)
        if app is None and port is not None:
            app = self._weak.get((proto, port))
        return app or UNCLASSIFIED
