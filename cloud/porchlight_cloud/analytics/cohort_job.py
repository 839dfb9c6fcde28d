"""The cohort job (daily): stratified per-home residuals in SQL, the tests in Python, findings stored."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import psycopg

from . import cohorts, findings_store
from .findings_store import FindingRow
from .queries import sql

log = logging.getLogger(__name__)


def home_values(conn: psycopg.Connection[Any], start: datetime, end: datetime,
                query: str = "cohort_residuals") -> list[cohorts.HomeCohortValues]:
    """Every home's cohort and mean (or, with ``query="cohort_residuals_median"``, median) residual per component
    over [start, end)."""
    out = []
    for r in conn.execute(sql(query), {"start": start, "end": end}):
        values = {c: float(v) for c, v in zip(cohorts.ALL_QUANTITIES, r[3:10], strict=True) if v is not None}
        out.append(cohorts.HomeCohortValues(str(r[0]), r[1], r[2], values))
    return out


#: The days before the analysed period that each home's change is measured against.
BEFORE_DAYS = 3


#: The hourly pass looks at the last this many complete hours (a rollout's first evening is enough to see it) ...
HOURLY_WINDOW = timedelta(hours=6)
#: ... and is one of this many looks a day at the same question (its significance level is split over them).
HOURLY_LOOKS = 24


def run_daily(conn: psycopg.Connection[Any], day: date, days: int = 1) -> list[cohorts.CohortFinding]:
    """Cohorts significantly worse over the ``days`` days ending with ``day`` (in level, or in change against the
    BEFORE_DAYS days before); stored as the day's cohort list."""
    end = datetime.combine(day + timedelta(days=1), time(), UTC)
    return _run(conn, "cohorts", day, end - timedelta(days=days), end, 1, "cohort_residuals")


def run_hourly(conn: psycopg.Connection[Any], now: datetime) -> list[cohorts.CohortFinding]:
    """The same tests over the last HOURLY_WINDOW of complete hours before ``now`` (each home's change against
    the BEFORE_DAYS days before it), at the significance level split over HOURLY_LOOKS looks a day; stored in the
    cohort list of the day the window ends in, so a bad rollout is named within hours, not the next morning.
    Each home counts by its median hour (a good rollout's one upgrade reboot is one hour of the six, not a defect)."""
    end = now.replace(minute=0, second=0, microsecond=0)
    return _run(conn, "cohorts_hourly", (end - timedelta(seconds=1)).date(), end - HOURLY_WINDOW, end,
                HOURLY_LOOKS, "cohort_residuals_median")


def _run(conn: psycopg.Connection[Any], job: str, day: date, start: datetime, end: datetime,
         looks: int, query: str) -> list[cohorts.CohortFinding]:
    run_id = findings_store.start_run(conn, job, end, {"day": day.isoformat(), "start": start.isoformat()})
    homes = home_values(conn, start, end, query)
    before = home_values(conn, start - timedelta(days=BEFORE_DAYS), start, query)
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
