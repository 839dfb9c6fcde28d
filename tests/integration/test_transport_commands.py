"""Downstream commands end to end: sent by the cloud's CommandSender through the real Mosquitto, carried out
by a running agent (paho-mqtt 2.x and 1.6), and acknowledged exactly once."""

from __future__ import annotations

import json
import secrets
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from porchlight_cloud.commands import CommandSender, GatewayRef, MqttLogin
from porchlight_wire.commands import parse_ack

sys.path.insert(0, str(Path(__file__).resolve().parent))
from transport_support import Subscriber, agent_argv, agent_python, credentials, spawn, stop

pytestmark = pytest.mark.integration
__all__ = ["agent_python", "spawn"]  # fixtures, imported for pytest


def publish_raw(host: str, port: int, topic: str, payload: bytes) -> None:
    """Publish as the cloud user without CommandSender's checks (to send what it would refuse)."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"raw-{secrets.token_hex(4)}")
    client.username_pw_set("porchlight-cloud", "porchlight-cloud-dev")
    client.connect(host, port)
    client.loop_start()
    client.publish(topic, payload, qos=1).wait_for_publish(5)
    client.disconnect()
    client.loop_stop()


def test_commands_round_trip_through_a_running_agent(
    mqtt: Any, add_gateway: Callable[[str], str], agent_python: str, tmp_path: Path, spawn: Any
) -> None:
    home, gateway = "home-cmd", f"gw-cmd-{secrets.token_hex(3)}"
    password = credentials(add_gateway, gateway, mqtt.port)
    ref = GatewayRef(home, gateway)
    sender = CommandSender(MqttLogin(mqtt.host, mqtt.port, password="porchlight-cloud-dev", root=mqtt.root))
    sub = Subscriber(mqtt.host, mqtt.port, f"{mqtt.root}/{home}/{gateway}/#")
    # Simulated time runs 30x: the default 300 s reporting interval is 10 s of real time.
    agent = spawn(agent_argv(agent_python, "run", home=home, gateway=gateway, password=password, port=mqtt.port,
                             root=mqtt.root, state=tmp_path, clock_speed=30))
    try:
        assert sub.wait_for(lambda m: (f"{mqtt.root}/{home}/{gateway}/status", b"online") in m, 20)

        # diagnose: a report of kind 'diagnosis' carrying the command id, published at once.
        outcome = sender.send(ref, "diagnose", ttl_s=86400, timeout_s=15)[ref]
        assert outcome.status == "ok", outcome
        assert sub.wait_for(lambda m: any(r["header"].get("command_id") == outcome.command_id
                                          for r in _reports(sub)), 10)
        [diagnosis] = [r for r in sub.reports() if r["header"].get("command_id") == outcome.command_id]
        assert diagnosis["header"]["kind"] == "diagnosis"
        assert diagnosis["header"]["seq"] == outcome.result["seq"]
        assert diagnosis["health"]["samples"] == [1]  # one fresh sample, aggregated like any report
        assert diagnosis["health"]["uptime_s"] == [350735]

        # set_intervals: the reporting interval changes at run time.
        outcome = sender.send(ref, "set_intervals", {"report_interval_s": 60}, ttl_s=86400, timeout_s=15)[ref]
        assert outcome.status == "ok", outcome
        assert outcome.result["report_interval_s"] == 60
        seen = len(sub.reports())
        assert sub.wait_for(lambda m: len(_reports(sub)) >= seen + 3, 20)
        periodic = [r for r in sub.reports()[seen:] if r["header"]["kind"] == "periodic"]
        spans = [r["header"]["end_ts"] - r["header"]["start_ts"] for r in periodic[1:]]
        assert spans and all(span == 60 for span in spans), spans
        assert any("config_change" in (r.get("events") or {}).get("kind", []) for r in sub.reports())

        # notify: handed to the local hook (a file drop by default).
        outcome = sender.send(ref, "notify", {"title": "Wi-Fi fix", "message": "Update tonight"}, ttl_s=86400,
                              timeout_s=15)[ref]
        assert outcome.status == "ok" and outcome.result == {"delivered_via": "file"}
        assert json.loads((tmp_path / "notification.json").read_text())["title"] == "Wi-Fi fix"

        # malformed and unknown commands are rejected with a reason, naming the command id when there is one.
        cmd_topic = f"{mqtt.root}/{home}/{gateway}/cmd"
        publish_raw(mqtt.host, mqtt.port, cmd_topic, b'{"id": "c-bad-1", "cmd": "reboot", "args": {}}')
        publish_raw(mqtt.host, mqtt.port, cmd_topic,
                    b'{"id": "c-bad-2", "cmd": "set_intervals", "args": {"report_interval_s": 1}}')
        assert sub.wait_for(lambda m: len(_acks(sub, {"c-bad-1", "c-bad-2"})) == 2, 15)
        rejected = _acks(sub, {"c-bad-1", "c-bad-2"})
        assert {a.status for a in rejected} == {"rejected"}
        reasons = {a.id: a.reason or "" for a in rejected}
        assert "unknown command 'reboot'" in reasons["c-bad-1"]
        assert "report_interval_s must be" in reasons["c-bad-2"]

        # a redelivered command is not carried out or acknowledged again
        publish_raw(mqtt.host, mqtt.port, cmd_topic, b'{"id": "c-bad-1", "cmd": "reboot", "args": {}}')
        time.sleep(1.5)
        assert len(_acks(sub, {"c-bad-1"})) == 1

        # a clean stop says "offline" on the retained status topic
        stop(agent)
        status = f"{mqtt.root}/{home}/{gateway}/status"
        assert sub.wait_for(lambda m: [p for t, p in m if t == status][-1:] == [b"offline"], 10)
    finally:
        sub.close()


def test_a_command_to_an_unknown_gateway_times_out(mqtt: Any) -> None:
    sender = CommandSender(MqttLogin(mqtt.host, mqtt.port, password="porchlight-cloud-dev", root=mqtt.root))
    ref = GatewayRef("home-none", f"gw-none-{secrets.token_hex(3)}")
    outcome = sender.send([ref], "diagnose", timeout_s=1.0)[ref]
    assert outcome.status == "timeout"


def _reports(sub: Subscriber) -> list[dict[str, Any]]:
    return sub.reports()


def _acks(sub: Subscriber, ids: set[str]) -> list[Any]:
    acks = [parse_ack(p) for t, p in list(sub.messages) if t.endswith("/ack")]
    return [a for a in acks if a.id in ids]
