"""The ingest_workers table: each worker's latest metrics snapshot, summed by GET /metrics."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb


def save(conn: psycopg.Connection[Any], worker_id: str, host: str, pid: int, started_at: datetime,
         snapshot: dict[str, Any]) -> None:
    """Upsert this worker's snapshot (its own short transaction)."""
    with conn.transaction():
        conn.execute(
            "INSERT INTO ingest_workers (worker_id, host, pid, started_at, updated_at, metrics) "
            "VALUES (%s, %s, %s, %s, now(), %s) ON CONFLICT (worker_id) DO UPDATE SET host = EXCLUDED.host, "
            "pid = EXCLUDED.pid, started_at = EXCLUDED.started_at, updated_at = now(), metrics = EXCLUDED.metrics",
            (worker_id, host, pid, started_at, Jsonb(snapshot)))


def load(conn: psycopg.Connection[Any], worker_id: str) -> dict[str, Any] | None:
    """The snapshot a worker saved last, None if it never did."""
    with conn.transaction():
        row = conn.execute("SELECT metrics FROM ingest_workers WHERE worker_id = %s", (worker_id,)).fetchone()
    return None if row is None else dict(row[0])


def snapshots(conn: psycopg.Connection[Any]) -> tuple[list[dict[str, Any]], int]:
    """All workers' snapshots and how many of them saved in the last minute."""
    rows = conn.execute("SELECT metrics, updated_at FROM ingest_workers").fetchall()
    now = datetime.now(UTC)
    live = sum(1 for _, updated in rows if (now - updated).total_seconds() < 60)
    return [dict(m) for m, _ in rows], live
