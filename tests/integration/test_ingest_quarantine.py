"""Bad messages land in quarantine with the right reason, are counted, and never stop the good ones."""

from __future__ import annotations

import os
import sys
import zlib
from pathlib import Path

import psycopg
import pytest
import zstandard
from fastapi.testclient import TestClient
from porchlight_wire import Encoder, topic_for
from porchlight_wire.codec import ENVELOPE, MAGIC

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest_support import home, ingest_thread, publisher, settings_for, wait_for
from porchlight_cloud.api.app import create_app

pytestmark = pytest.mark.integration
__all__ = ["publisher"]
END = 1_767_225_600


def _envelope(codec: int, dict_id: int, body: bytes) -> bytes:
    return ENVELOPE.pack(MAGIC, 1, codec, dict_id) + body


def test_each_kind_of_bad_message_is_quarantined_with_its_reason_and_good_ones_around_it_are_stored(
        db_url, mqtt, publisher):
    good = home(1)
    other = home(2)
    topic = topic_for(good.home_id, good.gateway_id, "report", mqtt.root)
    valid = good.report(END)  # seq 0, used as a template for the bad ones
    zstd_plain = zstandard.ZstdCompressor(level=3, write_content_size=True)
    bad = {
        "malformed_json": (topic, _envelope(0, 0, b'{"schema": "1.0", "header": ')),
        "unsupported_version": (topic, Encoder().encode({**valid, "schema": "9.0"})),
        "truncated_or_corrupt": (topic, Encoder(prefer="zstd").encode(valid)[:-40]),
        "decompression_bomb": (topic, _envelope(2, 0, zstd_plain.compress(b"\0" * (16 * 1024 * 1024)))),
        "decompression_bomb/zlib": (topic, _envelope(1, 0, zlib.compress(b"0" * (16 * 1024 * 1024), 9))),
        "unknown_dictionary": (topic, _envelope(3, 424242, b"\x28\xb5\x2f\xfd" + os.urandom(64))),
        "topic_mismatch": (topic_for(other.home_id, good.gateway_id, "report", mqtt.root), Encoder().encode(valid)),
        "oversized": (topic, _envelope(0, 0, os.urandom(300 * 1024))),
        "bad_envelope": (topic, b"NOT A PORCHLIGHT MESSAGE"),
        "schema_invalid": (topic, Encoder().encode({**valid, "health": {"samples": [1, 2], "cpu_pct": [1.0]}})),
    }
    with ingest_thread(settings_for(db_url, mqtt)) as consumer:
        publisher.report(valid)
        for bad_topic, payload in bad.values():
            publisher.send(bad_topic, payload)
            publisher.report(good.report(END + 300 * (good.seq + 1)))  # a good one after every bad one
        # A forged home: the gateway is already bound to good's home and now claims another one.
        forged = good.report(END + 300 * (good.seq + 1))
        forged["header"]["home_id"] = other.home_id
        publisher.report(forged)
        publisher.report(good.report(END + 300 * (good.seq + 1)))
        publisher.flush()
        expected_good = good.seq - 1  # one seq was spent on the forged report
        wait_for(lambda: consumer.metrics.get("messages_received_total") >= expected_good + len(bad) + 1,
                 what="every message to be processed")

    with psycopg.connect(db_url, autocommit=True) as conn:
        stored = conn.execute("SELECT count(*) FROM reports").fetchone()[0]
        reasons = dict(conn.execute("SELECT reason, count(*) FROM quarantine GROUP BY reason").fetchall())
        kept = conn.execute("SELECT topic, length(payload), detail FROM quarantine WHERE reason = 'oversized'"
                            ).fetchone()
    assert stored == expected_good
    assert reasons == {
        "malformed_json": 1, "unsupported_version": 1, "truncated_or_corrupt": 1, "decompression_bomb": 2,
        "unknown_dictionary": 1, "topic_mismatch": 1, "oversized": 1, "bad_envelope": 1, "schema_invalid": 1,
        "gateway_home_mismatch": 1,
    }
    assert kept[0] == topic and kept[1] > 300 * 1024 and "exceeds" in kept[2]  # the raw bytes are kept
    assert consumer.metrics.get("messages_quarantined_total", {"reason": "decompression_bomb"}) == 2

    with TestClient(create_app(db_url=db_url)) as api:
        text = api.get("/metrics").text
    assert 'porchlight_ingest_messages_quarantined_total{reason="gateway_home_mismatch"} 1' in text
    assert f"porchlight_ingest_messages_stored_total {expected_good}" in text


def test_a_report_the_database_cannot_hold_is_quarantined_alone(db_url, mqtt, publisher):
    good = home(3)
    # Valid JSON and schema, but PostgreSQL text refuses a NUL character.
    doc = good.report(END, extra_sections={"events": [{"ts": END - 10, "kind": "connect", "detail": "nul\u0000"}]})
    with ingest_thread(settings_for(db_url, mqtt)) as consumer:
        publisher.report(doc)
        publisher.report(good.report(END + 300))
        publisher.flush()
        wait_for(lambda: consumer.metrics.get("messages_received_total") >= 2, what="both messages")
    with psycopg.connect(db_url, autocommit=True) as conn:
        assert conn.execute("SELECT seq FROM reports").fetchall() == [(1,)]
        assert conn.execute("SELECT reason FROM quarantine").fetchall() == [("store_rejected",)]


def test_a_huge_counter_is_quarantined_as_schema_invalid(db_url, mqtt, publisher):
    good = home(4)
    doc = good.report(END)
    doc["health"]["wan_rx_bytes"][0] = 2**70
    with ingest_thread(settings_for(db_url, mqtt)) as consumer:
        publisher.report(doc)
        publisher.flush()
        wait_for(lambda: consumer.metrics.get("messages_received_total") >= 1, what="the message")
    with psycopg.connect(db_url, autocommit=True) as conn:
        assert conn.execute("SELECT reason FROM quarantine").fetchall() == [("schema_invalid",)]
