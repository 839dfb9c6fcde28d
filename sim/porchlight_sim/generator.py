"""The fast path: a whole fleet's reports, encoded for the wire, generated in parallel worker processes.

A run is described by a ``RunConfig``. Every worker rebuilds the same fleet and fault plan from it (they
are pure functions of the config) and simulates every ``workers``-th home one report interval at a time,
so its output is in time order (by report end). Each worker writes to its own sink: a record file, or its
own MQTT connection. Same config, same bytes.
"""

from __future__ import annotations

import multiprocessing as mp
import queue as stdqueue
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from porchlight_wire import DEFAULT_ROOT, Encoder, topic_for

from .cadence import Cadence, make_cadence
from .faults import Fault, effects_by_home, plan_faults
from .fleet import Fleet, FleetSpec, build_fleet
from .lockstep_run import lockstep_reports
from .progress import Progress
from .publish import BrokerTarget, MqttSink
from .recordfile import SUFFIX, RecordWriter
from .scenarios import scenario_named

DEFAULT_ZSTD_LEVEL = 3


@dataclass(frozen=True, slots=True)
class RunConfig:
    """Everything that determines a run's output (plus how many processes share the work)."""

    start_ts: int
    homes: int = 1000
    days: float = 1.0
    seed: int = 1
    fault_seed: int | None = None
    scenario: str = "default"
    report_s: int = 300
    sample_s: int = 60
    history_days: float = 0.0
    history_report_s: int = 3600
    history_sample_s: int = 900
    regions: int = 3
    areas_per_region: int = 4
    nodes_per_area: int = 5
    id_prefix: str = "h"
    topic_root: str = DEFAULT_ROOT
    zstd_level: int = DEFAULT_ZSTD_LEVEL
    workers: int = 2

    def cadence(self) -> Cadence:
        """The run's phases (history at the coarse cadence, then the full-cadence days)."""
        return make_cadence(self.start_ts, self.days, report_s=self.report_s, sample_s=self.sample_s,
                            history_days=self.history_days, history_report_s=self.history_report_s,
                            history_sample_s=self.history_sample_s)

    def fleet_spec(self) -> FleetSpec:
        """The fleet this run simulates."""
        cadence = self.cadence()
        return FleetSpec(self.homes, self.seed, cadence.start_ts, cadence.end_ts, regions=self.regions,
                         areas_per_region=self.areas_per_region, nodes_per_area=self.nodes_per_area,
                         id_prefix=self.id_prefix)


@dataclass(frozen=True, slots=True)
class World:
    """A run's fleet and fault plan, built from its config."""

    config: RunConfig
    cadence: Cadence
    fleet: Fleet
    faults: list[Fault]

    def expected_reports(self) -> int:
        """About how many reports the run sends (reboots make it a little less)."""
        return sum(self.cadence.expected_reports(h.installed_ts) for h in self.fleet.homes)


def build_world(config: RunConfig) -> World:
    """The fleet and faults of a config (pure: every process gets the same world)."""
    cadence = config.cadence()
    fleet = build_fleet(config.fleet_spec())
    seed = config.fault_seed if config.fault_seed is not None else config.seed
    faults = plan_faults(fleet, scenario_named(config.scenario), seed, cadence.focus_start_ts)
    return World(config, cadence, fleet, faults)


def messages(world: World, worker: int = 0, workers: int = 1) -> Iterator[tuple[int, str, bytes]]:
    """(end_ts, topic, wire message) of every report of this worker's homes, in report-end order.

    The lockstep engine simulates the worker's homes together (lockstep_run.py); a home's reports depend
    only on the config, not on the other homes or the worker split."""
    config = world.config
    homes = world.fleet.homes[worker::workers]
    topics = [topic_for(h.home_id, h.gateway_id, "report", config.topic_root) for h in homes]
    encoder = Encoder(zstd_level=config.zstd_level)
    for i, end_ts, doc in lockstep_reports(homes, effects_by_home(world.faults), world.cadence, config.seed):
        yield end_ts, topics[i], encoder.encode(doc)


# ---- sinks and workers -------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class SinkSpec:
    """Where a worker sends its messages: record files in ``directory``, or the broker ``mqtt``."""

    directory: Path | None = None
    mqtt: BrokerTarget | None = None


@dataclass
class RunResult:
    """What a run produced."""

    reports: int = 0
    bytes: int = 0
    seconds: float = 0.0
    files: list[Path] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Reports per second of wall time."""
        return self.reports / self.seconds if self.seconds > 0 else 0.0


def _run_worker(config: RunConfig, worker: int, sink: SinkSpec, report: Any) -> tuple[int, int]:
    """Generate one worker's share into its sink; ``report(n)`` is called with progress increments."""
    world = build_world(config)
    count = size = pending = 0
    writer: RecordWriter | None = None
    mqtt: MqttSink | None = None
    if sink.directory is not None:
        writer = RecordWriter(sink.directory / f"reports-{worker:02d}{SUFFIX}")
    if sink.mqtt is not None:
        mqtt = MqttSink(sink.mqtt, f"{sink.mqtt.client_id_prefix}-{config.seed}-{worker}-{time.time_ns() % 10**9}")
        mqtt.connect()
    last = time.monotonic()
    try:
        for end_ts, topic, payload in messages(world, worker, config.workers):
            if writer is not None:
                writer.write(end_ts, topic, payload)
            if mqtt is not None:
                mqtt.publish(topic, payload)
            count += 1
            size += len(payload)
            pending += 1
            if pending >= 200:
                now = time.monotonic()
                if now - last >= 0.25:
                    report(pending)
                    pending, last = 0, now
        if mqtt is not None:
            mqtt.flush()
    finally:
        if writer is not None:
            writer.close()
        if mqtt is not None:
            mqtt.close()
    report(pending)
    return count, size


def _worker_main(config: RunConfig, worker: int, sink: SinkSpec, channel: Any) -> None:
    try:
        count, size = _run_worker(config, worker, sink, lambda n: channel.put(("progress", worker, n)))
        channel.put(("done", worker, count, size))
    except BaseException as exc:
        channel.put(("error", worker, f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"))


class RunError(RuntimeError):
    """A worker failed; the message carries its error."""


def run(config: RunConfig, sink: SinkSpec, *, label: str = "generate", progress: bool = True) -> RunResult:
    """Generate the whole run into ``sink`` with ``config.workers`` processes (inline when 1)."""
    started = time.monotonic()
    world = build_world(config)
    bar = Progress(label, world.expected_reports(), enabled=progress)
    result = RunResult()
    if sink.directory is not None:
        sink.directory.mkdir(parents=True, exist_ok=True)
        for old in sink.directory.glob(f"reports-*{SUFFIX}"):
            old.unlink()
    if config.workers <= 1:
        result.reports, result.bytes = _run_worker(config, 0, sink, bar.advance)
    else:
        ctx = mp.get_context("spawn")
        channel = ctx.Queue()
        procs = [ctx.Process(target=_worker_main, args=(config, w, sink, channel), daemon=True)
                 for w in range(config.workers)]
        for p in procs:
            p.start()
        done: set[int] = set()
        try:
            while len(done) < len(procs):
                try:
                    msg = channel.get(timeout=0.5)
                except stdqueue.Empty:
                    dead = [w for w, p in enumerate(procs) if w not in done and p.exitcode not in (None, 0)]
                    if dead:
                        raise RunError(f"worker {dead[0]} died (exit code {procs[dead[0]].exitcode})") from None
                    continue
                if msg[0] == "progress":
                    bar.advance(msg[2])
                elif msg[0] == "done":
                    done.add(msg[1])
                    result.reports += msg[2]
                    result.bytes += msg[3]
                else:
                    raise RunError(f"worker {msg[1]} failed: {msg[2]}")
        finally:
            for p in procs:
                if p.is_alive() and len(done) < len(procs):
                    p.terminate()
                p.join(timeout=10)
    bar.done = bar.total = max(result.reports, 1)
    bar.finish()
    result.seconds = time.monotonic() - started
    if sink.directory is not None:
        result.files = sorted(sink.directory.glob(f"reports-*{SUFFIX}"))
    return result
