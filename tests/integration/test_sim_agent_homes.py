"""Mode 1: the real agent's collectors, loop, builder, queue and encoder over simulated gateways."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from porchlight_sim.cli import main
from porchlight_sim.recordfile import read_records
from porchlight_wire import Decoder, iter_records, validate_report

pytestmark = pytest.mark.integration


def _run(out: Path, *extra: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    assert main(["agent-homes", "--homes", "2", "--days", "0.05", "--start", "2024-06-03T19:00:00", "--seed", "3",
                 "--out", str(out), "--quiet", *extra]) == 0
    summary = json.loads((out / "agent-homes.json").read_text())
    decoder = Decoder()
    docs = [validate_report(decoder.decode(r.payload)) for r in read_records(out / "agent-reports.plrec")]
    return summary, docs


def test_the_real_agent_reports_what_the_simulated_gateways_show(tmp_path: Path) -> None:
    out = tmp_path / "agent"
    summary, docs = _run(out, "--faults", "none")
    fleet = {json.loads(line)["home_id"]: json.loads(line) for line in (out / "fleet.jsonl").read_text().splitlines()}
    for home_id, stats in summary.items():
        assert stats["reports"] >= 12 and stats["invalid"] == 0
        assert stats["collector_errors"] == {}, stats["collector_errors"]
        mine = [d for d in docs if d["header"]["home_id"] == home_id]
        assert {d["header"]["model"] for d in mine} == {fleet[home_id]["model"]}
        assert {d["header"]["firmware"] for d in mine} == {fleet[home_id]["firmware"]}
        wifi = {d["mac"] for d in fleet[home_id]["devices"] if not d["wired"]}
        known = {d["mac"] for d in fleet[home_id]["devices"]}
        stations = {r["mac"] for d in mine for r in iter_records(d, "stations")}
        assert stations and stations <= wifi
        apps = [r for d in mine for r in iter_records(d, "apps")]
        assert {r["mac"] for r in apps} <= known
        assert {r["app"] for r in apps} - {"unclassified", "dns", "ntp"}, "the agent classified nothing"
        targets = {r["target"] for d in mine for r in iter_records(d, "probes")}
        assert targets == {"first_hop", "1.1.1.1", "8.8.8.8", "dns"}
        assert all(r["uptime_s"] > 0 for d in mine for r in iter_records(d, "health"))
        assert {r["mac"] for d in mine for r in iter_records(d, "devices")} <= known


def test_a_reboot_loop_restarts_the_agent_with_a_new_boot_id(tmp_path: Path) -> None:
    summary, docs = _run(tmp_path / "agent", "--faults", "reboot_loop")
    looping = [h for h, s in summary.items() if s["boots"] > 1]
    assert looping
    seqs: dict[str, list[int]] = defaultdict(list)
    for d in docs:
        if d["header"]["home_id"] == looping[0]:
            seqs[d["header"]["boot_id"]].append(d["header"]["seq"])
    assert len(seqs) >= 2
    assert all(s == list(range(len(s))) for s in seqs.values())
    starts = [d for d in docs if d["header"]["home_id"] == looping[0] and d["header"]["seq"] == 0]
    assert all("agent_start" in (d.get("events") or {}).get("kind", []) for d in starts)
