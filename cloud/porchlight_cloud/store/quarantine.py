"""The quarantine table: every message the cloud refused, with its raw bytes and the reason."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from .staging import copy_rows

QuarantineRow = tuple[datetime, str, str, str, bytes, str]
_COLUMNS = ("received_at", "topic", "reason", "detail", "payload", "worker_id")
_TYPES = ("timestamptz", "text", "text", "text", "bytea", "text")


def add(cur: psycopg.Cursor[Any], rows: Iterable[QuarantineRow]) -> int:
    """Append quarantined messages: (received_at, topic, reason, detail, payload, worker_id)."""
    return copy_rows(cur, "quarantine", _COLUMNS, _TYPES, rows)


def counts(conn: psycopg.Connection[Any]) -> dict[str, int]:
    """Quarantined messages per reason."""
    return {reason: n for reason, n in conn.execute(
        "SELECT reason, count(*) FROM quarantine GROUP BY reason ORDER BY reason")}


def recent(conn: psycopg.Connection[Any], limit: int = 100) -> list[dict[str, Any]]:
    """The newest quarantined messages, without their payloads."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("SELECT received_at, topic, reason, detail, length(payload) AS payload_bytes, worker_id "
                           "FROM quarantine ORDER BY received_at DESC LIMIT %s", (limit,)).fetchall()
