"""Homes from the subscriber system, dictionaries the cloud issued, retention and compaction of old chunks."""

from __future__ import annotations

import sys
import time
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
import zstandard
from fastapi.testclient import TestClient
from porchlight_wire import Decoder, Encoder, json_bytes, topic_for

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest_support import home, ingest_thread, publisher, settings_for, wait_for
from porchlight_cloud import cli
from porchlight_cloud.api.app import create_app
from porchlight_cloud.ingest.decode import Incoming, decode
from porchlight_cloud.ingest.rows import summarize
from porchlight_cloud.ingest.writer import Writer
from porchlight_cloud.store import compaction, dictionaries, retention

pytestmark = pytest.mark.integration
__all__ = ["publisher"]


def _write_docs(conn: psycopg.Connection, docs: list[dict]) -> None:
    decoder, encoder = Decoder(), Encoder()
    Writer(conn).write([summarize(decode(Incoming(
        topic_for(d["header"]["home_id"], d["header"]["gateway_id"], "report", "t/v1"), encoder.encode(d),
        time.time()), decoder)) for d in docs], [])


def test_homes_import_sets_subscriber_facts_binds_gateways_and_rebinding_moves_a_gateway(db_url, mqtt, publisher,
                                                                                        tmp_path):
    first, second = home(1), home(2)
    first.gateway_id = "gw-moving"
    csv_file = tmp_path / "homes.csv"
    csv_file.write_text("home_id,subscriber_ref,region,area,node,plan,tenure_start,gateway_id\n"
                        f"{first.home_id},S-1,north,n1,olt-7/pon-3,fiber-500,2024-03-01,gw-moving\n"
                        f"{second.home_id},S-2,south,s4,olt-2/pon-1,fiber-100,,\n")
    assert cli.main(["homes", "import", str(csv_file), "--db-url", db_url]) == 0

    with ingest_thread(settings_for(db_url, mqtt)) as consumer:
        publisher.report(first.report(1_767_225_600))
        publisher.flush()
        wait_for(lambda: consumer.metrics.get("messages_stored_total") == 1, what="the first home's report")
        # The ISP re-assigns the gateway to the second home: its reports for the second home are now the right ones.
        csv_file.write_text(f"home_id,gateway_id\n{second.home_id},gw-moving\n")
        assert cli.main(["homes", "import", str(csv_file), "--db-url", db_url]) == 0
        moved = second.report(1_767_225_900)
        moved["header"]["gateway_id"] = "gw-moving"
        stale = first.report(1_767_226_200)
        publisher.report(moved)
        publisher.report(stale)
        publisher.flush()
        wait_for(lambda: consumer.metrics.get("messages_received_total") == 3, what="the reports after the move")

    assert consumer.metrics.get("messages_stored_total") == 2
    assert consumer.metrics.get("messages_quarantined_total", {"reason": "gateway_home_mismatch"}) == 1
    with TestClient(create_app(db_url=db_url)) as api:
        one = api.get(f"/api/v1/homes/{first.home_id}").json()
        two = api.get(f"/api/v1/homes/{second.home_id}").json()
    assert (one["region"], one["area"], one["node"], one["plan"], one["tenure_start"], one["subscriber_ref"]) == (
        "north", "n1", "olt-7/pon-3", "fiber-500", "2024-03-01", "S-1")
    assert one["gateways"] == [] and [g["gateway_id"] for g in two["gateways"]] == ["gw-moving"]
    assert len(one["devices"]) == 8 and two["devices"][0]["hostname"] == "phone-0"


def test_a_report_compressed_with_a_dictionary_the_cloud_issued_earlier_is_decoded(db_url, mqtt, publisher):
    h = home(3)
    samples = [json_bytes(home(i, "d").report(1_767_225_600 + 300 * k)) for i in range(20) for k in range(10)]
    data = zstandard.train_dictionary(8192, samples, dict_id=2_000_000_001).as_bytes()
    with psycopg.connect(db_url, autocommit=True) as conn:
        assert dictionaries.add(conn, data) == 2_000_000_001   # issued long ago, no longer shipped
    with ingest_thread(settings_for(db_url, mqtt)) as consumer:
        publisher.report(h.report(1_767_225_600), encoder=Encoder(dictionary=data))
        publisher.flush()
        wait_for(lambda: consumer.metrics.get("messages_received_total") == 1, what="the report")
    assert consumer.metrics.get("messages_stored_total") == 1


def test_retention_drops_only_chunks_older_than_each_tables_period_and_compaction_rebuilds_closed_chunks(db_url):
    now = int(time.time())
    h = home(4)
    with psycopg.connect(db_url, autocommit=True) as conn:
        _write_docs(conn, [h.report(now - 20 * 86_400), h.report(now - 2 * 86_400)])
        conn.execute("INSERT INTO home_hourly (home_key, bucket, reports) SELECT home_key, b, 1 FROM homes, "
                      "unnest(ARRAY[now() - interval '100 days', now() - interval '20 days']) AS b")
        conn.execute("INSERT INTO device_sightings (home_key, device_key, day, first_seen, last_seen) "
                     "SELECT home_key, -home_key, b, b, b FROM homes, "
                     "unnest(ARRAY[now() - interval '130 days', now() - interval '20 days']) AS b")
        conn.execute("INSERT INTO quarantine (received_at, topic, reason, payload) VALUES "
                     "(now() - interval '40 days', 't', 'oversized', '\\x00'), (now(), 't', 'oversized', '\\x00')")
        dropped = retention.apply(conn, retention.Periods(raw=timedelta(days=14), hourly=timedelta(days=90),
                                                          quarantine=timedelta(days=30)))
        left = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("reports", "home_hourly", "quarantine")}
        left["device_sightings"] = conn.execute(
            "SELECT count(*) FROM device_sightings WHERE device_key < 0").fetchone()[0]
        compacted = compaction.compact(conn, older_than_s=3600)
        again = compaction.compact(conn, older_than_s=3600)
        fill = conn.execute("SELECT reloptions FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid "
                            "JOIN timescaledb_information.chunks k ON i.indrelid = "
                            "(k.chunk_schema || '.' || k.chunk_name)::regclass "
                            "WHERE k.hypertable_name = 'reports' "
                            "AND k.range_end <= now() - interval '1 hour'").fetchall()
    assert dropped >= 3
    assert left == {"reports": 1, "home_hourly": 1, "quarantine": 1, "device_sightings": 1}
    assert compacted >= 1 and again == 0
    assert fill and all(opts == ["fillfactor=100"] for (opts,) in fill)


def test_the_inventory_keeps_each_devices_sightings_day_by_day(db_url):
    # Full inventories on two days: one in the morning of the first, two on the second (morning and evening). The
    # device table keeps the latest sighting; device_sightings keeps each day's first and last, which is what a
    # job judging the first day reads as "last seen by then".
    h = home(5)
    day0 = (int(time.time()) // 86_400 - 3) * 86_400
    seen = [day0 + 10 * 3600, day0 + 86_400 + 8 * 3600, day0 + 86_400 + 20 * 3600]
    with psycopg.connect(db_url, autocommit=True) as conn:
        for seq, ts in zip((0, 12, 24), seen, strict=True):
            _write_docs(conn, [h.report(ts, seq=seq)])
        rows = conn.execute(
            "SELECT d.mac, extract(epoch FROM s.day)::bigint, extract(epoch FROM s.first_seen)::bigint, "
            "extract(epoch FROM s.last_seen)::bigint FROM device_sightings s JOIN devices d USING (device_key) "
            "JOIN homes h ON h.home_key = d.home_key WHERE h.home_id = %s ORDER BY 1, 2", (h.home_id,)).fetchall()
        latest = conn.execute("SELECT DISTINCT extract(epoch FROM d.last_seen)::bigint FROM devices d "
                              "JOIN homes USING (home_key) WHERE home_id = %s", (h.home_id,)).fetchall()
    macs = sorted(d["mac"] for d in h.devices)
    assert rows == [(mac, day, first, last) for mac in macs
                    for day, first, last in ((day0, seen[0], seen[0]), (day0 + 86_400, seen[1], seen[2]))]
    assert latest == [(seen[2],)]
