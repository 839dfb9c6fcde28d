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


def home_values(conn: psycopg.Connection[Any], start: datetime, end: datetime) -> list[cohorts.HomeCohortValues]:
    """Every home's cohort and mean residual per component over [start, end)."""
    out = []
    for r in conn.execute(sql("cohort_residuals"), {"start": start, "end": end}):
        values = {c: float(v) for c, v in zip(cohorts.ALL_QUANTITIES, r[3:10], strict=True) if v is not None}
        out.append(cohorts.HomeCohortValues(str(r[0]), r[1], r[2], values))
    return out


#: The days before the analysed period that each home's change is measured against.
BEFORE_DAYS = 3


def run_daily(conn: psycopg.Connection[Any], day: date, days: int = 1) -> list[cohorts.CohortFinding]:
    """Cohorts significantly worse over the ``days`` days ending with ``day`` (in level, or in change against the
    BEFORE_DAYS days before); stored as the day's cohort list."""
    end = datetime.combine(day + timedelta(days=1), time(), UTC)
    start = end - timedelta(days=days)
    run_id = findings_store.start_run(conn, "cohorts", end, {"day": day.isoformat(), "days": days})
    homes = home_values(conn, start, end)
    before = home_values(conn, start - timedelta(days=BEFORE_DAYS), start)
    found = cohorts.analyse_with_change(homes, before)
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
    log.info("event=cohorts day=%s homes=%d findings=%d", day, len(homes), len(found))
    return found
