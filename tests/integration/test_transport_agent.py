"""The agent's transport against the real Mosquitto, under paho-mqtt 2.x and 1.6: store and forward through
a long outage, SIGKILL in the middle of a queue write, the broker's ACL refusing a forged report, TLS, and
the walking skeleton's `once`.

The agent runs as a subprocess (``python -m porchlight_agent.cli``) on a fixture file-system root, with a
clock that runs hundreds of times faster than real time, so hours of sampling take seconds.
"""

from __future__ import annotations

import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from porchlight_agent.queue import QueueLimits, ReportQueue
from porchlight_wire.codec import Decoder, DictionaryStore, parse_envelope
from porchlight_wire.validate import validate_report

sys.path.insert(0, str(Path(__file__).resolve().parent))
from transport_support import (
    Subscriber,
    TcpGate,
    agent_argv,
    agent_python,
    clean_env,
    credentials,
    free_port,
    gate,
    next_seq,
    queued_seqs,
    spawn,
    stop,
)

pytestmark = pytest.mark.integration
__all__ = ["agent_python", "gate", "spawn"]  # fixtures, imported for pytest


# ---- the walking skeleton ---------------------------------------------------------------------------------

def test_once_publishes_one_report_and_exits_zero_after_the_puback(
    mqtt: Any, add_gateway: Callable[[str], str], agent_python: str, tmp_path: Path
) -> None:
    gateway = f"gw-once-{secrets.token_hex(3)}"
    password = credentials(add_gateway, gateway, mqtt.port)
    sub = Subscriber(mqtt.host, mqtt.port, f"{mqtt.root}/#")
    try:
        done = subprocess.run(agent_argv(agent_python, "once", home="home-1", gateway=gateway, password=password,
                                         port=mqtt.port, root=mqtt.root, state=tmp_path),
                              env=clean_env(), capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr.decode()
        assert b"published report" in done.stdout
        assert sub.wait_for(lambda m: len(m) >= 1, 10)
        [report] = sub.reports()
        assert report["header"]["gateway_id"] == gateway and report["header"]["seq"] == 0
        assert report["health"]["uptime_s"] == [350735]  # read from the fixture root, not this machine
        assert report["health"]["samples"] == [1]  # `once` reports the one sample it took
        envelope, _ = parse_envelope(sub.messages[0][1])
        # paho 1.6's venv has no zstandard, like an OpenWrt gateway: zlib; the other has the dictionary.
        assert envelope.codec_name == ("zstd-dict" if agent_python == sys.executable else "zlib")
        assert queued_seqs(tmp_path / "queue") == []  # deleted from the queue on PUBACK
    finally:
        sub.close()


def test_once_without_a_broker_fails_with_a_clear_message_and_keeps_the_report(
    agent_python: str, tmp_path: Path
) -> None:
    done = subprocess.run(agent_argv(agent_python, "once", home="home-1", gateway="gw-x", password="x",
                                     port=free_port(), root="pltest-none/v1", state=tmp_path),
                          env=clean_env(), capture_output=True, timeout=60)
    assert done.returncode == 3
    assert b"cannot reach the broker" in done.stderr and b"stays queued" in done.stderr
    assert queued_seqs(tmp_path / "queue") == [0]


def test_bad_configuration_fails_at_start_saying_what_to_change(agent_python: str, tmp_path: Path) -> None:
    done = subprocess.run([agent_python, "-m", "porchlight_agent.cli", "once", "--gateway-id", "gw-1"],
                          env=clean_env(), capture_output=True, timeout=30)
    assert done.returncode == 2
    assert b"home_id is not set" in done.stderr and b"PORCHLIGHT_HOME_ID" in done.stderr


# ---- (a) store and forward through a long outage ----------------------------------------------------------

def test_reports_survive_a_long_broker_outage_and_arrive_once_in_order(
    mqtt: Any, add_gateway: Callable[[str], str], agent_python: str, tmp_path: Path,
    spawn: Callable[[list[str]], subprocess.Popen[bytes]], gate: TcpGate,
) -> None:
    gateway = f"gw-outage-{secrets.token_hex(3)}"
    password = credentials(add_gateway, gateway, mqtt.port)
    sub = Subscriber(mqtt.host, mqtt.port, f"{mqtt.root}/+/{gateway}/report")
    agent = spawn(agent_argv(agent_python, "run", home="home-1", gateway=gateway, password=password, port=gate.port,
                             root=mqtt.root, state=tmp_path, clock_speed=1200, backoff_max_s=600))
    queue_dir = tmp_path / "queue"
    deadline = time.monotonic() + 30
    while len(queued_seqs(queue_dir)) < 15 and time.monotonic() < deadline:  # 15 reports = 75 simulated min
        time.sleep(0.2)
    assert len(queued_seqs(queue_dir)) >= 15, "the agent did not keep sampling while the broker was down"
    assert agent.poll() is None

    assert sub.messages == []
    gate.open()  # the broker comes back
    try:
        assert sub.wait_for(lambda m: len(m) >= 20, 30), "the backlog was not delivered"
        stop(agent)
        sent = next_seq(queue_dir)
        assert sub.wait_for(lambda m: len(m) >= sent, 10)
        time.sleep(0.5)  # anything extra (a duplicate) would arrive now
        reports = sub.reports()
    finally:
        sub.close()
    seqs = [r["header"]["seq"] for r in reports]
    assert seqs == list(range(sent)), "every report exactly once, in order"
    assert {r["header"]["boot_id"] for r in reports} == {reports[0]["header"]["boot_id"]}
    assert all(r["header"]["dropped_reports"] == 0 for r in reports)
    assert max(r["header"]["queue_depth"] for r in reports) >= 14
    assert queued_seqs(queue_dir) == []


def test_a_full_queue_drops_the_oldest_and_says_so_in_the_next_report(
    mqtt: Any, add_gateway: Callable[[str], str], agent_python: str, tmp_path: Path,
    spawn: Callable[[list[str]], subprocess.Popen[bytes]], gate: TcpGate,
) -> None:
    gateway = f"gw-drop-{secrets.token_hex(3)}"
    password = credentials(add_gateway, gateway, mqtt.port)
    sub = Subscriber(mqtt.host, mqtt.port, f"{mqtt.root}/+/{gateway}/report")
    agent = spawn(agent_argv(agent_python, "run", home="home-1", gateway=gateway, password=password, port=gate.port,
                             root=mqtt.root, state=tmp_path, clock_speed=1200, backoff_max_s=600,
                             queue_max_count=5))
    queue_dir = tmp_path / "queue"
    deadline = time.monotonic() + 30
    while not (queue_dir / "state.json").exists() or next_seq(queue_dir) < 9:
        assert time.monotonic() < deadline, "the agent did not keep reporting"
        time.sleep(0.1)
    gate.open()
    try:
        assert sub.wait_for(lambda m: len(m) >= 6, 30)
        stop(agent)
        sent = next_seq(queue_dir)
        time.sleep(1)
        reports = sub.reports()
    finally:
        sub.close()
    # Reports made just before the stop may still wait in the queue for the next start: they are not lost.
    still_queued = len(list(queue_dir.glob("*.msg")))
    seqs = [r["header"]["seq"] for r in reports]
    assert seqs == sorted(seqs) and seqs[0] > 0  # the oldest went
    dropped = sum(r["header"]["dropped_reports"] for r in reports)
    assert dropped == sent - len(reports) - still_queued, "every dropped report is counted exactly once"
    assert any(k == "queue_drop" for r in reports for k in (r.get("events") or {}).get("kind", []))


# ---- (b) SIGKILL in the middle of a queue write -----------------------------------------------------------

def test_sigkill_mid_write_loses_nothing_already_queued(
    mqtt: Any, add_gateway: Callable[[str], str], agent_python: str, tmp_path: Path,
    spawn: Callable[[list[str]], subprocess.Popen[bytes]],
) -> None:
    gateway = f"gw-kill-{secrets.token_hex(3)}"
    password = credentials(add_gateway, gateway, mqtt.port)
    queue_dir = tmp_path / "queue"
    agent = spawn(agent_argv(agent_python, "run", home="home-1", gateway=gateway, password=password,
                             port=free_port(), root=mqtt.root, state=tmp_path, clock_speed=1200,
                             test_pause_in_write=4))
    marker = queue_dir / ".paused-in-write"
    deadline = time.monotonic() + 30
    while not marker.exists():
        assert time.monotonic() < deadline, "the agent never reached its fourth queue write"
        time.sleep(0.05)
    assert list(queue_dir.glob(".*.tmp")), "a half-written temporary file exists"
    before = {p.name: p.read_bytes() for p in queue_dir.glob("*.msg")}
    assert len(before) == 3
    agent.send_signal(signal.SIGKILL)
    agent.wait(10)
    marker.unlink()

    # On restart the queue is readable, the partial write is gone and every queued report is intact.
    with ReportQueue(queue_dir, QueueLimits(10**7, 1000, 10**9)) as queue:
        assert queue.invalid_removed == 1
        assert {e.name: queue.read(e) for e in queue} == before
    assert not list(queue_dir.glob("*.tmp"))

    sub = Subscriber(mqtt.host, mqtt.port, f"{mqtt.root}/+/{gateway}/report")
    try:
        agent = spawn(agent_argv(agent_python, "run", home="home-1", gateway=gateway, password=password,
                                 port=mqtt.port, root=mqtt.root, state=tmp_path, clock_speed=1200))
        assert sub.wait_for(lambda m: len(m) >= 5, 30)
        stop(agent)
        reports = sub.reports()
    finally:
        sub.close()
    seqs = [r["header"]["seq"] for r in reports]
    assert seqs[:3] == [0, 1, 2], "the three reports queued before the kill arrive first"
    assert 3 not in seqs, "the report being written when the agent was killed is the only loss"
    assert seqs == sorted(set(seqs))


def test_repeated_sigkill_during_writes_never_corrupts_the_queue(
    agent_python: str, tmp_path: Path, spawn: Callable[[list[str]], subprocess.Popen[bytes]]
) -> None:
    queue_dir = tmp_path / "queue"
    port = free_port()
    decoder = Decoder(DictionaryStore.shipped())
    seen: dict[str, bytes] = {}
    for round_ in range(6):
        agent = spawn(agent_argv(agent_python, "run", home="home-1", gateway="gw-kill", password="x", port=port,
                                 root="pltest-kill/v1", state=tmp_path, clock_speed=20000))
        time.sleep(0.6 + 0.13 * round_)
        agent.send_signal(signal.SIGKILL)
        agent.wait(10)
        with ReportQueue(queue_dir, QueueLimits(10**8, 10**5, 10**9)) as queue:
            entries = {e.name: queue.read(e) for e in queue}
        for name, data in seen.items():
            assert entries.get(name) == data, f"round {round_}: {name} changed or vanished"
        for data in entries.values():
            assert data is not None
            validate_report(decoder.decode(data))
        seen = {k: v for k, v in entries.items() if v is not None}
    assert len(seen) >= 6


# ---- (c) the broker's ACL refuses a forged report ---------------------------------------------------------

def test_a_report_for_another_gateway_on_this_gateways_credentials_never_arrives(
    mqtt: Any, add_gateway: Callable[[str], str], agent_python: str, tmp_path: Path
) -> None:
    honest = f"gw-acl-{secrets.token_hex(3)}"
    victim = f"gw-victim-{secrets.token_hex(3)}"
    password = credentials(add_gateway, honest, mqtt.port)
    sub = Subscriber(mqtt.host, mqtt.port, f"{mqtt.root}/#")
    try:
        # Speak for the victim with the honest gateway's user and password. MQTT 3.1.1 has no way to say no:
        # Mosquitto acknowledges and drops it.
        forged = subprocess.run(
            agent_argv(agent_python, "once", home="home-v", gateway=victim, password=password, port=mqtt.port,
                       root=mqtt.root, state=tmp_path / "forged", mqtt_user=honest),
            env=clean_env(), capture_output=True, timeout=60)
        assert forged.returncode == 0, forged.stderr.decode()
        legit = subprocess.run(
            agent_argv(agent_python, "once", home="home-h", gateway=honest, password=password, port=mqtt.port,
                       root=mqtt.root, state=tmp_path / "legit"),
            env=clean_env(), capture_output=True, timeout=60)
        assert legit.returncode == 0, legit.stderr.decode()
        assert sub.wait_for(lambda m: any(f"/{honest}/report" in t for t, _ in m), 10)
        time.sleep(0.5)
        topics = [t for t, _ in sub.messages]
    finally:
        sub.close()
    assert not [t for t in topics if victim in t], "the forged report reached a subscriber"


# ---- (e) TLS ------------------------------------------------------------------------------------------------

def test_once_over_tls_with_the_ca_file(
    mqtt: Any, add_gateway: Callable[[str], str], agent_python: str, tmp_path: Path
) -> None:
    gateway = f"gw-tls-{secrets.token_hex(3)}"
    password = credentials(add_gateway, gateway, mqtt.port)
    sub = Subscriber(mqtt.host, mqtt.port, f"{mqtt.root}/#")
    try:
        done = subprocess.run(
            agent_argv(agent_python, "once", home="home-1", gateway=gateway, password=password,
                       port=mqtt.tls_port, root=mqtt.root, state=tmp_path, mqtt_ca_file=mqtt.ca_file),
            env=clean_env(), capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr.decode()
        assert sub.wait_for(lambda m: len(m) >= 1, 10)
    finally:
        sub.close()


def test_tls_without_the_right_ca_is_refused_with_a_reason(
    mqtt: Any, add_gateway: Callable[[str], str], agent_python: str, tmp_path: Path
) -> None:
    done = subprocess.run(
        agent_argv(agent_python, "once", home="home-1", gateway="gw-tls-x", password="x", port=mqtt.tls_port,
                   root=mqtt.root, state=tmp_path, mqtt_tls=1),
        env=clean_env(), capture_output=True, timeout=60)
    assert done.returncode == 3
    assert b"certificate" in done.stderr.lower()
