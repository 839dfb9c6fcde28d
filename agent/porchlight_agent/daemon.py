"""The running agent: wires the sampling loop, the queue, the publisher and the command handler together.

Data flows one way: collectors -> ``SamplingLoop`` -> ``ReportBuilder`` -> ``Encoder`` -> ``ReportQueue``
(on disk) -> ``Publisher`` (MQTT). Commands come back from the publisher's thread through an in-memory
inbox and are carried out on the main thread, which owns the collectors.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import queue as stdqueue
import threading
from collections.abc import Sequence
from typing import Any, Final

from porchlight_wire.codec import DEFAULT_MAX_MESSAGE_BYTES, Encoder
from porchlight_wire.topics import topic_for

from . import __version__, dictionaries
from .collectors.base import Collector
from .commands import CommandFailed, CommandHandler, load_app_tables
from .config import AgentConfig
from .loop import Clock, Intervals, SamplingLoop, ScaledClock, SystemClock
from .mqtt_compat import TlsFiles
from .notify import Notification, NotificationHook
from .publisher import BrokerSettings, Publisher, Topics
from .queue import QueueLimits, ReportQueue
from .report import HeaderIdentity, ReportBuilder
from .sources import Sources

__all__ = [
    "COLLECTOR_MODULES", "Agent", "broker_settings", "build_collectors", "gateway_identity", "make_clock",
    "make_encoder", "make_queue", "topics_for",
]

log = logging.getLogger("porchlight.agent")

#: Collector modules in the order they run in a sample (probes last: they take the longest).
COLLECTOR_MODULES: Final = ("health", "wifi", "inventory", "conntrack", "apps", "probes")


def _collector_class(module_name: str) -> type | None:
    try:
        module = importlib.import_module(f"porchlight_agent.collectors.{module_name}")
    except ImportError:
        return None
    for value in vars(module).values():
        if (inspect.isclass(value) and value.__module__ == module.__name__
                and getattr(value, "name", None) == module_name and callable(getattr(value, "collect", None))):
            return value
    return None


def build_collectors(cfg: AgentConfig, sources: Sources) -> list[Collector]:
    """The collectors this agent has and the configuration asks for, built on the source seam.

    Each constructor gets ``sources`` plus whichever of the agent's collector options it accepts.
    """
    options: dict[str, Any] = {
        "wan": cfg.wan, "model": cfg.model, "firmware": cfg.firmware, "dnsmasq_log": cfg.dnsmasq_log,
        "mac_key": cfg.mac_hash_key.encode() if cfg.mac_hash_key else None,
    }
    wanted = cfg.collectors or COLLECTOR_MODULES
    collectors: list[Collector] = []
    for name in COLLECTOR_MODULES:
        if name not in wanted:
            continue
        cls = _collector_class(name)
        if cls is None:
            if cfg.collectors is not None:
                log.warning("event=collector_missing collector=%s", name)
            continue
        params = inspect.signature(cls).parameters
        kwargs = {k: v for k, v in options.items() if k in params and v is not None}
        collector = cls(sources, **kwargs)
        collectors.append(collector)
        # Later collectors build on earlier ones (inventory reads wifi's stations, apps reads inventory).
        options[name] = collector
    return collectors


def gateway_identity(cfg: AgentConfig, sources: Sources, collectors: Sequence[Collector]) -> HeaderIdentity:
    """The report header's identity: configured model/firmware, else what the health collector finds,
    else DMI and the kernel release (off OpenWrt)."""
    model, firmware = cfg.model, cfg.firmware
    for collector in collectors:
        identity = getattr(collector, "identity", None)
        if callable(identity):
            found = identity()
            model = model or (found.model if found.model != "unknown" else None)
            firmware = firmware or (found.firmware if found.firmware != "unknown" else None)
            break
    if model is None:
        text = sources.read_optional("/sys/class/dmi/id/product_name")
        model = text.strip() if text and text.strip() else "unknown"
    if firmware is None:
        text = sources.read_optional("/proc/sys/kernel/osrelease")
        firmware = f"linux {text.strip()}" if text and text.strip() else "unknown"
    return HeaderIdentity(cfg.home_id, cfg.gateway_id, model, firmware, __version__)


def make_encoder(cfg: AgentConfig) -> Encoder:
    """The home dictionary the cloud issued (kept in data_dir), else the newest shipped dictionary, else
    plain zstd, else zlib (as the codec option allows)."""
    return dictionaries.make_encoder(cfg.data_dir, cfg.gateway_id, cfg.codec, cfg.zstd_level)


def make_clock(cfg: AgentConfig) -> Clock:
    """The real clock, or a faster one for tests (clock_speed)."""
    return SystemClock() if cfg.clock_speed == 1.0 else ScaledClock(cfg.clock_speed)


def make_queue(cfg: AgentConfig) -> ReportQueue:
    """The (not yet opened) report queue of this configuration."""
    return ReportQueue(cfg.queue_dir, QueueLimits(cfg.queue_max_bytes, cfg.queue_max_count, cfg.queue_max_age_s),
                       pause_in_write=cfg.test_pause_in_write)


def topics_for(cfg: AgentConfig) -> Topics:
    """This gateway's topics."""
    def topic(kind: str) -> str:
        name: str = topic_for(cfg.home_id, cfg.gateway_id, kind, cfg.topic_root)
        return name
    return Topics(topic("report"), topic("status"), topic("cmd"), topic("ack"))


def broker_settings(cfg: AgentConfig, *, client_id: str | None = None, clean_session: bool = False) -> BrokerSettings:
    """How this configuration reaches the broker."""
    tls = TlsFiles(cfg.mqtt_ca_file, cfg.mqtt_cert_file, cfg.mqtt_key_file) if cfg.use_tls else None
    return BrokerSettings(cfg.mqtt_host, cfg.mqtt_port, client_id or cfg.gateway_id, cfg.mqtt_user,
                          cfg.mqtt_password, tls, cfg.mqtt_protocol, cfg.mqtt_keepalive_s, cfg.connect_timeout_s,
                          clean_session)


class Agent:
    """The daemon: samples on schedule, queues every report on disk, publishes, and obeys commands."""

    def __init__(
        self,
        cfg: AgentConfig,
        collectors: Sequence[Collector],
        identity: HeaderIdentity,
        queue: ReportQueue,
        *,
        encoder: Encoder | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.cfg = cfg
        self.identity = identity
        self.queue = queue
        self.encoder = encoder or make_encoder(cfg)
        self.clock = clock or make_clock(cfg)
        self.inbox: stdqueue.Queue[bytes] = stdqueue.Queue()
        now = self.clock.now()
        self.loop = SamplingLoop(collectors,
                                 Intervals(cfg.sample_interval_s, cfg.report_interval_s, dict(cfg.collector_intervals)),
                                 now, counter_digits=cfg.counter_digits)
        self.queue.on_drop = self._on_drop
        self.commands = CommandHandler(self, NotificationHook(cfg.notify_hook, cfg.notify_file), cfg.data_dir)
        self.publisher = Publisher(
            broker_settings(cfg), topics_for(cfg), queue, on_command=self.inbox.put, clock=self.clock,
            drain_rate=cfg.drain_rate, max_inflight=cfg.max_inflight, backoff_min_s=cfg.backoff_min_s,
            backoff_max_s=cfg.backoff_max_s, connect_spread_s=cfg.connect_spread_s,
        )
        stored = load_app_tables(cfg.data_dir)
        if stored is not None:
            try:
                self.update_app_tables(*stored)
            except CommandFailed as exc:
                log.warning("event=stored_app_tables_refused error=%r", str(exc))

    # ---- running ------------------------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Sample, report and serve commands until ``stop`` is set; then queue the partial interval."""
        now = self.clock.now()
        self.queue.prune(now)
        self.loop.builder.add_event(int(now), "agent_start", detail=f"version={__version__}")
        log.info("event=agent_start version=%s home_id=%s gateway_id=%s collectors=%s codec=%s dict_id=%d "
                 "queue_depth=%d", __version__, self.cfg.home_id, self.cfg.gateway_id,
                 ",".join(c.name for c in self.loop.collectors), self.encoder.codec_name, self.encoder.dict_id,
                 len(self.queue))
        self.publisher.start()
        try:
            while not stop.is_set():
                now = self.clock.now()
                finished = self.loop.step(now)
                if finished is not None:
                    self._enqueue(finished, kind="periodic")
                wait = self.clock.real_seconds(max(self.loop.next_deadline() - self.clock.now(), 0.0))
                try:
                    payload = self.inbox.get(timeout=min(max(wait, 0.001), 1.0))
                except stdqueue.Empty:
                    continue
                self._handle_command(payload)
        finally:
            builder = self.loop.finish(self.clock.now())
            if builder is not None:
                self._enqueue(builder, kind="periodic")
            self.publisher.stop()
            log.info("event=agent_stop queue_depth=%d", len(self.queue))

    def _handle_command(self, payload: bytes) -> None:
        ack = self.commands.handle(payload, int(self.clock.now()))
        if ack is not None:
            self.publisher.send_ack(ack.to_json())

    def _enqueue(self, builder: ReportBuilder, *, kind: str, command_id: str | None = None,
                 end_ts: int | None = None) -> dict[str, Any]:
        now = self.clock.now()
        ticket = self.queue.reserve(now)
        doc = builder.build(self.identity, end_ts=end_ts, boot_id=ticket.boot_id, seq=ticket.seq,
                            dropped_reports=ticket.dropped_reports, queue_depth=ticket.queue_depth, kind=kind,
                            command_id=command_id)
        message = self.encoder.encode(doc)
        if len(message) > DEFAULT_MAX_MESSAGE_BYTES:
            log.warning("event=report_oversized bytes=%d limit=%d seq=%d", len(message),
                        DEFAULT_MAX_MESSAGE_BYTES, ticket.seq)
        self.queue.commit(ticket, message, now)
        log.debug("event=report_queued seq=%d kind=%s bytes=%d depth=%d", ticket.seq, kind, len(message),
                  len(self.queue))
        return {"boot_id": ticket.boot_id, "seq": ticket.seq}

    def _on_drop(self, count: int, reason: str) -> None:
        self.loop.builder.add_event(int(self.clock.now()), "queue_drop", detail=f"count={count} reason={reason}")

    # ---- what commands can do (CommandTarget) -------------------------------------------------------------

    def set_intervals(self, *, sample_s: int | None, report_s: int | None,
                      per_collector: dict[str, int] | None) -> dict[str, Any]:
        """Change the schedule at run time."""
        now = self.clock.now()
        new = self.loop.set_intervals(now, sample_s=sample_s, report_s=report_s, per_collector=per_collector)
        detail = f"sample_interval_s={new.sample_s} report_interval_s={new.report_s}"
        self.loop.builder.add_event(int(now), "config_change", detail=detail)
        log.info("event=intervals_changed %s collectors=%s", detail, dict(new.per_collector))
        return {"sample_interval_s": new.sample_s, "report_interval_s": new.report_s,
                "collectors": dict(new.per_collector)}

    def diagnose(self, command_id: str) -> dict[str, Any]:
        """Sample every collector now and queue the result as a diagnosis report (published at once)."""
        now = self.clock.now()
        builder = self.loop.sample_now(now)
        return self._enqueue(builder, kind="diagnosis", command_id=command_id, end_ts=int(now))

    def update_app_tables(self, version: str, tables: dict[str, Any]) -> dict[str, Any]:
        """Hand classification tables to each collector that has an update method."""
        applied: list[str] = []
        for collector in self.loop.collectors:
            method = getattr(collector, "update_tables", None)
            if callable(method):
                try:
                    method({"version": version, "tables": tables})
                # The collector validates the tables; its error type is its own business, its reason ours.
                except Exception as exc:
                    raise CommandFailed(f"{collector.name} refused the tables: {exc}") from None
                applied.append(collector.name)
        log.info("event=app_tables_updated version=%s applied_to=%s", version, ",".join(applied) or "-")
        return {"version": version, "applied_to": applied}

    def set_dictionary(self, args: dict[str, Any]) -> dict[str, Any]:
        """Compress with the home dictionary the cloud issued, from the next report on, and keep it."""
        try:
            encoder = dictionaries.home_encoder(args, self.cfg.gateway_id, self.cfg.codec, self.cfg.zstd_level)
        except dictionaries.HomeDictionaryRefused as exc:
            raise CommandFailed(str(exc)) from None
        try:
            dictionaries.store_home_dictionary(self.cfg.data_dir, args)
        except OSError as exc:
            raise CommandFailed(f"cannot store the dictionary: {exc.strerror}") from None
        previous, self.encoder = self.encoder.dict_id, encoder
        log.info("event=home_dictionary_in_use dict_id=%d previous=%d", encoder.dict_id, previous)
        return {"dict_id": encoder.dict_id, "codec": encoder.codec_name, "previous_dict_id": previous}

    def notified(self, notification: Notification, via: str) -> None:
        """Note the notification in the next report."""
        detail = f"via={via} campaign={notification.campaign_id or '-'} title={notification.title}"
        self.loop.builder.add_event(notification.ts, "notification_shown", detail=detail)
