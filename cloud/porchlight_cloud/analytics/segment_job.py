"""The segment job (daily): summarise each home's last two weeks and store its segment for the day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from .queries import sql
from .segments import GAMING_APPS, STREAMING_APPS, WORK_APPS, HouseholdUsage, Segment, segment_of, tenure_of


def _activated(tenure_start: date | None) -> datetime | None:
    return datetime.combine(tenure_start, time(), UTC) if tenure_start is not None else None


def compute_segments(conn: psycopg.Connection[Any], day: date) -> dict[int, Segment]:
    """Every home's segment as of the end of ``day``, stored in home_segments; keyed by home_key."""
    now = datetime.combine(day + timedelta(days=1), time(), UTC)
    params = {"day": day, "streaming": sorted(STREAMING_APPS), "gaming": sorted(GAMING_APPS),
              "work": sorted(WORK_APPS)}
    out: dict[int, Segment] = {}
    rows: list[tuple[Any, ...]] = []
    with conn.cursor(row_factory=dict_row) as cur:
        for r in cur.execute(sql("segment_usage"), params):
            days = int(r["days_observed"])
            usage = HouseholdUsage(days, int(r["streaming_days"]), float(r["streaming_bytes"]) / max(1, days),
                                   int(r["gaming_days"]), float(r["gaming_bytes"]) / max(1, days),
                                   int(r["work_weekdays"]), float(r["bytes"]) / max(1, days),
                                   {str(k): int(v) for k, v in (r["device_classes"] or {}).items()})
            seg = segment_of(r["home_id"], usage, _activated(r["tenure_start"]), now, r["region"], r["plan"])
            out[int(r["home_key"])] = seg
            rows.append((r["home_key"], day, seg.tenure, sorted(seg.behaviours), seg.key, seg.region, seg.plan,
                         seg.devices, Jsonb({"days_observed": days, "bytes_per_day": round(usage.bytes_per_day),
                                             "streaming_days": usage.streaming_days,
                                             "gaming_days": usage.gaming_days, "work_weekdays": usage.work_weekdays})))
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO home_segments (home_key, day, tenure, behaviours, segment_key, region, plan, devices, usage)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (home_key, day) DO UPDATE SET"
            " tenure = EXCLUDED.tenure, behaviours = EXCLUDED.behaviours, segment_key = EXCLUDED.segment_key,"
            " region = EXCLUDED.region, plan = EXCLUDED.plan, devices = EXCLUDED.devices, usage = EXCLUDED.usage",
            rows)
    return out


def latest_segments(conn: psycopg.Connection[Any], now: datetime) -> dict[int, Segment]:
    """Each home's newest stored segment up to ``now``; homes never segmented get tenure from their start date."""
    out: dict[int, Segment] = {}
    with conn.cursor(row_factory=dict_row) as cur:
        for r in cur.execute(
                "SELECT h.home_key, h.home_id, h.region, h.plan, h.tenure_start, s.behaviours, s.devices"
                " FROM homes h LEFT JOIN LATERAL (SELECT * FROM home_segments s WHERE s.home_key = h.home_key"
                "   AND s.day < %s::date + 1 ORDER BY s.day DESC LIMIT 1) s ON true", (now,)):
            out[int(r["home_key"])] = Segment(r["home_id"], frozenset(r["behaviours"] or ()),
                                              tenure_of(_activated(r["tenure_start"]), now), r["region"], r["plan"],
                                              int(r["devices"] or 0))
    return out
