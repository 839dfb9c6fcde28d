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
    assert first["health"]["ts"] == [T0, T0 + 60, T0 + 120, T0 + 180, T0 + 240, T0 + 300]
    second = reports[1].build(IDENTITY, boot_id="b", seq=1)
    assert second["health"]["ts"] == [T0 + 360, T0 + 420, T0 + 480, T0 + 540, T0 + 600]


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
    assert len(doc["health"]["ts"]) == 6
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
    assert doc["health"]["ts"] == [T0 + 90]
    assert doc["header"]["start_ts"] == T0 + 60  # the previous sample
    [periodic] = run(loop, clock, T0 + 300)
    assert T0 + 90 in periodic.build(IDENTITY, boot_id="b", seq=2)["health"]["ts"]


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
