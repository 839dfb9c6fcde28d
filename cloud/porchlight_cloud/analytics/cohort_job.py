"""The cohort job: stratified per-home residuals in SQL, the tests in Python, findings stored.

Each hour's residuals are added to every home's day (cohort_home_daily: sums and hours) once the hour is final, by
the hourly pass; the daily pass adds only the hours the schedule missed and tests the sums, so neither the day nor
the days before are re-read hour by hour. An hour's residuals are those of its scores 15 minutes after it ended
(the daily rescoring of the day for its last late reports does not change them). The hourly pass looks at a few
hours and takes each home's median hour straight from the hourly scores.
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
HOUR = timedelta(hours=1)


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


def add_hours(conn: psycopg.Connection[Any], start: datetime, end: datetime) -> int:
    """Add the residuals of every hour in [start, end) (on the hour) not added yet to each home's day; returns the
    hours added. An hour is added once: the hourly job adds it when it is final, the daily pass only what it missed."""
    done = {r[0] for r in conn.execute("SELECT bucket FROM cohort_hours_done WHERE bucket >= %s AND bucket < %s",
                                       (start, end))}
    hours = int((end - start) / HOUR)
    missing = [h for h in (start + k * HOUR for k in range(hours)) if h not in done]
    if missing:  # one pass over the span of the missing hours (the hours added before in it are skipped in SQL)
        conn.execute(sql("cohort_hours_add"), {"start": missing[0], "end": missing[-1] + HOUR})
    return len(missing)


def _day_span(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), UTC)
    return start, start + timedelta(days=1)


def store_day(conn: psycopg.Connection[Any], day: date) -> int:
    """Recompute every home's residuals over ``day`` from its hourly scores (replacing what was added hour by
    hour); returns the homes stored."""
    start, end = _day_span(day)
    conn.execute("DELETE FROM cohort_home_daily WHERE day = %s", (day,))
    conn.execute("DELETE FROM cohort_hours_done WHERE bucket >= %s AND bucket < %s", (start, end))
    add_hours(conn, start, end)
    row = conn.execute("SELECT count(*) FROM cohort_home_daily WHERE day = %s", (day,)).fetchone()
    return int(row[0]) if row else 0


def daily_values(conn: psycopg.Connection[Any], days: Sequence[date]) -> list[cohorts.HomeCohortValues]:
    """Every home's cohort and mean hourly residual per component over ``days``, from the stored sums; the hours of
    those days not added yet (the first run, a gap in the schedule) are added from their hourly scores first."""
    for d in days:
        add_hours(conn, *_day_span(d))
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
    oldest = day - timedelta(days=KEEP_DAYS)
    conn.execute("DELETE FROM cohort_home_daily WHERE day < %s", (oldest,))
    conn.execute("DELETE FROM cohort_hours_done WHERE bucket < %s", (_day_span(oldest)[0],))
    return _run(conn, "cohorts", day, end - timedelta(days=days), end, 1,
                lambda: (daily_values(conn, period), daily_values(conn, before)))


def run_hourly(conn: psycopg.Connection[Any], now: datetime) -> list[cohorts.CohortFinding]:
    """The same tests over the last HOURLY_WINDOW of complete hours before ``now`` (each home's change against
    the BEFORE_DAYS whole days before the window's first day, from the stored sums), at the significance level split
    over HOURLY_LOOKS looks a day; stored in the cohort list of the day the window ends in, so a bad rollout is named
    within hours, not the next morning. In the window each home counts by its median hour (a good rollout's one
    upgrade reboot is one hour of the six, not a defect); the days before are 72 hours, where one hour moves a mean
    little, and reading their sums instead of their hours is most of what the pass saves."""
    end = now.replace(minute=0, second=0, microsecond=0)
    start = end - HOURLY_WINDOW
    add_hours(conn, start, end)  # these hours are final now: the daily pass reads them from the stored sums
    before = [start.astimezone(UTC).date() - timedelta(days=k) for k in range(1, BEFORE_DAYS + 1)]
    return _run(conn, "cohorts_hourly", (end - timedelta(seconds=1)).date(), start, end, HOURLY_LOOKS,
                lambda: (home_values(conn, start, end), daily_values(conn, before)))


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
