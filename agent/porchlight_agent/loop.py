"""The sampling and reporting schedule: which collector runs when, and when a report is cut.

Sampling (default every 60 s, per collector if configured) is separate from reporting (default every
300 s); both are aligned to multiples of their interval in epoch time and can change at run time. The
samples of one reporting interval go into one ``ReportBuilder``, which folds them into one record per
entity; when the loop cuts a report it also decides whether its device inventory is full or only the
changes since the previous report (``InventoryTracker``). One failing collector never stops the others:
its error goes into the report's ``errors`` section. Time comes from an injectable ``Clock`` so tests run
hours of simulated time in seconds.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from .collectors.base import Collector
from .inventory_diff import InventoryTracker
from .report import ReportBuilder

__all__ = ["Clock", "Intervals", "ManualClock", "SamplingLoop", "ScaledClock", "SystemClock", "next_boundary"]

log = logging.getLogger("porchlight.loop")


class Clock(Protocol):
    """Where the agent's time comes from."""

    def now(self) -> float:
        """Current time, Unix epoch seconds."""
        ...

    def real_seconds(self, seconds: float) -> float:
        """How long ``seconds`` of this clock's time last in real time (for waits)."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> float:
        """Current time, Unix epoch seconds."""
        return time.time()

    def real_seconds(self, seconds: float) -> float:
        """Real time is real time."""
        return seconds


class ScaledClock:
    """Simulated time that runs ``speed`` times faster than real time, starting now (tests only)."""

    def __init__(self, speed: float, start: float | None = None) -> None:
        self.speed = speed
        self._start = time.time() if start is None else start
        self._mono = time.monotonic()

    def now(self) -> float:
        """Current simulated time."""
        return self._start + (time.monotonic() - self._mono) * self.speed

    def real_seconds(self, seconds: float) -> float:
        """Simulated seconds in real seconds."""
        return seconds / self.speed


class ManualClock:
    """A clock that moves only when told to (unit tests)."""

    def __init__(self, start: float) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> float:
        """The time set last."""
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        with self._lock:
            self._now += seconds

    def real_seconds(self, seconds: float) -> float:
        """Waiting on a manual clock takes no real time."""
        return 0.0


def next_boundary(now: float, interval: int) -> float:
    """The first multiple of ``interval`` strictly after ``now``."""
    return (math.floor(now / interval) + 1) * interval


@dataclass(frozen=True, slots=True)
class Intervals:
    """The schedule in force: sampling, reporting and per-collector sampling intervals, in seconds."""

    sample_s: int = 60
    report_s: int = 300
    per_collector: Mapping[str, int] = field(default_factory=dict)

    def for_collector(self, name: str) -> int:
        """The sampling interval of one collector."""
        return self.per_collector.get(name, self.sample_s)


class SamplingLoop:
    """Runs the collectors when they are due and cuts a report at each reporting boundary.

    Not thread-safe: the agent's main thread owns it.
    """

    def __init__(self, collectors: Sequence[Collector], intervals: Intervals, now: float, *,
                 counter_digits: int = 0) -> None:
        self.collectors = list(collectors)
        self.intervals = intervals
        self.counter_digits = counter_digits
        # Every collector samples once at start (a baseline for its counters), then on its grid.
        self._due: dict[str, float] = {c.name: now for c in self.collectors}
        self._next_report = next_boundary(now, intervals.report_s)
        self.builder = ReportBuilder(int(now), intervals.sample_s, counter_digits=counter_digits)
        self.last_sample_ts = int(now)
        #: What the previous periodic report said about the devices (the first report has a full inventory).
        self.inventory = InventoryTracker()

    def next_deadline(self) -> float:
        """When ``step`` next has something to do."""
        return min([self._next_report, *self._due.values()])

    def step(self, now: float) -> ReportBuilder | None:
        """Run the collectors that are due; return the finished builder when a report boundary passed."""
        for collector in self.collectors:
            due = self._due[collector.name]
            if now < due:
                continue
            interval = self.intervals.for_collector(collector.name)
            # Stamp the sample with its grid time unless the agent fell a whole interval behind.
            ts = int(due) if now - due < interval else int(now)
            self._collect(collector, ts, [self.builder])
            self._due[collector.name] = next_boundary(now, interval)
        if now < self._next_report:
            return None
        end_ts = int(self._next_report)
        finished = self._close(end_ts)
        self.builder = ReportBuilder(end_ts, self.intervals.sample_s, counter_digits=self.counter_digits)
        self._next_report = next_boundary(now, self.intervals.report_s)
        return finished

    def finish(self, now: float) -> ReportBuilder | None:
        """Close the partial interval (the agent is stopping): its builder, or None when nothing was sampled."""
        if not self.builder.samples:
            return None
        return self._close(max(int(now), self.builder.start_ts))

    def _close(self, end_ts: int) -> ReportBuilder:
        builder = self.builder
        builder.end_ts = end_ts
        devices = builder.devices()
        if devices is not None:
            builder.set_inventory(*self.inventory.select(end_ts, devices))
        return builder

    def sample_now(self, now: float) -> ReportBuilder:
        """Run every collector at once (a diagnosis): the records go into a fresh builder, returned, and into
        the current periodic report too, so counter deltas are never lost from the periodic stream. The
        diagnosis report is one sample (``samples`` 1) with a full inventory; it leaves the periodic
        inventory's change tracking alone."""
        diagnosis = ReportBuilder(self.last_sample_ts, self.intervals.sample_s, counter_digits=self.counter_digits)
        for collector in self.collectors:
            self._collect(collector, int(now), [diagnosis, self.builder])
        return diagnosis

    def set_intervals(self, now: float, *, sample_s: int | None = None, report_s: int | None = None,
                      per_collector: Mapping[str, int] | None = None) -> Intervals:
        """Change the schedule from now on; returns the schedule in force."""
        merged = dict(self.intervals.per_collector)
        if per_collector:
            merged.update(per_collector)
        new = replace(self.intervals, sample_s=sample_s or self.intervals.sample_s,
                      report_s=report_s or self.intervals.report_s, per_collector=merged)
        self.intervals = new
        for collector in self.collectors:
            self._due[collector.name] = min(self._due[collector.name],
                                            next_boundary(now, new.for_collector(collector.name)))
        self._next_report = next_boundary(now, new.report_s)
        self.builder.sample_interval_s = new.sample_s
        return new

    def _collect(self, collector: Collector, ts: int, builders: Iterable[ReportBuilder]) -> None:
        self.last_sample_ts = max(self.last_sample_ts, ts)
        targets = list(builders)
        try:
            records = list(collector.collect(ts))
            for builder in targets:
                builder.add(collector.name, records)
        # A collector is third-party-shaped code reading a changing OS: whatever it raises must not stop
        # the others, so this one place catches everything and reports it.
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            for builder in targets:
                builder.add_error(collector.name, reason, ts)
            log.warning("event=collector_error collector=%s error=%r", collector.name, reason[:200])
        flags = _collector_flags(collector)
        if flags:
            for builder in targets:
                builder.add_flags(flags)


def _collector_flags(collector: Any) -> list[str]:
    """Header flags a collector raises: a ``flags`` attribute or method returning names, if it has one."""
    flags = getattr(collector, "flags", None)
    if callable(flags):
        try:
            flags = flags()
        except Exception:
            return []
    if isinstance(flags, str):
        return [flags]
    if isinstance(flags, Iterable):
        return [f for f in flags if isinstance(f, str)]
    return []
