"""The fleet: region hierarchy, plans, tenure, gateway models and firmware, devices with real OUIs."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

from porchlight_sim.fleet import FleetSpec, build_fleet
from porchlight_sim.gateways import MODELS
from porchlight_sim.generator import World
from porchlight_sim.metadata import COLUMNS, write_homes_csv
from porchlight_sim.vendors import oui_table, vendor_of


def test_homes_sit_in_three_regions_of_four_areas_of_five_nodes(world: World) -> None:
    fleet = world.fleet
    assert len(fleet.nodes) == 60
    assert len({r for r, _, _ in fleet.nodes.values()}) == 3
    assert len({a for _, a, _ in fleet.nodes.values()}) == 12
    for home in fleet.homes:
        region, area, _tech = fleet.nodes[home.node]
        assert (home.region, home.area) == (region, area)
        assert home.node.startswith(home.area) and home.area.startswith(home.region)


def test_every_model_runs_several_firmware_versions_in_realistic_shares() -> None:
    fleet = build_fleet(FleetSpec(3000, 5, 1_717_372_800, 1_717_459_200))
    models = Counter(h.model for h in fleet.homes)
    assert set(models) == {m.name for m in MODELS}
    for model in MODELS:
        assert abs(models[model.name] / 3000 - model.share) < 0.04
        firmware = Counter(h.firmware for h in fleet.homes if h.model == model.name)
        assert len(firmware) == len(model.firmwares) >= 2


def test_some_homes_are_new_in_the_last_two_weeks(world: World) -> None:
    spec = world.fleet.spec
    new = [h for h in world.fleet.homes if h.tenure_start > spec.end_ts - 15 * 86_400]
    assert 0 < len(new) < 0.1 * len(world.fleet.homes)
    assert all(h.installed_ts >= spec.start_ts for h in new)


def test_devices_have_real_vendor_ouis_or_private_addresses_and_unique_macs(world: World) -> None:
    table = oui_table()
    private_seen = 0
    for home in world.fleet.homes:
        macs = [d.mac for d in home.devices]
        assert len(macs) == len(set(macs))
        for d in home.devices:
            private = vendor_of(d.mac, table) is None
            private_seen += private
            assert private or d.mac[:8] in table
            if private:
                assert d.vendor is None  # the agent reports no vendor for a randomised MAC
    assert private_seen > 0


def test_devices_are_reported_as_the_agents_own_tables_see_them(world: World) -> None:
    from porchlight_agent.collectors.vendors import OuiTable

    oui = OuiTable.load()
    devices = [d for h in world.fleet.homes for d in h.devices]
    assert all(d.vendor == oui.vendor(d.mac) for d in devices)
    agreed = sum(d.reported_class == d.device_class for d in devices) / len(devices)
    assert 0.5 < agreed < 1.0  # the classifier is mostly right, and sometimes not


def test_homes_have_a_realistic_mix_of_device_classes(world: World) -> None:
    classes = Counter(d.device_class for h in world.fleet.homes for d in h.devices)
    per_home = sum(classes.values()) / len(world.fleet.homes)
    assert 6 < per_home < 20
    for cls in ("phone", "laptop", "tv", "streamer", "console", "iot", "speaker", "camera"):
        assert classes[cls] > 0, cls
    assert classes["phone"] > classes["console"]


def test_homes_csv_has_exactly_the_columns_the_cloud_imports(world: World, tmp_path: Path) -> None:
    path = tmp_path / "homes.csv"
    write_homes_csv(path, world.fleet)
    with path.open() as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == COLUMNS
    assert len(rows) == len(world.fleet.homes)
    try:
        from porchlight_cloud.store.homes import CSV_COLUMNS, read_homes_csv
    except ImportError:  # pragma: no cover - the cloud package is not installed
        return
    assert set(COLUMNS) == set(CSV_COLUMNS)
    records = read_homes_csv(path)
    assert records[0].home_id == world.fleet.homes[0].home_id and records[0].tenure_start is not None
