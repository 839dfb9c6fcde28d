"""When reports and samples happen: one or two phases of (report interval, sample interval).

Long history is cheap at a coarse cadence (e.g. hourly reports of 15-minute samples) and the last days run
at the agent's default (5-minute reports of 1-minute samples). Report ends sit on multiples of the report
interval (Unix time), sample times on multiples of the sample interval, as the agent's loop aligns them.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_REPORT_S = 300
DEFAULT_SAMPLE_S = 60


@dataclass(frozen=True, slots=True)
class Phase:
    """A stretch of the run with one cadence: ``start_ts <= t < end_ts``."""

    start_ts: int
    end_ts: int
    report_s: int
    sample_s: int


@dataclass(frozen=True, slots=True)
class Cadence:
    """The phases of a run, in time order and back to back."""

    phases: tuple[Phase, ...]

    @property
    def start_ts(self) -> int:
        """Start of the run."""
        return self.phases[0].start_ts

    @property
    def end_ts(self) -> int:
        """End of the run."""
        return self.phases[-1].end_ts

    @property
    def focus_start_ts(self) -> int:
        """Start of the last phase (the full-cadence days when there is a history phase)."""
        return self.phases[-1].start_ts

    def phase_at(self, ts: int) -> Phase:
        """The phase holding ``ts`` (the last one from its start on)."""
        for phase in self.phases:
            if ts < phase.end_ts:
                return phase
        return self.phases[-1]

    def expected_reports(self, from_ts: int | None = None) -> int:
        """Reports one home sends from ``from_ts`` (default: the start) to the end when it never reboots."""
        total = 0
        for p in self.phases:
            start = p.start_ts if from_ts is None else max(p.start_ts, from_ts)
            if start < p.end_ts:
                total += -(-p.end_ts // p.report_s) - start // p.report_s
        return total


def make_cadence(start_ts: int, days: float, *, report_s: int = DEFAULT_REPORT_S, sample_s: int = DEFAULT_SAMPLE_S,
                 history_days: float = 0.0, history_report_s: int = 3600, history_sample_s: int = 900) -> Cadence:
    """A run of ``history_days`` at the history cadence followed by ``days`` at the full cadence.

    ValueError when a report interval is not a whole number of sample intervals.
    """
    for report, sample, name in ((report_s, sample_s, ""), (history_report_s, history_sample_s, "history ")):
        if sample <= 0 or report <= 0 or report % sample:
            raise ValueError(f"{name}report interval ({report}s) must be a positive multiple of the {name}sample "
                             f"interval ({sample}s)")
    if days <= 0 and history_days <= 0:
        raise ValueError("nothing to simulate: --days and --history-days are both zero")
    phases: list[Phase] = []
    t = start_ts
    if history_days > 0:
        end = t + round(history_days * 86_400)
        phases.append(Phase(t, end, history_report_s, history_sample_s))
        t = end
    if days > 0:
        phases.append(Phase(t, t + round(days * 86_400), report_s, sample_s))
    return Cadence(tuple(phases))
