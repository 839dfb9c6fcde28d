"""Crashes and outages lose nothing and double nothing: a killed worker, a stopped database, many workers."""

from __future__ import annotations

import signal
import sys
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import psycopg
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest_support import (
    Publisher,
    home,
    ingest_thread,
    scalar,
    settings_for,
    throwaway_pg,
    wait_for,
    worker_process,
)
from porchlight_cloud.ingest import session

pytestmark = pytest.mark.integration
__all__ = ["throwaway_pg"]
END = 1_767_225_600


def _stored_once(db_url: str) -> tuple[int, int]:
    """(rows in the ledger, distinct report identities)."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        return conn.execute("SELECT count(*), count(DISTINCT (boot_key, seq)) FROM reports").fetchone()


def test_a_worker_killed_mid_batch_loses_nothing_and_stores_nothing_twice_after_restart(db_url, mqtt, tmp_path):
    settings = settings_for(db_url, mqtt, batch_max=100, receive_maximum=200, batch_wait_ms=200)
    homes = [home(i) for i in range(50)]
    docs = [h.report(END + 300 * k) for k in range(30) for h in homes]   # 1,500 reports
    worker = worker_process(settings, tmp_path / "worker.log")
    publisher = Publisher(mqtt)
    try:
        wait_for(lambda: scalar(db_url, "SELECT count(*) FROM ingest_workers"), what="the worker to start")

        def publish_all() -> None:
            for doc in docs:
                publisher.report(doc)
            publisher.flush()

        # Published while the worker is killed, so it dies with a stream in flight (on a quiet machine it once drained
        # all 1,500 between the end of publishing and the kill); the rest waits at the broker for its session.
        sender = threading.Thread(target=publish_all)
        sender.start()
        wait_for(lambda: scalar(db_url, "SELECT count(*) FROM reports") >= 200, what="some reports stored")
        worker.send_signal(signal.SIGKILL)   # no goodbye: the in-flight batch is neither committed nor acked
        worker.wait(10)
        killed_at = scalar(db_url, "SELECT count(*) FROM reports")
        assert killed_at < len(docs), "the worker finished before it was killed: nothing was tested"
        sender.join(60)
        worker = worker_process(settings, tmp_path / "worker.log")   # same client id: same broker session
        wait_for(lambda: scalar(db_url, "SELECT count(*) FROM reports") >= len(docs), 60, "every report")
        time.sleep(0.5)   # anything redelivered late must turn out a duplicate
    finally:
        worker.terminate()
        worker.wait(10)
        publisher.close()
        session.forget(settings)
    assert _stored_once(db_url) == (len(docs), len(docs))


def test_workers_sharing_a_subscription_split_the_load_and_store_each_report_once(db_url, mqtt):
    group = settings_for(db_url, mqtt).share_group
    homes = [home(i) for i in range(30)]
    docs = [h.report(END + 300 * k) for k in range(20) for h in homes]   # 600 reports
    with ExitStack() as stack:
        consumers = [stack.enter_context(ingest_thread(settings_for(db_url, mqtt, share_group=group,
                                                                    client_id=f"{group}-w{i}")))
                     for i in range(3)]
        publisher = Publisher(mqtt)
        for doc in docs:
            publisher.report(doc)
        publisher.close()
        wait_for(lambda: scalar(db_url, "SELECT count(*) FROM reports") >= len(docs), 60, "every report")
        time.sleep(0.3)
    shares = [c.metrics.get("messages_stored_total") for c in consumers]
    assert all(share > 0 for share in shares), f"a worker got nothing: {shares}"
    assert sum(shares) == len(docs)
    assert _stored_once(db_url) == (len(docs), len(docs))


def test_a_database_outage_stops_acknowledgement_keeps_memory_bounded_and_loses_nothing(throwaway_pg, mqtt):
    settings = settings_for(throwaway_pg.url, mqtt, batch_max=20, receive_maximum=40, batch_wait_ms=100)
    homes = [home(i) for i in range(20)]
    docs = [h.report(END + 300 * k) for k in range(25) for h in homes]   # 500 reports, 50/s for 10 s
    peak_inbox = [0]
    with ingest_thread(settings) as consumer:
        publisher = Publisher(mqtt)
        done = threading.Event()

        def stream() -> None:
            for doc in docs:
                publisher.report(doc)
                time.sleep(0.02)
            done.set()

        def watch() -> None:
            while not done.is_set() or consumer.metrics.get("messages_stored_total") < len(docs):
                peak_inbox[0] = max(peak_inbox[0], consumer._inbox.qsize())
                time.sleep(0.01)
                if consumer.stop.is_set():
                    return

        threads = [threading.Thread(target=stream), threading.Thread(target=watch, daemon=True)]
        for t in threads:
            t.start()
        time.sleep(2.5)
        throwaway_pg.stop()
        stored_when_stopped = consumer.metrics.get("messages_stored_total")
        time.sleep(4)
        assert consumer.metrics.get("messages_stored_total") == stored_when_stopped   # nothing acked meanwhile
        throwaway_pg.start()
        threads[0].join(30)
        publisher.close()
        wait_for(lambda: consumer.metrics.get("messages_stored_total") >= len(docs), 60, "every report")
    assert consumer.metrics.get("db_errors_total") > 0
    assert peak_inbox[0] <= settings.receive_maximum
    assert _stored_once(throwaway_pg.url) == (len(docs), len(docs))
