"""How long the daily lists are on a generated run: the healthy-fleet budget of the activity-change list.

    .venv/bin/python tests/integration/eval_daily_lists.py RUN_DIR DB_URL [skip-load]

Loads the run into a fresh database (through the real decoder, writer and rollups, as
test_analytics_simulated_fleet does), runs every daily job (`schedule.run_daily`: QoE, device usage, segments,
cohorts, struggling list, activity-change list) for each whole day of the run, and prints per day how many
distinct homes each daily list holds, per 1,000 homes, and which of them have a ground-truth record (fault or
benign change) touching that day. Days with fewer than MIN_HISTORY_DAYS earlier days are printed but left out
of the summary: the lists judge against weeks of history. A run made with `--faults away` (only days away from
home, a healthy fleet otherwise) measures the budget: at most about 1 home per 1,000 per day on the activity list.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from porchlight_cloud.analytics import findings_store, schedule
from porchlight_cloud.store import migrate
from test_analytics_simulated_fleet import load_run, run_bounds

MIN_HISTORY_DAYS = 7
LISTS = ("activity_change", "struggling_daily")


def _fresh_database(url: str) -> None:
    admin, name = url.rsplit("/", 1)
    with psycopg.connect(admin + "/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    migrate.migrate(url)


def _truth_by_day(run_dir: Path) -> dict[date, dict[str, list[str]]]:
    """Per day: home id -> kinds of the ground-truth records active on that day."""
    out: dict[date, dict[str, list[str]]] = {}
    for line in (run_dir / "ground_truth.jsonl").read_text().splitlines():
        rec = json.loads(line)
        day = datetime.fromtimestamp(rec["start_ts"], UTC).date()
        last = datetime.fromtimestamp(rec["end_ts"], UTC).date()
        while day <= last + timedelta(days=1):
            for home in rec["home_ids"]:
                out.setdefault(day, {}).setdefault(home, []).append(rec["kind"])
            day += timedelta(days=1)
    return out


def load_unless_skipped(argv: list[str]) -> tuple[Path, str]:
    """RUN_DIR and DB_URL from the command line; the run loaded into a fresh database unless "skip-load" follows."""
    run_dir, url = Path(argv[1]), argv[2]
    if not (len(argv) > 3 and argv[3] == "skip-load"):
        _fresh_database(url)
        t = time.monotonic()
        print(f"loaded {load_run(url, run_dir)} reports in {time.monotonic() - t:.0f} s", flush=True)
    return run_dir, url


def main() -> None:
    run_dir, url = load_unless_skipped(sys.argv)
    start, _focus, end = run_bounds(run_dir)
    homes = int(json.loads((run_dir / "run.json").read_text())["config"]["homes"])
    truth = _truth_by_day(run_dir)
    per_day: dict[str, list[float]] = {name: [] for name in LISTS}
    day = start.date()
    with psycopg.connect(url, autocommit=True) as conn:
        while datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC) <= end:
            t = time.monotonic()
            schedule.run_daily(conn, day)
            history = (day - start.date()).days
            line = [f"{day} (history {history:2d} d, {time.monotonic() - t:4.0f} s)"]
            for name in LISTS:
                listed = [r[0] for r in conn.execute(
                    "SELECT DISTINCT h.home_id FROM findings f JOIN homes h USING (home_key) "
                    f"WHERE f.list = %s AND f.day = %s AND {findings_store.CURRENT_DAILY} ORDER BY 1",
                    (name, day)).fetchall()]
                explained = [h for h in listed if h in truth.get(day, {})]
                rate = 1000.0 * len(listed) / homes
                if history >= MIN_HISTORY_DAYS:
                    per_day[name].append(rate)
                line.append(f"{name}: {len(listed)} homes ({rate:.1f}/1000; {len(explained)} with a record: "
                            + ", ".join(f"{h} {'/'.join(truth[day][h])}" for h in explained) + ")")
            print("  ".join(line), flush=True)
            day += timedelta(days=1)
    for name in LISTS:
        rates = per_day[name]
        if rates:
            print(f"{name}: median {statistics.median(rates):.1f} homes per 1,000 per day, max {max(rates):.1f}, "
                  f"over {len(rates)} days with >= {MIN_HISTORY_DAYS} days of history ({homes} homes)")


if __name__ == "__main__":
    main()
