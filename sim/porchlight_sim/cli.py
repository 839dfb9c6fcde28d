"""``porchlight-sim``: generate a fleet's reports to files, publish them to MQTT, replay files, plan ground truth
only, or run the real agent over simulated gateways.

    porchlight-sim generate --homes 1000 --days 1 --seed 1 --out sim-out
    porchlight-sim publish  --homes 1000 --days 1 --history-days 21 --out sim-out
    porchlight-sim replay   --in sim-out
    porchlight-sim plan     --homes 1000 --days 1 --seed 7 --ground-truth heldout.jsonl
    porchlight-sim agent-homes --homes 3 --days 0.25 --out agent-out
    porchlight-sim scenarios
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from porchlight_wire import DEFAULT_ROOT

from .faults import ground_truth, summary
from .generator import DEFAULT_ZSTD_LEVEL, RunConfig, RunError, SinkSpec, World, build_world, run
from .ground_truth import KINDS, write_ground_truth
from .metadata import write_fleet_jsonl, write_homes_csv
from .publish import DEFAULT_HOST, DEFAULT_PASSWORD, DEFAULT_PORT, DEFAULT_USER, BrokerTarget, MqttError, MqttSink
from .recordfile import RecordFileError, merged, record_files
from .scenarios import SCENARIOS


def parse_start(text: str | None, span_days: float, now: float | None = None) -> int:
    """``--start``: an ISO date or date-time (UTC unless it says otherwise) or Unix seconds; by default now
    minus the simulated span, aligned down to the minute."""
    if text is None:
        now = time.time() if now is None else now
        ts = int(now - span_days * 86_400)
        return ts - ts % 60
    text = text.strip()
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--start {text!r}: use an ISO date (2024-06-01), an ISO date-time "
                                         "or Unix seconds") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def _add_run_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("fleet and time")
    g.add_argument("--homes", type=_positive_int, default=1000, help="homes in the fleet (default 1000)")
    g.add_argument("--days", type=float, default=1.0, help="days at the full cadence, ending now (default 1)")
    g.add_argument("--seed", type=int, default=1, help="fleet seed: same seed, same reports (default 1)")
    g.add_argument("--fault-seed", type=int, default=None,
                   help="seed of the fault plan (default: --seed); change it for held-out scenarios")
    g.add_argument("--start", default=None,
                   help="start of the run: ISO date/date-time (UTC) or Unix seconds (default: now minus the span, "
                        "aligned to the minute)")
    g.add_argument("--faults", default="default",
                   help="scenario: default ('default mix'), subtle, heavy, none, or kinds, comma separated")
    g.add_argument("--sample-interval", type=_positive_int, default=60, help="seconds (default 60)")
    g.add_argument("--report-interval", type=_positive_int, default=300, help="seconds (default 300)")
    g.add_argument("--history-days", type=float, default=0.0,
                   help="days of history before --days, at the coarse cadence (default 0)")
    g.add_argument("--history-report-interval", type=_positive_int, default=3600, help="seconds (default 3600)")
    g.add_argument("--history-sample-interval", type=_positive_int, default=900, help="seconds (default 900)")
    g.add_argument("--regions", type=_positive_int, default=3)
    g.add_argument("--areas", type=_positive_int, default=4, help="areas per region (default 4)")
    g.add_argument("--nodes", type=_positive_int, default=5, help="nodes per area (default 5)")
    g.add_argument("--id-prefix", default="h", help="home ids are PREFIX + 6 digits (default 'h')")
    o = p.add_argument_group("output")
    o.add_argument("--out", type=Path, default=Path("sim-out"), help="output directory (default ./sim-out)")
    o.add_argument("--ground-truth", type=Path, default=None, help="ground-truth file (default OUT/ground_truth.jsonl)")
    o.add_argument("--homes-csv", type=Path, default=None, help="homes metadata (default OUT/homes.csv)")
    o.add_argument("--workers", type=_positive_int, default=2, help="processes (default 2)")
    o.add_argument("--zstd-level", type=int, default=DEFAULT_ZSTD_LEVEL,
                   help=f"zstd level of the messages (default {DEFAULT_ZSTD_LEVEL}; the agent uses 19)")
    o.add_argument("--topic-root", default=DEFAULT_ROOT, help=f"MQTT topic root (default {DEFAULT_ROOT})")
    o.add_argument("--quiet", action="store_true", help="no progress line")


def _add_broker_options(p: argparse.ArgumentParser) -> None:
    b = p.add_argument_group("broker")
    b.add_argument("--host", default=DEFAULT_HOST)
    b.add_argument("--port", type=int, default=DEFAULT_PORT)
    b.add_argument("--user", default=DEFAULT_USER)
    b.add_argument("--password", default=DEFAULT_PASSWORD)
    b.add_argument("--ca-file", type=Path, default=None, help="CA certificate: connect with TLS")
    b.add_argument("--inflight", type=_positive_int, default=1000, help="QoS 1 messages in flight (default 1000)")


def config_from(args: argparse.Namespace) -> RunConfig:
    """The run an argument namespace describes."""
    start = parse_start(args.start, args.days + args.history_days)
    return RunConfig(
        start_ts=start, homes=args.homes, days=args.days, seed=args.seed, fault_seed=args.fault_seed,
        scenario=args.faults, report_s=args.report_interval, sample_s=args.sample_interval,
        history_days=args.history_days, history_report_s=args.history_report_interval,
        history_sample_s=args.history_sample_interval, regions=args.regions, areas_per_region=args.areas,
        nodes_per_area=args.nodes, id_prefix=args.id_prefix, topic_root=args.topic_root,
        zstd_level=args.zstd_level, workers=args.workers,
    )


def _broker(args: argparse.Namespace) -> BrokerTarget:
    return BrokerTarget(args.host, args.port, args.user or None, args.password, args.ca_file,
                        max_inflight=args.inflight)


def _write_world(world: World, args: argparse.Namespace) -> None:
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    gt_path = args.ground_truth or out / "ground_truth.jsonl"
    homes_path = args.homes_csv or out / "homes.csv"
    n_truth = write_ground_truth(gt_path, ground_truth(world.faults))
    write_homes_csv(homes_path, world.fleet)
    write_fleet_jsonl(out / "fleet.jsonl", world.fleet)
    _say(f"ground truth: {n_truth} records -> {gt_path}")
    _say(f"homes: {len(world.fleet.homes)} -> {homes_path} (import with: porchlight homes import {homes_path})")
    for line in summary(world.faults, len(world.fleet.homes)):
        _say(f"  {line}")


def _write_run_json(world: World, args: argparse.Namespace, extra: dict[str, object]) -> None:
    cadence = world.cadence
    doc = {"config": asdict(world.config), "start": _iso(cadence.start_ts), "end": _iso(cadence.end_ts),
           "focus_start": _iso(cadence.focus_start_ts), **extra}
    (args.out / "run.json").write_text(json.dumps(doc, indent=2) + "\n")


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat().replace("+00:00", "Z")


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def cmd_plan(args: argparse.Namespace) -> int:
    """Write the ground truth, homes.csv and fleet.jsonl only (no reports)."""
    world = build_world(config_from(args))
    _write_world(world, args)
    _write_run_json(world, args, {"command": "plan"})
    return 0


def _generate(args: argparse.Namespace, sink: SinkSpec, label: str) -> int:
    config = config_from(args)
    world = build_world(config)
    _say(f"{label}: {config.homes} homes, {_iso(world.cadence.start_ts)} .. {_iso(world.cadence.end_ts)}, "
         f"scenario {config.scenario}, seed {config.seed}, {config.workers} workers, "
         f"~{world.expected_reports():,} reports")
    _write_world(world, args)
    result = run(config, sink, label=label, progress=not args.quiet)
    _say(f"{label}: {result.reports:,} reports, {result.bytes / 1e6:,.1f} MB in {result.seconds:,.1f}s "
         f"({result.rate:,.0f} reports/s)")
    _write_run_json(world, args, {"command": label, "reports": result.reports, "bytes": result.bytes,
                                  "seconds": round(result.seconds, 2),
                                  "files": [p.name for p in result.files]})
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    """Reports to record files in OUT."""
    return _generate(args, SinkSpec(directory=args.out), "generate")


def cmd_publish(args: argparse.Namespace) -> int:
    """Reports straight to the broker (and, with --keep-files, to record files too)."""
    sink = SinkSpec(directory=args.out if args.keep_files else None, mqtt=_broker(args))
    return _generate(args, sink, "publish")


def cmd_replay(args: argparse.Namespace) -> int:
    """Record files -> broker, merged back into time order."""
    from .progress import Progress

    files = record_files(args.input)
    if not files:
        _say(f"replay: no record files (*.plrec) in {args.input}")
        return 2
    sink = MqttSink(_broker(args), f"porchlight-sim-replay-{time.time_ns() % 10**9}")
    sink.connect()
    total = 0
    run_json = args.input / "run.json"
    if run_json.exists():
        total = int(json.loads(run_json.read_text()).get("reports", 0))
    bar = Progress("replay", total or 1, enabled=not args.quiet)
    started = time.monotonic()
    count = 0
    try:
        for record in merged(files):
            sink.publish(record.topic, record.payload)
            count += 1
            bar.advance(1)
            if args.rate and count % 100 == 0:
                ahead = count / args.rate - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)
    finally:
        sink.close()
    bar.done = bar.total = max(count, 1)
    bar.finish()
    seconds = time.monotonic() - started
    _say(f"replay: {count:,} reports acknowledged in {seconds:,.1f}s ({count / max(seconds, 1e-9):,.0f}/s)")
    return 0


def cmd_scenarios(args: argparse.Namespace) -> int:
    """List the scenarios and the ground-truth kinds."""
    for name, sc in SCENARIOS.items():
        kinds = ", ".join(sorted(sc.kinds)) or "-"
        print(f"{name}: magnitude {sc.magnitude:g}; kinds: {kinds}")
    print("\nkinds:")
    for kind, doc in KINDS.items():
        print(f"  {kind}: {doc}")
    return 0


def cmd_agent_homes(args: argparse.Namespace) -> int:
    """Mode 1: the real agent's collectors and loop over simulated gateway state."""
    from .agent_homes import run_agent_homes

    return run_agent_homes(args, config_from(args), _broker(args) if args.publish else None)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``porchlight-sim``."""
    parser = argparse.ArgumentParser(prog="porchlight-sim", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="reports to record files (for replay)")
    _add_run_options(gen)
    gen.set_defaults(func=cmd_generate)
    pub = sub.add_parser("publish", help="reports to MQTT as porchlight-fleet")
    _add_run_options(pub)
    _add_broker_options(pub)
    pub.add_argument("--keep-files", action="store_true", help="also write record files to OUT")
    pub.set_defaults(func=cmd_publish)
    rep = sub.add_parser("replay", help="record files to MQTT, in time order")
    rep.add_argument("--in", dest="input", type=Path, default=Path("sim-out"), help="directory of *.plrec files")
    rep.add_argument("--rate", type=float, default=0.0, help="messages per second (default: as fast as acked)")
    rep.add_argument("--quiet", action="store_true")
    _add_broker_options(rep)
    rep.set_defaults(func=cmd_replay)
    plan = sub.add_parser("plan", help="ground truth, homes.csv and fleet.jsonl only (no reports)")
    _add_run_options(plan)
    plan.set_defaults(func=cmd_plan)
    agent = sub.add_parser("agent-homes", help="mode 1: the real agent over simulated gateway state")
    _add_run_options(agent)
    _add_broker_options(agent)
    agent.add_argument("--publish", action="store_true", help="publish the agent's reports to the broker too")
    agent.set_defaults(func=cmd_agent_homes, homes=3, days=0.25)
    sc = sub.add_parser("scenarios", help="list fault scenarios and ground-truth kinds")
    sc.set_defaults(func=cmd_scenarios)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``porchlight-sim``."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (ValueError, argparse.ArgumentTypeError, RecordFileError) as exc:
        _say(f"porchlight-sim: {exc}")
        return 2
    except (MqttError, RunError) as exc:
        _say(f"porchlight-sim: {exc}")
        return 1
    except KeyboardInterrupt:
        _say("porchlight-sim: interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
