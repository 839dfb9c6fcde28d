"""The ingest worker talks to the broker over TLS, verifying it with the configured CA file."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest_support import home, ingest_thread, publisher, settings_for, wait_for

pytestmark = pytest.mark.integration
__all__ = ["publisher"]


def test_a_worker_connected_over_tls_stores_reports(db_url, mqtt, publisher):
    if not mqtt.ca_file.exists():
        pytest.skip("the broker's TLS material is missing (scripts/services up creates it)")
    settings = settings_for(db_url, mqtt, mqtt_port=mqtt.tls_port, mqtt_tls=True, mqtt_ca_file=str(mqtt.ca_file))
    h = home(1)
    with ingest_thread(settings) as consumer:
        publisher.report(h.report(1_767_225_600))
        publisher.flush()
        wait_for(lambda: consumer.metrics.get("messages_stored_total") == 1, what="the report over TLS")
        assert consumer.metrics.get("messages_quarantined_total", 0) == 0
