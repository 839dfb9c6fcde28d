"""Faults: each kind leaves its signature on exactly the homes, devices and times the ground truth names."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

import pytest
from porchlight_sim.faults import Effect, Fault, plan_faults
from porchlight_sim.generator import World, build_world
from porchlight_sim.ground_truth import BENIGN_KINDS, FAULT_KINDS
from porchlight_sim.home_sim import simulate_home
from porchlight_sim.lockstep_run import lockstep_reports
from porchlight_sim.scenarios import scenario_named
from porchlight_wire import iter_records

Reports = Callable[[str], list[dict[str, Any]]]


def _fault(world: World, kind: str, **match: Any) -> Fault:
    for f in world.faults:
        if f.truth.kind == kind and all(getattr(f.truth, k) == v for k, v in match.items()):
            return f
    raise AssertionError(f"the world has no {kind} fault")


def _rows(docs: list[dict[str, Any]], section: str) -> list[dict[str, Any]]:
    """Records of a section; each carries its report's interval as ``t0``/``t1`` (events keep their ``ts``)."""
    return [{**r, "t0": d["header"]["start_ts"], "t1": d["header"]["end_ts"]} for d in docs
            for r in iter_records(d, section)]


def _inside(r: dict[str, Any], t: Any) -> bool:
    return t.start_ts <= r["t0"] and r["t1"] <= t.end_ts


def _overlaps(r: dict[str, Any], t: Any) -> bool:
    return r["t0"] < t.end_ts and t.start_ts < r["t1"]


def _before(r: dict[str, Any], t: Any) -> bool:
    return r["t1"] <= t.start_ts


def _mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else float("nan")


def test_default_scenario_has_every_kind_and_home_faults_touch_5_to_10_percent(world: World) -> None:
    kinds = {f.truth.kind for f in world.faults}
    assert kinds >= FAULT_KINDS
    assert {"new_device", "away", "firmware_rollout"} <= kinds
    home_level = {"wifi_poor_coverage", "spambot", "streaming_silent", "silent_churn", "reboot_loop",
                  "wifi_interference"}
    touched = {h for f in world.faults if f.truth.kind in home_level for h in f.truth.home_ids}
    assert 0.04 <= len(touched) / len(world.fleet.homes) <= 0.10
    assert all(f.truth.benign == (f.truth.kind in BENIGN_KINDS) for f in world.faults)


def test_fault_plan_is_reproducible_and_moves_with_the_fault_seed(world: World) -> None:
    scenario = scenario_named("default")
    again = plan_faults(world.fleet, scenario, 1, world.cadence.focus_start_ts)
    other = plan_faults(world.fleet, scenario, 99, world.cadence.focus_start_ts)
    assert [f.truth for f in again] == [f.truth for f in world.faults]
    assert [f.truth for f in other] != [f.truth for f in world.faults]


def test_spambot_fault_raises_smtp_flows_and_new_destinations_only_on_that_device(
        world: World, reports_of: Reports) -> None:
    fault = _fault(world, "spambot")
    truth = fault.truth
    apps = _rows(reports_of(truth.home_ids[0]), "apps")
    smtp = [r for r in apps if r["app"] == "smtp"]
    during = [r for r in smtp if _overlaps(r, truth) and r["mac"] == truth.mac]
    assert len(during) >= 0.95 * (min(truth.end_ts, world.cadence.end_ts) - truth.start_ts) / 300 - 1
    assert min(r["flows"] for r in during) > 30 and min(r["new_flows"] for r in during) > 25
    assert statistics.median(r["dests"] for r in during) > 150
    assert all(r["active_samples"] == 5 for r in during if _inside(r, truth))
    # Before the infection, and on every other device, SMTP is at most a mail client's trickle.
    quiet = [r for r in smtp if r not in during]
    assert all(r["flows"] <= 3 and r["dests"] <= 3 for r in quiet)


def test_area_outage_touches_every_home_behind_the_node_and_no_other(world: World, reports_of: Reports) -> None:
    fault = _fault(world, "access_network", area=next(
        f.truth.area for f in world.faults if f.truth.kind == "access_network" and f.truth.node is not None))
    truth = fault.truth
    behind = {h.home_id for h in world.fleet.homes_behind(node=truth.node) if h.installed_ts < truth.end_ts}
    assert set(truth.home_ids) == behind
    assert truth.start_ts % 300 != 0  # starts at a given minute, not on a report boundary
    bystander = next(h.home_id for h in world.fleet.homes
                     if h.node != truth.node and h.area != truth.area and h.installed_ts < world.cadence.start_ts)

    def first_hop(home_id: str) -> tuple[float, float, float]:
        probes = [r for r in _rows(reports_of(home_id), "probes") if r["target"] == "first_hop"]
        inside = [r for r in probes if _inside(r, truth)]
        before = [r for r in probes if _before(r, truth)]
        loss = sum(r["lost"] for r in inside) / sum(r["sent"] for r in inside)
        return (_mean([r["rtt_ms"] for r in before if r["rtt_ms"] is not None]),
                _mean([r["rtt_ms"] for r in inside if r["rtt_ms"] is not None]), loss)

    for home_id in sorted(behind)[:4]:
        before, inside, loss = first_hop(home_id)
        assert inside > before + 15 and loss > 0.01, home_id
    before, inside, loss = first_hop(bystander)
    assert inside < before + 5 and loss < 0.01


def test_reboot_loop_resets_uptime_and_boot_id(world: World, reports_of: Reports) -> None:
    truth = _fault(world, "reboot_loop").truth
    docs = reports_of(truth.home_ids[0])
    inside = [d for d in docs if truth.start_ts <= d["header"]["start_ts"] < truth.end_ts]
    boots = {d["header"]["boot_id"] for d in inside}
    assert len(boots) >= 3
    before = [d for d in docs if d["header"]["end_ts"] <= truth.start_ts]
    assert len({d["header"]["boot_id"] for d in before}) <= 2
    for d in inside:
        uptime = d["health"]["uptime_s"]
        assert max(uptime) < (truth.end_ts - truth.start_ts) + 3_600
    first_of_boot = [d for d in inside if d["header"]["seq"] == 0]
    assert len(first_of_boot) >= 2
    assert all("reboot" in d["events"]["kind"] for d in first_of_boot)
    assert all(min(d["health"]["uptime_s"]) < 600 for d in first_of_boot)


def test_poor_coverage_device_has_weak_signal_low_rate_and_more_retries(world: World, reports_of: Reports) -> None:
    truth = next(f.truth for f in world.faults if f.truth.kind == "wifi_poor_coverage")
    stations = [r for r in _rows(reports_of(truth.home_ids[0]), "stations")
                if r["mac"] == truth.mac and r["t0"] >= truth.start_ts]
    assert stations, "the far device never associated"
    assert statistics.median(r["signal_avg_dbm"] for r in stations) < -74   # signal_dbm: diagnosis only (1.1)
    assert all(r["band"] == "2.4" for r in stations)
    assert statistics.median(r["tx_rate_mbps"] for r in stations) < 60
    retry = sum(r["tx_retries"] for r in stations) / sum(r["tx_packets"] for r in stations)
    assert retry > 0.1


def test_interference_raises_busy_time_and_retries_on_its_channel(world: World, reports_of: Reports) -> None:
    truth = next(f.truth for f in world.faults if f.truth.kind == "wifi_interference"
                 and f.truth.end_ts - f.truth.start_ts >= 4 * 3600)
    docs = reports_of(truth.home_ids[0])
    radios = [r for r in _rows(docs, "radios") if r["band"] == truth.band]
    assert {r["channel"] for r in radios} == {truth.channel}
    inside = [r["busy_pct"] for r in radios if _inside(r, truth)]
    outside = [r["busy_pct"] for r in radios if not _overlaps(r, truth)]
    assert _mean(inside) > _mean(outside) + 15


def test_firmware_drops_disconnect_clients_only_after_the_upgrade(world: World, reports_of: Reports) -> None:
    truth = _fault(world, "firmware_wifi_drops").truth
    for home_id in truth.home_ids[:3]:
        docs = reports_of(home_id)
        firmwares = [d["header"]["firmware"] for d in docs]
        assert firmwares[-1] == truth.firmware and firmwares[0] != truth.firmware
        upgraded = next(d["header"]["start_ts"] for d in docs if d["header"]["firmware"] == truth.firmware)
        drops = [e for e in _rows(docs, "events") if e["kind"] == "disconnect" and e["detail"] == "deauth reason 4"]
        assert drops and all(e["ts"] >= upgraded for e in drops)


def test_firmware_latency_slows_every_probe_including_the_first_hop(world: World, reports_of: Reports) -> None:
    truth = _fault(world, "firmware_latency").truth
    docs = reports_of(truth.home_ids[0])
    probes = [r for r in _rows(docs, "probes") if r["target"] == "first_hop" and r["rtt_ms"] is not None]
    upgraded = next(d["header"]["start_ts"] for d in docs if d["header"]["firmware"] == truth.firmware)
    before = _mean([r["rtt_ms"] for r in probes if r["t1"] <= upgraded])
    after = _mean([r["rtt_ms"] for r in probes if r["t0"] >= upgraded])
    assert after > before + 8


def test_region_congestion_is_an_evening_thing_beyond_the_first_hop(world: World, reports_of: Reports) -> None:
    truth = _fault(world, "region_congestion").truth
    assert 18 <= (truth.start_ts % 86_400) / 3600 <= 20
    home_id = next(h for h in truth.home_ids if h not in {x for f in world.faults
                                                            if f.truth.kind != "region_congestion"
                                                            for x in f.truth.home_ids})
    probes = _rows(reports_of(home_id), "probes")
    mid = (truth.start_ts + truth.end_ts) // 2

    def rtt(target: str, lo: int, hi: int) -> float:
        return _mean([r["rtt_ms"] for r in probes if r["target"] == target and lo < r["t1"] <= hi
                      and r["rtt_ms"] is not None])

    afternoon = truth.start_ts - 6 * 3600
    assert rtt("8.8.8.8", mid - 1800, mid + 1800) > rtt("8.8.8.8", afternoon - 3600, afternoon) + 8
    assert abs(rtt("first_hop", mid - 1800, mid + 1800) - rtt("first_hop", afternoon - 3600, afternoon)) < 5


STREAMING = {"netflix", "youtube", "disneyplus", "primevideo"}
#: A failed try moves at most 12 kB per connection (an app's check-in about 30 kB at most); a stream moves tens of
#: MB a minute. A 5-minute report of a broken TV holds a try or two and a check-in at most.
TRY_MAX_BYTES_PER_FLOW = 12_000
CHECK_IN_MAX_BYTES = 60_000
SILENT_MAX_RECORD_BYTES = 500_000


def test_streaming_box_goes_silent(world: World, reports_of: Reports) -> None:
    truth = _fault(world, "streaming_silent").truth
    apps = [r for r in _rows(reports_of(truth.home_ids[0]), "apps") if r["mac"] == truth.mac]
    after = [r for r in apps if r["t0"] >= truth.start_ts and r["app"] in STREAMING]
    assert all(r["bytes_up"] + r["bytes_down"] <= SILENT_MAX_RECORD_BYTES for r in after)


def _broken_tv_evening(make_config: Callable[..., Any], engine: str) -> tuple[list[dict[str, Any]],
                                                                              list[dict[str, Any]]]:
    """Streaming records of the TVs of 40 homes over an evening, on one engine: (healthy TVs, broken TVs).
    Every other TV's streaming apps stop working at 17:00 while it stays on the Wi-Fi."""
    config = make_config(homes=40, days=0.25, scenario="none")
    world = build_world(make_config(homes=40, days=0.25, scenario="none", start_ts=config.start_ts + 17 * 3600))
    homes = [h for h in world.fleet.homes if any(d.device_class in ("tv", "streamer") for d in h.devices)]
    tv_macs = {d.mac for h in homes for d in h.devices if d.device_class in ("tv", "streamer")}
    broken = {h.home_id: next(d.mac for d in h.devices if d.device_class in ("tv", "streamer")) for h in homes[::2]}
    effects = {home_id: [Effect("streaming_silent", world.cadence.start_ts, world.cadence.end_ts,
                                {"variant": "idle", "mac": mac})] for home_id, mac in broken.items()}
    if engine == "per-sample":
        docs = [doc for h in homes for _, doc in simulate_home(h, effects.get(h.home_id, []), world.cadence,
                                                               world.config.seed)]
    else:
        docs = [doc for _, _, doc in lockstep_reports(homes, effects, world.cadence, world.config.seed)]
    rows = [r for doc in docs for r in iter_records(doc, "apps") if r["mac"] in tv_macs and r["app"] in STREAMING]
    dead = set(broken.values())
    return [r for r in rows if r["mac"] not in dead], [r for r in rows if r["mac"] in dead]


@pytest.mark.parametrize("engine", ["per-sample", "lockstep"])
def test_a_broken_streaming_app_shows_failed_tries_where_people_would_have_watched(
        make_config: Callable[..., Any], engine: str) -> None:
    healthy, broken = _broken_tv_evening(make_config, engine)
    tries = [r for r in broken if r["new_flows"] >= 3]
    # The broken TVs never stream, but in the evening someone tries: a few short connections, and they give up.
    assert all(r["bytes_up"] + r["bytes_down"] <= SILENT_MAX_RECORD_BYTES for r in broken)
    assert len({r["mac"] for r in tries}) >= 0.5 * len({r["mac"] for r in broken})
    assert all(r["bytes_up"] + r["bytes_down"] <= r["new_flows"] * TRY_MAX_BYTES_PER_FLOW + CHECK_IN_MAX_BYTES
               for r in tries)
    # The healthy ones stream, and their apps' check-ins between films open a connection or two at a time.
    assert sum(r["bytes_up"] + r["bytes_down"] for r in healthy) > 1e11
    quiet = [r for r in healthy if r["bytes_up"] + r["bytes_down"] <= SILENT_MAX_RECORD_BYTES]
    assert quiet and all(r["new_flows"] <= 2 for r in quiet)


def test_silent_churn_fades_traffic_and_devices(make_config: Callable[..., Any]) -> None:
    from porchlight_sim.faults import effects_by_home
    from porchlight_sim.generator import build_world
    from porchlight_sim.home_sim import simulate_home

    world = build_world(make_config(homes=120, days=1, history_days=9, scenario="silent_churn"))
    truth = _fault(world, "silent_churn").truth
    home = next(h for h in world.fleet.homes if h.home_id == truth.home_ids[0])
    docs = [d for _, d in simulate_home(home, effects_by_home(world.faults)[home.home_id], world.cadence, 1)]
    day = 86_400

    def daily(lo: int) -> tuple[int, int]:
        window = [d for d in docs if lo <= d["header"]["start_ts"] < lo + day]
        down = sum(sum(d.get("apps", {}).get("bytes_down", [])) for d in window)
        macs = {m for d in window for m in d.get("stations", {}).get("mac", [])}
        return down, len(macs)

    before_bytes, before_devices = daily(world.cadence.start_ts)
    assert truth.start_ts >= world.cadence.start_ts + day
    last_bytes, last_devices = daily(world.cadence.end_ts - day)
    assert last_bytes < 0.2 * before_bytes
    assert last_devices < before_devices


@pytest.mark.parametrize("kind", sorted(FAULT_KINDS | BENIGN_KINDS))
def test_each_kind_can_be_asked_for_alone(world: World, kind: str) -> None:
    scenario = scenario_named(kind)
    kinds = {f.truth.kind for f in plan_faults(world.fleet, scenario, 3, world.cadence.focus_start_ts)}
    assert kinds - {"new_device"} <= {kind}


def test_the_activity_scenario_injects_only_the_activity_lists_troubles_about_five_times_as_often(
        world: World) -> None:
    activity, default = scenario_named("activity"), scenario_named("default")
    assert activity.kinds == {"streaming_silent", "silent_churn", "spambot", "away"}
    assert activity.home_shares["streaming_silent"] == 5 * default.home_shares["streaming_silent"]
    assert activity.home_shares["silent_churn"] == 5 * default.home_shares["silent_churn"]
    faults = plan_faults(world.fleet, activity, 1, world.cadence.focus_start_ts)
    assert {f.truth.kind for f in faults} <= activity.kinds | {"new_device"}
