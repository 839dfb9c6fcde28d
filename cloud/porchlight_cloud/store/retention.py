"""Retention: raw samples 14 days, hourly rollups and device sightings 90 days, daily rollups 2 years, quarantine
30 days (defaults).

Where the TimescaleDB license is 'timescale' the periods become retention policies (add_retention_policy,
re-created when a period changes); on the Apache edition ``apply`` drops the old chunks itself with
drop_chunks and is scheduled by the ingest process (and runnable as ``porchlight retention``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

import psycopg

from ..config import Settings

RAW_TABLES: Final = ("reports", "events")
HOURLY_TABLES: Final = ("home_hourly", "app_hourly", "device_sightings")
DAILY_TABLES: Final = ("home_daily", "app_daily")
QUARANTINE_TABLES: Final = ("quarantine",)


@dataclass(frozen=True, slots=True)
class Periods:
    """How long each class of table keeps its data."""

    raw: timedelta = timedelta(days=14)
    hourly: timedelta = timedelta(days=90)
    daily: timedelta = timedelta(days=730)
    quarantine: timedelta = timedelta(days=30)

    @classmethod
    def from_settings(cls, settings: Settings) -> Periods:
        """The periods configured in settings (PORCHLIGHT_RETENTION_*_DAYS)."""
        return cls(timedelta(days=settings.retention_raw_days), timedelta(days=settings.retention_hourly_days),
                   timedelta(days=settings.retention_daily_days),
                   timedelta(days=settings.retention_quarantine_days))

    def by_table(self) -> dict[str, timedelta]:
        """Retention period of every time-partitioned table."""
        out: dict[str, timedelta] = {}
        for tables, period in ((RAW_TABLES, self.raw), (HOURLY_TABLES, self.hourly), (DAILY_TABLES, self.daily),
                               (QUARANTINE_TABLES, self.quarantine)):
            out.update(dict.fromkeys(tables, period))
        return out


def licensed(conn: psycopg.Connection[Any]) -> bool:
    """True when the TimescaleDB license offers retention policies (and compression, continuous aggregates)."""
    row = conn.execute("SELECT current_setting('timescaledb.license', true)").fetchone()
    return bool(row and row[0] == "timescale")


def apply(conn: psycopg.Connection[Any], periods: Periods) -> int:
    """Enforce the periods now; return the number of chunks dropped (0 where policies do the work)."""
    if licensed(conn):
        _ensure_policies(conn, periods)
        return 0
    dropped = 0
    for table, period in periods.by_table().items():
        with conn.transaction():
            rows = conn.execute("SELECT drop_chunks(%s::regclass, older_than => now() - %s::interval)",
                                (table, period)).fetchall()
        dropped += len(rows)
    with conn.transaction():
        # Bookkeeping that refers to raw data no longer kept.
        conn.execute("DELETE FROM report_gaps WHERE detected_at < now() - %s::interval", (periods.raw,))
        conn.execute("DELETE FROM rollup_dirty WHERE bucket < now() - %s::interval", (periods.raw,))
        conn.execute("DELETE FROM compacted_chunks k WHERE NOT EXISTS (SELECT 1 FROM timescaledb_information.chunks c "
                     "WHERE c.chunk_schema || '.' || c.chunk_name = k.chunk)")
    return dropped


def _ensure_policies(conn: psycopg.Connection[Any], periods: Periods) -> None:
    for table, period in periods.by_table().items():
        with conn.transaction():
            row = conn.execute(
                "SELECT config->>'drop_after' FROM timescaledb_information.jobs "
                "WHERE proc_name = 'policy_retention' AND hypertable_name = %s", (table,)).fetchone()
            current = conn.execute("SELECT %s::interval::text", (period,)).fetchone()
            if row is not None and current is not None and row[0] == current[0]:
                continue
            if row is not None:
                conn.execute("SELECT remove_retention_policy(%s::regclass)", (table,))
            conn.execute("SELECT add_retention_policy(%s::regclass, %s::interval)", (table, period))
