"""End to end: a small simulated fleet through ingest and rollups into the database, the analytics replayed over
its simulated time as the service would run them, and the findings checked against the simulator's ground truth.

The fleet and fault seed here are tuning seeds (see docs/analytics.md). Scoring on held-out seeds uses the same
path: ``PORCHLIGHT_EVAL_DIR=<porchlight-sim generate --out dir>`` with ``PORCHLIGHT_EVAL_DB=<url>`` loads that run
into the given database and prints ``porchlight evaluate``'s table (test_score_a_generated_run).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from porchlight_cloud.analytics import evaluation, schedule
from porchlight_cloud.ingest.decode import Incoming, decode
from porchlight_cloud.ingest.rows import summarize
from porchlight_cloud.ingest.writer import Writer
from porchlight_cloud.store import homes as homes_store
from porchlight_cloud.store import rollups
from porchlight_wire import Decoder, DictionaryStore

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SIM = [str(Path(sys.executable).with_name("porchlight-sim"))]


def load_run(url: str, run_dir: Path, batch: int = 500) -> int:
    """Import homes.csv, ingest every record file in time order, roll everything up; returns reports stored."""
    from porchlight_sim.recordfile import merged, record_files

    decoder = Decoder(DictionaryStore.shipped())
    stored = 0
    with psycopg.connect(url, autocommit=True) as conn:
        homes_store.upsert_homes(conn, homes_store.read_homes_csv(run_dir / "homes.csv"))
        writer = Writer(conn, "analytics-test")
        pending = []
        for rec in merged(record_files(run_dir)):
            pending.append(summarize(decode(Incoming(rec.topic, rec.payload, float(rec.end_ts)), decoder)))
            if len(pending) >= batch:
                writer.write(pending, [])
                stored += len(pending)
                pending = []
        if pending:
            writer.write(pending, [])
            stored += len(pending)
        rollups.run(conn)
    return stored


def replay(url: str, start: datetime, end: datetime, step: timedelta = timedelta(minutes=1),
           incident_window: Iterable[tuple[datetime, datetime]] = ()) -> dict[str, int]:
    """Run the scheduled analytics over simulated time: every ``step``; with ``incident_window`` given, every
    ``step`` inside those windows and every 5 minutes outside them."""
    counts: dict[str, int] = {}
    windows = list(incident_window)
    t = start
    with psycopg.connect(url, autocommit=True) as conn:
        while t <= end:
            for job in schedule.run_scheduled(conn, t):
                counts[job] = counts.get(job, 0) + 1
            fine = any(a <= t < b for a, b in windows)
            t += step if fine or not windows else timedelta(minutes=5)
    return counts


def run_bounds(run_dir: Path) -> tuple[datetime, datetime, datetime]:
    import json

    doc = json.loads((run_dir / "run.json").read_text())
    parse = datetime.fromisoformat
    return (parse(doc["start"].replace("Z", "+00:00")), parse(doc["focus_start"].replace("Z", "+00:00")),
            parse(doc["end"].replace("Z", "+00:00")))


def full_cadence_start(run_dir: Path) -> datetime:
    import json

    cfg = json.loads((run_dir / "run.json").read_text())["config"]
    _, _, end = run_bounds(run_dir)
    return end - timedelta(days=float(cfg["days"]))


def analyse_run(url: str, run_dir: Path) -> evaluation.Report:
    start, _focus, end = run_bounds(run_dir)
    fast = full_cadence_start(run_dir)
    # Daily jobs for the history days (coarse cadence), then everything at full cadence, minute by minute.
    replay(url, start + timedelta(days=1), fast, step=timedelta(days=1))
    replay(url, fast, end + schedule.DAILY_DELAY + timedelta(minutes=1), incident_window=[(fast, end)])
    with psycopg.connect(url, autocommit=True) as conn:
        return evaluation.evaluate(conn, evaluation.load(run_dir / "ground_truth.jsonl"))


@pytest.mark.slow
def test_a_small_simulated_fleet_end_to_end(db_url: str, tmp_path: Path) -> None:
    run_dir = tmp_path / "sim"
    t0 = time.monotonic()
    subprocess.run([*SIM, "generate", "--homes", "50", "--days", "1", "--history-days", "7", "--seed", "11",
                    "--start", "2026-03-01", "--faults", "spambot,reboot_loop,access_network",
                    "--out", str(run_dir), "--quiet", "--workers", "2"], check=True, cwd=REPO)
    assert load_run(db_url, run_dir) > 1000
    report = analyse_run(db_url, run_dir)
    print(evaluation.format_report(report), f"\n({time.monotonic() - t0:.0f} s)")
    scores = {s.kind: s for s in report.scores}
    assert scores["spambot"].recall == 1.0 and scores["spambot"].precision == 1.0
    assert scores["reboot_loop"].recall == 1.0
    access = scores["access_network"]
    assert access.records >= 1 and access.named_right == f"{access.records}/{access.records}"
    assert access.precision == 1.0 and access.recall == 1.0
    assert access.median_ttd is not None and access.median_ttd <= 6


@pytest.mark.skipif(not os.environ.get("PORCHLIGHT_EVAL_DIR"), reason="set PORCHLIGHT_EVAL_DIR to score a run")
def test_score_a_generated_run() -> None:
    run_dir = Path(os.environ["PORCHLIGHT_EVAL_DIR"])
    url = os.environ.get("PORCHLIGHT_EVAL_DB", "postgresql://porchlight@127.0.0.1:55432/porchlight_eval")
    if not os.environ.get("PORCHLIGHT_EVAL_SKIP_LOAD"):
        from porchlight_cloud.store import migrate

        admin = url.rsplit("/", 1)[0] + "/postgres"
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name}")
        migrate.migrate(url)
        t = time.monotonic()
        stored = load_run(url, run_dir)
        print(f"loaded {stored} reports in {time.monotonic() - t:.0f} s")
    else:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("TRUNCATE findings, incident_homes, incidents, analysis_runs, qoe_hourly, qoe_daily_normal,"
                         " home_segments, device_usage, air_normal, cohort_home_daily,"
                         " cohort_hours_done CASCADE")
    t = time.monotonic()
    report = analyse_run(url, run_dir)
    print(evaluation.format_report(report), f"\n(analysis {time.monotonic() - t:.0f} s)")
    assert report.scores, "the run's ground truth gave nothing to score"
