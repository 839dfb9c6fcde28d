"""Shared test fixtures: the project-local TimescaleDB and Mosquitto started by scripts/services.

Integration tests never fake the database or the broker. Each test gets its own database (copied from a
migrated template, so it is fast) and its own MQTT topic root, so tests never see each other's data.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SERVICES = REPO / "scripts" / "services"
PG_PORT = int(os.environ.get("PORCHLIGHT_PG_PORT", "55432"))
MQTT_PORT = int(os.environ.get("PORCHLIGHT_MQTT_PORT", "18830"))
MQTTS_PORT = int(os.environ.get("PORCHLIGHT_MQTTS_PORT", "18831"))
ADMIN_URL = f"postgresql://porchlight@127.0.0.1:{PG_PORT}/postgres"


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="session")
def services() -> None:
    """Make sure the project-local servers run (starts them with scripts/services up if they do not)."""
    if not (_port_open(PG_PORT) and _port_open(MQTT_PORT)):
        subprocess.run([str(SERVICES), "up"], check=True)


@dataclass(frozen=True)
class MqttTarget:
    """Where and as whom tests talk to the project-local broker."""

    host: str
    port: int
    tls_port: int
    ca_file: Path
    root: str
    cloud_user: str = "porchlight-cloud"
    cloud_password: str = "porchlight-cloud-dev"
    fleet_user: str = "porchlight-fleet"
    fleet_password: str = "porchlight-fleet-dev"


@pytest.fixture(scope="session")
def broker_ca_file(services: None) -> Path:
    """The CA certificate of the project-local broker's TLS listener, where scripts/services put it."""
    printed = subprocess.run([str(SERVICES), "env"], check=True, capture_output=True, text=True).stdout
    for line in printed.splitlines():
        if line.startswith("export PORCHLIGHT_MQTT_CA_FILE="):
            return Path(line.split("=", 1)[1])
    raise RuntimeError("scripts/services env printed no PORCHLIGHT_MQTT_CA_FILE")


@pytest.fixture
def mqtt(broker_ca_file: Path) -> MqttTarget:
    """The broker, with a topic root of this test's own (``pltest-<random>/v1``)."""
    return MqttTarget("127.0.0.1", MQTT_PORT, MQTTS_PORT, broker_ca_file, f"pltest-{secrets.token_hex(4)}/v1")


@pytest.fixture
def add_gateway(services: None) -> Callable[[str], str]:
    """Give a gateway id broker credentials; returns its password."""

    def add(gateway_id: str) -> str:
        password = secrets.token_hex(8)
        subprocess.run([str(SERVICES), "add-gateway", gateway_id, password], check=True,
                       stderr=subprocess.DEVNULL)
        return password

    return add


@pytest.fixture(scope="session")
def db_template(services: None) -> Iterator[str]:
    """A database with every migration applied, used as the template of each test's database.

    Its name is this session's own, so test sessions may run side by side.
    """
    import psycopg
    from porchlight_cloud.store import migrate

    template_db = f"pltemplate_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {template_db} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {template_db}")
    migrate.migrate(ADMIN_URL.rsplit("/", 1)[0] + f"/{template_db}")
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        # TimescaleDB's scheduler connects to every database with the extension; a template must have no
        # connections while it is copied, so it refuses them.
        admin.execute(f"ALTER DATABASE {template_db} WITH ALLOW_CONNECTIONS false")
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (template_db,)
        )
    yield template_db
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {template_db} WITH (FORCE)")


@pytest.fixture
def db_url(db_template: str) -> Iterator[str]:
    """A fresh, migrated database of this test's own; dropped afterwards."""
    import psycopg

    name = f"pltest_{secrets.token_hex(5)}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name} TEMPLATE {db_template}")
    yield ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def paho1_python() -> str | None:
    """A Python interpreter with paho-mqtt 1.6.1 and the agent installed (made by scripts/test), or None."""
    candidate = REPO / ".venv-paho1" / "bin" / "python"
    return str(candidate) if candidate.exists() else None


@pytest.fixture(scope="session")
def agent_pythons(paho1_python: str | None) -> list[str]:
    """Interpreters to run the agent under: this one (paho 2.x) and, when present, the paho 1.6 one."""
    found = [sys.executable]
    if paho1_python:
        found.append(paho1_python)
    elif os.environ.get("CI"):
        raise RuntimeError("CI must test the agent under paho-mqtt 1.6 too: run scripts/test")
    return found
