"""Helpers of the ingest and storage integration tests: an ingest worker in a thread or a subprocess, a
publisher, typical reports, and a throwaway PostgreSQL cluster that a test may stop and start."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import psycopg
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from porchlight_cloud.config import Settings
from porchlight_cloud.ingest import session
from porchlight_cloud.ingest.consumer import Consumer
from porchlight_cloud.ingest.synthetic import Home
from porchlight_cloud.store import migrate
from porchlight_wire import Encoder, topic_for

PORCHLIGHT = str(Path(sys.executable).parent / "porchlight")
PG_BIN = Path("/usr/lib/postgresql/15/bin")
TEST_SESSION_EXPIRY_S = 60   # long enough for a test's restarts; the dev broker forgets a test's worker soon


def wait_for(condition: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
    """Poll until condition() is truthy; return its value or fail the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def settings_for(db_url: str, mqtt_target: Any, **overrides: Any) -> Settings:
    """Worker settings for a test: its database, its topic root, its own share group and client id."""
    token = secrets.token_hex(3)
    base = Settings(db_url=db_url, mqtt_host=mqtt_target.host, mqtt_port=mqtt_target.port,
                    topic_root=mqtt_target.root, share_group=f"test-{token}", client_id=f"ingest-test-{token}",
                    batch_wait_ms=50, maintenance=False, metrics_flush_s=0.5, session_expiry_s=TEST_SESSION_EXPIRY_S)
    return replace(base, **overrides)


@contextmanager
def ingest_thread(settings: Settings, forget_session: bool = True) -> Iterator[Consumer]:
    """A Consumer running in a thread, subscribed before the block starts; stopped afterwards, and its broker
    session dropped unless ``forget_session`` is false (a test that restarts the same worker)."""
    stop = threading.Event()
    consumer = Consumer(settings, stop)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            consumer.run()
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        assert consumer.ready.wait(15), "the ingest worker did not subscribe"
        yield consumer
    finally:
        stop.set()
        thread.join(20)
        if forget_session:
            session.forget(settings)   # the test is over: its queue must not outlive it on the dev broker
    if errors:
        raise errors[0]


def worker_process(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    """`porchlight ingest` as a subprocess with the given settings."""
    env = {**os.environ, "PORCHLIGHT_DB_URL": settings.db_url, "PORCHLIGHT_MQTT_HOST": settings.mqtt_host,
           "PORCHLIGHT_MQTT_PORT": str(settings.mqtt_port), "PORCHLIGHT_TOPIC_ROOT": settings.topic_root,
           "PORCHLIGHT_SHARE_GROUP": settings.share_group, "PORCHLIGHT_INGEST_CLIENT_ID": settings.client_id,
           "PORCHLIGHT_BATCH_MAX": str(settings.batch_max), "PORCHLIGHT_BATCH_WAIT_MS": str(settings.batch_wait_ms),
           "PORCHLIGHT_RECEIVE_MAXIMUM": str(settings.receive_maximum),
           "PORCHLIGHT_SESSION_EXPIRY_S": str(settings.session_expiry_s),
           "PORCHLIGHT_MAINTENANCE": "true" if settings.maintenance else "false",
           "PORCHLIGHT_METRICS_FLUSH_S": str(settings.metrics_flush_s)}
    return subprocess.Popen([PORCHLIGHT, "ingest"], env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)


class Publisher:
    """The fleet user's MQTT client: publishes at QoS 1 and can wait until the broker acknowledged all."""

    def __init__(self, mqtt_target: Any) -> None:
        self.root = mqtt_target.root
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"test-pub-{secrets.token_hex(3)}",
                                  protocol=mqtt.MQTTv5)
        self.client.username_pw_set(mqtt_target.fleet_user, mqtt_target.fleet_password)
        self.client.max_inflight_messages_set(200)
        self.client.connect(mqtt_target.host, mqtt_target.port)
        self.client.loop_start()
        self._pending: list[mqtt.MQTTMessageInfo] = []

    def send(self, topic: str, payload: bytes) -> None:
        """Publish one message at QoS 1."""
        self._pending.append(self.client.publish(topic, payload, qos=1))

    def report(self, doc: dict[str, Any], encoder: Encoder | None = None, topic: str | None = None) -> None:
        """Publish a report on its own home's and gateway's report topic (or on ``topic``)."""
        header = doc["header"]
        self.send(topic or topic_for(header["home_id"], header["gateway_id"], "report", self.root),
                  (encoder or Encoder()).encode(doc))

    def flush(self, timeout: float = 30.0) -> None:
        """Wait until the broker acknowledged every message published so far."""
        for info in self._pending:
            info.wait_for_publish(timeout)
        self._pending.clear()

    def close(self) -> None:
        """Flush and disconnect."""
        self.flush()
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def publisher(mqtt: Any) -> Iterator[Publisher]:
    """A connected fleet publisher for this test's topic root."""
    pub = Publisher(mqtt)
    yield pub
    pub.close()


def home(index: int, prefix: str = "t") -> Home:
    """A typical synthetic home with ids unique to this test run."""
    return Home.typical(index, prefix=f"{prefix}{secrets.token_hex(2)}")


def scalar(db_url: str, query: str, params: Any = None) -> Any:
    """The first column of the first row of a query."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        row = conn.execute(query, params).fetchone()
    return None if row is None else row[0]


# ------------------------------------------------------------------------------------------- throwaway pg
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres(*args: str) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else list(args)


@dataclass
class ThrowawayPostgres:
    """A PostgreSQL 15 + TimescaleDB cluster of its own (data in a temporary directory, its own port)."""

    data: Path
    port: int

    @property
    def url(self) -> str:
        """URL of the migrated ``porchlight`` database of this cluster."""
        return f"postgresql://porchlight@127.0.0.1:{self.port}/porchlight"

    def start(self) -> None:
        """Start the cluster and wait until it accepts connections."""
        subprocess.run(_as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data / "pgdata"), "-l",
                                    str(self.data / "postgres.log"), "-w", "-t", "60", "start"),
                       check=True, stdout=subprocess.DEVNULL)

    def stop(self) -> None:
        """Stop the cluster (fast shutdown: open connections are cut)."""
        subprocess.run(_as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data / "pgdata"), "-m", "fast", "-w",
                                    "stop"), check=True, stdout=subprocess.DEVNULL)


@pytest.fixture
def throwaway_pg() -> Iterator[ThrowawayPostgres]:
    """A second PostgreSQL cluster a test may stop and start without disturbing the shared project one."""
    if not (PG_BIN / "initdb").exists():
        pytest.skip("PostgreSQL 15 server binaries are not installed (scripts/services up installs them)")
    data = Path(tempfile.mkdtemp(prefix="porchlight-pg-"))
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
    cluster = ThrowawayPostgres(data, _free_port())
    subprocess.run(_as_postgres(str(PG_BIN / "initdb"), "-D", str(data / "pgdata"), "-U", "porchlight",
                                "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"),
                   check=True, stdout=subprocess.DEVNULL)
    with (data / "pgdata" / "postgresql.conf").open("a") as conf:
        conf.write(f"listen_addresses = '127.0.0.1'\nport = {cluster.port}\nunix_socket_directories = '{data}'\n"
                   "shared_preload_libraries = 'timescaledb'\ntimescaledb.telemetry_level = off\n"
                   "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nshared_buffers = 128MB\n")
    cluster.start()
    try:
        with psycopg.connect(f"postgresql://porchlight@127.0.0.1:{cluster.port}/postgres", autocommit=True) as c:
            c.execute("CREATE DATABASE porchlight")
        migrate.migrate(cluster.url)
        yield cluster
    finally:
        subprocess.run(_as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data / "pgdata"), "-m", "immediate", "stop"),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(data, ignore_errors=True)
