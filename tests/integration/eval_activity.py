"""The activity-change list alone on a generated run: every entry, every miss, scored per fault kind.

    .venv/bin/python tests/integration/eval_activity.py RUN_DIR DB_URL [skip-load]

For tuning that list quickly: loads the run into a fresh database (as eval_daily_lists does), then runs only the
segments and the activity-change job for each day with at least MIN_HISTORY_DAYS earlier days (no QoE, struggling
or cohort pass), and prints each listed entry next to the ground truth of its home, the fault records the list
missed, and precision/recall per activity fault kind (the same scoring as test_score_a_generated_run). Generate
the run with ``--faults activity`` for five times the default mix's silent devices and fading households.
The held-out figures still come from the full scoring command on default-mix seeds (README).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval_daily_lists import MIN_HISTORY_DAYS, load_unless_skipped
from porchlight_cloud.analytics import activity_job, evaluation, findings_store, segment_job
from test_analytics_simulated_fleet import run_bounds

KINDS = ("streaming_silent", "silent_churn", "spambot")


def main() -> None:
    run_dir, url = load_unless_skipped(sys.argv)
    start, _focus, end = run_bounds(run_dir)
    truths = evaluation.load(run_dir / "ground_truth.jsonl")
    by_home: dict[str, list[evaluation.Truth]] = {}
    for t in truths:
        for h in t.homes:
            by_home.setdefault(h, []).append(t)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DELETE FROM findings WHERE list = 'activity_change'")
        day = (start + timedelta(days=MIN_HISTORY_DAYS)).date()
        while datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC) <= end:
            segments = segment_job.compute_segments(conn, day)
            activity_job.run_daily(conn, day, segments)
            day += timedelta(days=1)
        for home, day, kind, mac, text in conn.execute(
                "SELECT h.home_id, f.day, f.kind, f.mac, f.reasons->0->>'text' FROM findings f JOIN homes h "
                f"USING (home_key) WHERE f.list = 'activity_change' AND {findings_store.CURRENT_DAILY} "
                "ORDER BY f.day, h.home_id"):
            known = ", ".join(f"{t.kind}{' ' + t.mac if t.mac else ''} from {t.start:%d %H:%M}"
                              for t in by_home.get(home, []))
            print(f"{day} {home} {kind} {mac or ''}: [{known or 'no record'}]\n    {text}")
        flags = evaluation._flags(conn)
        for kind in KINDS:
            s = evaluation.score_home_kind(kind, truths, flags, end)
            found = {f.home_id for f in flags if evaluation._matches(f, evaluation.HOME_DETECTORS[kind])}
            missed = sorted({h for t in truths if t.kind == kind and not t.benign for h in t.homes} - found)
            what = {h: ", ".join(f"{t.mac or kind} from {t.start:%d %H:%M}" for t in by_home[h] if t.kind == kind)
                    for h in missed}
            print(f"{kind}: precision {s.true_positives}/{s.flagged}, recall {s.detected}/{s.homes}; missed: "
                  + "; ".join(f"{h} ({what[h]})" for h in missed))


if __name__ == "__main__":
    main()
