"""Per-session staging tables and the binary COPY helper the batch writer loads them with.

Staging tables are temporary (one set per connection) and emptied at every commit, so a batch is always
COPYed into empty tables and then merged into the real ones with one set-based statement each.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
from psycopg import sql

STAGING_DDL = """
CREATE TEMP TABLE IF NOT EXISTS stage_homes (home_id text) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS stage_gateways (
    gateway_id text, home_key integer, model text, firmware text, agent_version text, seen timestamptz
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS stage_devices (
    home_key integer, mac text, hostname text, vendor text, device_class text, class_confidence real,
    connection text, ips text[], first_seen timestamptz, last_seen timestamptz
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS stage_reports (LIKE reports) ON COMMIT DELETE ROWS;
"""


def prepare(conn: psycopg.Connection[Any]) -> None:
    """Create this session's staging tables (idempotent) and commit."""
    with conn.transaction():
        conn.execute(STAGING_DDL)


def copy_rows(cur: psycopg.Cursor[Any], table: str, columns: Sequence[str], types: Sequence[str],
              rows: Iterable[Sequence[Any]]) -> int:
    """Binary COPY rows into table; return how many were written. Table and columns are our constants."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns)))
    count = 0
    with cur.copy(statement) as copy:
        copy.set_types(list(types))
        for row in rows:
            copy.write_row(row)
            count += 1
    return count
