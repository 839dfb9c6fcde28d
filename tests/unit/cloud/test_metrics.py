"""Ingest metrics: per-worker counters, summed across workers into Prometheus text."""

from porchlight_cloud.ingest.metrics import Metrics, render


def test_workers_snapshots_add_up_and_lag_takes_the_worst_worker():
    a, b = Metrics(), Metrics()
    a.inc("messages_received_total", 3)
    b.inc("messages_received_total", 2)
    a.inc("messages_quarantined_total", labels={"reason": "oversized"})
    b.inc("messages_quarantined_total", labels={"reason": "oversized"})
    a.observe_batch(0.02)
    b.observe_batch(3.0)
    a.set_lag(12.5)
    b.set_lag(4.0)
    text = render([a.snapshot(), b.snapshot()], live_workers=2)
    assert "porchlight_ingest_messages_received_total 5" in text
    assert 'porchlight_ingest_messages_quarantined_total{reason="oversized"} 2' in text
    assert 'porchlight_ingest_batch_seconds_bucket{le="0.025"} 1' in text
    assert 'porchlight_ingest_batch_seconds_bucket{le="+Inf"} 2' in text
    assert "porchlight_ingest_lag_seconds 12.5" in text
    assert "porchlight_ingest_workers 2" in text
    assert "# TYPE porchlight_ingest_batch_seconds histogram" in text


def test_a_restarted_worker_continues_its_counters_from_its_snapshot():
    m = Metrics()
    m.inc("messages_stored_total", 7)
    m.observe_batch(0.1)
    again = Metrics.from_snapshot(m.snapshot())
    again.inc("messages_stored_total")
    assert again.get("messages_stored_total") == 8 and again.batch_count == 1


def test_counters_never_incremented_are_still_exposed_at_zero():
    assert "porchlight_ingest_db_errors_total 0" in render([])
