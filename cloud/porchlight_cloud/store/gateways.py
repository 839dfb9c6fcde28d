"""The gateways and boots tables, and the sequence gaps recorded per boot.

A gateway is bound to the home of its first report (or to the home an import names); ``boots`` gives each
(gateway, boot_id) a small key for the report ledger and keeps its sequence high-water mark.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import psycopg

from .staging import copy_rows

Binding = tuple[int, int, str]  # gateway_key, home_key, home_id


def bindings(cur: psycopg.Cursor[Any], gateway_ids: Sequence[str]) -> dict[str, Binding]:
    """gateway_id -> (gateway_key, home_key, home_id) for the gateways that exist."""
    cur.execute("SELECT g.gateway_id, g.gateway_key, g.home_key, h.home_id FROM gateways g JOIN homes h "
                "USING (home_key) WHERE g.gateway_id = ANY(%s)", (list(gateway_ids),))
    return {gid: (gkey, hkey, home_id) for gid, gkey, hkey, home_id in cur.fetchall()}


def create_gateways(cur: psycopg.Cursor[Any], rows: Iterable[tuple[str, int, str, str, str, datetime]]) -> None:
    """Insert gateways seen for the first time: (gateway_id, home_key, model, firmware, agent_version, seen).

    A gateway another worker created meanwhile is left as it is; callers re-read the bindings.
    """
    copy_rows(cur, "stage_gateways", ("gateway_id", "home_key", "model", "firmware", "agent_version", "seen"),
              ("text", "int4", "text", "text", "text", "timestamptz"), rows)
    cur.execute(
        "INSERT INTO gateways (gateway_id, home_key, model, firmware, agent_version, first_seen) "
        "SELECT DISTINCT ON (gateway_id) gateway_id, home_key, model, firmware, agent_version, seen "
        "FROM stage_gateways ORDER BY gateway_id ON CONFLICT (gateway_id) DO NOTHING")


_UPDATE_STATE = """
UPDATE gateways g SET
    model = u.model, firmware = u.firmware, agent_version = u.agent_version,
    last_seen = GREATEST(g.last_seen, u.seen), last_boot_id = u.boot_id, last_seq = u.seq, last_report_ts = u.ts
FROM (SELECT * FROM unnest(%s::int[], %s::text[], %s::text[], %s::text[], %s::timestamptz[], %s::text[],
                           %s::int[], %s::timestamptz[])
      AS t(gateway_key, model, firmware, agent_version, seen, boot_id, seq, ts) ORDER BY gateway_key) u
WHERE g.gateway_key = u.gateway_key AND (g.last_report_ts IS NULL OR u.ts >= g.last_report_ts)
"""


def update_state(cur: psycopg.Cursor[Any], rows: Sequence[tuple[int, str, str, str, datetime, str, int, datetime]]
                 ) -> None:
    """Record each gateway's newest report: (gateway_key, model, firmware, agent_version, seen, boot_id, seq, ts)."""
    if rows:
        cur.execute(_UPDATE_STATE, [list(column) for column in zip(*sorted(rows), strict=True)])


def ensure_boots(cur: psycopg.Cursor[Any], pairs: Sequence[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """(gateway_key, boot_id) -> boot_key, creating the boots not seen before."""
    gateway_keys = [p[0] for p in pairs]
    boot_ids = [p[1] for p in pairs]
    cur.execute("INSERT INTO boots (gateway_key, boot_id) SELECT * FROM unnest(%s::int[], %s::text[]) "
                "ORDER BY 1, 2 ON CONFLICT (gateway_key, boot_id) DO NOTHING", (gateway_keys, boot_ids))
    cur.execute("SELECT b.gateway_key, b.boot_id, b.boot_key FROM boots b "
                "JOIN unnest(%s::int[], %s::text[]) AS p(gateway_key, boot_id) USING (gateway_key, boot_id)",
                (gateway_keys, boot_ids))
    return {(g, b): k for g, b, k in cur.fetchall()}


def lock_boots(cur: psycopg.Cursor[Any], boot_keys: Sequence[int]
               ) -> tuple[dict[int, int], dict[int, list[tuple[int, int]]]]:
    """Lock the boots' rows (in key order, so workers never deadlock) and read max_seq and open gaps."""
    cur.execute("SELECT boot_key, max_seq FROM boots WHERE boot_key = ANY(%s) ORDER BY boot_key FOR UPDATE",
                (list(boot_keys),))
    max_seq = dict(cur.fetchall())
    cur.execute("SELECT boot_key, seq_from, seq_to FROM report_gaps WHERE boot_key = ANY(%s)", (list(boot_keys),))
    gaps: dict[int, list[tuple[int, int]]] = {}
    for key, low, high in cur.fetchall():
        gaps.setdefault(key, []).append((low, high))
    return max_seq, gaps


def save_sequences(cur: psycopg.Cursor[Any], max_seq: dict[int, int],
                   changed_gaps: dict[int, list[tuple[int, int]]]) -> None:
    """Store new high-water marks and replace the gap list of the boots whose gaps changed."""
    if max_seq:
        keys = sorted(max_seq)
        cur.execute("UPDATE boots b SET max_seq = u.max_seq FROM unnest(%s::int[], %s::int[]) AS u(boot_key, max_seq)"
                    " WHERE b.boot_key = u.boot_key AND b.max_seq < u.max_seq", (keys, [max_seq[k] for k in keys]))
    if changed_gaps:
        cur.execute("DELETE FROM report_gaps WHERE boot_key = ANY(%s)", (sorted(changed_gaps),))
        rows = [(key, low, high) for key, gaps in changed_gaps.items() for low, high in gaps]
        if rows:
            cur.execute("INSERT INTO report_gaps (boot_key, seq_from, seq_to) SELECT * FROM "
                        "unnest(%s::int[], %s::int[], %s::int[])", [list(c) for c in zip(*rows, strict=True)])


def gaps_of_gateway(conn: psycopg.Connection[Any], gateway_id: str) -> list[tuple[str, int, int]]:
    """Open gaps of one gateway as (boot_id, seq_from, seq_to)."""
    return [tuple(row) for row in conn.execute(  # type: ignore[misc]
        "SELECT b.boot_id, gp.seq_from, gp.seq_to FROM report_gaps gp JOIN boots b USING (boot_key) "
        "JOIN gateways g USING (gateway_key) WHERE g.gateway_id = %s ORDER BY b.boot_id, gp.seq_from",
        (gateway_id,))]
