"""Helpers of the transport integration tests: a recording subscriber, verified gateway credentials, a TCP
gate that plays a broker outage, and the agent's command line."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from porchlight_wire.codec import Decoder, DictionaryStore
from porchlight_wire.validate import validate_report

REPO = Path(__file__).resolve().parents[2]
FIXTURE_ROOT = REPO / "tests" / "fixtures" / "agent" / "health" / "openwrt_t0"


@pytest.fixture(params=["paho2", "paho1"])
def agent_python(request: pytest.FixtureRequest, agent_pythons: list[str]) -> str:
    """The interpreter the agent runs under: paho-mqtt 2.x (this venv) or 1.6 (.venv-paho1, no zstandard)."""
    index = 0 if request.param == "paho2" else 1
    if index >= len(agent_pythons):
        pytest.skip("no paho-mqtt 1.6 interpreter: run scripts/bootstrap")
    return agent_pythons[index]


class Subscriber:
    """A cloud-side subscriber on the real broker that records every message under a topic filter."""

    def __init__(self, host: str, port: int, topic: str, user: str = "porchlight-cloud",
                 password: str = "porchlight-cloud-dev") -> None:
        self.messages: list[tuple[str, bytes]] = []
        self._cond = threading.Condition()
        self._client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"t-{secrets.token_hex(4)}")
        self._client.username_pw_set(user, password)
        subscribed = threading.Event()
        self._client.on_subscribe = lambda *_a: subscribed.set()
        self._client.on_message = self._on_message
        self._client.connect(host, port)
        self._client.loop_start()
        self._client.subscribe(topic, qos=1)
        assert subscribed.wait(5), "no SUBACK"

    def _on_message(self, _c: Any, _u: Any, message: Any) -> None:
        with self._cond:
            self.messages.append((message.topic, bytes(message.payload)))
            self._cond.notify_all()

    def wait_for(self, predicate: Callable[[list[tuple[str, bytes]]], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self.messages):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def reports(self) -> list[dict[str, Any]]:
        decoder = Decoder(DictionaryStore.shipped())
        with self._cond:
            return [validate_report(decoder.decode(p)) for t, p in self.messages if t.endswith("/report")]

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


def credentials(add_gateway: Callable[[str], str], gateway_id: str, port: int) -> str:
    """Add a gateway's credentials and check they work (the services script's password file may be rewritten
    by a concurrent add-gateway, so try again if the broker does not know them yet)."""
    for _ in range(5):
        password = add_gateway(gateway_id)
        for _ in range(10):
            client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"probe-{secrets.token_hex(4)}")
            client.username_pw_set(gateway_id, password)
            result: list[bool] = []

            def on_connect(_c: Any, _u: Any, _f: Any, rc: Any, _p: Any, result: list[bool] = result) -> None:
                result.append(not rc.is_failure)

            client.on_connect = on_connect
            client.connect("127.0.0.1", port)
            deadline = time.monotonic() + 3
            while not result and time.monotonic() < deadline:
                client.loop(0.1)
            client.disconnect()
            if result and result[0]:
                return password
            time.sleep(0.2)
    raise AssertionError(f"the broker never accepted {gateway_id}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def agent_argv(python: str, command: str, *, home: str, gateway: str, password: str, port: int, root: str,
               state: Path, **options: Any) -> list[str]:
    argv = [python, "-m", "porchlight_agent.cli", command, "--home-id", home, "--gateway-id", gateway,
            "--mqtt-password", password, "--mqtt-port", str(port), "--topic-root", root,
            "--root", str(FIXTURE_ROOT), "--collectors", "health", "--queue-dir", str(state / "queue"),
            "--data-dir", str(state / "data"), "--notify-file", str(state / "notification.json"),
            "--connect-spread-s", "0", "--connect-timeout-s", "5"]
    for name, value in options.items():
        argv += ["--" + name.replace("_", "-"), str(value)]
    return argv


def clean_env() -> dict[str, str]:
    """The test's environment without any PORCHLIGHT_ variable, so only the flags configure the agent."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PORCHLIGHT_")}


@pytest.fixture
def spawn() -> Iterator[Callable[[list[str]], subprocess.Popen[bytes]]]:
    """Start agent subprocesses; any still running at the end are stopped."""
    started: list[subprocess.Popen[bytes]] = []

    def start(argv: list[str]) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(argv, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


def stop(proc: subprocess.Popen[bytes]) -> str:
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err.decode()
    return err.decode()


class TcpGate:
    """A TCP forwarder in front of the shared broker that the test opens once: while closed its port is bound but
    not listening, so connections are refused (the broker is "down"); once open every connection is piped to the
    broker. The port stays bound while closed: an unbound port in the ephemeral range can be taken by the agent's
    own reconnect attempts (a socket connected to itself) or by any other outgoing connection, and opening the gate
    then failed with "address already in use"."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self._reserved: socket.socket | None = socket.socket()
        self._reserved.bind(("127.0.0.1", 0))
        self.port = int(self._reserved.getsockname()[1])
        self._server: socket.socket | None = None
        self._sockets: list[socket.socket] = []

    def open(self) -> None:
        assert self._reserved is not None, "the gate opens once"
        self._server, self._reserved = self._reserved, None
        self._server.listen()
        threading.Thread(target=self._accept, args=(self._server,), daemon=True).start()

    def close(self) -> None:
        for listener in (self._server, self._reserved):
            if listener is not None:
                listener.close()
        for sock in self._sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


@pytest.fixture
def gate(mqtt: Any) -> Iterator[TcpGate]:
    """A closed gate to the shared broker (see TcpGate)."""
    g = TcpGate(mqtt.port)
    yield g
    g.close()


def queued_seqs(queue_dir: Path) -> list[int]:
    return sorted(int(p.name.split("-")[0]) for p in queue_dir.glob("*.msg"))


def next_seq(queue_dir: Path) -> int:
    return int(json.loads((queue_dir / "state.json").read_text())["next_seq"])
