"""Sending simulated reports to MQTT (paho-mqtt 2.x, QoS 1, many messages in flight) and replaying files.

``MqttSink`` keeps up to ``window`` messages unacknowledged and blocks the producer beyond that, so a fast
generator never buffers a whole fleet in memory; ``close`` waits until the broker has acknowledged every
message. One sink per process: each worker process of the generator has its own connection.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from .recordfile import Record

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 18830
DEFAULT_USER = "porchlight-fleet"
DEFAULT_PASSWORD = "porchlight-fleet-dev"


class MqttError(RuntimeError):
    """The broker refused us, could not be reached, or stopped acknowledging."""


@dataclass(frozen=True, slots=True)
class BrokerTarget:
    """Where and as whom the simulator publishes."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    username: str | None = DEFAULT_USER
    password: str | None = DEFAULT_PASSWORD
    ca_file: Path | None = None
    qos: int = 1
    #: Messages paho keeps in flight (sent, not yet acknowledged) on the connection.
    max_inflight: int = 1000
    client_id_prefix: str = "porchlight-sim"
    connect_timeout_s: float = 15.0
    #: Give up when the broker acknowledges nothing for this long while messages are outstanding.
    stall_timeout_s: float = 60.0


class MqttSink:
    """Publishes messages at QoS 1 and tracks their acknowledgements."""

    def __init__(self, target: BrokerTarget, client_id: str) -> None:
        self.target = target
        self.window = max(target.max_inflight * 4, 100)
        self.sent = 0
        self.acked = 0
        self._cond = threading.Condition()
        self._connected = threading.Event()
        self._refused: str | None = None
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311,
                             clean_session=True)
        if target.username is not None:
            client.username_pw_set(target.username, target.password)
        if target.ca_file is not None:
            client.tls_set(ca_certs=str(target.ca_file))
        client.max_inflight_messages_set(target.max_inflight)
        client.max_queued_messages_set(0)
        client.reconnect_delay_set(1, 10)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        self._client = client

    # paho callbacks (network thread) ---------------------------------------------------------------------

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if reason.is_failure:
            self._refused = str(reason)
        self._connected.set()

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        self._connected.clear()

    def _on_publish(self, client: Any, userdata: Any, mid: int, reason: Any, properties: Any) -> None:
        with self._cond:
            self.acked += 1
            self._cond.notify_all()

    # producer side ---------------------------------------------------------------------------------------

    def connect(self) -> None:
        """Connect and start the network thread; MqttError when refused or unreachable."""
        t = self.target
        try:
            self._client.connect(t.host, t.port, keepalive=60)
        except OSError as exc:
            raise MqttError(f"cannot reach the broker at {t.host}:{t.port}: {exc}") from None
        self._client.loop_start()
        if not self._connected.wait(t.connect_timeout_s):
            self._client.loop_stop()
            raise MqttError(f"no CONNACK from {t.host}:{t.port} within {t.connect_timeout_s:g}s")
        if self._refused is not None:
            self._client.loop_stop()
            raise MqttError(f"the broker refused the connection: {self._refused} (user {t.username!r})")

    def publish(self, topic: str, payload: bytes) -> None:
        """Publish one message, waiting while ``window`` messages are still unacknowledged."""
        with self._cond:
            self._wait_below(self.window)
            self.sent += 1
        info = self._client.publish(topic, payload, qos=self.target.qos)
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            raise MqttError(f"publish failed: {mqtt.error_string(info.rc)}")

    def publish_all(self, records: Iterable[Record]) -> int:
        """Publish every record; returns how many."""
        count = 0
        for record in records:
            self.publish(record.topic, record.payload)
            count += 1
        return count

    def flush(self) -> None:
        """Wait until every message sent has been acknowledged."""
        with self._cond:
            self._wait_below(1)

    def close(self) -> None:
        """Flush, disconnect and stop the network thread."""
        try:
            self.flush()
        finally:
            self._client.disconnect()
            self._client.loop_stop()

    def _wait_below(self, limit: int) -> None:
        # Called with the condition held. Fails when acknowledgements stop arriving altogether.
        last_acked, last_change = self.acked, time.monotonic()
        while self.sent - self.acked >= limit:
            self._cond.wait(1.0)
            if self.acked != last_acked:
                last_acked, last_change = self.acked, time.monotonic()
            elif time.monotonic() - last_change > self.target.stall_timeout_s:
                raise MqttError(f"the broker acknowledged nothing for {self.target.stall_timeout_s:g}s "
                                f"({self.sent - self.acked} messages outstanding)")
