"""The analytics commands of the ``porchlight`` CLI: ``analyze ...``, ``findings ...`` and ``evaluate``.

``register(subparsers)`` adds them to the main parser; each command sets ``func`` to a handler that takes the
parsed arguments and returns the process exit code.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg

from . import cohort_job, findings_store, incident_job, qoe_job, schedule

DEFAULT_DB = "postgresql://porchlight@127.0.0.1:55432/porchlight"


def _db(args: argparse.Namespace) -> str:
    return str(args.db or os.environ.get("PORCHLIGHT_DB_URL") or DEFAULT_DB)


def _when(text: str | None) -> datetime:
    if not text:
        return datetime.now(UTC)
    if text.isdigit():
        return datetime.fromtimestamp(int(text), UTC)
    t = datetime.fromisoformat(text)
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _day(text: str | None) -> date:
    return date.fromisoformat(text) if text else (datetime.now(UTC) - timedelta(days=1)).date()


def _connect(args: argparse.Namespace) -> psycopg.Connection[Any]:
    return psycopg.connect(_db(args), autocommit=True)


def _analyze(args: argparse.Namespace) -> int:
    with _connect(args) as conn:
        if args.what == "daily":
            out: Any = schedule.run_daily(conn, _day(args.date), args.cohort_days)
        elif args.what == "incidents":
            out = [i.summary() for i in incident_job.run_incidents(conn, _when(args.at))]
        elif args.what == "recent":
            schedule.run_recent(conn, _when(args.at))
            out = "near-real-time struggling list updated"
        elif args.what == "cohorts":
            out = [f.reasons[0].text for f in cohort_job.run_daily(conn, _day(args.date), args.cohort_days)]
        elif args.what == "qoe":
            start, end = _when(args.start), _when(args.end)
            out = {"rows": qoe_job.score_window(conn, start, end)}
        else:  # replay: walk simulated time, running whatever is due, as the service would
            t, stop = _when(args.start), _when(args.end)
            step = timedelta(seconds=args.step)
            counts: dict[str, int] = {}
            while t <= stop:
                for job in schedule.run_scheduled(conn, t):
                    counts[job] = counts.get(job, 0) + 1
                t += step
            out = counts
    print(json.dumps(out, indent=2, default=str) if not isinstance(out, str) else out)
    return 0


def _findings(args: argparse.Namespace) -> int:
    with _connect(args) as conn:
        if args.what == "incidents":
            incs = findings_store.incidents_between(conn, None, None, only_open=args.open)
            for inc in incs[-args.limit:]:
                print(f"#{inc.incident_id} {inc.summary()}")
            return 0
        rows = findings_store.list_findings(conn, args.list, date.fromisoformat(args.date) if args.date else None,
                                            args.home, args.limit, args.open)
    if args.json:
        print(json.dumps(rows, indent=2, default=str))
        return 0
    for r in rows:
        where = r["home_id"] or (f"{r['model']} / {r['firmware']}" if r["model"] else r["area"] or "")
        day = r["day"] or f"{r['first_flagged_at']:%Y-%m-%d %H:%M}"
        print(f"[{r['list']} {day} #{r['rank']}] {where}: {r['summary']}")
        for reason in r["reasons"]:
            print(f"    - {reason['text']}")
        if r["action"]:
            print(f"    => {r['action']}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from . import evaluation

    with _connect(args) as conn:
        report = evaluation.evaluate(conn, evaluation.load(args.ground_truth))
    print(evaluation.format_report(report) if not args.json else json.dumps(evaluation.as_json(report), indent=2))
    return 0


def _for_dispatcher(fn: Callable[[argparse.Namespace], int]) -> Callable[[Any, argparse.Namespace], int]:
    """Adapt a handler to the main CLI's ``handler(settings, args)``: its db_url is used when --db is not given."""

    def handler(settings: Any, args: argparse.Namespace) -> int:
        if not args.db:
            args.db = getattr(settings, "db_url", None)
        return fn(args)

    return handler


def register(subparsers: Any) -> None:
    """Add ``analyze``, ``findings`` and ``evaluate`` to the porchlight CLI's subparsers.

    Each command sets both ``func(args)`` (this module's own ``main``) and ``handler(settings, args)`` (the
    ``porchlight`` dispatcher in porchlight_cloud.cli).
    """
    db_help = "TimescaleDB URL (default: $PORCHLIGHT_DB_URL or the project-local database)"
    p = subparsers.add_parser("analyze", help="run analytics jobs now (they also run on schedule in the service)")
    p.add_argument("what", choices=["daily", "incidents", "recent", "cohorts", "qoe", "replay"])
    p.add_argument("--date", help="day (UTC, YYYY-MM-DD) for daily and cohorts; default yesterday")
    p.add_argument("--at", help="analysed time for incidents/recent (ISO 8601 or Unix seconds; default now)")
    p.add_argument("--from", dest="start", help="start for qoe/replay")
    p.add_argument("--to", dest="end", help="end for qoe/replay")
    p.add_argument("--step", type=int, default=60, help="replay step in seconds (default 60)")
    p.add_argument("--cohort-days", type=int, default=1, help="days of data behind the cohort comparison")
    p.add_argument("--db", help=db_help)
    p.set_defaults(func=_analyze, handler=_for_dispatcher(_analyze))

    f = subparsers.add_parser("findings", help="show stored findings and incidents")
    f.add_argument("what", choices=["list", "incidents"])
    f.add_argument("--list", help="struggling_daily, struggling_recent, activity_change, cohort")
    f.add_argument("--date", help="the day of a daily list (YYYY-MM-DD)")
    f.add_argument("--home", help="one home id")
    f.add_argument("--open", action="store_true", help="only what is still open")
    f.add_argument("--limit", type=int, default=50)
    f.add_argument("--json", action="store_true")
    f.add_argument("--db", help=db_help)
    f.set_defaults(func=_findings, handler=_for_dispatcher(_findings))

    e = subparsers.add_parser("evaluate", help="score stored findings against a simulator ground-truth file")
    e.add_argument("--ground-truth", required=True, help="JSON-lines ground truth written by porchlight-sim")
    e.add_argument("--json", action="store_true")
    e.add_argument("--db", help=db_help)
    e.set_defaults(func=_evaluate, handler=_for_dispatcher(_evaluate))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the analytics commands on their own (``python -m porchlight_cloud.analytics.cli``)."""
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    parser = argparse.ArgumentParser(prog="porchlight")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
