"""One small MQTT client surface over paho-mqtt 1.6 (OpenWrt's feed) and paho-mqtt 2.x.

paho 2 needs ``Client(CallbackAPIVersion.VERSION2, ...)`` and passes reason codes and properties to its
callbacks; paho 1.6 has no CallbackAPIVersion and passes plain integers. ``new_client`` hides both behind
four callbacks with version-free arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import paho.mqtt
import paho.mqtt.client as mqtt

__all__ = ["PAHO_VERSION", "Callbacks", "TlsFiles", "is_connected_ok", "new_client", "reason_text"]

PAHO_VERSION: Final = tuple(int(p) for p in paho.mqtt.__version__.split(".")[:2])
_HAS_CALLBACK_API: Final = hasattr(mqtt, "CallbackAPIVersion")


@dataclass(frozen=True, slots=True)
class Callbacks:
    """What the caller wants to hear about, in version-free terms.

    ``on_connect(ok, reason)``: a CONNACK arrived; ``on_disconnect(reason)``: the connection is gone;
    ``on_publish(mid)``: the broker acknowledged a QoS 1 publish; ``on_message(topic, payload)``.
    """

    on_connect: Callable[[bool, str], None]
    on_disconnect: Callable[[str], None]
    on_publish: Callable[[int], None]
    on_message: Callable[[str, bytes], None]


@dataclass(frozen=True, slots=True)
class TlsFiles:
    """TLS material: a CA file (None: the system's CAs) and an optional client certificate and key."""

    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None


def is_connected_ok(rc: Any) -> bool:
    """Whether a CONNACK result (an int on paho 1.6, a ReasonCode on paho 2) means success."""
    value = getattr(rc, "value", rc)
    return bool(value == 0)


def reason_text(rc: Any, *, connack: bool = True) -> str:
    """A readable reason for a CONNACK result (``connack``) or a client error code, of either paho line."""
    if rc is None:
        return "unknown"
    if type(rc) is int or (isinstance(rc, int) and not hasattr(rc, "getName")):
        if rc == 0:
            return "success"
        return mqtt.connack_string(rc) if connack else mqtt.error_string(rc)
    return str(rc)


def new_client(
    client_id: str,
    callbacks: Callbacks,
    *,
    clean_session: bool,
    protocol: str = "3.1.1",
    username: str | None = None,
    password: str | None = None,
    tls: TlsFiles | None = None,
    will: tuple[str, bytes] | None = None,
    connect_timeout_s: float = 10.0,
    max_inflight: int = 20,
) -> mqtt.Client:
    """A configured paho client (not yet connected). ``will`` is (topic, payload), sent retained at QoS 1."""
    proto = mqtt.MQTTv5 if protocol == "5" else mqtt.MQTTv311
    kwargs: dict[str, Any] = {"client_id": client_id, "protocol": proto}
    if proto != mqtt.MQTTv5:
        kwargs["clean_session"] = clean_session  # MQTT 5 takes clean_start in connect() instead
    # paho 2 wants the callback API named; paho 1.6 has only the one (and no CallbackAPIVersion).
    client = (mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, **kwargs)  # type: ignore[attr-defined]
              if _HAS_CALLBACK_API else mqtt.Client(**kwargs))

    # The positional tails differ by paho line and protocol; every shape carries the same facts.
    def on_connect(_c: Any, _u: Any, _flags: Any, rc: Any, *_rest: Any) -> None:
        callbacks.on_connect(is_connected_ok(rc), reason_text(rc))

    def on_disconnect(_c: Any, _u: Any, *rest: Any) -> None:
        # paho 1.6: (rc[, properties]); paho 2 VERSION2: (flags, reason_code, properties)
        rc = rest[1] if _HAS_CALLBACK_API and len(rest) >= 2 else (rest[0] if rest else None)
        callbacks.on_disconnect(reason_text(rc, connack=False))

    def on_publish(_c: Any, _u: Any, mid: int, *_rest: Any) -> None:
        callbacks.on_publish(mid)

    def on_message(_c: Any, _u: Any, message: Any) -> None:
        callbacks.on_message(message.topic, bytes(message.payload))

    client.on_connect = on_connect
    client.on_disconnect = on_disconnect
    client.on_publish = on_publish
    client.on_message = on_message
    if username is not None:
        client.username_pw_set(username, password)
    if tls is not None:
        # Imported here: OpenWrt ships ssl in python3-openssl, which a gateway without TLS need not install,
        # and importing it costs ~5 MB of RSS (config.tls_available checks it at start-up).
        import ssl

        client.tls_set(
            ca_certs=str(tls.ca_file) if tls.ca_file else None,
            certfile=str(tls.cert_file) if tls.cert_file else None,
            keyfile=str(tls.key_file) if tls.key_file else None,
            cert_reqs=ssl.CERT_REQUIRED,
        )
    if will is not None:
        client.will_set(will[0], will[1], qos=1, retain=True)
    client.max_inflight_messages_set(max_inflight)
    client.max_queued_messages_set(0)
    if hasattr(type(client), "connect_timeout"):
        client.connect_timeout = connect_timeout_s
    else:  # paho 1.6 keeps it private, with no setter
        client._connect_timeout = connect_timeout_s
    return client


def connect(client: mqtt.Client, host: str, port: int, keepalive: int, *, protocol: str = "3.1.1") -> None:
    """Open the connection (blocking TCP/TLS connect, CONNECT sent; the CONNACK arrives in ``loop``).

    Raises OSError (including ssl.SSLError) when the broker cannot be reached.
    """
    if protocol == "5":
        client.connect(host, port, keepalive, clean_start=False)
    else:
        client.connect(host, port, keepalive)
