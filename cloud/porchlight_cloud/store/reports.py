"""The report ledger (with its per-report samples), events, pending app counters and rollup dirty marks.

All writes here run inside the ingest batch transaction. The ledger insert is the exactly-once gate:
reports are COPYed into staging and merged with ON CONFLICT DO NOTHING RETURNING, and only the reports
it returns have their events and app counters written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Final

import psycopg

from .staging import copy_rows

REPORT_COLUMNS: Final = (
    "ts", "home_key", "boot_key", "seq", "span_s", "sample_interval_s", "kind", "flags", "dropped_reports",
    "queue_depth", "health_samples", "uptime_s", "reboots", "load1", "cpu_pct", "cpu_max_pct", "mem_used_pct",
    "wan_down_s", "wan_flaps", "wan_rx_bytes", "wan_tx_bytes", "conntrack_max", "agent_cpu_ms", "agent_rss_kb",
    "st_device", "st_q", "st_c", "ra", "pr_target", "pr",
)
REPORT_TYPES: Final = (
    "timestamptz", "int4", "int4", "int4", "int4", "int2", "int2", "int2", "int4",
    "int4", "int2", "int4", "int2", "float4", "float4", "float4", "float4",
    "int4", "int2", "int8", "int8", "int4", "int4", "int4",
    # arrays arrive pre-encoded by store.pgbinary (bytes pass through psycopg untouched)
    "bytea", "bytea", "bytea", "bytea", "bytea", "bytea",
)
APP_COLUMNS: Final = ("home_key", "bucket", "device_key", "app_id", "bytes_up", "bytes_down", "flows", "new_flows",
                      "dests_max", "active_s")
APP_TYPES: Final = ("int4", "timestamptz", "int4", "int4", "int8", "int8", "int4", "int4", "int4", "int4")
EVENT_COLUMNS: Final = ("ts", "home_key", "device_key", "kind", "detail")
EVENT_TYPES: Final = ("timestamptz", "int4", "int4", "text", "text")

_MERGE_REPORTS = """
INSERT INTO reports SELECT DISTINCT ON (home_key, ts, boot_key, seq) * FROM stage_reports
ORDER BY home_key, ts, boot_key, seq
ON CONFLICT (home_key, ts, boot_key, seq) DO NOTHING
RETURNING boot_key, seq, ts
"""
# DO UPDATE (not DO NOTHING) takes the row lock, so a rollup that deletes this mark waits for our commit
# and then recomputes with our rows visible: a late report can never slip between a rollup's read and delete.
# ``WHERE false`` keeps the lock but skips the update: an existing mark (the common case: every report of an
# hour after the first) costs no new row version, no index entry and no WAL.
_MARK_DIRTY = """
INSERT INTO rollup_dirty AS r (home_key, bucket)
SELECT DISTINCT * FROM unnest(%s::int[], %s::timestamptz[]) ORDER BY 1, 2
ON CONFLICT (home_key, bucket) DO UPDATE SET marked_at = r.marked_at WHERE false
"""


def insert_new(cur: psycopg.Cursor[Any], rows: Iterable[Sequence[Any]]) -> set[tuple[int, int, datetime]]:
    """Merge report rows into the ledger; return the (boot_key, seq, ts) of those that were not there yet."""
    copy_rows(cur, "stage_reports", REPORT_COLUMNS, REPORT_TYPES, rows)
    cur.execute(_MERGE_REPORTS)
    return {(b, s, t) for b, s, t in cur.fetchall()}


def add_events(cur: psycopg.Cursor[Any], rows: Iterable[Sequence[Any]]) -> int:
    """Append events: (ts, home_key, device_key, kind, detail)."""
    return copy_rows(cur, "events", EVENT_COLUMNS, EVENT_TYPES, rows)


def add_app_counters(cur: psycopg.Cursor[Any], rows: Iterable[Sequence[Any]]) -> int:
    """Append per (home, hour, device, app) counters to app_pending (the rollup job folds them into app_hourly)."""
    return copy_rows(cur, "app_pending", APP_COLUMNS, APP_TYPES, rows)


def mark_dirty(cur: psycopg.Cursor[Any], buckets: Iterable[tuple[int, datetime]]) -> None:
    """Mark (home_key, hour) buckets for the rollup job."""
    pairs = sorted(set(buckets))
    if pairs:
        cur.execute(_MARK_DIRTY, ([p[0] for p in pairs], [p[1] for p in pairs]))
