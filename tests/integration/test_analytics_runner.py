"""The cloud service runs the analytics schedule by itself; one process at a time."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import psycopg
import pytest
from porchlight_cloud.analytics.runner import ANALYTICS_LOCK, AnalyticsRunner

pytestmark = pytest.mark.integration


def test_the_service_runs_the_due_jobs_and_records_them(db_url: str) -> None:
    runner = AnalyticsRunner(db_url, threading.Event())
    ran = runner.run_once(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    assert "incidents" in ran
    with psycopg.connect(db_url) as conn:
        row = conn.execute("SELECT count(*) FROM analysis_runs").fetchone()
    assert row is not None and row[0] >= len(ran)


def test_a_second_service_skips_the_round_while_another_holds_the_lock(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (ANALYTICS_LOCK,))
        assert AnalyticsRunner(db_url, threading.Event()).run_once(datetime(2026, 3, 2, 12, 0, tzinfo=UTC)) == []
