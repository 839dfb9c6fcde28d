"""The scheduled jobs an ingest process also runs: rollups every minute, retention and compaction hourly.

Each job takes a PostgreSQL advisory lock first, so with many ingest workers exactly one of them runs a
job at a time and the others skip that round.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Final

import psycopg

from ..config import Settings
from ..store import compaction, retention, rollups

log = logging.getLogger(__name__)
ROLLUP_LOCK: Final = 0x706C7275      # "plru"
RETENTION_LOCK: Final = 0x706C7274   # "plrt"


class Maintenance(threading.Thread):
    """Background thread running the rollup and retention jobs until ``stop`` is set."""

    def __init__(self, settings: Settings, stop: threading.Event) -> None:
        super().__init__(name="porchlight-maintenance", daemon=True)
        self.settings = settings
        self.stop = stop

    def run(self) -> None:
        """Loop: roll up every rollup_interval_s, apply retention every retention_interval_s."""
        next_rollup = time.monotonic() + 5.0
        next_retention = time.monotonic() + 30.0
        while not self.stop.wait(1.0):
            now = time.monotonic()
            if now >= next_rollup:
                self._locked(ROLLUP_LOCK, "rollup", self._rollup)
                next_rollup = time.monotonic() + self.settings.rollup_interval_s
            if now >= next_retention:
                self._locked(RETENTION_LOCK, "retention", self._retention)
                next_retention = time.monotonic() + self.settings.retention_interval_s

    def _rollup(self, conn: psycopg.Connection[object]) -> None:
        done = rollups.run(conn, grace_s=self.settings.rollup_grace_s, stop=self.stop)
        if done:
            log.info("event=rollup buckets=%d", done)

    def _retention(self, conn: psycopg.Connection[object]) -> None:
        dropped = retention.apply(conn, retention.Periods.from_settings(self.settings))
        compacted = 0 if retention.licensed(conn) else compaction.compact(conn)
        if dropped or compacted:
            log.info("event=retention dropped_chunks=%d compacted_chunks=%d", dropped, compacted)

    def _locked(self, key: int, name: str, job: object) -> None:
        try:
            with psycopg.connect(self.settings.db_url, autocommit=True, connect_timeout=10) as conn:
                got = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
                if not got or not got[0]:
                    return
                job(conn)  # type: ignore[operator]
        except psycopg.Error as exc:
            log.warning("event=%s_failed error=%r", name, str(exc)[:200])
