"""When each analysis runs: the service loop calls ``run_scheduled(conn, now)`` as often as it likes.

- incidents: every minute (raw probe rows of the last minutes);
- QoE of the current hour (and the previous one early in the hour), then the near-real-time struggling list:
  every 5 minutes;
- cohorts over the last hours (hourly, once the previous hour's late reports are in: PREVIOUS_HOUR_GRACE), so a bad
  firmware rollout is named within hours; the daily cohort pass still runs with the daily jobs;
- the daily jobs for the previous day (QoE rescored over the whole day, segments, the struggling list, the
  activity-change list, cohorts): once per day, DAILY_DELAY after midnight UTC so late reports are in.

Each job runs in its own transaction: one failing job is logged and rolled back, the others still run.
``now`` is the analysed time: wall-clock time in the service, simulated time when replaying a simulation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import psycopg

from . import activity_job, cohort_job, findings_store, incident_job, qoe_job, segment_job, struggling_job

log = logging.getLogger(__name__)
INCIDENT_EVERY = timedelta(minutes=1)
RECENT_EVERY = timedelta(minutes=5)
DAILY_DELAY = timedelta(minutes=30)
#: The previous hour is scored again this long into the next one (late reports of its last minutes).
PREVIOUS_HOUR_GRACE = timedelta(minutes=15)


def _due(conn: psycopg.Connection[Any], job: str, now: datetime, every: timedelta) -> bool:
    last = findings_store.last_run(conn, job)
    return last is None or now - last >= every - timedelta(seconds=1) or last > now


def _run(conn: psycopg.Connection[Any], name: str, fn: Callable[[], object]) -> bool:
    try:
        with conn.transaction():
            fn()
        return True
    except psycopg.Error as exc:
        log.error("event=analysis_failed job=%s error=%s", name, str(exc).splitlines()[0] if str(exc) else exc)
        return False


def run_recent(conn: psycopg.Connection[Any], now: datetime) -> None:
    """Score the current hour (and the previous one early in the hour, for its last reports), then update the
    near-real-time struggling list."""
    hour = now.replace(minute=0, second=0, microsecond=0)
    run_id = findings_store.start_run(conn, "qoe_recent", now)
    first = hour - timedelta(hours=1) if now - hour < PREVIOUS_HOUR_GRACE else hour
    rows = qoe_job.score_window(conn, first, hour + timedelta(hours=1))
    findings_store.finish_run(conn, run_id, "ok", {"rows": rows})
    struggling_job.run_recent(conn, now)


def run_daily(conn: psycopg.Connection[Any], day: date, cohort_days: int = 1) -> dict[str, int]:
    """Every daily job for ``day`` (UTC), in order; returns what each found."""
    start = datetime.combine(day, time(), UTC)
    end = start + timedelta(days=1)
    out: dict[str, int] = {}
    run_id = findings_store.start_run(conn, "daily", end, {"day": day.isoformat()})
    out["qoe_rows"] = qoe_job.score_window(conn, start, end)
    out["device_usage"] = qoe_job.update_device_usage(conn, day)  # after the day's scores: it weighs the next day's
    out["air_normal"] = qoe_job.update_air_normal(conn, day)  # likewise: the next day's air is judged against it
    segments = segment_job.compute_segments(conn, day)
    out["segments"] = len(segments)
    out["cohorts"] = len(cohort_job.run_daily(conn, day, cohort_days))  # first: it explains some homes' trouble
    out["struggling"] = struggling_job.run_daily(conn, day, segments)
    out["activity_change"] = activity_job.run_daily(conn, day, segments)
    findings_store.finish_run(conn, run_id, "ok", out)
    return out


def run_scheduled(conn: psycopg.Connection[Any], now: datetime) -> list[str]:
    """Run whatever is due at ``now``; returns the jobs run. ``conn`` must be in autocommit mode."""
    ran: list[str] = []
    if _due(conn, "incidents", now, INCIDENT_EVERY) and \
            _run(conn, "incidents", lambda: incident_job.run_incidents(conn, now)):
        ran.append("incidents")
    if _due(conn, "struggling_recent", now, RECENT_EVERY) and _run(conn, "recent", lambda: run_recent(conn, now)):
        ran.append("recent")
    hour = now.replace(minute=0, second=0, microsecond=0)
    last_cohorts = findings_store.last_run(conn, "cohorts_hourly")
    if now - hour >= PREVIOUS_HOUR_GRACE and (last_cohorts is None or last_cohorts < hour or last_cohorts > now) \
            and _run(conn, "cohorts_hourly", lambda: cohort_job.run_hourly(conn, now)):
        ran.append("cohorts_hourly")
    day = (now - DAILY_DELAY).date() - timedelta(days=1)
    day_end = datetime.combine(day + timedelta(days=1), time(), UTC)
    last_daily = findings_store.last_run(conn, "daily")
    if (last_daily is None or last_daily < day_end) and _run(conn, "daily", lambda: run_daily(conn, day)):
        ran.append("daily")
    return ran
