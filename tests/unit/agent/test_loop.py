"""The sampling/reporting schedule, driven by simulated time."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from porchlight_agent.loop import Intervals, ManualClock, SamplingLoop, ScaledClock, next_boundary
from porchlight_agent.report import HeaderIdentity, ReportBuilder
from porchlight_wire.validate import validate_report

T0 = 1_700_000_100  # a multiple of 300 (and so of 60)
IDENTITY = HeaderIdentity("home-1", "gw-1", "m", "f", "0.1.0")


@dataclass(frozen=True, slots=True)
class Tick:
    SECTION: ClassVar[str] = "health"
    ts: int
    uptime_s: int | None = None


@dataclass(frozen=True, slots=True)
class Gadget:
    SECTION: ClassVar[str] = "devices"
    mac: str
    hostname: str | None = None
    last_seen: int | None = None


@dataclass
class FakeCollector:
    name: str
    calls: list[int] = field(default_factory=list)
    fail: bool = False
    flags: tuple[str, ...] = ()

    def collect(self, ts: int) -> list[Tick]:
        self.calls.append(ts)
        if self.fail:
            raise RuntimeError("source vanished")
        return [Tick(ts, len(self.calls))]


@dataclass
class FakeInventory:
    """Devices as a home has them: ``devices`` can be changed between samples."""

    devices: dict[str, str | None]
    name: str = "inventory"

    def collect(self, ts: int) -> list[Gadget]:
        return [Gadget(mac, hostname, ts) for mac, hostname in self.devices.items()]


def run(loop: SamplingLoop, clock: ManualClock, until: float, step: float = 1.0) -> list[ReportBuilder]:
    """Advance simulated time in small steps, as the agent's main loop does, collecting finished reports."""
    reports = []
    while clock.now() < until:
        clock.advance(step)
        finished = loop.step(clock.now())
        if finished is not None:
            reports.append(finished)
    return reports


def test_next_boundary_is_the_next_multiple_of_the_interval() -> None:
    assert next_boundary(T0, 60) == T0 + 60
    assert next_boundary(T0 + 59.9, 60) == T0 + 60
    assert next_boundary(T0 + 1, 300) == T0 + 300


def test_collectors_sample_at_start_then_on_the_minute_grid() -> None:
    clock = ManualClock(T0 + 10)
    health = FakeCollector("health")
    loop = SamplingLoop([health], Intervals(60, 300), clock.now())
    loop.step(clock.now())
    run(loop, clock, T0 + 200)
    assert health.calls == [T0 + 10, T0 + 60, T0 + 120, T0 + 180]


def test_a_report_is_cut_at_each_reporting_boundary_with_the_samples_of_its_interval() -> None:
    clock = ManualClock(T0)
    loop = SamplingLoop([FakeCollector("health")], Intervals(60, 300), clock.now())
    loop.step(clock.now())
    reports = run(loop, clock, T0 + 900)
    assert [(r.start_ts, r.end_ts) for r in reports] == [(T0, T0 + 300), (T0 + 300, T0 + 600),
                                                          (T0 + 600, T0 + 900)]
    first = validate_report(reports[0].build(IDENTITY, boot_id="b", seq=0))
    # The start-up baseline sample at T0 and the five samples of the grid up to the boundary.
    assert (first["health"]["samples"], first["health"]["uptime_s"]) == ([6], [6])
    second = reports[1].build(IDENTITY, boot_id="b", seq=1)
    assert (second["health"]["samples"], second["health"]["uptime_s"]) == ([5], [11])


def test_each_collector_can_have_its_own_sampling_interval() -> None:
    clock = ManualClock(T0)
    fast, slow = FakeCollector("health"), FakeCollector("probes")
    loop = SamplingLoop([fast, slow], Intervals(60, 300, {"probes": 300}), clock.now())
    loop.step(clock.now())
    run(loop, clock, T0 + 600)
    assert len(fast.calls) == 11
    assert slow.calls == [T0, T0 + 300, T0 + 600]


def test_a_failing_collector_is_reported_and_never_stops_the_others() -> None:
    clock = ManualClock(T0)
    good, bad = FakeCollector("health"), FakeCollector("wifi", fail=True)
    loop = SamplingLoop([bad, good], Intervals(60, 300), clock.now())
    loop.step(clock.now())
    [report] = run(loop, clock, T0 + 300)
    doc = validate_report(report.build(IDENTITY, boot_id="b", seq=0))
    assert doc["health"]["samples"] == [6]
    assert doc["errors"]["collector"] == ["wifi"]
    assert doc["errors"]["error"] == ["RuntimeError: source vanished"]
    assert doc["errors"]["count"] == [6]


def test_collector_flags_reach_the_report_header() -> None:
    clock = ManualClock(T0)
    loop = SamplingLoop([FakeCollector("conntrack", flags=("conntrack_acct_off",))], Intervals(60, 300),
                        clock.now())
    loop.step(clock.now())
    [report] = run(loop, clock, T0 + 300)
    assert report.build(IDENTITY, boot_id="b", seq=0)["header"]["flags"] == ["conntrack_acct_off"]


def test_intervals_change_at_run_time() -> None:
    clock = ManualClock(T0)
    health = FakeCollector("health")
    loop = SamplingLoop([health], Intervals(60, 300), clock.now())
    loop.step(clock.now())
    run(loop, clock, T0 + 100)
    loop.set_intervals(clock.now(), sample_s=30, report_s=120)
    health.calls.clear()
    reports = run(loop, clock, T0 + 360)
    assert health.calls[:3] == [T0 + 120, T0 + 150, T0 + 180]
    first_cut = next_boundary(T0 + 100, 120)  # reports align to multiples of 120 s in epoch time
    assert [r.end_ts for r in reports] == [first_cut, first_cut + 120]
    assert reports[-1].sample_interval_s == 30


def test_a_diagnosis_sample_goes_into_its_own_report_and_the_periodic_one() -> None:
    clock = ManualClock(T0)
    health = FakeCollector("health")
    loop = SamplingLoop([health], Intervals(60, 300), clock.now())
    loop.step(clock.now())
    clock.advance(90)
    loop.step(clock.now())
    diagnosis = loop.sample_now(clock.now())
    doc = diagnosis.build(IDENTITY, boot_id="b", seq=1, end_ts=int(clock.now()), kind="diagnosis",
                          command_id="c-1")
    assert (doc["health"]["samples"], doc["health"]["uptime_s"]) == ([1], [3])  # the third sample, alone
    assert doc["header"]["start_ts"] == T0 + 60  # the previous sample
    [periodic] = run(loop, clock, T0 + 300)
    # T0, T0+60, the diagnosis at T0+90, then T0+120 .. T0+300.
    assert periodic.build(IDENTITY, boot_id="b", seq=2)["health"]["samples"] == [7]


def test_inventory_is_full_on_the_first_report_and_hourly_and_otherwise_only_changes() -> None:
    clock = ManualClock(T0)
    home = FakeInventory({"aa:00:00:00:00:01": "iPhone", "aa:00:00:00:00:02": "LGwebOSTV"})
    loop = SamplingLoop([home], Intervals(60, 300), clock.now())
    loop.step(clock.now())
    docs = []
    for k in range(1, 14):
        if k == 3:
            home.devices["aa:00:00:00:00:03"] = "Chromecast"  # a new device
        if k == 5:
            home.devices["aa:00:00:00:00:01"] = "Jos-iPhone"  # renamed
        [report] = run(loop, clock, T0 + 300 * k)
        docs.append(validate_report(report.build(IDENTITY, boot_id="b", seq=k - 1)))
    listed = [(d["header"]["inventory"], (d.get("devices") or {}).get("mac", [])) for d in docs]
    assert listed[0] == ("full", ["aa:00:00:00:00:01", "aa:00:00:00:00:02"])
    assert listed[1] == ("changes", [])  # last_seen moved, nothing changed
    assert listed[2] == ("changes", ["aa:00:00:00:00:03"])
    assert listed[4] == ("changes", ["aa:00:00:00:00:01"])
    assert [k for k, (mode, _) in enumerate(listed) if mode == "full"] == [0, 12]  # an hour later
    assert listed[12][1] == ["aa:00:00:00:00:01", "aa:00:00:00:00:02", "aa:00:00:00:00:03"]


def test_a_diagnosis_has_a_full_inventory_and_leaves_the_periodic_changes_alone() -> None:
    clock = ManualClock(T0)
    home = FakeInventory({"aa:00:00:00:00:01": "iPhone"})
    loop = SamplingLoop([home], Intervals(60, 300), clock.now())
    loop.step(clock.now())
    [first] = run(loop, clock, T0 + 300)
    first.build(IDENTITY, boot_id="b", seq=0)
    home.devices["aa:00:00:00:00:02"] = "Chromecast"
    clock.advance(30)
    diagnosis = loop.sample_now(clock.now()).build(IDENTITY, boot_id="b", seq=1, end_ts=int(clock.now()))
    assert diagnosis["header"]["inventory"] == "full" and len(diagnosis["devices"]["mac"]) == 2
    [second] = run(loop, clock, T0 + 600)
    doc = second.build(IDENTITY, boot_id="b", seq=2)
    assert (doc["header"]["inventory"], doc["devices"]["mac"]) == ("changes", ["aa:00:00:00:00:02"])


def test_stopping_closes_the_partial_interval_and_an_empty_one_is_not_a_report() -> None:
    clock = ManualClock(T0)
    loop = SamplingLoop([FakeInventory({"aa:00:00:00:00:01": None})], Intervals(60, 300), clock.now())
    assert loop.finish(clock.now()) is None
    loop.step(clock.now())
    run(loop, clock, T0 + 90)
    partial = loop.finish(clock.now())
    assert partial is not None and (partial.start_ts, partial.end_ts) == (T0, T0 + 90)
    assert partial.build(IDENTITY, boot_id="b", seq=0)["header"]["inventory"] == "full"


def test_a_simulated_day_runs_in_well_under_a_second() -> None:
    clock = ManualClock(T0)
    health = FakeCollector("health")
    loop = SamplingLoop([health], Intervals(60, 300), clock.now())
    loop.step(clock.now())
    reports = run(loop, clock, T0 + 86400, step=7)
    assert len(reports) == 288
    assert len(health.calls) == 1441


def test_a_scaled_clock_runs_faster_than_real_time() -> None:
    clock = ScaledClock(60.0, start=T0)
    assert clock.real_seconds(60) == 1.0
    assert T0 <= clock.now() < T0 + 60
