"""The cohort job: stratified per-home residuals in SQL, the tests in Python, findings stored.

Daily, each home's mean residual for the day is stored once (cohort_home_daily); the day's test and its change
against the days before read those rows, so the days before are never re-read hour by hour. The hourly pass looks
at a few hours and takes each home's median hour straight from the hourly scores.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import psycopg

from . import cohorts, findings_store
from .findings_store import FindingRow
from .queries import sql

log = logging.getLogger(__name__)


def _values(rows: Iterable[Sequence[Any]]) -> list[cohorts.HomeCohortValues]:
    """Rows of (home, model, firmware, the ALL_QUANTITIES residuals[, the LINE_METRICS against the node])."""
    out = []
    names = (*cohorts.ALL_QUANTITIES, *(cohorts.node_key(m) for m in cohorts.LINE_METRICS))
    for r in rows:
        values = {c: float(v) for c, v in zip(names, r[3:], strict=False) if v is not None}
        out.append(cohorts.HomeCohortValues(str(r[0]), r[1], r[2], values))
    return out


def home_values(conn: psycopg.Connection[Any], start: datetime, end: datetime) -> list[cohorts.HomeCohortValues]:
    """Every home's cohort and median hourly residual per component over [start, end), from the hourly scores."""
    return _values(conn.execute(sql("cohort_residuals_median"), {"start": start, "end": end}))


def store_day(conn: psycopg.Connection[Any], day: date) -> int:
    """Store (or replace) every home's mean residual per component over ``day``; returns the homes stored."""
    return conn.execute(sql("cohort_home_daily"), {"day": day}).rowcount


def daily_values(conn: psycopg.Connection[Any], days: Sequence[date]) -> list[cohorts.HomeCohortValues]:
    """Every home's cohort and mean residual per component over ``days``, from the stored days; a day not stored
    yet (the first run, a gap in the schedule) is computed from its hourly scores first."""
    stored = {r[0] for r in conn.execute("SELECT DISTINCT day FROM cohort_home_daily WHERE day = ANY(%s)",
                                         (list(days),))}
    for d in days:
        if d not in stored:
            store_day(conn, d)
    return _values(conn.execute(sql("cohort_home_days"), {"days": list(days)}))


#: The days before the analysed period that each home's change is measured against.
BEFORE_DAYS = 3
#: Stored daily residuals are kept this long.
KEEP_DAYS = 35


#: The hourly pass looks at the last this many complete hours (a rollout's first evening is enough to see it) ...
HOURLY_WINDOW = timedelta(hours=6)
#: ... and is one of this many looks a day at the same question (its significance level is split over them).
HOURLY_LOOKS = 24


def run_daily(conn: psycopg.Connection[Any], day: date, days: int = 1) -> list[cohorts.CohortFinding]:
    """Cohorts significantly worse over the ``days`` days ending with ``day`` (in level, or in change against the
    BEFORE_DAYS days before); stored as the day's cohort list."""
    end = datetime.combine(day + timedelta(days=1), time(), UTC)
    period = [day - timedelta(days=k) for k in range(days)]
    before = [day - timedelta(days=days + k) for k in range(BEFORE_DAYS)]
    for d in period:  # the period's hourly scores were just rescored: its stored days are replaced
        store_day(conn, d)
    conn.execute("DELETE FROM cohort_home_daily WHERE day < %s", (day - timedelta(days=KEEP_DAYS),))
    return _run(conn, "cohorts", day, end - timedelta(days=days), end, 1,
                lambda: (daily_values(conn, period), daily_values(conn, before)))


def run_hourly(conn: psycopg.Connection[Any], now: datetime) -> list[cohorts.CohortFinding]:
    """The same tests over the last HOURLY_WINDOW of complete hours before ``now`` (each home's change against
    the BEFORE_DAYS days before it), at the significance level split over HOURLY_LOOKS looks a day; stored in the
    cohort list of the day the window ends in, so a bad rollout is named within hours, not the next morning.
    Each home counts by its median hour (a good rollout's one upgrade reboot is one hour of the six, not a defect)."""
    end = now.replace(minute=0, second=0, microsecond=0)
    start = end - HOURLY_WINDOW
    return _run(conn, "cohorts_hourly", (end - timedelta(seconds=1)).date(), start, end, HOURLY_LOOKS,
                lambda: (home_values(conn, start, end),
                         home_values(conn, start - timedelta(days=BEFORE_DAYS), start)))


def _run(conn: psycopg.Connection[Any], job: str, day: date, start: datetime, end: datetime, looks: int,
         read: Callable[[], tuple[list[cohorts.HomeCohortValues], list[cohorts.HomeCohortValues]]]
         ) -> list[cohorts.CohortFinding]:
    run_id = findings_store.start_run(conn, job, end, {"day": day.isoformat(), "start": start.isoformat()})
    homes, before = read()
    found = cohorts.analyse_with_change(homes, before, looks=looks)
    rows = [FindingRow("cohort", "cohort_worse",
                       f"{f.model} on firmware {f.firmware}: {cohorts.effect_text(f.component, f.effect_points)} "
                       f"({f.homes} homes{', since the days before' if f.basis == 'change' else ''})",
                       f.reasons, day=day, model=f.model, firmware=f.firmware, component=f.component,
                       place="gateway", magnitude=-f.effect_points,
                       action="Hold the rollout of this firmware and open a vendor ticket; consider rolling the "
                              "affected gateways back.")
            for f in found]
    findings_store.write_daily(conn, run_id, "cohort", day, end, rows)
    findings_store.finish_run(conn, run_id, "ok", {"homes": len(homes), "findings": len(found)})
    log.info("event=%s day=%s end=%s homes=%d findings=%d", job, day, end.isoformat(), len(homes), len(found))
    return found
