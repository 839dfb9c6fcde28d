"""Vendor of a MAC address from a compact OUI table (data/oui.csv, built by data/refresh_oui.py)."""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Final

from ..privacy import is_locally_administered

__all__ = ["DEFAULT_OUI_TABLE", "OuiTable"]


def _rows(lines: Iterable[str]) -> Iterator[tuple[str, str]]:
    for line in lines:
        prefix, sep, vendor = line.partition(",")
        prefix = prefix.strip().replace(":", "").replace("-", "")
        vendor = vendor.strip().strip('"')
        if sep and len(prefix) == 6 and vendor:
            try:
                int(prefix, 16)
            except ValueError:
                continue
            yield prefix, vendor

DEFAULT_OUI_TABLE: Final = Path(__file__).resolve().parent.parent / "data" / "oui.csv"


class OuiTable:
    """Prefix -> vendor lookups over a sorted array (a few thousand prefixes cost tens of KiB, not MiB)."""

    __slots__ = ("_names", "_prefixes", "_vendor_of")

    def __init__(self, rows: Iterable[tuple[str, str]]) -> None:
        self._names: list[str] = []
        index: dict[str, int] = {}
        self._prefixes = array("I")
        self._vendor_of = array("H")
        ordered = True
        for prefix, vendor in rows:
            value = int(prefix, 16)
            if self._prefixes and value <= self._prefixes[-1]:
                ordered = False
            i = index.get(vendor)
            if i is None:
                i = index[vendor] = len(self._names)
                self._names.append(vendor)
            self._prefixes.append(value)
            self._vendor_of.append(i)
        if not ordered:  # the refresh script writes sorted tables; anything else is sorted once here
            pairs = sorted(zip(self._prefixes, self._vendor_of, strict=True))
            self._prefixes = array("I", (p for p, _ in pairs))
            self._vendor_of = array("H", (v for _, v in pairs))

    @classmethod
    def from_csv_text(cls, text: str) -> OuiTable:
        """Parse ``prefix,vendor`` lines (a header line and malformed lines are skipped)."""
        return cls(_rows(text.splitlines()))

    @classmethod
    def load(cls, path: Path = DEFAULT_OUI_TABLE) -> OuiTable:
        """The table shipped with the agent (or another one in the same format), read line by line."""
        with open(path, encoding="utf-8") as fh:
            return cls(_rows(fh))

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
