"""The ground-truth file: documented JSON lines that load back into typed records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from porchlight_sim.faults import ground_truth
from porchlight_sim.generator import World
from porchlight_sim.ground_truth import KINDS, GroundTruth, load_ground_truth, write_ground_truth


def test_ground_truth_round_trips_through_the_file(world: World, tmp_path: Path) -> None:
    records = ground_truth(world.faults)
    path = tmp_path / "gt.jsonl"
    assert write_ground_truth(path, records) == len(records)
    assert load_ground_truth(path) == records


def test_every_line_carries_every_key(world: World, tmp_path: Path) -> None:
    path = tmp_path / "gt.jsonl"
    write_ground_truth(path, ground_truth(world.faults))
    keys = {"fault_id", "kind", "benign", "start_ts", "end_ts", "home_ids", "region", "area", "node", "model",
            "firmware", "mac", "app", "band", "channel", "detail"}
    for line in path.read_text().splitlines():
        doc = json.loads(line)
        assert set(doc) == keys
        assert doc["kind"] in KINDS and doc["start_ts"] < doc["end_ts"] and doc["home_ids"]


def test_records_name_what_their_kind_is_about(world: World) -> None:
    for t in ground_truth(world.faults):
        if t.kind in ("spambot", "streaming_silent", "wifi_poor_coverage", "new_device"):
            assert t.mac is not None and len(t.home_ids) == 1
        if t.kind.startswith("firmware_"):
            assert t.model is not None and t.firmware is not None
        if t.kind == "access_network":
            assert t.region is not None and t.area is not None
        if t.kind == "wifi_interference":
            assert t.band is not None and t.channel is not None


def test_a_bad_line_is_reported_with_its_number(tmp_path: Path) -> None:
    path = tmp_path / "gt.jsonl"
    good = GroundTruth("f1", "spambot", 10, 20, ("h1",), mac="aa:bb:cc:dd:ee:ff")
    path.write_text(good.to_json() + "\n" + json.dumps({"kind": "meteor", "home_ids": []}) + "\n")
    with pytest.raises(ValueError, match=r"gt.jsonl:2"):
        load_ground_truth(path)


def test_active_and_overlaps_use_half_open_intervals() -> None:
    t = GroundTruth("f1", "reboot_loop", 100, 200, ("h1",))
    assert t.active(100) and not t.active(200)
    assert t.overlaps(150, 300) and not t.overlaps(200, 300)
