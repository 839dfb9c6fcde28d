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
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
import time
from datetime import UTC, datetime
from typing import Any, Final

import paho.mqtt.client as mqtt
import psycopg
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from porchlight_wire import Decoder, DictionaryStore, UnknownDictionaryError, WireError, subscription

from ..config import Settings
from ..store import dictionaries as dictionaries_store
from ..store import workers as workers_store
from .decode import Incoming, decode
from .errors import InternalDecodeError
from .metrics import Metrics
from .rows import Summary, summarize
from .writer import BatchResult, Rejected, Writer, lag_seconds

log = logging.getLogger(__name__)
RETRYABLE: Final = (psycopg.OperationalError, psycopg.InterfaceError, psycopg.errors.DeadlockDetected,
                    psycopg.errors.SerializationFailure, psycopg.errors.LockNotAvailable)
DICTIONARY_RELOAD_S: Final = 30.0
STATS_LOG_S: Final = 10.0
_FATAL_CONNACK: Final = ("Bad user name or password", "Not authorized", "Client identifier not valid",
                         "Banned", "Bad authentication method")


class IngestFatalError(Exception):
    """The worker cannot run at all (the broker refuses its credentials); the message says what to fix."""


class Consumer:
    """One ingest worker. ``run()`` blocks until ``stop`` is set."""

    def __init__(self, settings: Settings, stop: threading.Event | None = None) -> None:
        self.settings = settings
        self.stop = stop or threading.Event()
        self.worker_id = settings.worker_id()
        self.metrics = Metrics()
        self.dictionaries = DictionaryStore.shipped()
        self.decoder = Decoder(self.dictionaries, max_message_bytes=settings.max_message_bytes,
                               max_body_bytes=settings.max_body_bytes)
        # Bounded by us too: Mosquitto 2.0.11 overshoots a client's ReceiveMaximum once a backlog drains, so
        # a full inbox blocks paho's network thread, which stops reading the socket (TCP backpressure).
        self._inbox: queue.Queue[Incoming] = queue.Queue(maxsize=settings.receive_maximum)
        self._generation = 0
        self._connected = threading.Event()
        self.ready = threading.Event()  # set once the broker confirmed the subscription
        self._fatal: str | None = None
        self._conn: psycopg.Connection[Any] | None = None
        self._writer: Writer | None = None
        self._started_at = datetime.now(UTC)
        self._dictionaries_loaded_at = 0.0
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
        self._load_dictionaries()
        log.info("event=db_connected worker=%s", self.worker_id)

    def _close_db(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except psycopg.Error:
                pass
        self._conn = None
        self._writer = None

    def _load_dictionaries(self) -> None:
        if self._conn is not None:
            added = dictionaries_store.load_into(self._conn, self.dictionaries)
            self._dictionaries_loaded_at = time.monotonic()
            if added:
                log.info("event=dictionaries_loaded added=%d known=%d", added, len(self.dictionaries.ids()))

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
        last_flush = last_stats = time.monotonic()
        stats_base = self.metrics.get("messages_received_total")
        try:
            while not self.stop.is_set():
                batch = self._collect()
                if batch:
                    self._process(batch)
                now = time.monotonic()
                if now - last_flush >= self.settings.metrics_flush_s:
                    if self._conn is None:
                        self._try_reconnect_db()
                    self._save_metrics()
                    last_flush = now
                if now - last_stats >= STATS_LOG_S:
                    received = self.metrics.get("messages_received_total")
                    log.info("event=ingest_stats worker=%s received=%d stored=%d duplicates=%d quarantined=%d "
                             "rate_per_s=%.0f lag_s=%.1f", self.worker_id, received,
                             self.metrics.get("messages_stored_total"), self.metrics.get("messages_duplicate_total"),
                             sum(v for k, v in self.metrics.counters.items()
                                 if k.startswith("messages_quarantined_total")),
                             (received - stats_base) / (now - last_stats), self.metrics.lag_seconds)
                    last_stats, stats_base = now, received
        finally:
            self._client.disconnect()
            self._client.loop_stop()
            self._save_metrics()
            self._close_db()
            log.info("event=ingest_stopped worker=%s", self.worker_id)
        self._raise_if_fatal()

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

    def _process(self, batch: list[Incoming]) -> None:
        started = time.monotonic()
        summaries: list[Summary] = []
        rejected: list[Rejected] = []
        for incoming in batch:
            outcome = self._decode_one(incoming)
            if isinstance(outcome, Rejected):
                rejected.append(outcome)
            else:
                summaries.append(outcome)
        result = self._write_with_retry(summaries, rejected, batch[0].generation)
        if result is None:
            return  # stopped or reconnected before the commit: nothing acknowledged, the broker redelivers
        generation = self._generation
        for incoming in batch:
            if incoming.qos > 0 and incoming.generation == generation:
                self._client.ack(incoming.mid, incoming.qos)
        self._count(batch, result, time.monotonic() - started)

    def _decode_one(self, incoming: Incoming) -> Summary | Rejected:
        try:
            try:
                return summarize(decode(incoming, self.decoder, self.settings.topic_root))
            except UnknownDictionaryError:
                if time.monotonic() - self._dictionaries_loaded_at < DICTIONARY_RELOAD_S or self._conn is None:
                    raise
                self._load_dictionaries()  # a dictionary issued after we started: look again once
                return summarize(decode(incoming, self.decoder, self.settings.topic_root))
        except WireError as exc:
            return Rejected(incoming, exc.reason, str(exc))
        except psycopg.Error as exc:
            log.warning("event=dictionary_reload_failed error=%r", str(exc)[:200])
            return Rejected(incoming, UnknownDictionaryError.reason, "dictionary reload failed")
        except Exception as exc:
            log.exception("event=decode_bug topic=%s", incoming.topic)
            return Rejected(incoming, InternalDecodeError.reason, f"{type(exc).__name__}: {exc}")

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

    def _count(self, batch: list[Incoming], result: BatchResult, seconds: float) -> None:
        m = self.metrics
        m.inc("messages_received_total", len(batch))
        m.inc("bytes_received_total", sum(len(i.payload) for i in batch))
        m.inc("messages_stored_total", len(result.stored))
        m.inc("messages_duplicate_total", result.duplicates)
        for rejected in result.quarantined:
            m.inc("messages_quarantined_total", labels={"reason": rejected.reason})
        for table, n in result.rows.items():
            m.inc("rows_written_total", n, labels={"table": table})
        m.inc("batches_total")
        m.inc("report_gaps_opened_total", result.gaps_opened)
        m.inc("report_gaps_closed_total", result.gaps_closed)
        m.observe_batch(seconds)
        m.set_lag(lag_seconds(result.stored))
        if result.quarantined:
            reasons: dict[str, int] = {}
            for r in result.quarantined:
                reasons[r.reason] = reasons.get(r.reason, 0) + 1
            log.info("event=quarantined worker=%s %s", self.worker_id,
                     " ".join(f"{k}={v}" for k, v in sorted(reasons.items())))
