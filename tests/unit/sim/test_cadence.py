"""Report cadence: history at a coarse cadence, then the last days at the agent's default."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from porchlight_sim.cadence import make_cadence
from porchlight_sim.faults import effects_by_home
from porchlight_sim.generator import build_world
from porchlight_sim.home_sim import simulate_home

MONDAY = 1_717_372_800


def test_history_phase_comes_first_at_the_coarse_cadence() -> None:
    cadence = make_cadence(MONDAY, 1, history_days=2)
    assert [(p.report_s, p.sample_s) for p in cadence.phases] == [(3600, 900), (300, 60)]
    assert cadence.focus_start_ts == MONDAY + 2 * 86_400
    assert cadence.expected_reports() == 48 + 288


def test_fractional_days_round_to_whole_seconds_so_a_run_can_end_on_midnight() -> None:
    # 8 hours as a float (8/24 day) is 28799.99... seconds: the run must still end exactly 8 h later.
    cadence = make_cadence(MONDAY, 8 / 24, history_days=4 + 16 / 24)
    assert cadence.focus_start_ts == MONDAY + 4 * 86_400 + 16 * 3600
    assert cadence.end_ts == MONDAY + 5 * 86_400


def test_a_report_interval_must_hold_whole_samples() -> None:
    with pytest.raises(ValueError, match="multiple"):
        make_cadence(MONDAY, 1, report_s=300, sample_s=70)


def test_reports_follow_the_cadence_and_carry_a_full_header(make_config: Callable[..., Any]) -> None:
    world = build_world(make_config(homes=20, days=0.25, history_days=0.5, scenario="none"))
    home = next(h for h in world.fleet.homes if h.installed_ts < world.cadence.start_ts)
    docs = [d for _, d in simulate_home(home, effects_by_home(world.faults).get(home.home_id, []),
                                        world.cadence, 1)]
    history = [d for d in docs if d["header"]["end_ts"] <= world.cadence.focus_start_ts]
    recent = [d for d in docs if d["header"]["start_ts"] >= world.cadence.focus_start_ts]
    assert {d["header"]["sample_interval_s"] for d in history} == {900}
    assert {d["header"]["sample_interval_s"] for d in recent} == {60}
    full = [d for d in recent if d["header"]["end_ts"] - d["header"]["start_ts"] == 300]
    assert all(d["health"]["samples"] == [5] for d in full)
    for d in docs:  # one aggregated record per entity per report
        assert len(set(d["stations"]["mac"])) == len(d["stations"]["mac"])
        assert len(set(zip(d["apps"]["mac"], d["apps"]["app"], strict=True))) == len(d["apps"]["app"])
        assert len(d["health"]["samples"]) == 1
    assert all(d["header"]["end_ts"] % 300 == 0 for d in recent)
    h = docs[0]["header"]
    for key in ("home_id", "gateway_id", "model", "firmware", "agent_version", "boot_id", "seq", "start_ts",
                "end_ts", "sample_interval_s"):
        assert h[key] is not None
    seqs = [d["header"]["seq"] for d in docs if d["header"]["boot_id"] == h["boot_id"]]
    assert seqs == list(range(len(seqs)))
