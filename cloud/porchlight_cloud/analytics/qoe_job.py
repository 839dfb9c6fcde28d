"""The hourly QoE job: read the hourly rollups of a window, score every home-hour, store qoe_hourly."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from .qoe_score import DeviceHour, HealthHour, HomeHour, ProbeHour, RadioHour, StabilityHour, score_hour
from .qoe_wifi import foreign_by_band
from .queries import sql
from .reasons import device_label, reasons_json

log = logging.getLogger(__name__)
#: A device's usual share of the home's traffic is measured over this many days (a week: weekday and weekend
#: habits both count) ...
USAGE_DAYS = 7
#: ... and the rows of this many days are kept.
USAGE_KEEP_DAYS = 3
#: A home's normal of other networks' air per band and hour of the day: the median over this many days, once at
#: least AIR_NORMAL_MIN_DAYS of them have that hour (a two-week normal is not moved by a three-day flood) ...
AIR_NORMAL_DAYS = 14
AIR_NORMAL_MIN_DAYS = 5
#: ... and the rows of this many days are kept.
AIR_NORMAL_KEEP_DAYS = 3


def band_name(value: Any) -> str | None:
    """'2.4', '5' or '6' from whatever number or text the rollups hold."""
    if value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{f:g}"


def _f(row: dict[str, Any], key: str) -> float | None:
    v = row.get(key)
    return float(v) if v is not None else None


def band_dghz(band: str | None) -> int | None:
    """A band name ('2.4', '5', '6') in tenths of GHz, as the reports and qoe_hourly hold it."""
    try:
        return round(float(band) * 10) if band is not None else None
    except ValueError:
        return None


def _hours_of_day(start: datetime, end: datetime) -> list[int]:
    """The UTC hours of the day [start, end) covers (every hour for a window of a day or more)."""
    span = int((end - start).total_seconds() // 3600)
    first = start.astimezone(UTC).hour
    return list(range(24)) if span >= 24 else sorted({(first + i) % 24 for i in range(max(span, 1))})


def _i(row: dict[str, Any], key: str) -> int | None:
    v = row.get(key)
    return int(v) if v is not None else None


def home_hours(conn: psycopg.Connection[Any], start: datetime, end: datetime) -> list[tuple[int, HomeHour, float]]:
    """Every (home_key, HomeHour, traffic bytes) with a rollup in [start, end)."""
    params = {"start": start, "end": end}
    with conn.cursor(row_factory=dict_row) as cur:
        usual = {int(r["device_key"]): float(r["usual_share"]) for r in cur.execute(sql("qoe_device_usage"), params)}
        devices: dict[tuple[int, datetime], list[DeviceHour]] = defaultdict(list)
        for r in cur.execute(sql("qoe_device_hours"), params):
            label = device_label(r["hostname"], r["device_class"], r["mac"] or f"device {r['device_key']}")
            devices[(r["home_key"], r["bucket"])].append(DeviceHour(
                r["mac"] or str(r["device_key"]), label, band_name(r["band"]), _f(r, "signal_dbm"),
                _f(r, "tx_rate_mbps"), _f(r, "retry_pct"), int(r["traffic_bytes"] or 0),
                usual.get(int(r["device_key"])), r["device_class"]))
        air_normal = {(int(r["home_key"]), int(r["band_dghz"]), int(r["hour"])): float(r["foreign_busy_pct"])
                      for r in cur.execute(sql("qoe_air_normal"), {**params, "hours": _hours_of_day(start, end)})}
        radios: dict[tuple[int, datetime], list[RadioHour]] = defaultdict(list)
        for r in cur.execute(sql("qoe_radio_hours"), params):
            band = band_name(r["band"])
            normal = air_normal.get((int(r["home_key"]), band_dghz(band) or 0, r["bucket"].astimezone(UTC).hour))
            radios[(r["home_key"], r["bucket"])].append(RadioHour(band, _f(r, "busy_pct"), _f(r, "own_pct"), normal))
        out: list[tuple[int, HomeHour, float]] = []
        for r in cur.execute(sql("qoe_home_hours"), params):
            key = (r["home_key"], r["bucket"])
            probes = ProbeHour(_f(r, "first_hop_rtt_ms"), _f(r, "first_hop_loss_pct"), _f(r, "internet_rtt_ms"),
                               _f(r, "internet_jitter_ms"), _f(r, "internet_loss_pct"), _i(r, "first_hop_sent"),
                               _i(r, "first_hop_lost"), _i(r, "internet_sent"), _i(r, "internet_lost"))
            health = HealthHour(_i(r, "reboots"), _f(r, "cpu_pct"), _f(r, "mem_used_pct"))
            stability = StabilityHour(_i(r, "disconnects"), _i(r, "wan_flaps"))
            traffic = float(r["wan_bytes"] or 0) or float(r["wifi_bytes"] or 0)
            out.append((r["home_key"], HomeHour(r["home_id"], r["bucket"], devices.get(key, ()), radios.get(key, ()),
                                                probes, health, stability), traffic))
    return out


def score_window(conn: psycopg.Connection[Any], start: datetime, end: datetime) -> int:
    """Score every home-hour with rollups in [start, end) and upsert qoe_hourly; returns the rows written."""
    rows: list[Sequence[Any]] = []
    for home_key, hh, traffic in home_hours(conn, start, end):
        s = score_hour(hh)
        air = [(dghz, round(foreign, 1)) for band, (_, foreign) in foreign_by_band(hh.radios).items()
               if (dghz := band_dghz(band)) is not None]
        rows.append((home_key, hh.hour, s.score, s.component("wifi"), s.component("access"), s.component("health"),
                     s.component("stability"), traffic, Jsonb(reasons_json(s.reasons)),
                     [b for b, _ in air] or None, [f for _, f in air] or None))
    with conn.cursor() as cur:
        cur.executemany(sql("qoe_upsert"), rows)
    log.info("event=qoe_scored start=%s end=%s rows=%d", start.isoformat(), end.isoformat(), len(rows))
    return len(rows)


def update_device_usage(conn: psycopg.Connection[Any], day: date) -> int:
    """Store every device's usual share of its home's traffic over the USAGE_DAYS days ending with ``day`` (read by
    the QoE scores of the following hours); drop older rows. Returns the rows written."""
    cur = conn.execute(sql("device_usage"), {"day": day, "days": USAGE_DAYS})
    written = cur.rowcount
    conn.execute(sql("device_usage_prune"), {"day": day, "keep": USAGE_KEEP_DAYS})
    log.info("event=device_usage day=%s rows=%d", day, written)
    return written


def update_air_normal(conn: psycopg.Connection[Any], day: date) -> int:
    """Store every home's normal foreign busy time per band and hour of the day over the AIR_NORMAL_DAYS days
    ending with ``day`` (read by the QoE scores of the following hours); drop older rows. Returns rows written."""
    cur = conn.execute(sql("air_normal"), {"day": day, "days": AIR_NORMAL_DAYS, "min_days": AIR_NORMAL_MIN_DAYS})
    written = cur.rowcount
    conn.execute(sql("air_normal_prune"), {"day": day, "keep": AIR_NORMAL_KEEP_DAYS})
    log.info("event=air_normal day=%s rows=%d", day, written)
    return written
