"""The homes metadata file the cloud imports (``porchlight homes import homes.csv``).

Columns are those of the cloud's ``store.homes.HomeRecord``: home_id, subscriber_ref, region, area, node,
plan, tenure_start (YYYY-MM-DD), gateway_id. Nothing else: the importer refuses unknown columns.
"""

from __future__ import annotations

import csv
from datetime import datetime, timezone
from pathlib import Path

from .fleet import Fleet

COLUMNS: tuple[str, ...] = ("home_id", "subscriber_ref", "region", "area", "node", "plan", "tenure_start",
                            "gateway_id")


def write_homes_csv(path: str | Path, fleet: Fleet) -> int:
    """Write one row per home; returns how many."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for h in fleet.homes:
            tenure = datetime.fromtimestamp(h.tenure_start, tz=timezone.utc).date().isoformat()
            writer.writerow((h.home_id, h.subscriber_ref, h.region, h.area, h.node, h.plan.name, tenure,
                             h.gateway_id))
    return len(fleet.homes)
