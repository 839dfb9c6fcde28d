"""Reading and writing the analytics table group: analysis_runs, findings, incidents, incident_homes."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from .incidents import Incident
from .reasons import Reason, reasons_json


@dataclass(frozen=True, slots=True)
class FindingRow:
    """One finding as the findings table holds it."""

    list: str
    kind: str
    summary: str
    reasons: tuple[Reason, ...]
    home_key: int | None = None
    day: date | None = None
    device_key: int | None = None
    mac: str | None = None
    app: str | None = None
    model: str | None = None
    firmware: str | None = None
    component: str | None = None
    area_level: str | None = None
    area: str | None = None
    incident_id: int | None = None
    place: str | None = None
    magnitude: float = 0.0
    action: str | None = None
    segment: Mapping[str, Any] | None = field(default=None)


def start_run(conn: psycopg.Connection[Any], job: str, as_of: datetime, detail: Mapping[str, Any] | None = None
              ) -> int:
    """Record that a job starts; returns its run id."""
    row = conn.execute("INSERT INTO analysis_runs (job, as_of, detail) VALUES (%s, %s, %s) RETURNING run_id",
                       (job, as_of, Jsonb(dict(detail or {})))).fetchone()
    assert row is not None
    return int(row[0])


def finish_run(conn: psycopg.Connection[Any], run_id: int, status: str, detail: Mapping[str, Any]) -> None:
    """Record how a run ended and what it counted."""
    conn.execute("UPDATE analysis_runs SET finished_at = now(), status = %s, detail = detail || %s WHERE run_id = %s",
                 (status, Jsonb(dict(detail)), run_id))


def last_run(conn: psycopg.Connection[Any], job: str) -> datetime | None:
    """The analysed time of the job's last successful run."""
    row = conn.execute("SELECT max(as_of) FROM analysis_runs WHERE job = %s AND status = 'ok'", (job,)).fetchone()
    return row[0] if row else None


_INSERT = """
INSERT INTO findings (run_id, list, kind, day, as_of, home_key, device_key, mac, app, model, firmware, component,
                      area_level, area, incident_id, place, magnitude, rank, summary, reasons, action, segment,
                      first_flagged_at, last_flagged_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
"""


def _values(run_id: int, as_of: datetime, rank: int, f: FindingRow) -> tuple[Any, ...]:
    return (run_id, f.list, f.kind, f.day, as_of, f.home_key, f.device_key, f.mac, f.app, f.model, f.firmware,
            f.component, f.area_level, f.area, f.incident_id, f.place, f.magnitude, rank, f.summary,
            Jsonb(reasons_json(f.reasons)), f.action, Jsonb(dict(f.segment)) if f.segment is not None else None,
            as_of, as_of)


#: SQL condition on ``findings f``: the finding belongs to the current edition of its daily list (or is not on a
#: daily list). A later successful run that published the same list for the same day replaces it, also when
#: that run found nothing: a rerun after a fix empties the day's list. Earlier editions stay as history.
CURRENT_DAILY = (
    "(f.day IS NULL OR (NOT EXISTS (SELECT 1 FROM analysis_runs r WHERE r.run_id > f.run_id AND r.status = 'ok'"
    " AND r.detail->>'list' = f.list AND r.detail->>'day' = f.day::text)"
    " AND f.run_id = (SELECT max(g.run_id) FROM findings g WHERE g.list = f.list AND g.day = f.day)))"
)


def write_daily(conn: psycopg.Connection[Any], run_id: int, list_name: str, day: date, as_of: datetime,
                findings: Sequence[FindingRow]) -> None:
    """Store a daily list (already ranked) as this run's edition of ``list_name`` for ``day``; the newest wins."""
    conn.execute("UPDATE analysis_runs SET detail = detail || %s WHERE run_id = %s",
                 (Jsonb({"list": list_name, "day": day.isoformat()}), run_id))
    with conn.cursor() as cur:
        cur.executemany(_INSERT, [_values(run_id, as_of, i + 1, f) for i, f in enumerate(findings)])


def write_episodes(conn: psycopg.Connection[Any], run_id: int, list_name: str, as_of: datetime,
                   findings: Sequence[FindingRow]) -> tuple[int, int, int]:
    """Near-real-time findings as episodes: continue the open ones, open new ones, clear the ones gone.

    Returns (opened, continued, cleared).
    """
    open_rows = {(r[1], r[2]): r[0] for r in conn.execute(
        "SELECT finding_id, home_key, kind FROM findings WHERE list = %s AND cleared_at IS NULL", (list_name,))}
    seen: set[int] = set()
    opened = continued = 0
    with conn.cursor() as cur:
        for i, f in enumerate(findings):
            fid = open_rows.get((f.home_key, f.kind))
            if fid is None:
                cur.execute(_INSERT, _values(run_id, as_of, i + 1, f))
                opened += 1
                continue
            seen.add(fid)
            continued += 1
            cur.execute("UPDATE findings SET run_id = %s, as_of = %s, last_flagged_at = %s, rank = %s, magnitude = %s,"
                        " summary = %s, reasons = %s, place = %s, action = %s WHERE finding_id = %s",
                        (run_id, as_of, as_of, i + 1, f.magnitude, f.summary, Jsonb(reasons_json(f.reasons)),
                         f.place, f.action, fid))
        gone = [fid for fid in open_rows.values() if fid not in seen]
        if gone:
            cur.execute("UPDATE findings SET cleared_at = %s WHERE finding_id = ANY(%s)", (as_of, gone))
    return opened, continued, len(gone)


def _incident(r: Mapping[str, Any], homes: frozenset[str]) -> Incident:
    return Incident(int(r["incident_id"]), r["level"], r["area"], r["started_at"], r["detected_at"],
                    r["last_seen_at"], homes, int(r["homes_total"]), int(r["peak_degraded"]), r["why"],
                    r["ended_at"], tuple(r["history"] or ()), r["cause"])


def open_incidents(conn: psycopg.Connection[Any]) -> list[Incident]:
    """Every incident still going on, with its affected homes (home ids)."""
    return incidents_between(conn, None, None, only_open=True)


def incidents_between(conn: psycopg.Connection[Any], start: datetime | None, end: datetime | None,
                      only_open: bool = False) -> list[Incident]:
    """Incidents that overlapped [start, end) (all of them without bounds), with their home ids."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            "SELECT i.*, coalesce(array_agg(h.home_id) FILTER (WHERE h.home_id IS NOT NULL), '{}') AS home_ids"
            " FROM incidents i LEFT JOIN incident_homes ih USING (incident_id)"
            " LEFT JOIN homes h ON h.home_key = ih.home_key"
            " WHERE (NOT %(open)s OR i.ended_at IS NULL)"
            "   AND (%(end)s::timestamptz IS NULL OR i.started_at < %(end)s)"
            "   AND (%(start)s::timestamptz IS NULL OR coalesce(i.ended_at, 'infinity') >= %(start)s)"
            " GROUP BY i.incident_id ORDER BY i.started_at",
            {"open": only_open, "start": start, "end": end}).fetchall()
    return [_incident(r, frozenset(r["home_ids"])) for r in rows]


def save_incidents(conn: psycopg.Connection[Any], changed: Iterable[Incident], now: datetime) -> list[Incident]:
    """Insert new incidents and update changed ones, with their homes; returns them with their ids."""
    saved: list[Incident] = []
    for inc in changed:
        args = {"level": inc.level, "area": inc.area, "started": inc.started_at, "detected": inc.detected_at,
                "seen": inc.last_seen_at, "ended": inc.ended_at, "total": inc.homes_total,
                "peak": inc.peak_degraded, "why": inc.why, "history": Jsonb(list(inc.history)),
                "id": inc.incident_id, "cause": inc.cause}
        if inc.incident_id is None:
            row = conn.execute(
                "INSERT INTO incidents (level, area, started_at, detected_at, last_seen_at, ended_at, homes_total,"
                " peak_degraded, why, history, cause) VALUES (%(level)s, %(area)s, %(started)s, %(detected)s,"
                " %(seen)s, %(ended)s, %(total)s, %(peak)s, %(why)s, %(history)s, %(cause)s) RETURNING incident_id",
                args).fetchone()
            assert row is not None
            incident_id = int(row[0])
        else:
            incident_id = inc.incident_id
            conn.execute(
                "UPDATE incidents SET level = %(level)s, area = %(area)s, last_seen_at = %(seen)s,"
                " ended_at = %(ended)s, homes_total = %(total)s, peak_degraded = %(peak)s, why = %(why)s,"
                " history = %(history)s"
                " WHERE incident_id = %(id)s", args)
        conn.execute(
            "INSERT INTO incident_homes (incident_id, home_key, first_seen_at)"
            " SELECT %s, home_key, %s FROM homes WHERE home_id = ANY(%s) ON CONFLICT DO NOTHING",
            (incident_id, now, sorted(inc.homes)))
        saved.append(replace(inc, incident_id=incident_id))
    return saved


def list_findings(conn: psycopg.Connection[Any], list_name: str | None = None, day: date | None = None,
                  home_id: str | None = None, limit: int = 100, open_only: bool = False) -> list[dict[str, Any]]:
    """Findings for people: newest run of each daily list (or the given day), open episodes, with home ids."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            "SELECT f.*, h.home_id FROM findings f LEFT JOIN homes h ON h.home_key = f.home_key"
            " WHERE (%(list)s::text IS NULL OR f.list = %(list)s)"
            "   AND (%(day)s::date IS NULL OR f.day = %(day)s)"
            "   AND (%(home)s::text IS NULL OR h.home_id = %(home)s)"
            "   AND (NOT %(open)s OR f.cleared_at IS NULL)"
            f"   AND {CURRENT_DAILY}"
            " ORDER BY f.as_of DESC, f.list, f.rank LIMIT %(limit)s",
            {"list": list_name, "day": day, "home": home_id, "open": open_only, "limit": limit}).fetchall()
    for r in rows:
        if isinstance(r.get("reasons"), str):
            r["reasons"] = json.loads(r["reasons"])
    return rows
