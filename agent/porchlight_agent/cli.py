"""``porchlight-agent``: run the daemon, send one report now, or print one report.

    porchlight-agent run     sample, report and serve commands until stopped (SIGTERM/SIGINT)
    porchlight-agent once    take one sample now, publish it QoS 1, wait for the PUBACK, exit 0
    porchlight-agent print   take one sample now and print the report JSON (no network)

Every option can also be set as PORCHLIGHT_<OPTION> in the environment or in /etc/config/porchlight
(``config agent 'main'`` / ``option <option> '<value>'``); flags win over the environment, which wins over UCI.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Final

from porchlight_wire.validate import validate_report

from . import __version__
from .config import OPTIONS, AgentConfig, ConfigError, load_config
from .daemon import (
    Agent,
    broker_settings,
    build_collectors,
    gateway_identity,
    make_clock,
    make_encoder,
    make_queue,
    topics_for,
)
from .loop import Intervals, SamplingLoop
from .publisher import PublishError, publish_once
from .queue import QueueError
from .report import ReportBuilder
from .sources import Sources

__all__ = ["main"]

EXIT_OK: Final = 0
EXIT_CONFIG: Final = 2
EXIT_BROKER: Final = 3
EXIT_QUEUE: Final = 4
_TEST_ONLY: Final = frozenset({"clock_speed", "test_pause_in_write"})

log = logging.getLogger("porchlight.cli")


def _parser() -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(add_help=False)
    group = options.add_argument_group("options (also PORCHLIGHT_<NAME> or UCI option <name>)")
    for option in OPTIONS:
        kwargs: dict[str, Any] = {"dest": option.name, "default": None, "metavar": option.type.upper()}
        if option.type == "intervals":
            kwargs.update(action="append", metavar="NAME=SECONDS")
        help_text = argparse.SUPPRESS if option.name in _TEST_ONLY else f"{option.doc} [{option.env}]"
        group.add_argument(option.flag, help=help_text, **kwargs)
    parser = argparse.ArgumentParser(prog="porchlight-agent", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"porchlight-agent {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{run,once,print}")
    commands.add_parser("run", parents=[options], help="run the agent daemon")
    commands.add_parser("once", parents=[options], help="publish one report now and wait for the broker's ack")
    printer = commands.add_parser("print", parents=[options], help="print one report as JSON (no network)")
    printer.add_argument("--compact", action="store_true", help="one line of JSON instead of indented")
    return parser


def _setup_logging(level: str) -> None:
    logging.basicConfig(stream=sys.stderr, level=getattr(logging, level.upper(), logging.INFO),
                        format="%(asctime)s level=%(levelname)s logger=%(name)s %(message)s")


def _sample_once(cfg: AgentConfig) -> tuple[ReportBuilder, Any, float]:
    sources = Sources(root=cfg.root)
    collectors = build_collectors(cfg, sources)
    identity = gateway_identity(cfg, sources, collectors)
    clock = make_clock(cfg)
    now = clock.now()
    loop = SamplingLoop(collectors, Intervals(cfg.sample_interval_s, cfg.report_interval_s), now,
                        counter_digits=cfg.counter_digits)
    loop.step(now)  # every collector is due at start
    builder = loop.builder
    builder.end_ts = int(now)
    return builder, identity, now


def cmd_print(cfg: AgentConfig, compact: bool) -> int:
    """Print one report (seq 0 of a throw-away boot id) to stdout."""
    builder, identity, _ = _sample_once(cfg)
    doc = validate_report(builder.build(identity, boot_id="print", seq=0))
    print(json.dumps(doc, separators=(",", ":")) if compact else json.dumps(doc, indent=2))
    return EXIT_OK


def cmd_once(cfg: AgentConfig) -> int:
    """Queue one report, publish it QoS 1 and delete it from the queue when the broker acknowledges it."""
    builder, identity, now = _sample_once(cfg)
    encoder = make_encoder(cfg)
    try:
        queue = make_queue(cfg).open()
    except QueueError as exc:
        print(f"porchlight-agent: {exc}", file=sys.stderr)
        return EXIT_QUEUE
    with queue:
        ticket = queue.reserve(now)
        doc = builder.build(identity, boot_id=ticket.boot_id, seq=ticket.seq,
                            dropped_reports=ticket.dropped_reports, queue_depth=ticket.queue_depth)
        message = encoder.encode(doc)
        entry = queue.commit(ticket, message, now)
        topic = topics_for(cfg).report
        # A client id of its own and a clean session: `once` must not take over the daemon's session (and
        # with it the commands queued for the daemon).
        settings = broker_settings(cfg, client_id=f"{cfg.gateway_id}-once", clean_session=True)
        try:
            publish_once(settings, topic, message)
        except PublishError as exc:
            print(f"porchlight-agent: {exc}; the report stays queued in {cfg.queue_dir} and `porchlight-agent "
                  f"run` will send it", file=sys.stderr)
            return EXIT_BROKER
        queue.remove(entry.seq)
    print(f"published report boot_id={ticket.boot_id} seq={ticket.seq} bytes={len(message)} "
          f"codec={encoder.codec_name} dict_id={encoder.dict_id} topic={topic}")
    return EXIT_OK


def cmd_run(cfg: AgentConfig) -> int:
    """Run the daemon until SIGTERM or SIGINT."""
    sources = Sources(root=cfg.root)
    collectors = build_collectors(cfg, sources)
    identity = gateway_identity(cfg, sources, collectors)
    try:
        queue = make_queue(cfg).open()
    except QueueError as exc:
        print(f"porchlight-agent: {exc}", file=sys.stderr)
        return EXIT_QUEUE
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        log.info("event=signal signal=%s", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with queue:
        Agent(cfg, collectors, identity, queue).run(stop)
    return EXIT_OK


def _flag_values(args: argparse.Namespace) -> dict[str, Any]:
    values = {o.name: getattr(args, o.name, None) for o in OPTIONS}
    return {k: v for k, v in values.items() if v is not None}


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """Entry point of the ``porchlight-agent`` command."""
    args = _parser().parse_args(argv)
    try:
        cfg = load_config(_flag_values(args), os.environ if env is None else env)
    except ConfigError as exc:
        print(f"porchlight-agent: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    _setup_logging(cfg.log_level)
    if args.command == "print":
        return cmd_print(cfg, args.compact)
    if args.command == "once":
        return cmd_once(cfg)
    return cmd_run(cfg)


if __name__ == "__main__":
    sys.exit(main())
