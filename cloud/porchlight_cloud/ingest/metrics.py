"""Ingest metrics: counters, a batch-latency histogram and gauges, kept per worker and rendered for Prometheus.

Each worker saves a snapshot of its metrics to its ``ingest_workers`` row every few seconds; ``GET /metrics``
sums the snapshots of all workers (counters and histograms add up, lag takes the maximum). A restarted
worker (same stable client id) starts from its saved snapshot, so counters never go backwards.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

BATCH_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
PREFIX: Final = "porchlight_ingest_"
HELP: Final = {
    "messages_received_total": "Messages taken from the broker.",
    "messages_stored_total": "Reports stored for the first time.",
    "messages_duplicate_total": "Reports already stored (replays, redeliveries); acknowledged and dropped.",
    "messages_quarantined_total": "Messages refused and kept in the quarantine table, by reason.",
    "bytes_received_total": "Payload bytes taken from the broker.",
    "rows_written_total": "Rows written per table.",
    "batches_total": "Batches committed.",
    "db_errors_total": "Database errors (each failed attempt at a batch).",
    "report_gaps_opened_total": "Report sequence numbers found missing.",
    "report_gaps_closed_total": "Missing report sequence numbers that arrived late.",
    "batch_seconds": "Time from a batch's first message to its commit.",
    "lag_seconds": "Now minus the oldest report end time in the last batch (max over workers).",
    "workers": "Ingest workers that saved metrics in the last minute.",
}
_TYPES: Final = {"batch_seconds": "histogram", "lag_seconds": "gauge", "workers": "gauge"}


def _key(name: str, labels: Mapping[str, str] | None) -> str:
    if not labels:
        return name
    inner = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()))
    return f"{name}{{{inner}}}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


@dataclass
class Metrics:
    """One worker's metrics; thread-safe to update."""

    counters: dict[str, float] = field(default_factory=dict)
    bucket_counts: list[int] = field(default_factory=lambda: [0] * len(BATCH_BUCKETS))
    batch_sum: float = 0.0
    batch_count: int = 0
    lag_seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def inc(self, name: str, amount: float = 1, labels: Mapping[str, str] | None = None) -> None:
        """Add to a counter (created at 0)."""
        key = _key(name, labels)
        with self._lock:
            self.counters[key] = self.counters.get(key, 0) + amount

    def observe_batch(self, seconds: float) -> None:
        """Record one batch's latency."""
        with self._lock:
            for i, bound in enumerate(BATCH_BUCKETS):
                if seconds <= bound:
                    self.bucket_counts[i] += 1
            self.batch_sum += seconds
            self.batch_count += 1

    def set_lag(self, seconds: float) -> None:
        """Set the lag gauge."""
        self.lag_seconds = seconds

    def snapshot(self) -> dict[str, Any]:
        """A JSON-able copy, what the worker saves to ingest_workers."""
        with self._lock:
            return {"counters": dict(self.counters), "buckets": list(self.bucket_counts), "sum": self.batch_sum,
                    "count": self.batch_count, "lag_seconds": self.lag_seconds}

    @classmethod
    def from_snapshot(cls, snap: Mapping[str, Any]) -> Metrics:
        """Rebuild metrics from a saved snapshot (a restarted worker continues its counters)."""
        buckets = list(snap.get("buckets") or [])
        if len(buckets) != len(BATCH_BUCKETS):
            buckets = [0] * len(BATCH_BUCKETS)
        return cls(dict(snap.get("counters") or {}), buckets, float(snap.get("sum", 0.0)),
                   int(snap.get("count", 0)), 0.0)

    def get(self, name: str, labels: Mapping[str, str] | None = None) -> float:
        """A counter's value (0 when never incremented)."""
        return self.counters.get(_key(name, labels), 0)


def render(snapshots: Iterable[Mapping[str, Any]], live_workers: int | None = None) -> str:
    """Prometheus text exposition of the sum of worker snapshots."""
    total = Metrics()
    lag = 0.0
    count = 0
    for snap in snapshots:
        count += 1
        for key, value in (snap.get("counters") or {}).items():
            total.counters[key] = total.counters.get(key, 0) + value
        for i, n in enumerate((snap.get("buckets") or [])[:len(BATCH_BUCKETS)]):
            total.bucket_counts[i] += n
        total.batch_sum += float(snap.get("sum", 0.0))
        total.batch_count += int(snap.get("count", 0))
        lag = max(lag, float(snap.get("lag_seconds", 0.0)))
    by_name: dict[str, list[tuple[str, float]]] = {}
    for key, value in total.counters.items():
        by_name.setdefault(key.split("{", 1)[0], []).append((key, value))
    lines: list[str] = []
    for name in sorted(set(by_name) | {n for n in HELP if n.endswith("_total")}):
        lines += [f"# HELP {PREFIX}{name} {HELP.get(name, name)}", f"# TYPE {PREFIX}{name} counter"]
        samples = sorted(by_name.get(name, [])) or [(name, 0.0)]
        lines += [f"{PREFIX}{key} {_number(value)}" for key, value in samples]
    lines += [f"# HELP {PREFIX}batch_seconds {HELP['batch_seconds']}", f"# TYPE {PREFIX}batch_seconds histogram"]
    for bound, n in zip(BATCH_BUCKETS, total.bucket_counts, strict=True):
        lines.append(f'{PREFIX}batch_seconds_bucket{{le="{bound}"}} {n}')
    lines.append(f'{PREFIX}batch_seconds_bucket{{le="+Inf"}} {total.batch_count}')
    lines.append(f"{PREFIX}batch_seconds_sum {_number(total.batch_sum)}")
    lines.append(f"{PREFIX}batch_seconds_count {total.batch_count}")
    for name, value in (("lag_seconds", lag), ("workers", live_workers if live_workers is not None else count)):
        lines += [f"# HELP {PREFIX}{name} {HELP[name]}", f"# TYPE {PREFIX}{name} {_TYPES[name]}",
                  f"{PREFIX}{name} {_number(value)}"]
    return "\n".join(lines) + "\n"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
