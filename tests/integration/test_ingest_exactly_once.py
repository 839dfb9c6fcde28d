"""Each report is stored once, however often it arrives; missing sequence numbers are recorded as gaps."""

from __future__ import annotations

import sys
from pathlib import Path

import psycopg
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest_support import home, ingest_thread, publisher, settings_for, wait_for
from porchlight_cloud.store.gateways import gaps_of_gateway

pytestmark = pytest.mark.integration
__all__ = ["publisher"]
END = 1_767_225_600


def _gaps(db_url: str, gateway_id: str) -> list[tuple[int, int]]:
    with psycopg.connect(db_url, autocommit=True) as conn:
        return [(low, high) for _, low, high in gaps_of_gateway(conn, gateway_id)]


def test_replayed_reports_are_stored_once_and_gaps_open_and_close_as_late_reports_arrive(db_url, mqtt, publisher):
    h = home(1)
    docs = {seq: h.report(END + 300 * seq, seq=seq) for seq in range(8)}
    with ingest_thread(settings_for(db_url, mqtt)) as consumer:
        for seq in (0, 1, 2, 1, 2, 2):          # replays, also inside one batch
            publisher.report(docs[seq])
        publisher.report(docs[5])               # 3 and 4 are missing
        publisher.flush()
        wait_for(lambda: consumer.metrics.get("messages_received_total") >= 7, what="the first reports")
        assert _gaps(db_url, h.gateway_id) == [(3, 4)]

        publisher.report(docs[3])               # late: the gap shrinks
        publisher.flush()
        wait_for(lambda: _gaps(db_url, h.gateway_id) == [(4, 4)], what="the gap to shrink")
        publisher.report(docs[4])
        publisher.report(docs[3])               # and a replay of a late one
        publisher.flush()
        wait_for(lambda: consumer.metrics.get("messages_received_total") >= 10, what="the late reports")

    with psycopg.connect(db_url, autocommit=True) as conn:
        seqs = [s for (s,) in conn.execute("SELECT seq FROM reports ORDER BY seq")]
        gateway = conn.execute("SELECT last_boot_id, last_seq FROM gateways WHERE gateway_id = %s",
                               (h.gateway_id,)).fetchone()
    assert seqs == [0, 1, 2, 3, 4, 5]
    assert _gaps(db_url, h.gateway_id) == []
    assert gateway == (h.boot_id, 5)
    assert consumer.metrics.get("messages_duplicate_total") == 4
    assert consumer.metrics.get("messages_stored_total") == 6
    assert consumer.metrics.get("report_gaps_opened_total") == 2
    assert consumer.metrics.get("report_gaps_closed_total") == 2


def test_a_new_boot_restarts_the_sequence_without_a_false_gap(db_url, mqtt, publisher):
    h = home(2)
    with ingest_thread(settings_for(db_url, mqtt)) as consumer:
        publisher.report(h.report(END, seq=0))
        publisher.report(h.report(END + 300, seq=1))
        h.boot_id = "boot-after-reboot"
        publisher.report(h.report(END + 600, seq=0))
        publisher.flush()
        wait_for(lambda: consumer.metrics.get("messages_stored_total") >= 3, what="three reports")
    assert _gaps(db_url, h.gateway_id) == []
