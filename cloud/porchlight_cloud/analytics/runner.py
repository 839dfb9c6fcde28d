"""Runs the analytics schedule inside the cloud service (``porchlight serve``): every minute it runs whatever
is due (incidents every minute, the near-real-time struggling list every five, the daily lists once a day).

An advisory lock makes one API process at a time do it, however many run.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import Final

import psycopg

from . import schedule

log = logging.getLogger(__name__)
ANALYTICS_LOCK: Final = 0x706C616E  # "plan"


class AnalyticsRunner(threading.Thread):
    """Background thread calling ``schedule.run_scheduled`` every ``every_s`` seconds until ``stop`` is set."""

    def __init__(self, db_url: str, stop: threading.Event, every_s: float = 60.0) -> None:
        super().__init__(name="porchlight-analytics", daemon=True)
        self.db_url = db_url
        self.stop = stop
        self.every_s = every_s

    def run(self) -> None:
        """Loop until stopped; a database error is logged and the next round tries again."""
        while not self.stop.wait(self.every_s):
            self.run_once(datetime.now(UTC))

    def run_once(self, now: datetime) -> list[str]:
        """Run what is due at ``now`` if this process holds the lock; returns the jobs run."""
        try:
            with psycopg.connect(self.db_url, autocommit=True, connect_timeout=10) as conn:
                got = conn.execute("SELECT pg_try_advisory_lock(%s)", (ANALYTICS_LOCK,)).fetchone()
                if not got or not got[0]:
                    return []
                ran = schedule.run_scheduled(conn, now)
        except psycopg.Error as exc:
            log.warning("event=analytics_failed error=%r", str(exc)[:200])
            return []
        if ran:
            log.info("event=analytics_ran jobs=%s", ",".join(ran))
        return ran
