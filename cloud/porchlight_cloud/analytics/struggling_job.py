"""The struggling-home jobs: the daily list and the near-real-time one (every 5 minutes), stored as findings."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import psycopg
from psycopg.rows import dict_row

from . import findings_store, struggling
from .baselines import Baseline
from .cohorts import METRIC_COMPONENT
from .findings_store import FindingRow
from .incidents import Incident
from .queries import sql
from .reasons import Reason, reason_from_json
from .segment_job import latest_segments
from .segments import ESTABLISHED, NEW_SUBSCRIBER, Segment

log = logging.getLogger(__name__)
#: The near-real-time window: the current (partial) hour and the two before it.
RECENT_HOURS = 3


def _incident_hours(incidents: list[Incident], start: datetime, end: datetime) -> dict[str, set[datetime]]:
    """For each home, the hours of [start, end) during which an incident it belongs to was going on."""
    out: dict[str, set[datetime]] = defaultdict(set)
    for inc in incidents:
        first = inc.started_at.replace(minute=0, second=0, microsecond=0)
        stop = inc.ended_at or end
        hours = []
        h = max(first, start)
        while h < min(stop, end):
            hours.append(h)
            h += timedelta(hours=1)
        for home in inc.homes:
            out[home].update(hours)
    return out


def _opt(value: Any) -> float | None:
    return float(value) if value is not None else None


def _segment_json(seg: Segment | None) -> dict[str, Any] | None:
    if seg is None:
        return None
    return {"tenure": seg.tenure, "behaviours": sorted(seg.behaviours), "region": seg.region, "plan": seg.plan,
            "key": seg.key}


Judged = list[tuple[int, struggling.StrugglingFinding, Segment | None]]


def judge_window(conn: psycopg.Connection[Any], start: datetime, end: datetime, *, recent: bool,
                 segments: dict[int, Segment] | None = None) -> Judged:
    """Judge every home over [start, end): the struggling ones with their findings, biggest impact first."""
    segs = segments if segments is not None else latest_segments(conn, end)
    incidents = findings_store.incidents_between(conn, start, end)
    in_incident = _incident_hours(incidents, start, end)
    min_hours = NEW_SUBSCRIBER.min_poor_hours_recent if recent else NEW_SUBSCRIBER.min_poor_hours_daily
    params = {"start": start, "end": end, "abs_bar": max(NEW_SUBSCRIBER.poor_score, ESTABLISHED.poor_score),
              "drop": min(NEW_SUBSCRIBER.drop_points, ESTABLISHED.drop_points), "min_hours": min_hours,
              "sustained_drop": struggling.SUSTAINED_DROP, "air_drop": struggling.SUSTAINED_AIR_DROP,
              "air_surge": struggling.AIR_SURGE_POINTS,
              # the sustained rules judge whole days only: near real time they admit no home
              "sustained_hours": struggling.SUSTAINED_HOURS if not recent else 24 * 365}
    by_home: dict[int, list[dict[str, Any]]] = defaultdict(list)
    by_cohort: dict[int, set[str]] = defaultdict(set)
    for home_key, component in conn.execute(sql("cohort_explained_homes"), {"end": end}):
        by_cohort[int(home_key)].add(METRIC_COMPONENT.get(str(component), str(component)))
    with conn.cursor(row_factory=dict_row) as cur:
        for r in cur.execute(sql("struggling_candidates"), params):
            by_home[int(r["home_key"])].append(r)
    found: Judged = []
    for home_key, rows in by_home.items():
        seg = segs.get(home_key)
        home_id = seg.home_id if seg else str(home_key)
        first = rows[0]
        normal = None
        if first["median_score"] is not None:
            normal = Baseline(float(first["median_score"]), float(first["mad_score"] or 0.0),
                              int(first["normal_hours"] or 0))
        hours = [struggling.HourlyScore(r["bucket"], _opt(r["score"]), _opt(r["wifi"]), _opt(r["access"]),
                                        _opt(r["health"]), _opt(r["stability"]),
                                        tuple(reason_from_json(x) for x in (r["reasons"] or ())),
                                        int(r["traffic_bytes"] or 0)) for r in rows]
        f = struggling.judge(home_id, hours, normal, seg, frozenset(in_incident.get(home_id, ())), recent=recent,
                             explained=frozenset(by_cohort.get(home_key, ())))
        if f is not None:
            found.append((home_key, f, seg))
    found.sort(key=lambda t: (-t[1].impact, t[1].home_id))
    return found


def _rows(list_name: str, day: date | None, found: Judged) -> list[FindingRow]:
    rows = []
    for home_key, f, seg in found:
        mac = next((str(r.numbers["mac"]) for r in f.reasons if r.code == "likely_place" and "mac" in r.numbers),
                   None)
        summary = (f"Poor connection for {f.poor_hours} h (score {f.mean_score:.0f}/100), most likely "
                   f"{struggling.PLACES[f.place]}")
        reasons: tuple[Reason, ...] = f.reasons
        if seg is not None and seg.is_new:
            reasons = (*reasons, Reason("new_subscriber", "A new subscriber (first two weeks): judged with the "
                                        "gentler new-customer thresholds.", {"tenure": "new"}))
        rows.append(FindingRow(list_name, "struggling", summary, reasons, home_key=home_key, day=day, mac=mac,
                               place=f.place, magnitude=f.impact, action=f.action, segment=_segment_json(seg)))
    return rows


def run_daily(conn: psycopg.Connection[Any], day: date, segments: dict[int, Segment] | None = None) -> int:
    """The daily struggling list for ``day`` (UTC); also stores the day's normal. Returns homes listed."""
    start = datetime.combine(day, time(), UTC)
    end = start + timedelta(days=1)
    run_id = findings_store.start_run(conn, "struggling_daily", end, {"day": day.isoformat()})
    found = judge_window(conn, start, end, recent=False, segments=segments)
    findings_store.write_daily(conn, run_id, "struggling_daily", day, end, _rows("struggling_daily", day, found))
    conn.execute(sql("qoe_daily_normal"), {"day": day})
    findings_store.finish_run(conn, run_id, "ok", {"listed": len(found)})
    log.info("event=struggling_daily day=%s listed=%d", day, len(found))
    return len(found)


def run_recent(conn: psycopg.Connection[Any], now: datetime) -> tuple[int, int, int]:
    """The near-real-time struggling list at ``now``; returns (opened, continued, cleared) episodes."""
    end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    start = end - timedelta(hours=RECENT_HOURS)
    run_id = findings_store.start_run(conn, "struggling_recent", now)
    found = judge_window(conn, start, end, recent=True)
    counts = findings_store.write_episodes(conn, run_id, "struggling_recent", now,
                                           _rows("struggling_recent", None, found))
    findings_store.finish_run(conn, run_id, "ok", {"listed": len(found), "opened": counts[0],
                                                   "continued": counts[1], "cleared": counts[2]})
    return counts
