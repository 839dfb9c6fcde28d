"""Files that describe the fleet: ``homes.csv`` for the cloud, ``fleet.jsonl`` with the hidden truth.

``homes.csv`` is what the ISP's subscriber system would give the cloud (``porchlight homes import``): the
columns of the cloud's ``store.homes.HomeRecord`` (home_id, subscriber_ref, region, area, node, plan,
tenure_start as YYYY-MM-DD, gateway_id) and nothing else, as the importer refuses unknown columns.

``fleet.jsonl`` is for scoring and debugging only: one home per line with what no report says outright
(access technology, dwelling, household, each device's true class, placement and mean signal).
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
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
            tenure = datetime.fromtimestamp(h.tenure_start, tz=UTC).date().isoformat()
            writer.writerow((h.home_id, h.subscriber_ref, h.region, h.area, h.node, h.plan.name, tenure,
                             h.gateway_id))
    return len(fleet.homes)


def write_fleet_jsonl(path: str | Path, fleet: Fleet) -> int:
    """Write the hidden truth of every home, one JSON object per line; returns how many."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for h in fleet.homes:
            doc = {
                "home_id": h.home_id, "gateway_id": h.gateway_id, "region": h.region, "area": h.area,
                "node": h.node, "access": h.access, "plan": h.plan.name, "plan_down_mbps": h.plan.down_mbps,
                "plan_up_mbps": h.plan.up_mbps, "installed_ts": h.installed_ts, "dwelling": h.dwelling,
                "model": h.model, "firmware": h.firmware, "people": [p.kind for p in h.household.people],
                "usage": h.household.usage,
                "radios": [{"band": r.band, "channel": r.channel, "width_mhz": r.width_mhz,
                            "neighbour_busy_pct": r.neighbour_busy_pct} for r in h.radios],
                "devices": [{"mac": d.mac, "device_class": d.device_class, "vendor": d.vendor,
                             "hostname": d.hostname, "wired": d.wired, "band": d.band, "distance_m": d.distance_m,
                             "walls": d.walls, "signal_dbm": None if d.wired else round(d.signal_dbm(), 1),
                             "owner": d.owner, "joined_ts": d.joined_ts} for d in h.devices],
            }
            fh.write(json.dumps(doc, separators=(",", ":")) + "\n")
    return len(fleet.homes)
