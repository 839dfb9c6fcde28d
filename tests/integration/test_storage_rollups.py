"""Hourly and daily rollups: correct values, only for ended hours, and late data catches up."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from porchlight_cloud.ingest.decode import Incoming, decode
from porchlight_cloud.ingest.rows import summarize
from porchlight_cloud.ingest.writer import Writer
from porchlight_cloud.store import rollups
from porchlight_wire import Decoder, Encoder, build_report, topic_for
from psycopg.rows import dict_row

pytestmark = pytest.mark.integration
H0 = 1_767_261_600          # 2026-01-01T10:00:00Z
HOUR = timedelta(hours=1)


def _report(seq: int, end_ts: int, *, uptime: int, cpu: float, signal_x: int = -50) -> dict:
    """A report as the agent sends it: one aggregated record per entity, each summarising 2 samples."""
    return build_report(
        {"home_id": "home-r", "gateway_id": "gw-r", "model": "m", "firmware": "f", "agent_version": "a",
         "boot_id": "b1", "seq": seq, "start_ts": end_ts - 120, "end_ts": end_ts, "sample_interval_s": 60},
        {
            "health": [{"samples": 2, "uptime_s": uptime + 60, "cpu_pct": cpu, "mem_used_pct": 50.0,
                        "wan_rx_bytes": 2000, "wan_tx_bytes": 200, "wan_flaps": 1, "wan_down_s": 0, "wan_up": True}],
            "stations": [{"mac": mac, "radio": "wlan1", "band": "5", "samples": 2, "signal_avg_dbm": sig,
                          "signal_min_dbm": sig, "tx_rate_mbps": rate, "tx_bytes": 2 * tx, "rx_bytes": 0,
                          "tx_packets": 180, "tx_retries": 20}
                         for mac, sig, rate, tx in (("aa:00:00:00:00:01", signal_x, 800.0, 3000),
                                                    ("aa:00:00:00:00:02", -80, 100.0, 1000))],
            "radios": [{"radio": "wlan1", "band": "5", "samples": 2, "channel": 36, "busy_pct": 30.0,
                        "busy_max_pct": 40.0}],
            "probes": [{"target": target, "kind": kind, "sent": 10, "lost": lost, "rtt_ms": rtt, "jitter_ms": 1.0}
                       for target, kind, lost, rtt in (("first_hop", "icmp", 1, 2.0), ("8.8.8.8", "icmp", 0, 20.0),
                                                       ("dns", "dns", 0, 15.0))],
            "apps": [{"mac": "aa:00:00:00:00:01", "app": "netflix", "bytes_up": 20, "bytes_down": 2000, "flows": 4,
                      "new_flows": 2, "dests": 5, "active_samples": 2}],
        },
    )


def _write(conn: psycopg.Connection, writer: Writer, *docs: dict) -> None:
    decoder, encoder = Decoder(), Encoder()
    writer.write([summarize(decode(Incoming(topic_for("home-r", "gw-r", "report", "t/v1"), encoder.encode(d),
                                            time.time()), decoder)) for d in docs], [])


def _hour(conn: psycopg.Connection, bucket: datetime) -> dict | None:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("SELECT * FROM home_hourly WHERE bucket = %s", (bucket,)).fetchone()


def test_an_ended_hour_is_rolled_up_from_its_reports_with_traffic_weighted_wifi_and_qoe_per_target_class(db_url):
    hour = datetime.fromtimestamp(H0, UTC)
    with psycopg.connect(db_url, autocommit=True) as conn:
        writer = Writer(conn)
        _write(conn, writer, _report(0, H0 + 300, uptime=1000, cpu=10.0), _report(1, H0 + 600, uptime=1300, cpu=30.0),
               _report(2, H0 + 900, uptime=50, cpu=20.0))   # the gateway rebooted before report 2

        assert rollups.run(conn, grace_s=300, now=hour + timedelta(minutes=50)) == 0   # the hour has not ended
        assert rollups.run(conn, grace_s=300, now=hour + timedelta(minutes=66)) == 1
        row = _hour(conn, hour)
        apps = conn.execute("SELECT bytes_up, bytes_down, flows, new_flows, dests_max, active_s FROM app_hourly"
                            ).fetchall()
    assert row["reports"] == 3
    assert row["wifi_bytes"] == 3 * 2 * (3000 + 1000)
    # Weighted by each station's traffic (+1 byte): the busy -50 dBm station counts three times the -80 one.
    assert row["signal_dbm"] == pytest.approx((-50 * 6001 - 80 * 2001) / 8002, abs=0.01)
    assert row["tx_rate_mbps"] == pytest.approx((800 * 6001 + 100 * 2001) / 8002, abs=0.1)
    assert row["retry_pct"] == pytest.approx(10.0)
    assert row["weak_signal_min"] == pytest.approx(3 * 2)            # the -80 dBm station, 2 minutes a report
    assert (row["busy_pct"], row["busy_max_pct"]) == (30.0, 30.0)     # per-report means of 20 and 40
    assert row["first_hop_rtt_ms"] == pytest.approx(2.0)
    assert row["first_hop_loss_pct"] == pytest.approx(10.0)
    assert row["internet_rtt_ms"] == pytest.approx(20.0)
    assert row["dns_ms"] == pytest.approx(15.0)
    assert row["cpu_pct"] == pytest.approx(20.0)
    assert row["reboots"] == 1
    assert row["wan_flaps"] == 3
    assert (row["wan_rx_bytes"], row["wan_tx_bytes"]) == (6000, 600)
    assert apps == [(60, 6000, 12, 6, 5, 360)]


def test_late_reports_land_in_their_own_hour_and_the_rollups_catch_up(db_url):
    hour = datetime.fromtimestamp(H0, UTC)
    day = datetime.fromtimestamp(H0 - H0 % 86_400, UTC)
    with psycopg.connect(db_url, autocommit=True) as conn:
        writer = Writer(conn)
        _write(conn, writer, _report(10, H0 + 300, uptime=1000, cpu=10.0))
        rollups.run(conn, now=hour + 2 * HOUR)
        assert _hour(conn, hour)["reports"] == 1

        # A day later, a gateway that was offline delivers its queue: one report for 10:00, one for 09:00.
        _write(conn, writer, _report(11, H0 + 600, uptime=1300, cpu=30.0),
               _report(9, H0 - 1800, uptime=700, cpu=50.0))
        assert rollups.run(conn, now=hour + 26 * HOUR) == 2
        assert _hour(conn, hour)["reports"] == 2
        assert _hour(conn, hour)["cpu_pct"] == pytest.approx(20.0)
        assert _hour(conn, hour - HOUR)["reports"] == 1
        daily = conn.execute("SELECT reports, wan_rx_bytes FROM home_daily WHERE bucket = %s", (day,)).fetchone()
        app_days = conn.execute("SELECT bucket, bytes_down FROM app_daily").fetchall()
        app_hours = conn.execute("SELECT bucket, bytes_down FROM app_hourly ORDER BY bucket").fetchall()
    assert daily == (3, 6000)
    assert app_hours == [(hour - HOUR, 2000), (hour, 4000)]
    assert app_days == [(day, 6000)]


def test_the_samples_api_serves_the_hourly_app_counters_and_the_named_station_fields(db_url):
    from fastapi.testclient import TestClient
    from porchlight_cloud.api.app import create_app

    with psycopg.connect(db_url, autocommit=True) as conn:
        _write(conn, Writer(conn), _report(0, H0 + 300, uptime=1000, cpu=10.0))
        rollups.run(conn, include_open=True)
    with TestClient(create_app(db_url=db_url)) as api:
        body = api.get("/api/v1/homes/home-r/samples", params={
            "since": datetime.fromtimestamp(H0, UTC).isoformat(), "until": str(H0 + 3600),
            "kind": "stations,radios,probes,apps"}).json()["samples"]
        bad = api.get("/api/v1/homes/home-r/samples", params={"kind": "nonsense"})
        missing = api.get("/api/v1/homes/nobody/samples")
    assert [(s["mac"], s["signal_avg_dbm"], s["tx_bytes"]) for s in body["stations"]] == [
        ("aa:00:00:00:00:01", -50, 6000), ("aa:00:00:00:00:02", -80, 2000)]
    assert [(r["band_ghz"], r["channel"], r["busy_pct"]) for r in body["radios"]] == [(5.0, 36, 30)]
    assert sorted((p["target"], p["kind"], p["rtt_ms"], p["lost"]) for p in body["probes"]) == [
        ("8.8.8.8", "icmp", 20.0, 0), ("dns", "dns", 15.0, 0), ("first_hop", "icmp", 2.0, 1)]
    assert [(a["app"], a["mac"], a["bytes_down"]) for a in body["apps"]] == [("netflix", "aa:00:00:00:00:01", 2000)]
    assert bad.status_code == 422 and missing.status_code == 404
