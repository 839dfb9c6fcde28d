"""The devices and labels tables: the small keys that time-series rows use instead of MACs and names."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import psycopg

from .staging import copy_rows

DeviceRow = tuple[int, str, str | None, str | None, str | None, float | None, str | None, list[str] | None,
                  datetime | None, datetime | None]
_DEVICE_COLUMNS = ("home_key", "mac", "hostname", "vendor", "device_class", "class_confidence", "connection",
                   "ips", "first_seen", "last_seen")
_DEVICE_TYPES = ("int4", "text", "text", "text", "text", "float4", "text", "text[]", "timestamptz", "timestamptz")

# New devices are inserted; known ones take the new inventory facts (a null never erases a known value).
_MERGE_DEVICES = """
INSERT INTO devices AS d (home_key, mac, hostname, vendor, device_class, class_confidence, connection, ips,
                          first_seen, last_seen)
SELECT DISTINCT ON (home_key, mac) home_key, mac, hostname, vendor, device_class, class_confidence, connection,
       ips, COALESCE(first_seen, last_seen, now()), last_seen
FROM stage_devices ORDER BY home_key, mac, last_seen DESC NULLS LAST
ON CONFLICT (home_key, mac) DO UPDATE SET
    hostname = COALESCE(EXCLUDED.hostname, d.hostname),
    vendor = COALESCE(EXCLUDED.vendor, d.vendor),
    device_class = COALESCE(EXCLUDED.device_class, d.device_class),
    class_confidence = COALESCE(EXCLUDED.class_confidence, d.class_confidence),
    connection = COALESCE(EXCLUDED.connection, d.connection),
    ips = COALESCE(EXCLUDED.ips, d.ips),
    first_seen = LEAST(d.first_seen, EXCLUDED.first_seen),
    last_seen = GREATEST(d.last_seen, EXCLUDED.last_seen)
"""

# The same sightings, day by day (migration 090): what a job judging an earlier day reads as "last seen by then".
_MERGE_SIGHTINGS = """
INSERT INTO device_sightings AS s (home_key, device_key, day, first_seen, last_seen)
SELECT d.home_key, d.device_key, date_trunc('day', st.last_seen, 'UTC'), min(st.last_seen), max(st.last_seen)
FROM stage_devices st JOIN devices d USING (home_key, mac)
WHERE st.last_seen IS NOT NULL
GROUP BY 1, 2, 3
ON CONFLICT (device_key, day) DO UPDATE SET
    first_seen = LEAST(s.first_seen, EXCLUDED.first_seen),
    last_seen = GREATEST(s.last_seen, EXCLUDED.last_seen)
"""


def merge_devices(cur: psycopg.Cursor[Any], rows: Iterable[DeviceRow]) -> int:
    """Insert or refresh devices (home_key, mac, hostname, vendor, class, confidence, connection, ips, first, last)
    and record the sightings in device_sightings."""
    count = copy_rows(cur, "stage_devices", _DEVICE_COLUMNS, _DEVICE_TYPES, rows)
    if count:
        cur.execute(_MERGE_DEVICES)
        cur.execute(_MERGE_SIGHTINGS)
    return count


def device_keys(cur: psycopg.Cursor[Any], pairs: Sequence[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """(home_key, mac) -> device_key for the devices that exist."""
    cur.execute("SELECT d.home_key, d.mac, d.device_key FROM devices d "
                "JOIN unnest(%s::int[], %s::text[]) AS p(home_key, mac) USING (home_key, mac)",
                ([p[0] for p in pairs], [p[1] for p in pairs]))
    return {(h, m): k for h, m, k in cur.fetchall()}


def ensure_labels(cur: psycopg.Cursor[Any], names: Sequence[str]) -> dict[str, int]:
    """name -> label_id, creating the names not seen before."""
    cur.execute("INSERT INTO labels (name) SELECT DISTINCT unnest(%s::text[]) ORDER BY 1 "
                "ON CONFLICT (name) DO NOTHING", (list(names),))
    cur.execute("SELECT name, label_id FROM labels WHERE name = ANY(%s)", (list(names),))
    return dict(cur.fetchall())
