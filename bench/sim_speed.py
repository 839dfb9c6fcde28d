"""How fast the fleet simulator's fast path makes wire reports, and what that means for a week of 10,000 homes.

    .venv/bin/python bench/sim_speed.py                      # ~1-2 minutes: measured samples + extrapolation
    .venv/bin/python bench/sim_speed.py --homes 400 --hours 24 --workers 2
    .venv/bin/python bench/sim_speed.py --full-week          # really runs 10,000 homes x 7 days (coarse), to files
    .venv/bin/python bench/sim_speed.py --full-week --only-week   # just that run (tens of minutes)

It runs the real generator (``porchlight_sim.generator.run``: simulate, JSON, zstd, write a record file) in
worker processes for a slice of fleet and time at each cadence, reports reports/s (wall and per CPU
second), bytes per report, and extrapolates the time for 10,000 homes x 7 days and for the default demo
(``scripts/demo``: 1,000 homes, 112 hourly reports of one sample, then 8 h at 300 s / 60 s) on this machine.
Prints the machine it ran on. Run on purpose; the test suite does not run it.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from machine import describe
from porchlight_sim.generator import RunConfig, SinkSpec, build_world, run

MONDAY = 1_717_372_800
WEEK_HOMES = 10_000
WEEK_DAYS = 7
#: scripts/demo's defaults: 4 days + 16 h of hourly history (one sample per report), then 8 h at full cadence.
DEMO_HOMES = 1000
DEMO_HISTORY_HOURS = 4 * 24 + 16
DEMO_FULL_HOURS = 8


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime + own.ru_utime + own.ru_stime


def measure(label: str, homes: int, hours: float, workers: int, report_s: int, sample_s: int,
            zstd_level: int, progress: bool = False) -> dict[str, float]:
    """Generate ``homes`` x ``hours`` at one cadence into a temporary directory; return the figures."""
    config = RunConfig(start_ts=MONDAY + 2 * 3600, homes=homes, days=hours / 24.0, report_s=report_s,
                       sample_s=sample_s, workers=workers, zstd_level=zstd_level)
    expected = build_world(config).expected_reports()
    with tempfile.TemporaryDirectory(prefix="sim-speed-") as tmp:
        cpu0 = _children_cpu()
        t0 = time.monotonic()
        result = run(config, SinkSpec(directory=Path(tmp)), label=label, progress=progress)
        wall = time.monotonic() - t0
        cpu = _children_cpu() - cpu0
    per_report_cpu = cpu / max(result.reports, 1)
    print(f"  {label}: {homes} homes x {hours:g} h, {report_s}s reports of {sample_s}s samples, zstd {zstd_level}, "
          f"{workers} workers: {result.reports:,} reports (expected {expected:,}) in {wall:.1f}s wall -> "
          f"{result.reports / wall:,.0f} reports/s; {per_report_cpu * 1e6:,.0f} us CPU/report; "
          f"{result.bytes / max(result.reports, 1):,.0f} B/report")
    return {"reports": result.reports, "wall": wall, "rate": result.reports / wall, "cpu_per_report": per_report_cpu,
            "bytes_per_report": result.bytes / max(result.reports, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--homes", type=int, default=300)
    parser.add_argument("--hours", type=float, default=6.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--zstd-level", type=int, default=3)
    parser.add_argument("--full-week", action="store_true",
                        help="also run 10,000 homes x 7 days at the coarse cadence for real (minutes)")
    parser.add_argument("--only-week", action="store_true", help="with --full-week: skip the short measurements")
    args = parser.parse_args(argv)
    print(f"machine: {describe()}", flush=True)
    if not args.only_week:
        _measure_and_extrapolate(args)
    if args.full_week:
        print("running the coarse week for real:", flush=True)
        measure("coarse-week", WEEK_HOMES, WEEK_DAYS * 24.0, args.workers, 3600, 900, args.zstd_level,
                progress=True)
    return 0


def _measure_and_extrapolate(args: argparse.Namespace) -> None:
    print("measured:")
    full = measure("default", args.homes, args.hours, args.workers, 300, 60, args.zstd_level)
    coarse = measure("coarse", args.homes, args.hours * 4, args.workers, 3600, 900, args.zstd_level)
    hourly = measure("hourly", args.homes, args.hours * 4, args.workers, 3600, 3600, args.zstd_level)
    print(f"extrapolated to {WEEK_HOMES:,} homes x {WEEK_DAYS} days on {args.workers} workers "
          "(same per-report cost, no broker):")
    for label, figures, per_day in (("default 300s/60s", full, 288), ("coarse 3600s/900s", coarse, 24),
                                    ("hourly 3600s/3600s", hourly, 24)):
        reports = WEEK_HOMES * WEEK_DAYS * per_day
        seconds = reports / figures["rate"]
        print(f"  {label}: {reports:,} reports, {reports * figures['bytes_per_report'] / 1e9:,.1f} GB, "
              f"~{seconds / 60:,.0f} min ({seconds / 3600:.1f} h)")
    demo_history, demo_full = DEMO_HOMES * DEMO_HISTORY_HOURS, DEMO_HOMES * DEMO_FULL_HOURS * 12
    cpu = demo_history * hourly["cpu_per_report"] + demo_full * full["cpu_per_report"]
    print(f"the default demo's simulation ({demo_history:,} hourly + {demo_full:,} 5-minute reports): "
          f"{cpu:,.0f} CPU seconds, ~{cpu / args.workers:,.0f} s on {args.workers} idle cores (publishing and "
          "ingest share them)")


if __name__ == "__main__":
    sys.exit(main())
