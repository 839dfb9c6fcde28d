"""Vendor of a MAC address from a compact OUI table (data/oui.csv, built by data/refresh_oui.py)."""

from __future__ import annotations

from array import array
from bisect import bisect_left
from pathlib import Path
from typing import Final

from ..privacy import is_locally_administered

__all__ = ["DEFAULT_OUI_TABLE", "OuiTable"]

DEFAULT_OUI_TABLE: Final = Path(__file__).resolve().parent.parent / "data" / "oui.csv"


class OuiTable:
    """Prefix -> vendor lookups over a sorted array (a few thousand prefixes cost tens of KiB, not MiB)."""

    __slots__ = ("_names", "_prefixes", "_vendor_of")

    def __init__(self, rows: list[tuple[str, str]]) -> None:
        pairs = sorted((int(prefix, 16), vendor) for prefix, vendor in rows)
        self._names: list[str] = sorted({vendor for _, vendor in pairs})
        index = {name: i for i, name in enumerate(self._names)}
        self._prefixes = array("I", (p for p, _ in pairs))
        self._vendor_of = array("H", (index[v] for _, v in pairs))

    @classmethod
    def from_csv_text(cls, text: str) -> OuiTable:
        """Parse ``prefix,vendor`` lines (a header line and malformed lines are skipped)."""
        rows = []
        for line in text.splitlines():
            prefix, sep, vendor = line.partition(",")
            prefix = prefix.strip().replace(":", "").replace("-", "")
            if sep and len(prefix) == 6 and vendor.strip():
                try:
                    int(prefix, 16)
                except ValueError:
                    continue
                rows.append((prefix, vendor.strip().strip('"')))
        return cls(rows)

    @classmethod
    def load(cls, path: Path = DEFAULT_OUI_TABLE) -> OuiTable:
        """The table shipped with the agent (or another one in the same format)."""
        return cls.from_csv_text(path.read_text(encoding="utf-8"))

    def __len__(self) -> int:
        return len(self._prefixes)

    def vendor(self, mac: str) -> str | None:
        """Vendor of a normalised MAC; None for randomised (locally administered) or unknown prefixes."""
        if len(mac) < 8 or is_locally_administered(mac):
            return None
        try:
            key = int(mac[0:2] + mac[3:5] + mac[6:8], 16)
        except ValueError:
            return None
        i = bisect_left(self._prefixes, key)
        if i < len(self._prefixes) and self._prefixes[i] == key:
            return self._names[self._vendor_of[i]]
        return None
