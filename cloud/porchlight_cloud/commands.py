"""The cloud side of the command channel: send a command to one gateway or many, collect their acks.

Each gateway gets the command with an id of its own on ``<root>/<home>/<gateway>/cmd`` (QoS 1, as the
``porchlight-cloud`` MQTT user). Gateways that are offline receive it from their persistent session when
they come back, unless it has expired by then (``expires_ts``, the sender's ``ttl_s``); the sender waits
``timeout_s`` for acknowledgements and reports ``timeout`` for the rest. An HTTP endpoint calls this.

    sender = CommandSender(MqttLogin("127.0.0.1", 18830, password="..."))
    outcomes = sender.send([GatewayRef("home-1", "gw-1")], "set_intervals", {"report_interval_s": 600})
"""

from __future__ import annotations

import logging
import secrets
import ssl
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from porchlight_wire.commands import Ack, Command, parse_ack, parse_command
from porchlight_wire.errors import CommandError, TopicError
from porchlight_wire.topics import DEFAULT_ROOT, parse_topic, subscription, topic_for

__all__ = ["CommandOutcome", "CommandSender", "GatewayRef", "MqttLogin", "SendError"]

log = logging.getLogger("porchlight.cloud.commands")

TIMEOUT: Final = "timeout"
UNSENT: Final = "unsent"


class SendError(Exception):
    """The broker could not be reached, refused the login, or did not accept the commands in time."""


@dataclass(frozen=True, slots=True)
class GatewayRef:
    """One gateway, as the topic tree names it."""

    home_id: str
    gateway_id: str


@dataclass(frozen=True, slots=True)
class MqttLogin:
    """How the cloud reaches the broker."""

    host: str
    port: int
    username: str = "porchlight-cloud"
    password: str = ""
    ca_file: Path | None = None
    root: str = DEFAULT_ROOT


@dataclass(frozen=True, slots=True)
class CommandOutcome:
    """What became of a command sent to one gateway: its ack status, or ``timeout`` / ``unsent``."""

    gateway: GatewayRef
    command_id: str
    status: str
    reason: str | None = None
    result: Mapping[str, Any] = field(default_factory=dict)
    ack_ts: int | None = None


class CommandSender:
    """Sends commands through the broker and waits for the gateways' acknowledgements."""

    def __init__(self, login: MqttLogin, *, connect_timeout_s: float = 10.0) -> None:
        self.login = login
        self.connect_timeout_s = connect_timeout_s

    def send(
        self,
        gateways: GatewayRef | Sequence[GatewayRef],
        cmd: str,
        args: Mapping[str, Any] | None = None,
        *,
        ttl_s: int = 600,
        timeout_s: float = 30.0,
    ) -> dict[GatewayRef, CommandOutcome]:
        """Send ``cmd`` with ``args`` to each gateway and wait up to ``timeout_s`` for every ack.

        Raises CommandError when the command itself is invalid (nothing is sent) and SendError when the
        broker cannot be used.
        """
        targets = [gateways] if isinstance(gateways, GatewayRef) else list(gateways)
        now = int(time.time())
        commands: dict[str, tuple[GatewayRef, Command]] = {}
        for gateway in targets:
            command = Command(f"c-{secrets.token_hex(8)}", cmd, dict(args or {}), now, now + ttl_s)
            parse_command(command.to_json(), now_ts=now)  # the gateway would reject it: refuse it here
            try:
                topic_for(gateway.home_id, gateway.gateway_id, "cmd", self.login.root)
            except TopicError as exc:
                raise CommandError(f"gateway {gateway}: {exc}") from None
            commands[command.id] = (gateway, command)
        acks: dict[str, Ack] = {}
        done = threading.Condition()

        def on_message(_c: Any, _u: Any, message: Any) -> None:
            try:
                topic = parse_topic(message.topic)
                ack = parse_ack(message.payload)
            except (TopicError, CommandError) as exc:
                log.warning("event=bad_ack topic=%s reason=%r", message.topic, str(exc))
                return
            sent = commands.get(ack.id)
            if sent is None or (sent[0].home_id, sent[0].gateway_id) != (topic.home_id, topic.gateway_id):
                return  # someone else's command, or a gateway answering for another
            with done:
                acks.setdefault(ack.id, ack)
                done.notify_all()

        client = self._connect(on_message)
        try:
            self._subscribe(client, subscription("ack", self.login.root))
            infos = []
            for gateway, command in commands.values():
                topic = topic_for(gateway.home_id, gateway.gateway_id, "cmd", self.login.root)
                infos.append(client.publish(topic, command.to_json(), qos=1))
            deadline = time.monotonic() + timeout_s
            for info in infos:
                info.wait_for_publish(max(deadline - time.monotonic(), 0.1))
            unsent = {cid for info, cid in zip(infos, commands, strict=True) if not info.is_published()}
            with done:
                while len(acks) < len(commands) - len(unsent) and time.monotonic() < deadline:
                    done.wait(max(deadline - time.monotonic(), 0.0))
        finally:
            client.disconnect()
            client.loop_stop()
        outcomes: dict[GatewayRef, CommandOutcome] = {}
        for cid, (gateway, _command) in commands.items():
            ack = acks.get(cid)
            if ack is not None:
                outcomes[gateway] = CommandOutcome(gateway, cid, ack.status, ack.reason, ack.result, ack.ts)
            else:
                outcomes[gateway] = CommandOutcome(gateway, cid, UNSENT if cid in unsent else TIMEOUT)
        log.info("event=commands_sent cmd=%s gateways=%d acked=%d", cmd, len(commands), len(acks))
        return outcomes

    def _connect(self, on_message: Any) -> mqtt.Client:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"porchlight-cmd-{secrets.token_hex(4)}",
                             clean_session=True)
        client.username_pw_set(self.login.username, self.login.password)
        if self.login.ca_file is not None:
            client.tls_set(ca_certs=str(self.login.ca_file), cert_reqs=ssl.CERT_REQUIRED)
        connected = threading.Event()
        refused: list[str] = []

        def on_connect(_c: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
            if reason.is_failure:
                refused.append(str(reason))
            connected.set()

        client.on_connect = on_connect
        client.on_message = on_message
        try:
            client.connect(self.login.host, self.login.port, keepalive=30)
        except OSError as exc:
            raise SendError(f"cannot reach the broker at {self.login.host}:{self.login.port}: {exc}") from None
        client.loop_start()
        if not connected.wait(self.connect_timeout_s) or refused:
            client.loop_stop()
            raise SendError(f"the broker refused {self.login.username!r}: {refused[0] if refused else 'no CONNACK'}")
        return client

    def _subscribe(self, client: mqtt.Client, topic: str) -> None:
        subscribed = threading.Event()
        client.on_subscribe = lambda *_a: subscribed.set()
        client.subscribe(topic, qos=1)
        if not subscribed.wait(self.connect_timeout_s):
            raise SendError(f"no SUBACK for {topic}")
