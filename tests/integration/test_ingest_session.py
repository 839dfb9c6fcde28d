"""Throwaway ingest workers leave nothing behind on the broker: their sessions are short, and can be dropped."""

from __future__ import annotations

import sys
from pathlib import Path

import psycopg
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest_support import TEST_SESSION_EXPIRY_S, home, ingest_thread, publisher, settings_for, wait_for
from porchlight_cloud.cli import main

pytestmark = pytest.mark.integration
__all__ = ["publisher"]
END = 1_767_225_600


def _seqs(db_url: str) -> list[int]:
    with psycopg.connect(db_url, autocommit=True) as conn:
        return [row[0] for row in conn.execute("SELECT seq FROM reports ORDER BY seq")]


def test_a_stopped_worker_keeps_its_queue_until_its_session_is_forgotten(db_url, mqtt, publisher):
    settings = settings_for(db_url, mqtt)
    assert settings.session_expiry_s == TEST_SESSION_EXPIRY_S
    h = home(1)
    with ingest_thread(settings, forget_session=False):
        pass                                                    # subscribed once: the broker keeps a session
    for seq in (0, 1):
        publisher.report(h.report(END + 300 * seq, seq=seq))   # queued for the stopped worker
    publisher.flush()
    with ingest_thread(settings, forget_session=False):
        wait_for(lambda: _seqs(db_url) == [0, 1], what="the queued reports after the restart")
    for seq in (2, 3):
        publisher.report(h.report(END + 300 * seq, seq=seq))   # queued again...
    publisher.flush()
    assert main(["ingest", "--forget-session", "--client-id", settings.client_id, "--mqtt-host",
                 settings.mqtt_host, "--mqtt-port", str(settings.mqtt_port)]) == 0   # ...and dropped
    with ingest_thread(settings) as consumer:
        received_before = consumer.metrics.get("messages_received_total")   # metrics survive restarts
        publisher.report(h.report(END + 300 * 4, seq=4))
        publisher.flush()
        wait_for(lambda: 4 in _seqs(db_url), what="the report sent after the session was forgotten")
    assert _seqs(db_url) == [0, 1, 4]
    assert consumer.metrics.get("messages_received_total") == received_before + 1
