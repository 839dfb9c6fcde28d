"""Compact closed chunks on the Apache edition: rebuild their indexes densely once no more rows arrive.

Rows reach a day's chunk for many homes at once, so its B-tree pages split half full while the day is
written (~60 bytes an entry instead of ~36). Once the chunk's time range has ended the index is rebuilt
with fillfactor 100 (REINDEX CONCURRENTLY, so late reports are never blocked) and the chunk remembered.
With the Community edition, native compression replaces this (see migration 001).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

import psycopg
from psycopg import sql

TABLES: Final = ("reports", "events", "home_hourly", "app_hourly", "home_daily", "app_daily")

_CLOSED_CHUNKS = """
SELECT c.chunk_schema, c.chunk_name
FROM timescaledb_information.chunks c
WHERE c.hypertable_name = ANY(%(tables)s)
  AND c.range_end <= coalesce(%(now)s::timestamptz, now()) - make_interval(secs => %(older_than)s)
  AND NOT EXISTS (SELECT 1 FROM compacted_chunks k WHERE k.chunk = c.chunk_schema || '.' || c.chunk_name)
ORDER BY c.range_end
"""


def compact(conn: psycopg.Connection[Any], older_than_s: float = 3600.0, now: datetime | None = None) -> int:
    """Rebuild the indexes of chunks that ended at least ``older_than_s`` ago; return how many chunks.

    ``conn`` must be in autocommit mode (REINDEX CONCURRENTLY cannot run in a transaction).
    """
    chunks = conn.execute(_CLOSED_CHUNKS, {"tables": list(TABLES), "now": now, "older_than": older_than_s}).fetchall()
    for schema, name in chunks:
        indexes = conn.execute(
            "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
            "WHERE n.nspname = %s AND t.relname = %s", (schema, name)).fetchall()
        for (index,) in indexes:
            target = sql.Identifier(schema, index)
            conn.execute(sql.SQL("ALTER INDEX {} SET (fillfactor = 100)").format(target))
            conn.execute(sql.SQL("REINDEX INDEX CONCURRENTLY {}").format(target))
        conn.execute("INSERT INTO compacted_chunks (chunk) VALUES (%s) ON CONFLICT DO NOTHING", (f"{schema}.{name}",))
    return len(chunks)
