"""The spine, end to end: the real agent publishes one report through the real broker, the real ingest
worker stores it in TimescaleDB, and the real HTTP API serves it back with the right values."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cloud_env(db_url: str, mqtt: Any, api_port: int) -> dict[str, str]:
    return {**os.environ, "PORCHLIGHT_DB_URL": db_url, "PORCHLIGHT_TOPIC_ROOT": mqtt.root,
            "PORCHLIGHT_MQTT_HOST": mqtt.host, "PORCHLIGHT_MQTT_PORT": str(mqtt.port),
            "PORCHLIGHT_SHARE_GROUP": f"skeleton-{secrets.token_hex(3)}",
            "PORCHLIGHT_INGEST_CLIENT_ID": f"skeleton-{secrets.token_hex(3)}",
            "PORCHLIGHT_API_PORT": str(api_port), "PORCHLIGHT_BATCH_WAIT_MS": "50",
            "PORCHLIGHT_SESSION_EXPIRY_S": "60"}   # the dev broker forgets this worker's queue a minute after


@pytest.fixture
def cloud(db_url: str, mqtt: Any, tmp_path: Path) -> Iterator[str]:
    """`porchlight ingest` and `porchlight serve` as the operator runs them; yields the API base URL."""
    port = _free_port()
    env = _cloud_env(db_url, mqtt, port)
    procs = [subprocess.Popen([str(BIN / "porchlight"), name], env=env, stdout=(tmp_path / f"{name}.log").open("w"),
                              stderr=subprocess.STDOUT) for name in ("ingest", "serve")]
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(lambda: _get(f"{base}/healthz") is not None, 30, "the API to answer /healthz")
        yield base
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _get(url: str) -> Any:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return json.load(response)
    except OSError:
        return None


def _wait_for(condition: Callable[[], Any], seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _mem_used_pct() -> float:
    info = {line.split(":")[0]: int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()}
    return 100.0 * (info["MemTotal"] - info["MemAvailable"]) / info["MemTotal"]


def test_a_real_agent_sample_travels_through_broker_and_ingest_to_the_api(
    cloud: str, mqtt: Any, add_gateway: Callable[[str], str], agent_pythons: list[str], tmp_path: Path
) -> None:
    for n, python in enumerate(agent_pythons):
        home_id, gateway_id = f"home-sk{n}-{secrets.token_hex(3)}", f"gw-sk{n}-{secrets.token_hex(3)}"
        password = add_gateway(gateway_id)
        before_uptime = float(Path("/proc/uptime").read_text().split()[0])
        sent = subprocess.run(
            [python, "-m", "porchlight_agent.cli", "once", "--home-id", home_id, "--gateway-id", gateway_id,
             "--mqtt-host", mqtt.host, "--mqtt-port", str(mqtt.port), "--mqtt-password", password,
             "--topic-root", mqtt.root, "--model", "SkeletonBox 1", "--firmware", "23.05.3-sk",
             "--queue-dir", str(tmp_path / f"queue{n}"), "--data-dir", str(tmp_path / f"data{n}"),
             "--collectors", "health"],
            capture_output=True, text=True, timeout=60,
        )
        assert sent.returncode == 0, sent.stderr

        samples = _wait_for(
            lambda home_id=home_id: (_get(f"{cloud}/api/v1/homes/{home_id}/samples?kind=health") or {})
            .get("samples", {}).get("health"),
            30, f"the health sample of {home_id} through the API",
        )
        (sample,) = samples
        # The values are the gateway's own, read by the agent from this machine's /proc.
        assert abs(sample["mem_used_pct"] - _mem_used_pct()) < 5
        assert before_uptime - 1 <= sample["uptime_s"] <= before_uptime + 60
        assert sample["agent_rss_kb"] > 1000  # the agent measured itself: a Python process is over 1 MB

        home = _get(f"{cloud}/api/v1/homes/{home_id}")
        (gateway,) = home["gateways"]
        assert (gateway["gateway_id"], gateway["model"], gateway["firmware"]) == (
            gateway_id, "SkeletonBox 1", "23.05.3-sk")
