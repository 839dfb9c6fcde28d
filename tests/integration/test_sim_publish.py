"""The simulator on the real broker: a published (or replayed) fleet arrives at a subscriber exactly once."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from porchlight_sim.cli import main
from porchlight_sim.generator import RunConfig, SinkSpec, build_world, messages, run
from porchlight_sim.publish import BrokerTarget
from porchlight_wire import Decoder, WireError, subscription, validate_report

pytestmark = pytest.mark.integration

MONDAY = 1_717_372_800


class Subscriber:
    """Collects (home_id, boot_id, seq) of every report on a topic root, decoded and validated."""

    def __init__(self, target: Any) -> None:
        self.keys: list[tuple[str, str, int]] = []
        self.invalid = 0
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._decoder = Decoder()
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"sim-test-sub-{time.time_ns()}",
                             clean_session=True)
        client.username_pw_set(target.fleet_user, target.fleet_password)
        client.on_connect = lambda c, u, f, rc, p: c.subscribe(subscription("report", target.root), qos=1)
        client.on_subscribe = lambda c, u, mid, rcs, p: self._ready.set()
        client.on_message = self._on_message
        client.connect(target.host, target.port)
        client.loop_start()
        assert self._ready.wait(10), "subscription not acknowledged"
        self.client = client

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        try:
            header = validate_report(self._decoder.decode(msg.payload))["header"]
        except WireError:
            with self._lock:
                self.invalid += 1
            return
        with self._lock:
            self.keys.append((header["home_id"], header["boot_id"], header["seq"]))

    def wait_for(self, count: int, timeout: float = 60.0) -> list[tuple[str, str, int]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.keys) < count:
            time.sleep(0.1)
        time.sleep(0.5)  # a duplicate would arrive right behind
        self.client.disconnect()
        self.client.loop_stop()
        return list(self.keys)


def _expected(config: RunConfig) -> Counter[tuple[str, str, int]]:
    world = build_world(config)
    keys: Counter[tuple[str, str, int]] = Counter()
    decoder = Decoder()
    for w in range(config.workers):
        for _end, _topic, message in messages(world, w, config.workers):
            h = decoder.decode(message)["header"]
            keys[(h["home_id"], h["boot_id"], h["seq"])] += 1
    return keys


def test_published_fleet_reaches_a_subscriber_exactly_once(mqtt: Any) -> None:
    config = RunConfig(start_ts=MONDAY, homes=24, days=0.1, workers=2, topic_root=mqtt.root)
    expected = _expected(config)
    assert set(expected.values()) == {1}
    subscriber = Subscriber(mqtt)
    result = run(config, SinkSpec(mqtt=BrokerTarget(mqtt.host, mqtt.port, mqtt.fleet_user, mqtt.fleet_password,
                                                     max_inflight=200)), progress=False)
    received = subscriber.wait_for(len(expected))
    assert result.reports == sum(expected.values())
    assert subscriber.invalid == 0
    assert Counter(received) == expected


def test_replayed_files_reach_a_subscriber_exactly_once(mqtt: Any, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["generate", "--homes", "10", "--days", "0.05", "--start", str(MONDAY), "--workers", "2",
                 "--topic-root", mqtt.root, "--out", str(out), "--quiet"]) == 0
    config = RunConfig(start_ts=MONDAY, homes=10, days=0.05, workers=2, topic_root=mqtt.root)
    expected = _expected(config)
    subscriber = Subscriber(mqtt)
    assert main(["replay", "--in", str(out), "--host", mqtt.host, "--port", str(mqtt.port), "--user",
                 mqtt.fleet_user, "--password", mqtt.fleet_password, "--quiet"]) == 0
    assert Counter(subscriber.wait_for(len(expected))) == expected


def test_a_wrong_password_fails_loudly(mqtt: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["publish", "--homes", "2", "--days", "0.01", "--start", str(MONDAY), "--workers", "1",
                 "--topic-root", mqtt.root, "--port", str(mqtt.port), "--user", mqtt.fleet_user, "--password",
                 "wrong", "--out", str(tmp_path), "--quiet"])
    assert code == 1
    assert "refused" in capsys.readouterr().err
