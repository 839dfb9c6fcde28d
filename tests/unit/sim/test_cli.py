"""The porchlight-sim command line: start times, generate to files, plan, scenarios."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from porchlight_sim.cli import main, parse_start
from porchlight_sim.ground_truth import load_ground_truth
from porchlight_sim.recordfile import merged, record_files
from porchlight_wire import Decoder, validate_report


def test_start_accepts_iso_dates_times_and_epoch_seconds() -> None:
    assert parse_start("2024-06-03", 1) == 1_717_372_800
    assert parse_start("2024-06-03T06:00:00Z", 1) == 1_717_372_800 + 6 * 3600
    assert parse_start("1717372800", 1) == 1_717_372_800
    assert parse_start(None, 2, now=1_717_372_859.5) == 1_717_372_800 - 2 * 86_400


def test_generate_writes_reports_ground_truth_and_homes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code = main(["generate", "--homes", "12", "--days", "0.05", "--start", "2024-06-03", "--seed", "4",
                 "--workers", "1", "--out", str(out), "--quiet"])
    assert code == 0
    run = json.loads((out / "run.json").read_text())
    records = list(merged(record_files(out)))
    assert len(records) == run["reports"] > 12
    decoder = Decoder()
    for r in records[:50]:
        validate_report(decoder.decode(r.payload))
    assert [r.end_ts for r in records] == sorted(r.end_ts for r in records)
    load_ground_truth(out / "ground_truth.jsonl")
    assert (out / "homes.csv").read_text().startswith("home_id,subscriber_ref,region,area,node,plan,")
    assert len((out / "fleet.jsonl").read_text().splitlines()) == 12


def test_plan_writes_ground_truth_without_reports(tmp_path: Path) -> None:
    gt = tmp_path / "heldout.jsonl"
    assert main(["plan", "--homes", "200", "--days", "2", "--start", "2024-06-03", "--fault-seed", "7",
                 "--out", str(tmp_path), "--ground-truth", str(gt)]) == 0
    assert load_ground_truth(gt) and not record_files(tmp_path)


def test_an_unknown_scenario_is_refused_with_the_choices(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--faults", "meteor", "--out", str(tmp_path)]) == 2
    assert "default" in capsys.readouterr().err


def test_scenarios_lists_every_kind(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    assert "spambot" in out and "default" in out and "subtle" in out
