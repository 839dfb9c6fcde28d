"""The homes table: created on first report, enriched from the ISP's subscriber system, read by the API.

Region, plan and tenure never come from gateways. ``upsert_homes`` loads them (the simulator calls it
directly, operators use ``porchlight homes import FILE.csv``); a record that names a gateway also binds
that gateway to the home, which is how a gateway moved to another subscriber is re-bound.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

from .staging import copy_rows


@dataclass(frozen=True, slots=True)
class HomeRecord:
    """One home as the ISP's subscriber system knows it."""

    home_id: str
    subscriber_ref: str | None = None
    region: str | None = None
    area: str | None = None
    node: str | None = None
    plan: str | None = None
    tenure_start: date | None = None
    gateway_id: str | None = None


CSV_COLUMNS = tuple(f.name for f in fields(HomeRecord))


class HomesFileError(ValueError):
    """A homes CSV file is malformed; the message names the line."""


def read_homes_csv(path: Path) -> list[HomeRecord]:
    """Parse a homes CSV (header row with home_id and any of the other HomeRecord columns)."""
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise HomesFileError(f"{path}: cannot read ({exc.strerror})") from None
    with handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or "home_id" not in reader.fieldnames:
            raise HomesFileError(f"{path}: the header must name a home_id column")
        unknown = set(reader.fieldnames) - set(CSV_COLUMNS)
        if unknown:
            raise HomesFileError(f"{path}: unknown columns {sorted(unknown)}; known: {', '.join(CSV_COLUMNS)}")
        records = []
        for line, row in enumerate(reader, start=2):
            values: dict[str, Any] = {k: (v.strip() or None) if v is not None else None for k, v in row.items()}
            if not values.get("home_id"):
                raise HomesFileError(f"{path}:{line}: empty home_id")
            if values.get("tenure_start"):
                try:
                    values["tenure_start"] = date.fromisoformat(values["tenure_start"])
                except ValueError:
                    raise HomesFileError(f"{path}:{line}: tenure_start must be YYYY-MM-DD") from None
            records.append(HomeRecord(**values))
    return records


_MERGE_HOMES = """
INSERT INTO homes (home_id, subscriber_ref, region, area, node, plan, tenure_start)
SELECT DISTINCT ON (home_id) home_id, subscriber_ref, region, area, node, plan, tenure_start
FROM stage_home_records ORDER BY home_id
ON CONFLICT (home_id) DO UPDATE SET
    subscriber_ref = COALESCE(EXCLUDED.subscriber_ref, homes.subscriber_ref),
    region = COALESCE(EXCLUDED.region, homes.region),
    area = COALESCE(EXCLUDED.area, homes.area),
    node = COALESCE(EXCLUDED.node, homes.node),
    plan = COALESCE(EXCLUDED.plan, homes.plan),
    tenure_start = COALESCE(EXCLUDED.tenure_start, homes.tenure_start),
    updated_at = now()
"""
_BIND_GATEWAYS = """
INSERT INTO gateways (gateway_id, home_key)
SELECT DISTINCT ON (s.gateway_id) s.gateway_id, h.home_key
FROM stage_home_records s JOIN homes h USING (home_id)
WHERE s.gateway_id IS NOT NULL ORDER BY s.gateway_id
ON CONFLICT (gateway_id) DO UPDATE SET home_key = EXCLUDED.home_key
WHERE gateways.home_key IS DISTINCT FROM EXCLUDED.home_key
"""


def upsert_homes(conn: psycopg.Connection[Any], records: Iterable[HomeRecord]) -> int:
    """Insert or update homes (and bind their gateways) in one transaction; return the records loaded."""
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE IF NOT EXISTS stage_home_records (home_id text, subscriber_ref text, "
                    "region text, area text, node text, plan text, tenure_start date, gateway_id text) "
                    "ON COMMIT DELETE ROWS")
        count = copy_rows(cur, "stage_home_records", CSV_COLUMNS,
                          ["text", "text", "text", "text", "text", "text", "date", "text"],
                          ([getattr(r, c) for c in CSV_COLUMNS] for r in records))
        cur.execute(_MERGE_HOMES)
        cur.execute(_BIND_GATEWAYS)
    return count


def ensure_homes(cur: psycopg.Cursor[Any], home_ids: Sequence[str]) -> dict[str, int]:
    """Create the homes that do not exist yet (COPY + merge); return home_id -> home_key for all of them."""
    copy_rows(cur, "stage_homes", ("home_id",), ("text",), ((h,) for h in home_ids))
    cur.execute("INSERT INTO homes (home_id) SELECT DISTINCT home_id FROM stage_homes ORDER BY home_id "
                "ON CONFLICT (home_id) DO NOTHING")
    cur.execute("SELECT home_id, home_key FROM homes WHERE home_id = ANY(%s)", (list(home_ids),))
    return dict(cur.fetchall())


def home_key(conn: psycopg.Connection[Any], home_id: str) -> int | None:
    """The key of a home, None when it is not known."""
    row = conn.execute("SELECT home_key FROM homes WHERE home_id = %s", (home_id,)).fetchone()
    return None if row is None else int(row[0])


def home_detail(conn: psycopg.Connection[Any], home_id: str) -> dict[str, Any] | None:
    """A home with its gateways and devices, for the API; None when the home is not known."""
    with conn.cursor(row_factory=dict_row) as cur:
        home = cur.execute(
            "SELECT home_key, home_id, subscriber_ref, region, area, node, plan, tenure_start, created_at, "
            "updated_at FROM homes WHERE home_id = %s", (home_id,)).fetchone()
        if home is None:
            return None
        key = home.pop("home_key")
        home["gateways"] = cur.execute(
            "SELECT gateway_id, model, firmware, agent_version, first_seen, last_seen, last_boot_id, last_seq, "
            "last_report_ts, (SELECT coalesce(sum(gp.seq_to - gp.seq_from + 1), 0) FROM report_gaps gp "
            "JOIN boots b USING (boot_key) WHERE b.gateway_key = g.gateway_key) AS missing_reports "
            "FROM gateways g WHERE home_key = %s ORDER BY gateway_id", (key,)).fetchall()
        home["devices"] = cur.execute(
            "SELECT mac, hostname, vendor, device_class, class_confidence, connection, ips, first_seen, last_seen "
            "FROM devices WHERE home_key = %s ORDER BY mac", (key,)).fetchall()
    return home
