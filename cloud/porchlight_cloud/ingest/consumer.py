"""The ingest worker: take reports from the broker, write them in batches, acknowledge after commit.

MQTT v5 with a stable client id, ``clean_start=False`` and a session expiry, subscribed at QoS 1 through a
shared subscription, so any number of workers split the load and a restarted worker gets back what it had
not acknowledged. Acknowledgement is manual and happens only after the batch's transaction committed: a
crash redelivers, never loses, and the report ledger makes the redelivery a no-op. ReceiveMaximum bounds
the unacknowledged messages the broker sends, and the worker's own inbox is bounded the same way (a full
inbox stops paho reading the socket), so while the database is slow or down the worker simply stops
acknowledging, its memory stays bounded and the broker holds the rest; the batch is retried with backoff
until the database is back. If the broker drops the stalled connection, the session resumes and
redelivers; the ledger turns the redelivery into a no-op.

Two stages overlap: the main thread collects and decodes the next batch while a writer thread stores
the previous one and acknowledges it after commit (the database's share of a batch no longer idles the
decoder). At most two batches are past the inbox at any time, so memory stays bounded.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, NamedTuple

import paho.mqtt.client as mqtt
import psycopg
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from porchlight_wire import subscription

from ..config import Settings
from ..store import workers as workers_store
from . import batch_stats
from .decode import Incoming
from .metrics import Metrics
from .opener import Opener
from .rows import Summary
from .writer import BatchResult, Rejected, Writer

if TYPE_CHECKING:
    from collections.abc import Sequence

log = logging.getLogger(__name__)
RETRYABLE: Final = (psycopg.OperationalError, psycopg.InterfaceError, psycopg.errors.DeadlockDetected,
                    psycopg.errors.SerializationFailure, psycopg.errors.LockNotAvailable)
STATS_LOG_S: Final = 10.0
_FATAL_CONNACK: Final = ("Bad user name or password", "Not authorized", "Client identifier not valid",
                         "Banned", "Bad authentication method")


PIPELINE_DEPTH: Final = 2          # batches past the inbox: one being stored, one being decoded


class IngestFatalError(Exception):
    """The worker cannot run at all (the broker refuses its credentials); the message says what to fix."""


class _Decoded(NamedTuple):
    """A decoded batch on its way from the decoder to the writer thread."""

    batch: list[Incoming]
    summaries: list[Summary]
    rejected: list[Rejected]
    started: float


class Consumer:
    """One ingest worker. ``run()`` blocks until ``stop`` is set."""

    def __init__(self, settings: Settings, stop: threading.Event | None = None) -> None:
        self.settings = settings
        self.stop = stop or threading.Event()
        self.worker_id = settings.worker_id()
        self.metrics = Metrics()
        self.opener = Opener(settings)
        # Bounded by us too: Mosquitto 2.0.11 overshoots a client's ReceiveMaximum once a backlog drains, so
        # a full inbox blocks paho's network thread, which stops reading the socket (TCP backpressure).
        self._inbox: queue.Queue[Incoming] = queue.Queue(maxsize=settings.receive_maximum)
        self._generation = 0
        self._connected = threading.Event()
        self.ready = threading.Event()  # set once the broker confirmed the subscription
        self._fatal: str | None = None
        self._handoff: queue.Queue[_Decoded | None] = queue.Queue()
        self._in_flight = threading.Semaphore(PIPELINE_DEPTH)
        self._writer_error: BaseException | None = None
        self._conn: psycopg.Connection[Any] | None = None
        self._writer: Writer | None = None
        self._started_at = datetime.now(UTC)
        self._client = self._make_client()

    # ---------------------------------------------------------------------------------------------- MQTT
    def _make_client(self) -> mqtt.Client:
        s = self.settings
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.worker_id, protocol=mqtt.MQTTv5,
                             manual_ack=True)
        client.username_pw_set(s.mqtt_user, s.mqtt_password)
        if s.mqtt_tls:
            client.tls_set(ca_certs=s.mqtt_ca_file or None)
        client.reconnect_delay_set(1, 30)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        return client

    def _connect_properties(self) -> Properties:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = self.settings.session_expiry_s
        props.ReceiveMaximum = self.settings.receive_maximum
        return props

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if reason.is_failure:
            log.error("event=mqtt_connect_failed worker=%s reason=%r", self.worker_id, str(reason))
            if str(reason) in _FATAL_CONNACK:
                self._fatal = (f"the broker refused the connection ({reason}): check PORCHLIGHT_MQTT_USER, "
                               "PORCHLIGHT_MQTT_PASSWORD and PORCHLIGHT_INGEST_CLIENT_ID")
                self.stop.set()
            return
        self._generation += 1
        topic = subscription("report", self.settings.topic_root, self.settings.share_group)
        client.subscribe(topic, qos=1)
        self._connected.set()
        log.info("event=mqtt_connected worker=%s session_present=%s subscription=%s generation=%d",
                 self.worker_id, getattr(flags, "session_present", None), topic, self._generation)

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: int, reasons: Any, properties: Any) -> None:
        failed = [str(r) for r in reasons if r.is_failure]
        if failed:
            log.error("event=mqtt_subscribe_failed worker=%s reasons=%s", self.worker_id, ",".join(failed))
            return
        self.ready.set()

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        self._connected.clear()
        if not self.stop.is_set():
            log.warning("event=mqtt_disconnected worker=%s reason=%r", self.worker_id, str(reason))

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        incoming = Incoming(message.topic, message.payload, time.time(), message.mid, message.qos, self._generation)
        while not self.stop.is_set():
            try:
                self._inbox.put(incoming, timeout=0.5)
                return
            except queue.Full:
                continue  # the database is slow or down: hold the socket until the worker catches up
        # Stopping: the message is dropped unacknowledged and the broker redelivers it.

    def _connect_mqtt(self) -> None:
        s = self.settings
        delay = 0.5
        while not self.stop.is_set():
            try:
                self._client.connect(s.mqtt_host, s.mqtt_port, keepalive=30, clean_start=False,
                                     properties=self._connect_properties())
                break
            except OSError as exc:
                log.warning("event=mqtt_unreachable host=%s port=%d error=%r retry_in=%.1f", s.mqtt_host,
                            s.mqtt_port, str(exc), delay)
                self.stop.wait(delay)
                delay = min(delay * 2, 30)
        self._client.loop_start()

    # ---------------------------------------------------------------------------------------------- database
    def _connect_db(self) -> None:
        self._close_db()
        conn = psycopg.connect(self.settings.db_url, autocommit=True, connect_timeout=10,
                               application_name=f"porchlight-ingest {self.worker_id}")
        self._conn = conn
        self._writer = Writer(conn, self.worker_id)
        self.opener.load(conn)
        log.info("event=db_connected worker=%s", self.worker_id)

    def _close_db(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except psycopg.Error:
                pass
        self._conn = None
        self._writer = None

    def _restore_metrics(self) -> None:
        assert self._conn is not None
        saved = workers_store.load(self._conn, self.worker_id)
        if saved:
            self.metrics = Metrics.from_snapshot(saved)

    def _save_metrics(self) -> None:
        if self._conn is None:
            return
        try:
            workers_store.save(self._conn, self.worker_id, socket.gethostname(), os.getpid(), self._started_at,
                               self.metrics.snapshot())
        except psycopg.Error as exc:
            log.warning("event=metrics_save_failed error=%r", str(exc)[:200])
            self._close_db()

    # ---------------------------------------------------------------------------------------------- loop
    def run(self) -> None:
        """Consume until stopped: connect, then collect -> decode -> write -> acknowledge, batch after batch."""
        self._wait_for_db()
        if self.stop.is_set():
            self._raise_if_fatal()
            return
        self._restore_metrics()
        self._connect_mqtt()
        writer = threading.Thread(target=self._write_loop, name="ingest-writer", daemon=True)
        writer.start()
        try:
            while not self.stop.is_set():
                if not self._in_flight.acquire(timeout=0.2):
                    continue      # both pipeline slots busy: the writer is behind (or the database is down)
                batch = self._collect()
                if batch:
                    self._handoff.put(self._decode_batch(batch))
                else:
                    self._in_flight.release()
        finally:
            self.stop.set()
            self._handoff.put(None)
            writer.join(60)
            self._client.disconnect()
            self._client.loop_stop()
            self._save_metrics()
            self._close_db()
            self.opener.close()
            log.info("event=ingest_stopped worker=%s", self.worker_id)
        if self._writer_error is not None:
            raise self._writer_error
        self._raise_if_fatal()

    def _write_loop(self) -> None:
        """The writer thread: store each decoded batch, acknowledge it, and keep the metrics row fresh."""
        last_flush = last_stats = time.monotonic()
        stats_base = self.metrics.get("messages_received_total")
        try:
            while True:
                try:
                    decoded = self._handoff.get(timeout=0.2)
                except queue.Empty:
                    if self.stop.is_set():
                        return
                else:
                    if decoded is None:
                        return
                    try:
                        if not self.stop.is_set():
                            self._store_batch(decoded)
                    finally:
                        self._in_flight.release()
                now = time.monotonic()
                if now - last_flush >= self.settings.metrics_flush_s:
                    if self._conn is None:
                        self._try_reconnect_db()
                    self._save_metrics()
                    last_flush = now
                if now - last_stats >= STATS_LOG_S:
                    log.info("event=ingest_stats worker=%s %s", self.worker_id,
                             batch_stats.summary(self.metrics, now - last_stats, stats_base))
                    last_stats, stats_base = now, self.metrics.get("messages_received_total")
        except BaseException as exc:
            log.exception("event=writer_failed worker=%s", self.worker_id)
            self._writer_error = exc
            self.stop.set()

    def _raise_if_fatal(self) -> None:
        if self._fatal:
            raise IngestFatalError(self._fatal)

    def _wait_for_db(self) -> None:
        delay = 0.5
        while not self.stop.is_set():
            try:
                self._connect_db()
                return
            except psycopg.OperationalError as exc:
                log.warning("event=db_unreachable error=%r retry_in=%.1f", str(exc)[:200], delay)
                self.stop.wait(delay)
                delay = min(delay * 2, 30)

    def _try_reconnect_db(self) -> None:
        try:
            self._connect_db()
        except psycopg.OperationalError:
            self._close_db()

    def _collect(self) -> list[Incoming]:
        """Up to batch_max messages, waiting at most batch_wait_ms after the first one."""
        try:
            first = self._inbox.get(timeout=0.2)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self.settings.batch_wait_ms / 1000
        while len(batch) < self.settings.batch_max:
            remaining = deadline - time.monotonic()
            try:
                batch.append(self._inbox.get_nowait() if remaining <= 0 else self._inbox.get(timeout=remaining))
            except queue.Empty:
                break
        return batch

    def _decode_batch(self, batch: list[Incoming]) -> _Decoded:
        started = time.monotonic()
        summaries: list[Summary] = []
        rejected: list[Rejected] = []
        for incoming in batch:
            outcome = self.opener.open(incoming)
            if isinstance(outcome, Rejected):
                rejected.append(outcome)
            else:
                summaries.append(outcome)
        return _Decoded(batch, summaries, rejected, started)

    def _store_batch(self, decoded: _Decoded) -> None:
        batch = decoded.batch
        result = self._write_with_retry(decoded.summaries, decoded.rejected, batch[0].generation)
        if result is None:
            return  # stopped or reconnected before the commit: nothing acknowledged, the broker redelivers
        self._ack(batch)
        batch_stats.count(self.metrics, batch, result, time.monotonic() - decoded.started, self.worker_id)

    def _ack(self, batch: Sequence[Incoming]) -> None:
        generation = self._generation
        for incoming in batch:
            if incoming.qos > 0 and incoming.generation == generation:
                self._client.ack(incoming.mid, incoming.qos)

    def _write_with_retry(self, summaries: list[Summary], rejected: list[Rejected],
                          generation: int) -> BatchResult | None:
        delay = 0.2
        while not self.stop.is_set():
            try:
                if self._writer is None:
                    self._connect_db()
                assert self._writer is not None
                return self._writer.write_isolating(summaries, rejected)
            except RETRYABLE as exc:
                self.metrics.inc("db_errors_total")
                log.warning("event=db_error worker=%s error=%r retry_in=%.1f batch=%d", self.worker_id,
                            str(exc).strip()[:200], delay, len(summaries) + len(rejected))
                if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
                    self._close_db()
                elif self._writer is not None:
                    self._writer.forget()
                if self.stop.wait(delay):
                    return None
                delay = min(delay * 2, 5)
                if self._generation != generation:
                    # The broker session was resumed meanwhile and redelivers this batch: our message ids
                    # are no longer valid, so drop it rather than hold two copies in memory.
                    return None
        return None
