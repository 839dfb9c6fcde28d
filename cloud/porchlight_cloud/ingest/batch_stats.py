"""What one committed batch adds to a worker's metrics, and the periodic one-line summary of them."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from .decode import Incoming
from .metrics import Metrics
from .writer import BatchResult, lag_seconds

log = logging.getLogger("porchlight_cloud.ingest.consumer")


def count(m: Metrics, batch: Sequence[Incoming], result: BatchResult, seconds: float, worker_id: str) -> None:
    """Add a committed batch to the counters (and log its quarantine reasons, if any)."""
    m.inc("messages_received_total", len(batch))
    m.inc("bytes_received_total", sum(len(i.payload) for i in batch))
    m.inc("messages_stored_total", len(result.stored))
    m.inc("messages_duplicate_total", result.duplicates)
    for rejected in result.quarantined:
        m.inc("messages_quarantined_total", labels={"reason": rejected.reason})
    for table, n in result.rows.items():
        m.inc("rows_written_total", n, labels={"table": table})
    m.inc("batches_total")
    m.inc("report_gaps_opened_total", result.gaps_opened)
    m.inc("report_gaps_closed_total", result.gaps_closed)
    m.observe_batch(seconds)
    m.set_lag(lag_seconds(result.stored))
    if result.quarantined:
        reasons: dict[str, int] = {}
        for r in result.quarantined:
            reasons[r.reason] = reasons.get(r.reason, 0) + 1
        log.info("event=quarantined worker=%s %s", worker_id, " ".join(f"{k}={v}" for k, v in sorted(reasons.items())))


def summary(m: Metrics, seconds: float, received_before: float) -> str:
    """The stats log line's fields: totals, and the receive rate since ``received_before`` was read."""
    received = m.get("messages_received_total")
    quarantined = sum(v for k, v in m.counters.items() if k.startswith("messages_quarantined_total"))
    return (f"received={received} stored={m.get('messages_stored_total')} "
            f"duplicates={m.get('messages_duplicate_total')} quarantined={quarantined} "
            f"rate_per_s={(received - received_before) / seconds:.0f} lag_s={m.lag_seconds:.1f}")
