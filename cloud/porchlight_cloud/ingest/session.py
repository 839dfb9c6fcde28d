"""Drop an ingest worker's persistent broker session, and with it every message queued for it.

A worker's session (``clean_start=False`` plus a session expiry) outlives the worker on purpose: a restart
gets back what was not acknowledged. Throwaway workers (tests, the demo, benchmarks) should not leave theirs
behind: each one keeps queueing every report published under its topic root until it expires, which is how
a long-lived development broker's ``mosquitto.db`` grows to hundreds of megabytes. Connecting once with the
same client id, ``clean_start=True`` and a session expiry of 0 makes the broker discard the old session, and
the new one ends with the disconnect.
"""

from __future__ import annotations

import threading
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from ..config import Settings


class SessionError(Exception):
    """The broker could not be reached or refused the connection; the message says which."""


def forget(settings: Settings, client_id: str | None = None, timeout: float = 10.0) -> None:
    """Discard the broker session of ``client_id`` (default: this worker's id). Raises SessionError."""
    connected = threading.Event()
    refused: list[str] = []

    def on_connect(client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if reason.is_failure:
            refused.append(str(reason))
        connected.set()

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id or settings.worker_id(),
                         protocol=mqtt.MQTTv5)
    client.username_pw_set(settings.mqtt_user, settings.mqtt_password)
    if settings.mqtt_tls:
        client.tls_set(ca_certs=settings.mqtt_ca_file or None)
    client.on_connect = on_connect
    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    props.SessionExpiryInterval = 0
    try:
        client.connect(settings.mqtt_host, settings.mqtt_port, keepalive=30, clean_start=True, properties=props)
    except OSError as exc:
        raise SessionError(f"broker {settings.mqtt_host}:{settings.mqtt_port} unreachable: {exc}") from None
    client.loop_start()
    try:
        if not connected.wait(timeout):
            raise SessionError(f"no answer from broker {settings.mqtt_host}:{settings.mqtt_port}")
        if refused:
            raise SessionError(f"the broker refused the connection: {refused[0]}")
    finally:
        client.disconnect()
        client.loop_stop()
