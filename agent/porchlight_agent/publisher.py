"""The MQTT side of the agent: connect with back-off, announce status, drain the queue, carry commands.

One network thread owns the paho client (paho 1.6 or 2.x, through ``mqtt_compat``); nothing else calls
into paho. Reports are published QoS 1 from the on-disk queue, oldest first, at a bounded rate with a
bounded number in flight, and each is deleted only when its PUBACK arrives. Each connection attempt gets a
fresh client object with the same client id and ``clean_session=False``: the broker keeps the session
(subscriptions, commands queued while offline) and anything unacknowledged is simply published again from
disk (at least once; the cloud removes duplicates by ``(boot_id, seq)``).

Reconnects use exponential back-off with full jitter, and the first connect after start waits a random
share of ``connect_spread_s``, so a fleet coming back after a broker outage spreads itself out.
"""

from __future__ import annotations

import logging
import queue as stdqueue
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from . import mqtt_compat
from .loop import Clock, SystemClock
from .mqtt_compat import Callbacks, TlsFiles
from .queue import ReportQueue

__all__ = [
    "BrokerSettings", "PublishError", "Publisher", "TokenBucket", "Topics", "backoff_delay",
    "first_connect_delay", "publish_once",
]

log = logging.getLogger("porchlight.publisher")

STATUS_ONLINE: Final = b"online"
STATUS_OFFLINE: Final = b"offline"
_LOOP_TIMEOUT_S: Final = 1.0


def backoff_delay(attempt: int, *, base: float, cap: float,
                  uniform: Callable[[float, float], float] = random.uniform) -> float:
    """Seconds to wait before reconnect attempt ``attempt`` (0 = the first retry): full jitter,
    ``uniform(0, min(cap, base * 2**attempt))``."""
    if attempt < 0:
        raise ValueError("attempt must not be negative")
    ceiling = min(cap, base * 2.0 ** min(attempt, 64))
    return uniform(0.0, ceiling)


def first_connect_delay(spread_s: float, uniform: Callable[[float, float], float] = random.uniform) -> float:
    """Seconds to wait before the first connect after start: uniform over the spread."""
    return uniform(0.0, spread_s) if spread_s > 0 else 0.0


class TokenBucket:
    """Rate limit: ``rate`` tokens per real second, at most ``burst`` saved up."""

    def __init__(self, rate: float, burst: float, now: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self._now = now
        self._tokens = burst
        self._last = now()

    def take(self) -> bool:
        """Take one token if there is one."""
        self._refill()
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    def wait_s(self) -> float:
        """Seconds until the next token."""
        self._refill()
        return 0.0 if self._tokens >= 1.0 else (1.0 - self._tokens) / self.rate

    def _refill(self) -> None:
        now = self._now()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now


@dataclass(frozen=True, slots=True)
class BrokerSettings:
    """Where and as whom to connect."""

    host: str
    port: int
    client_id: str
    username: str | None = None
    password: str | None = None
    tls: TlsFiles | None = None
    protocol: str = "3.1.1"
    keepalive_s: int = 60
    connect_timeout_s: float = 10.0
    clean_session: bool = False


@dataclass(frozen=True, slots=True)
class Topics:
    """This gateway's four topics."""

    report: str
    status: str
    cmd: str
    ack: str


class PublishError(Exception):
    """A one-shot publish did not get its PUBACK (broker unreachable, refused, or too slow)."""


class Publisher:
    """Keeps the gateway connected and publishes the queue; runs in its own thread."""

    def __init__(
        self,
        settings: BrokerSettings,
        topics: Topics,
        queue: ReportQueue,
        *,
        on_command: Callable[[bytes], None],
        clock: Clock | None = None,
        drain_rate: float = 20.0,
        max_inflight: int = 10,
        backoff_min_s: float = 1.0,
        backoff_max_s: float = 300.0,
        connect_spread_s: float = 30.0,
        uniform: Callable[[float, float], float] = random.uniform,
    ) -> None:
        self.settings = settings
        self.topics = topics
        self.queue = queue
        self._on_command = on_command
        self._clock = clock or SystemClock()
        self._bucket = TokenBucket(drain_rate, max(drain_rate, 1.0))
        self._max_inflight = max_inflight
        self._backoff = (backoff_min_s, backoff_max_s)
        self._spread = connect_spread_s
        self._uniform = uniform
        self._outbox: stdqueue.Queue[tuple[str, bytes]] = stdqueue.Queue()
        self._stopping = threading.Event()
        self.connected = threading.Event()
        self._thread: threading.Thread | None = None
        # Per connection, touched only by the network thread:
        self._inflight: dict[int, int] = {}  # mid -> queue seq
        self._acks_inflight: dict[int, tuple[str, bytes]] = {}
        self._connack: tuple[bool, str] | None = None
        self._offline_mid: int | None = None
        self._offline_acked = threading.Event()
        self.published = 0
        self.acknowledged = 0

    # ---- control (any thread) -------------------------------------------------------------------------

    def start(self) -> None:
        """Start the network thread."""
        self._thread = threading.Thread(target=self._run, name="porchlight-mqtt", daemon=True)
        self._thread.start()

    def stop(self, grace_s: float = 3.0) -> None:
        """Say "offline", disconnect and stop the thread (waits at most about ``grace_s``)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(grace_s + self.settings.connect_timeout_s)

    def send_ack(self, payload: bytes) -> None:
        """Publish a command acknowledgement (QoS 1) as soon as the connection allows."""
        self._outbox.put((self.topics.ack, payload))

    # ---- the network thread ---------------------------------------------------------------------------

    def _run(self) -> None:
        delay = first_connect_delay(self._spread, self._uniform)
        attempt = 0
        while not self._stopping.is_set():
            if delay > 0:
                log.info("event=mqtt_wait delay_s=%.1f attempt=%d", delay, attempt)
                if self._stopping.wait(self._clock.real_seconds(delay)):
                    break
            client = self._new_client()
            try:
                mqtt_compat.connect(client, self.settings.host, self.settings.port, self.settings.keepalive_s,
                                    protocol=self.settings.protocol)
            except OSError as exc:  # refused, unreachable, TLS handshake failure, DNS
                log.warning("event=mqtt_connect_failed host=%s port=%d attempt=%d error=%r",
                            self.settings.host, self.settings.port, attempt, str(exc)[:200])
                delay = backoff_delay(attempt, base=self._backoff[0], cap=self._backoff[1], uniform=self._uniform)
                attempt += 1
                continue
            was_up = self._session(client)
            if was_up:
                attempt = 0
            delay = backoff_delay(attempt, base=self._backoff[0], cap=self._backoff[1], uniform=self._uniform)
            attempt += 1

    def _new_client(self) -> Any:
        s = self.settings
        self._connack = None
        self._inflight.clear()
        self.queue.clear_sending()
        for item in self._acks_inflight.values():  # acks never acknowledged go out again
            self._outbox.put(item)
        self._acks_inflight.clear()
        return mqtt_compat.new_client(
            s.client_id,
            Callbacks(self._handle_connect, self._handle_disconnect, self._handle_publish, self._handle_message),
            clean_session=s.clean_session, protocol=s.protocol, username=s.username, password=s.password,
            tls=s.tls, will=(self.topics.status, STATUS_OFFLINE), connect_timeout_s=s.connect_timeout_s,
            max_inflight=self._max_inflight + 10,
        )

    def _session(self, client: Any) -> bool:
        """Run one connection until it drops or the agent stops; True if the broker accepted it."""
        connack_by = time.monotonic() + self.settings.connect_timeout_s
        accepted = False
        timeout = _LOOP_TIMEOUT_S
        while True:
            rc = client.loop(timeout=timeout)
            if rc != 0:
                break
            if self._connack is None:
                if time.monotonic() > connack_by or self._stopping.is_set():
                    log.warning("event=mqtt_connack_timeout host=%s", self.settings.host)
                    break
                timeout = 0.1
                continue
            if not self._connack[0]:
                break  # refused: bad credentials, not authorised
            if not accepted:
                accepted = True
                self._on_connected(client)
            if self._stopping.is_set():
                self._flush(client)
                self._say_offline(client)
                break
            self._send_outbox(client)
            timeout = self._drain(client)
        self.connected.clear()
        client.disconnect()
        try:
            client.loop(timeout=0.01)
        except OSError:
            pass
        return accepted

    def _on_connected(self, client: Any) -> None:
        self.connected.set()
        client.subscribe(self.topics.cmd, qos=1)
        client.publish(self.topics.status, STATUS_ONLINE, qos=1, retain=True)
        log.info("event=mqtt_connected host=%s port=%d tls=%s queue_depth=%d", self.settings.host,
                 self.settings.port, self.settings.tls is not None, len(self.queue))

    def _flush(self, client: Any, grace_s: float = 2.0) -> None:
        """On the way out: send what is queued (the last partial report, pending acks) for a moment."""
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline and (len(self.queue) or self._inflight or not self._outbox.empty()):
            self._send_outbox(client)
            self._drain(client)
            if client.loop(timeout=0.05) != 0:
                return

    def _say_offline(self, client: Any) -> None:
        info = client.publish(self.topics.status, STATUS_OFFLINE, qos=1, retain=True)
        self._offline_mid = info.mid
        deadline = time.monotonic() + 2.0
        while not self._offline_acked.is_set() and time.monotonic() < deadline:
            if client.loop(timeout=0.1) != 0:
                break

    def _send_outbox(self, client: Any) -> None:
        while True:
            try:
                topic, payload = self._outbox.get_nowait()
            except stdqueue.Empty:
                return
            info = client.publish(topic, payload, qos=1)
            self._acks_inflight[info.mid] = (topic, payload)

    def _drain(self, client: Any) -> float:
        """Publish queued reports within the in-flight and rate bounds; returns how long loop() may wait."""
        room = self._max_inflight - len(self._inflight)
        if room <= 0:
            return _LOOP_TIMEOUT_S
        entries = self.queue.oldest(room, exclude=set(self._inflight.values()))
        for entry in entries:
            if not self._bucket.take():
                return max(min(self._bucket.wait_s(), _LOOP_TIMEOUT_S), 0.01)
            message = self.queue.read(entry)
            if message is None:
                continue
            info = client.publish(self.topics.report, message, qos=1)
            if info.rc != 0:
                return 0.1
            self._inflight[info.mid] = entry.seq
            self.queue.mark_sending(entry.seq)
            self.published += 1
        return _LOOP_TIMEOUT_S

    # ---- paho callbacks (network thread) --------------------------------------------------------------

    def _handle_connect(self, ok: bool, reason: str) -> None:
        self._connack = (ok, reason)
        if not ok:
            log.error("event=mqtt_refused host=%s user=%s reason=%r (check mqtt_user/mqtt_password and the "
                      "broker ACL)", self.settings.host, self.settings.username, reason)

    def _handle_disconnect(self, reason: str) -> None:
        if self.connected.is_set():
            log.warning("event=mqtt_disconnected reason=%r inflight=%d", reason, len(self._inflight))
        self.connected.clear()

    def _handle_publish(self, mid: int) -> None:
        seq = self._inflight.pop(mid, None)
        if seq is not None:
            self.queue.remove(seq)
            self.acknowledged += 1
            return
        self._acks_inflight.pop(mid, None)
        if mid == self._offline_mid:
            self._offline_acked.set()

    def _handle_message(self, topic: str, payload: bytes) -> None:
        if topic == self.topics.cmd:
            self._on_command(payload)


def publish_once(settings: BrokerSettings, topic: str, message: bytes) -> None:
    """Connect, publish one message QoS 1, wait for its PUBACK and disconnect; PublishError on failure."""
    state: dict[str, Any] = {"connack": None, "acked": set(), "gone": None}
    client = mqtt_compat.new_client(
        settings.client_id,
        Callbacks(
            on_connect=lambda ok, reason: state.__setitem__("connack", (ok, reason)),
            on_disconnect=lambda reason: state.__setitem__("gone", reason),
            on_publish=lambda mid: state["acked"].add(mid),
            on_message=lambda topic, payload: None,
        ),
        clean_session=settings.clean_session, protocol=settings.protocol, username=settings.username,
        password=settings.password, tls=settings.tls, connect_timeout_s=settings.connect_timeout_s,
    )
    where = f"{settings.host}:{settings.port}"
    try:
        mqtt_compat.connect(client, settings.host, settings.port, settings.keepalive_s, protocol=settings.protocol)
    except OSError as exc:
        raise PublishError(f"cannot reach the broker at {where}: {exc}") from None
    deadline = time.monotonic() + settings.connect_timeout_s
    try:
        while state["connack"] is None:
            rc = client.loop(timeout=0.1)
            if state["connack"] is not None:
                break
            if rc != 0:
                raise PublishError(f"connection to {where} lost before the CONNACK: "
                                   f"{mqtt_compat.reason_text(rc, connack=False)}")
            if time.monotonic() > deadline:
                raise PublishError(f"no CONNACK from {where} within {settings.connect_timeout_s:g}s")
        ok, reason = state["connack"]
        if not ok:
            raise PublishError(f"the broker at {where} refused user {settings.username!r}: {reason}")
        info = client.publish(topic, message, qos=1)
        while info.mid not in state["acked"]:
            if client.loop(timeout=0.1) != 0:
                raise PublishError(f"connection to {where} lost before the PUBACK: {state['gone']}")
            if time.monotonic() > deadline:
                raise PublishError(f"no PUBACK from {where} within {settings.connect_timeout_s:g}s")
    finally:
        client.disconnect()
