"""A small simulated world shared by the simulator's unit tests, and a cache of simulated homes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from porchlight_sim.faults import effects_by_home
from porchlight_sim.generator import RunConfig, World, build_world
from porchlight_sim.home_sim import simulate_home

#: Monday 2024-06-03 00:00 UTC.
MONDAY = 1_717_372_800

Reports = list[dict[str, Any]]


def small_config(**changes: Any) -> RunConfig:
    """A one-day run of 300 homes, starting on a Monday, in one process."""
    values: dict[str, Any] = {"start_ts": MONDAY, "homes": 300, "days": 1.0, "workers": 1}
    values.update(changes)
    return RunConfig(**values)


@pytest.fixture(scope="session")
def make_config() -> Callable[..., RunConfig]:
    """``small_config`` as a fixture: a one-day, 300-home run starting Monday 2024-06-03, with changes."""
    return small_config


@pytest.fixture(scope="session")
def world() -> World:
    """300 homes, one day, every fault kind of the default scenario."""
    return build_world(small_config())


@pytest.fixture(scope="session")
def reports_of(world: World) -> Callable[[str], Reports]:
    """Every report document of one home of ``world`` (simulated once per session)."""
    cache: dict[str, Reports] = {}
    effects = effects_by_home(world.faults)
    homes = {h.home_id: h for h in world.fleet.homes}

    def get(home_id: str) -> Reports:
        if home_id not in cache:
            home = homes[home_id]
            cache[home_id] = [doc for _, doc in simulate_home(home, effects.get(home_id, []), world.cadence,
                                                               world.config.seed)]
        return cache[home_id]

    return get
