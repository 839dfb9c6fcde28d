"""The incident job (every minute): read each home's latest probe results, detect, reconcile, store."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import dict_row

from . import findings_store, incidents
from .queries import sql

log = logging.getLogger(__name__)
#: Probe rows looked at: the latest report of each home lies in here.
WINDOW = timedelta(minutes=30)
#: How far back a home's last report is looked for (an outage longer than this drops the home from its group).
LOOKBACK = timedelta(hours=6)


def _float(v: Any) -> float | None:
    return float(v) if v is not None else None


def home_states(conn: psycopg.Connection[Any], now: datetime) -> list[incidents.HomeState]:
    """Every home that reported in the last LOOKBACK, with its latest probe results and normal round trip."""
    params = {"now": now, "window": WINDOW, "lookback": LOOKBACK, "stale": incidents.STALE_AFTER,
              "loss_pct": 2 * incidents.DEGRADED_LOSS_PCT, "min_lost": incidents.DEGRADED_MIN_LOST,
              "rtt_factor": incidents.DEGRADED_RTT_FACTOR,
              "rtt_extra_ms": incidents.DEGRADED_RTT_EXTRA_MS,
              "excess_rise_ms": incidents.EXCESS_RISE_MS, "excess_rise_share": incidents.EXCESS_RISE_SHARE}
    with conn.cursor(row_factory=dict_row) as cur:
        return [incidents.HomeState(r["home_id"], r["region"], r["area"], r["node"], r["last_report"],
                                    r["lost"], r["sent"],
                                    float(r["rtt_ms"]) if r["rtt_ms"] is not None else None,
                                    float(r["normal_rtt_ms"]) if r["normal_rtt_ms"] is not None else None,
                                    r["first_bad"], _float(r["first_hop_rtt_ms"]),
                                    _float(r["normal_excess_ms"]))
                for r in cur.execute(sql("incident_home_states"), params)]


def run_incidents(conn: psycopg.Connection[Any], now: datetime) -> list[incidents.Incident]:
    """Detect regional incidents at ``now`` and carry the open ones forward; returns the incidents changed."""
    run_id = findings_store.start_run(conn, "incidents", now)
    states = home_states(conn, now)
    candidates = incidents.detect(states, now)
    changed = incidents.reconcile(findings_store.open_incidents(conn), candidates, now)
    saved = findings_store.save_incidents(conn, changed, now)
    detail = {"homes": len(states), "candidates": len(candidates),
              "opened": sum(1 for i, c in zip(saved, changed, strict=True) if c.incident_id is None),
              "closed": sum(1 for i in saved if not i.is_open)}
    findings_store.finish_run(conn, run_id, "ok", detail)
    for inc in saved:
        log.info("event=incident id=%s cause=%s level=%s area=%s homes=%d open=%s", inc.incident_id, inc.cause,
                 inc.level, inc.area, len(inc.homes), inc.is_open)
    return saved
