"""Reports on the wire: schema-valid, decodable, reproducible from a seed, independent of the worker split."""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from typing import Any

from porchlight_sim.columnar import columnar_report
from porchlight_sim.generator import World, build_world, messages
from porchlight_wire import Decoder, build_report, json_bytes, parse_topic, validate_report


def _first(world: World, n: int, worker: int = 0, workers: int = 1) -> list[tuple[int, str, bytes]]:
    out = []
    for item in messages(world, worker, workers):
        out.append(item)
        if len(out) == n:
            break
    return out


def test_same_seed_gives_identical_reports(make_config: Callable[..., Any]) -> None:
    a = build_world(make_config(homes=8, days=0.1))
    b = build_world(make_config(homes=8, days=0.1))
    assert list(messages(a)) == list(messages(b))


def test_another_seed_gives_another_fleet_and_other_reports(make_config: Callable[..., Any]) -> None:
    a = build_world(make_config(homes=8, days=0.05))
    b = build_world(make_config(homes=8, days=0.05, seed=2))
    assert [h.gateway_id for h in a.fleet.homes] != [h.gateway_id for h in b.fleet.homes]
    assert _first(a, 5) != _first(b, 5)


def test_a_home_reports_the_same_whatever_the_worker_split(make_config: Callable[..., Any]) -> None:
    world = build_world(make_config(homes=6, days=0.1))
    alone = sorted(messages(world, 0, 1))
    split = sorted([*messages(world, 0, 2), *messages(world, 1, 2)])
    assert alone == split


def test_reports_validate_against_the_wire_schema(world: World, reports_of: Callable[[str], Any]) -> None:
    touched = sorted({h for f in world.faults for h in f.truth.home_ids})[:12]
    decoder = Decoder()
    for _end, topic, message in _first(world, 300):
        doc = validate_report(decoder.decode(message))
        t = parse_topic(topic)
        assert (t.home_id, t.gateway_id, t.kind) == (doc["header"]["home_id"], doc["header"]["gateway_id"],
                                                     "report")
    for home_id in touched:
        for doc in reports_of(home_id):
            validate_report(doc)


def test_reports_carry_every_section_a_gateway_sends(world: World, reports_of: Callable[[str], Any]) -> None:
    home = next(h for h in world.fleet.homes if h.installed_ts < world.cadence.start_ts)
    docs = reports_of(home.home_id)
    for section in ("radios", "stations", "devices", "apps", "probes", "health"):
        assert any(section in d for d in docs), section
    targets = {t for d in docs for t in d["probes"]["target"]}
    assert targets == {"first_hop", "1.1.1.1", "8.8.8.8", "dns"}


def test_columnar_assembly_equals_build_report(world: World) -> None:
    from porchlight_sim.faults import effects_by_home
    from porchlight_sim.home_sim import HomeSimulator

    home = world.fleet.homes[3]
    sim = HomeSimulator(home, effects_by_home(world.faults).get(home.home_id, []), world.cadence, 1)
    captured: dict[str, Any] = {}
    import porchlight_sim.home_sim as home_sim

    original = home_sim.columnar_report

    def spy(header: Any, sections: Any) -> Any:
        captured["args"] = (header, {k: [dict(r) for r in v] for k, v in sections.items()})
        return original(header, sections)

    home_sim.columnar_report = spy
    try:
        _end, doc = sim.next_report() or (0, {})
    finally:
        home_sim.columnar_report = original
    header, sections = captured["args"]
    assert json_bytes(columnar_report(header, sections)) == json_bytes(build_report(header, sections))
    assert json_bytes(doc) == json_bytes(build_report(header, sections))


def test_every_app_id_is_one_the_agents_classification_tables_can_produce() -> None:
    import json
    from pathlib import Path

    import porchlight_agent
    from porchlight_sim.apps import APPS

    tables = json.loads((Path(porchlight_agent.__file__).parent / "data" / "app_tables.json").read_text())
    known = {r["app"] for r in tables["ports"]} | set(tables["names"]) | set(tables["prefixes"]) | {"unclassified"}
    assert set(APPS) <= known


def test_inventory_is_full_after_start_and_hourly_and_otherwise_lists_only_changes(
        world: World, reports_of: Callable[[str], Any]) -> None:
    joined = next(f.truth for f in world.faults if f.truth.kind == "new_device")
    docs = reports_of(joined.home_ids[0])
    assert docs[0]["header"]["inventory"] == "full"
    fulls = [d["header"]["end_ts"] for d in docs if d["header"]["inventory"] == "full"]
    assert all(b - a <= 3600 for a, b in pairwise(fulls))
    changes = [d for d in docs if d["header"]["inventory"] == "changes"]
    assert changes and sum(len((d.get("devices") or {}).get("mac", [])) for d in changes) < len(changes)
    first = next(d for d in docs if joined.mac in (d.get("devices") or {}).get("mac", []))
    assert first["header"]["end_ts"] >= joined.start_ts
