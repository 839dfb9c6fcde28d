"""Mode 1: the real agent (its collectors, sampling loop, report builder, queue and encoder) over simulated
gateways, on a simulated clock.

Each home gets a ``GatewayState`` (files under ``OUT/gateways/<home>/root`` and a command runner) fed by
the same ``HomeSimulator`` as the fast path; the agent's own ``build_collectors`` reads it through a
``Sources`` seam and its ``SamplingLoop`` samples and cuts reports at the simulated times. A reboot restarts
the agent with a fresh queue (so a new boot_id), as on a gateway whose queue lives in RAM. Reports go to a
record file (``OUT/agent-reports.plrec``, replayable) and, with ``--publish``, to the broker.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from porchlight_agent import __version__ as AGENT_VERSION
from porchlight_agent.collectors.probes import ProbesCollector
from porchlight_agent.config import AgentConfig
from porchlight_agent.daemon import build_collectors, gateway_identity, make_encoder, make_queue
from porchlight_agent.loop import Intervals, SamplingLoop
from porchlight_agent.sources import Sources
from porchlight_wire import Decoder, SchemaError, topic_for, validate_report

from .faults import effects_by_home, ground_truth
from .fleet import Home
from .gateway_state import GatewayState
from .generator import RunConfig, World, build_world
from .ground_truth import write_ground_truth
from .home_sim import HomeSimulator
from .metadata import write_fleet_jsonl, write_homes_csv
from .progress import Progress
from .publish import BrokerTarget, MqttSink
from .recordfile import RecordWriter

PROBE_TARGETS = ("1.1.1.1", "8.8.8.8")
DNS_NAMES = ("example.com", "porchlight.example")


@dataclass
class AgentHomeStats:
    """What one home's agent produced."""

    reports: int = 0
    bytes: int = 0
    boots: int = 1
    collector_errors: dict[str, int] = field(default_factory=dict)
    invalid: int = 0


class AgentHome:
    """One simulated gateway running the real agent."""

    def __init__(self, world: World, home: Home, workdir: Path) -> None:
        config = world.config
        self.home = home
        self.world = world
        self.workdir = workdir
        effects = effects_by_home(world.faults).get(home.home_id, [])
        self.sim = HomeSimulator(home, effects, world.cadence, config.seed)
        self.state = GatewayState(home, workdir / "root", config.seed, self.sim.boot_ts)
        self.sources = Sources(root=workdir / "root", runner=self.state.run, udp=self.state.udp, clock_ticks=100)
        self.stats = AgentHomeStats()
        self.topic = topic_for(home.home_id, home.gateway_id, "report", config.topic_root)
        self.down_until = -1
        self._boot = 0
        self._start_agent(max(world.cadence.start_ts, home.installed_ts))

    def _config(self) -> AgentConfig:
        phase = self.world.cadence.phases[0]
        return AgentConfig(
            home_id=self.home.home_id, gateway_id=self.home.gateway_id, root=self.workdir / "root",
            queue_dir=self.workdir / f"queue-{self._boot}", data_dir=self.workdir / "data",
            dnsmasq_log="/tmp/dnsmasq.log", sample_interval_s=phase.sample_s, report_interval_s=phase.report_s,
            topic_root=self.world.config.topic_root,
        )

    def _start_agent(self, now: int) -> None:
        """Start (or restart after a reboot) the agent at ``now``: collectors, queue, loop, baseline sample."""
        cfg = self._config()
        collectors = [c for c in build_collectors(cfg, self.sources) if c.name != "probes"]
        collectors.append(ProbesCollector(self.sources, targets=PROBE_TARGETS, resolver="127.0.0.1",
                                          dns_names=DNS_NAMES, clock=self.state.perf_clock))
        self.identity = gateway_identity(cfg, self.sources, collectors)
        self.queue = make_queue(cfg).open()
        self.encoder = make_encoder(cfg)
        phase = self.world.cadence.phase_at(now)
        self._apply(now, phase.sample_s)
        self.loop = SamplingLoop(collectors, Intervals(phase.sample_s, phase.report_s), now)
        self.loop.builder.add_event(now, "agent_start", detail=f"version={AGENT_VERSION}")
        self.loop.step(now)

    def _apply(self, ts: int, sample_s: int) -> None:
        self.state.apply(ts, sample_s, self.sim.sample(ts, sample_s), self.sim.inventory(ts))

    def step(self, ts: int, sample_s: int, report_s: int) -> list[tuple[int, str, bytes]]:
        """Advance the gateway to ``ts`` and let the agent do what is due; returns finished messages."""
        if ts < self.home.installed_ts:
            return []
        out: list[tuple[int, str, bytes]] = []
        reboot = self.sim.reboot_before(ts)
        if reboot is not None:
            # The gateway goes down mid-interval: the report in progress is lost with the agent's memory.
            self.state.reboot(self.sim.boot_ts, self.sim.firmware)
            self.down_until = reboot.ts + reboot.down_s
            self._boot += 1
            self.stats.boots += 1
            shutil.rmtree(self.workdir / f"queue-{self._boot - 1}", ignore_errors=True)
        if ts < self.down_until:
            return out
        if self.down_until >= 0:
            self._start_agent(self.down_until)
            self.down_until = -1
            if ts == self.loop.last_sample_ts:
                return out
        if (self.loop.intervals.sample_s, self.loop.intervals.report_s) != (sample_s, report_s):
            self.loop.set_intervals(ts, sample_s=sample_s, report_s=report_s)
        self._apply(ts, sample_s)
        finished = self.loop.step(ts)
        if finished is not None:
            ticket = self.queue.reserve(ts)
            doc = finished.build(self.identity, boot_id=ticket.boot_id, seq=ticket.seq,
                                 dropped_reports=ticket.dropped_reports, queue_depth=ticket.queue_depth)
            message = self.encoder.encode(doc)
            self.queue.commit(ticket, message, ts)
            self.queue.remove(ticket.seq)
            self._count(doc, message)
            out.append((int(doc["header"]["end_ts"]), self.topic, message))
        return out

    def _count(self, doc: dict[str, Any], message: bytes) -> None:
        self.stats.reports += 1
        self.stats.bytes += len(message)
        errors = doc.get("errors") or {}
        for collector, count in zip(errors.get("collector", []), errors.get("count", []), strict=False):
            self.stats.collector_errors[collector] = self.stats.collector_errors.get(collector, 0) + (count or 1)
        try:
            validate_report(Decoder().decode(message))
        except SchemaError:
            self.stats.invalid += 1

    def close(self) -> None:
        """Close the agent's queue."""
        self.queue.close()


def run_agent_homes(args: argparse.Namespace, config: RunConfig, broker: BrokerTarget | None) -> int:
    """``porchlight-sim agent-homes``: every home of a small fleet through the real agent."""
    world = build_world(config)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    write_ground_truth(args.ground_truth or out / "ground_truth.jsonl", ground_truth(world.faults))
    write_homes_csv(args.homes_csv or out / "homes.csv", world.fleet)
    write_fleet_jsonl(out / "fleet.jsonl", world.fleet)
    shutil.rmtree(out / "gateways", ignore_errors=True)
    homes = [AgentHome(world, h, out / "gateways" / h.home_id) for h in world.fleet.homes]
    sink = MqttSink(broker, f"porchlight-sim-agents-{config.seed}") if broker is not None else None
    if sink is not None:
        sink.connect()
    cadence = world.cadence
    steps = sum((p.end_ts - p.start_ts) // p.sample_s for p in cadence.phases)
    bar = Progress("agent-homes", steps, enabled=not args.quiet)
    try:
        with RecordWriter(out / "agent-reports.plrec") as writer:
            for phase in cadence.phases:
                first = (phase.start_ts // phase.sample_s + 1) * phase.sample_s
                for ts in range(first, phase.end_ts + 1, phase.sample_s):
                    for agent in homes:
                        for end_ts, topic, message in agent.step(ts, phase.sample_s, phase.report_s):
                            writer.write(end_ts, topic, message)
                            if sink is not None:
                                sink.publish(topic, message)
                    bar.advance(1)
    finally:
        for agent in homes:
            agent.close()
        if sink is not None:
            sink.close()
    bar.finish()
    summary = {a.home.home_id: {"reports": a.stats.reports, "bytes": a.stats.bytes, "boots": a.stats.boots,
                                "invalid": a.stats.invalid, "collector_errors": a.stats.collector_errors}
               for a in homes}
    (out / "agent-homes.json").write_text(json.dumps(summary, indent=2) + "\n")
    for home_id, s in summary.items():
        print(f"{home_id}: {s['reports']} reports, {s['boots']} boot(s), {s['invalid']} invalid, "
              f"collector errors {s['collector_errors'] or 'none'}", file=sys.stderr)
    return 1 if any(s["invalid"] for s in summary.values()) else 0
