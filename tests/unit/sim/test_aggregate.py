"""Aggregating samples into report records: a report of one sample gives what the general rule gives for n = 1."""

from __future__ import annotations

import json
from typing import Any

from porchlight_sim import aggregate
from porchlight_sim.faults import effects_by_home
from porchlight_sim.generator import World
from porchlight_sim.home_sim import HomeSimulator


def _samples(world: World, homes: int = 12) -> list[dict[str, list[dict[str, Any]]]]:
    """Per-sample records of a few busy homes, one hour of 60 s samples into the evening."""
    effects = effects_by_home(world.faults)
    found = []
    for home in world.fleet.homes[:homes]:
        sim = HomeSimulator(home, effects.get(home.home_id, []), world.cadence, world.config.seed)
        for ts in range(world.cadence.start_ts + 19 * 3600, world.cadence.start_ts + 20 * 3600, 60):
            found.append(sim.sample(ts, 60))
    return found


def test_a_single_sample_station_aggregates_as_the_general_rule_does(world: World) -> None:
    records = [r for s in _samples(world) for r in s["stations"]]
    assert len(records) > 100
    for r in records:
        # Same keys, same values, same JSON types (a mean of one int signal is an int, a rounded rate a float).
        assert json.dumps(aggregate._one_station(r)) == json.dumps(aggregate._station([r]))


def test_a_single_sample_app_aggregates_as_the_general_rule_does(world: World) -> None:
    records = [r for s in _samples(world) for r in s["apps"]]
    assert len(records) > 100
    for r in records:
        assert json.dumps(aggregate._one_app(r)) == json.dumps(aggregate._app([r]))


def test_several_samples_still_take_the_general_rule(world: World) -> None:
    samples = _samples(world, homes=3)[:5]
    stations = [r for s in samples for r in s["stations"]]
    merged = aggregate.stations(stations)
    assert merged and all(m["samples"] >= 1 for m in merged)
    assert any(m["samples"] == 5 for m in merged)
    by_mac = {m["mac"]: m for m in merged}
    for mac, m in by_mac.items():
        own = [r for r in stations if r["mac"] == mac]
        assert m["tx_bytes"] == sum(r["tx_bytes"] for r in own)
        assert m["signal_min_dbm"] == min(r["signal_dbm"] for r in own)
