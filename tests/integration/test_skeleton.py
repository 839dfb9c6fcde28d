"""Walking skeleton, cloud half: a report published to the real broker is stored and served by the real API."""

from __future__ import annotations

import secrets
import threading
import time

import paho.mqtt.client as mqtt
import psycopg
import pytest
from fastapi.testclient import TestClient
from paho.mqtt.enums import CallbackAPIVersion
from porchlight_cloud.api.app import create_app
from porchlight_cloud.config import Settings
from porchlight_cloud.ingest.consumer import Consumer
from porchlight_wire import Encoder, build_report, topic_for

pytestmark = pytest.mark.integration


def _wait_for(predicate, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_report_published_by_a_gateway_is_stored_and_served_by_the_api(db_url, mqtt, add_gateway):
    token = secrets.token_hex(3)
    home_id, gateway_id = f"home-{token}", f"gw-skeleton-{token}"
    password = add_gateway(gateway_id)
    settings = Settings(db_url=db_url, mqtt_host=mqtt.host, mqtt_port=mqtt.port, topic_root=mqtt.root,
                        share_group=f"skeleton-{token}", client_id=f"ingest-skeleton-{token}", batch_wait_ms=50,
                        maintenance=False)
    stop = threading.Event()
    consumer = Consumer(settings, stop)
    worker = threading.Thread(target=consumer.run)
    worker.start()
    try:
        assert consumer.ready.wait(10), "the ingest worker did not subscribe"
        report = build_report(
            {"home_id": home_id, "gateway_id": gateway_id, "model": "Acme AX3000", "firmware": "23.05.3",
             "agent_version": "0.1.0", "boot_id": "b0", "seq": 0, "start_ts": 1_750_000_000,
             "end_ts": 1_750_000_300, "sample_interval_s": 60},
            {"health": [{"ts": 1_750_000_240, "uptime_s": 1000, "cpu_pct": 10.0, "mem_used_pct": 40.0,
                         "wan_rx_bytes": 1_000_000, "wan_tx_bytes": 50_000, "wan_up": True},
                        {"ts": 1_750_000_300, "uptime_s": 1060, "cpu_pct": 30.0, "mem_used_pct": 50.0,
                         "wan_rx_bytes": 2_000_000, "wan_tx_bytes": 70_000, "wan_up": True}],
             "stations": [{"ts": 1_750_000_300, "mac": "aa:bb:cc:00:00:01", "radio": "phy1-ap0", "band": "5",
                           "signal_dbm": -61, "signal_avg_dbm": -61, "tx_rate_mbps": 866.7, "rx_rate_mbps": 433.3,
                           "tx_bytes": 123_456, "rx_bytes": 7_890, "tx_packets": 200, "tx_retries": 20}],
             "devices": [{"mac": "aa:bb:cc:00:00:01", "hostname": "laptop", "device_class": "laptop"}]},
        )
        gateway = mqtt_client(gateway_id, password)
        gateway.connect(mqtt.host, mqtt.port)
        gateway.loop_start()
        gateway.publish(topic_for(home_id, gateway_id, "report", mqtt.root), Encoder().encode(report), qos=1
                        ).wait_for_publish(5)
        gateway.disconnect()
        gateway.loop_stop()

        with psycopg.connect(db_url, autocommit=True) as conn:
            _wait_for(lambda: conn.execute("SELECT count(*) FROM reports").fetchone()[0] == 1)
    finally:
        stop.set()
        worker.join(10)

    with TestClient(create_app(db_url=db_url)) as api:
        body = api.get(f"/api/v1/homes/{home_id}/samples",
                       params={"since": "2025-06-15T00:00:00Z", "until": "2025-06-16T00:00:00Z"}).json()
        home = api.get(f"/api/v1/homes/{home_id}").json()
        metrics = api.get("/metrics").text
        health = api.get("/healthz")

    [h] = body["samples"]["health"]
    assert h["ts"] == "2025-06-15T15:11:40Z"
    assert (h["samples"], h["uptime_s"], h["cpu_pct"], h["cpu_max_pct"]) == (2, 1060, 20.0, 30.0)
    assert (h["mem_used_pct"], h["wan_rx_bytes"], h["wan_tx_bytes"]) == (45.0, 3_000_000, 120_000)
    [s] = body["samples"]["stations"]
    assert (s["mac"], s["hostname"], s["band_ghz"], s["signal_avg_dbm"]) == ("aa:bb:cc:00:00:01", "laptop", 5.0, -61)
    assert (s["tx_rate_mbps"], s["tx_bytes"], s["rx_bytes"], s["tx_retries"]) == (867, 123_456, 7_890, 20)
    assert home["gateways"][0]["gateway_id"] == gateway_id
    assert home["gateways"][0]["firmware"] == "23.05.3"
    assert [d["mac"] for d in home["devices"]] == ["aa:bb:cc:00:00:01"]
    assert "porchlight_ingest_messages_stored_total 1" in metrics
    assert health.status_code == 200


def mqtt_client(user: str, password: str) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{user}-{secrets.token_hex(2)}",
                         protocol=mqtt.MQTTv5)
    client.username_pw_set(user, password)
    return client
