"""Rebuild oui.csv from the IEEE MA-L registry CSV and the vendor list in oui_vendors.json.

Usage (standard library only)::

    python agent/porchlight_agent/data/refresh_oui.py /usr/share/ieee-data/oui.csv \
        > agent/porchlight_agent/data/oui.csv

The registry CSV is IEEE's ``oui.csv`` (columns Registry, Assignment, Organization Name, Organization
Address), as published by the IEEE Registration Authority or shipped by Debian's ``ieee-data`` package.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path


def build(registry_csv: str, vendors_json: str) -> list[tuple[str, str]]:
    """(prefix, vendor) rows, sorted by prefix, for the registrants the vendor list selects."""
    rules = [(re.compile(v["match"]), v["vendor"]) for v in json.loads(vendors_json)["vendors"]]
    rows: dict[str, str] = {}
    for record in csv.DictReader(registry_csv.splitlines()):
        if record.get("Registry") != "MA-L":
            continue
        prefix = (record.get("Assignment") or "").strip().upper()
        name = (record.get("Organization Name") or "").strip()
        if len(prefix) != 6:
            continue
        for pattern, vendor in rules:
            if pattern.search(name):
                rows[prefix] = vendor
                break
    return sorted(rows.items())


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    registry = Path(argv[1]).read_text(encoding="utf-8", errors="replace")
    vendors = (Path(__file__).with_name("oui_vendors.json")).read_text()
    rows = build(registry, vendors)
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["prefix", "vendor"])
    out.writerows(rows)
    print(f"{len(rows)} prefixes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
