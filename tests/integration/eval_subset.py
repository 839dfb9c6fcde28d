"""Score a generated run on a subset of its homes, for a machine too busy to load a whole fleet in time.

    .venv/bin/python tests/integration/eval_subset.py RUN_DIR DB_URL SAMPLE [skip-load]

Loads every home a Wi-Fi, gateway, cohort or benign record names plus a seeded sample of SAMPLE other homes
(through the real decoder, writer and rollups, as test_analytics_simulated_fleet does), replays the schedule with
daily steps over the history and 5-minute steps over the full-cadence days (incidents then run every 5 minutes,
not every minute), and prints ``porchlight evaluate``'s table. Network kinds and the activity list are NOT
meaningful on a subset (most of their homes are not loaded); the Wi-Fi, reboot and cohort kinds are (all their
homes are). ``skip-load`` re-analyses a database loaded before.
"""

from __future__ import annotations

import json
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from porchlight_cloud.analytics import evaluation, schedule
from porchlight_cloud.ingest.decode import Incoming, decode
from porchlight_cloud.ingest.rows import summarize
from porchlight_cloud.ingest.writer import Writer
from porchlight_cloud.store import homes as homes_store
from porchlight_cloud.store import migrate, rollups
from porchlight_wire import Decoder, DictionaryStore
from test_analytics_simulated_fleet import full_cadence_start, replay, run_bounds

KINDS = {"wifi_poor_coverage", "wifi_interference", "reboot_loop", "firmware_wifi_drops", "firmware_latency",
         "firmware_rollout", "away", "new_device"}


def main() -> None:
    run_dir, url, sample = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    skip_load = len(sys.argv) > 4 and sys.argv[4] == "skip-load"
    truth = [json.loads(x) for x in (run_dir / "ground_truth.jsonl").read_text().splitlines() if x.strip()]
    keep = {h for d in truth if d["kind"] in KINDS for h in d["home_ids"]}
    all_homes = [r.split(",")[0] for r in (run_dir / "homes.csv").read_text().splitlines()[1:]]
    rest = sorted(set(all_homes) - keep)
    keep |= set(random.Random(1).sample(rest, min(sample, len(rest))))
    print(f"homes kept: {len(keep)} of {len(all_homes)}", flush=True)
    if not skip_load:
        admin, name = url.rsplit("/", 1)[0] + "/postgres", url.rsplit("/", 1)[1]
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name}")
        migrate.migrate(url)
        from porchlight_sim.recordfile import merged, record_files

        t = time.monotonic()
        decoder = Decoder(DictionaryStore.shipped())
        with psycopg.connect(url, autocommit=True) as conn:
            rows = [h for h in homes_store.read_homes_csv(run_dir / "homes.csv") if h.home_id in keep]
            homes_store.upsert_homes(conn, rows)
            writer = Writer(conn, "subset-eval")
            pending = []
            for rec in merged(record_files(run_dir)):
                if rec.topic.split("/")[2] not in keep:
                    continue
                pending.append(summarize(decode(Incoming(rec.topic, rec.payload, float(rec.end_ts)), decoder)))
                if len(pending) >= 500:
                    writer.write(pending, [])
                    pending = []
            if pending:
                writer.write(pending, [])
            rollups.run(conn)
        print(f"loaded in {time.monotonic() - t:.0f} s", flush=True)
    else:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("TRUNCATE findings, incident_homes, incidents, analysis_runs, qoe_hourly, qoe_daily_normal,"
                         " home_segments, device_usage CASCADE")
    t = time.monotonic()
    start, _focus, end = run_bounds(run_dir)
    fast = full_cadence_start(run_dir)
    replay(url, start + timedelta(days=1), fast, step=timedelta(days=1))
    replay(url, fast, end + schedule.DAILY_DELAY + timedelta(minutes=1), step=timedelta(minutes=5))
    with psycopg.connect(url, autocommit=True) as conn:
        report = evaluation.evaluate(conn, evaluation.load(run_dir / "ground_truth.jsonl"))
    print(evaluation.format_report(report), f"\n(analysis {time.monotonic() - t:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
