"""The lockstep fast path: wire documents equal to build_report's, and the same models as the per-sample path.

The two paths draw different random numbers, so they agree in distribution, not byte for byte: per device
class, mean signal, PHY rates and bytes over a day of the same homes stay within a few percent.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from porchlight_sim.faults import effects_by_home
from porchlight_sim.generator import RunConfig, World, build_world
from porchlight_sim.home_sim import simulate_home
from porchlight_sim.lockstep_run import lockstep_reports
from porchlight_wire import SECTIONS, build_report, iter_records, json_bytes, validate_report

_SECTION_KEYS = [s.key for s in SECTIONS]
#: Monday 2024-06-03 00:00 UTC.
MONDAY = 1_717_372_800


def small_config(**changes: Any) -> RunConfig:
    """A one-day run starting on a Monday, in one process (as conftest.small_config)."""
    values: dict[str, Any] = {"start_ts": MONDAY, "homes": 300, "days": 1.0, "workers": 1}
    values.update(changes)
    return RunConfig(**values)


def _docs(world: World, homes: int) -> list[dict[str, Any]]:
    chosen = world.fleet.homes[:homes]
    return [doc for _, _, doc in lockstep_reports(chosen, effects_by_home(world.faults), world.cadence,
                                                  world.config.seed)]


def test_lockstep_documents_are_what_build_report_gives_for_their_records() -> None:
    world = build_world(small_config(homes=30, days=0.25, start_ts=MONDAY + 17 * 3600))
    docs = _docs(world, 30)
    assert len(docs) > 500
    for doc in docs:
        validate_report(doc)
        sections = {k: list(iter_records(doc, k)) for k in doc if k in _SECTION_KEYS}
        assert json_bytes(build_report(doc["header"], sections)) == json_bytes(doc)


def _by_class(world: World, docs: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    cls = {d.mac: d.device_class for h in world.fleet.homes for d in h.devices}
    sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for doc in docs:
        st = doc.get("stations")
        if st:
            for mac, n, sig, tx, rx in zip(st["mac"], st["samples"], st["signal_avg_dbm"], st["tx_rate_mbps"],
                                           st["rx_rate_mbps"], strict=True):
                s = sums[cls[mac]]
                s["n"] += n
                s["signal"] += n * sig
                s["tx_rate"] += n * tx
                s["rx_rate"] += n * rx
        apps = doc.get("apps")
        if apps:
            for mac, down, up in zip(apps["mac"], apps["bytes_down"], apps["bytes_up"], strict=True):
                sums[cls[mac]]["bytes"] += down + up
    return {c: {"signal": s["signal"] / s["n"], "tx_rate": s["tx_rate"] / s["n"], "rx_rate": s["rx_rate"] / s["n"],
                "station_samples": s["n"], "bytes": s["bytes"]} for c, s in sums.items() if s["n"]}


def agreement(homes: int = 60, days: float = 1.0) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """Per device class figures of both paths over the same homes and day: (per-sample path, lockstep)."""
    world = build_world(small_config(homes=homes, days=days, scenario="none"))
    effects = effects_by_home(world.faults)
    old = [doc for h in world.fleet.homes for _, doc in simulate_home(h, effects.get(h.home_id, []), world.cadence,
                                                                      world.config.seed)]
    return _by_class(world, old), _by_class(world, _docs(world, homes))


@pytest.fixture(scope="module")
def both() -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    return agreement()


@pytest.mark.parametrize("figure, tolerance", [("signal", 1.5), ("tx_rate", 0.06), ("rx_rate", 0.06)])
def test_both_paths_give_the_same_link_per_device_class(both: Any, figure: str, tolerance: float) -> None:
    old, new = both
    for cls, o in old.items():
        if o["station_samples"] < 2000:
            continue
        n = new[cls]
        if figure == "signal":
            assert abs(n[figure] - o[figure]) <= tolerance, (cls, o[figure], n[figure])
        else:
            assert abs(n[figure] / o[figure] - 1.0) <= tolerance, (cls, o[figure], n[figure])


def test_both_paths_move_the_same_bytes_per_device_class(both: Any) -> None:
    old, new = both
    total_old = sum(o["bytes"] for o in old.values())
    total_new = sum(n["bytes"] for n in new.values())
    assert abs(total_new / total_old - 1.0) <= 0.1
    for cls, o in old.items():
        if o["bytes"] > 0.05 * total_old:
            assert abs(new[cls]["bytes"] / o["bytes"] - 1.0) <= 0.25, (cls, o["bytes"], new[cls]["bytes"])


def test_a_day_moves_the_same_bytes_at_the_coarse_history_cadence_as_at_the_full_cadence() -> None:
    # Gateway counters do not depend on how often they are read: the history days (15-minute samples, hourly
    # reports) and the full-cadence days of one run must not differ in traffic by themselves, or every rule
    # comparing a day with its history sees a jump at the switch.
    full = build_world(small_config(homes=40, scenario="none"))
    coarse = build_world(small_config(homes=40, scenario="none", days=0.0007, history_days=1.0))
    full_bytes = sum(c["bytes"] for c in _by_class(full, _docs(full, 40)).values())
    coarse_bytes = sum(c["bytes"] for c in _by_class(coarse, _docs(coarse, 40)).values())
    assert abs(coarse_bytes / full_bytes - 1.0) <= 0.05, (coarse_bytes, full_bytes)
