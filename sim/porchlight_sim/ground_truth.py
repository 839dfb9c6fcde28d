"""The ground truth of a simulation: which homes had which trouble, and when. One JSON object per line.

Every line is one ``GroundTruth`` record, with every key present (null when it does not apply)::

    {"fault_id": "f0003", "kind": "spambot", "benign": false, "start_ts": 1717243200, "end_ts": 1717848000,
     "home_ids": ["h000042"], "region": "north", "area": "north-a2", "node": "north-a2-n3",
     "model": null, "firmware": null, "mac": "a4:c3:f0:12:34:56", "app": "smtp", "band": null,
     "channel": null, "detail": "laptop sends spam: ~300 SMTP flows/min to ~200 new destinations"}

* ``start_ts``/``end_ts``: Unix seconds, the trouble is on for ``start_ts <= t < end_ts``. The simulator samples
  every sample interval (a sample at ``ts`` describes the interval ending at ``ts``, so samples with
  ``start_ts < ts <= end_ts`` show it) and a report summarises its samples: a report whose
  [header.start_ts, header.end_ts] overlaps the trouble carries it, wholly when it lies inside. Troubles that
  recur on a daily window (evening congestion) are one record per occurrence, sharing ``fault_id``.
* ``benign``: true for changes that are *not* trouble and that a detector should leave alone (a new device,
  a day or a week away, a good firmware rollout). Scorers count flags on them as false positives.
* ``home_ids``: every home the record touches; region/area/node, model/firmware, mac, app, band/channel are
  set where the kind has them (see ``KINDS``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

#: Every kind of record, with what it means and which optional keys it sets.
KINDS: dict[str, str] = {
    "wifi_poor_coverage": "one device sits far from the gateway (weak signal, low rate, retries): home, mac, band",
    "wifi_interference": "a neighbour's network or appliance floods one channel (busy_pct and retries up): "
                         "homes, band, channel",
    "firmware_wifi_drops": "a firmware rolled out to one model drops Wi-Fi clients (disconnect events): "
                           "homes upgraded, model, firmware",
    "firmware_latency": "a firmware rolled out to one model adds latency and jitter to every probe and loads "
                        "the CPU: homes upgraded, model, firmware",
    "access_network": "a fault in the access network (a node or a whole area): latency and loss for every "
                      "home behind it: homes, region, area, node (null when the whole area)",
    "region_congestion": "evening congestion beyond the first hop in one region (one record per evening): "
                         "homes, region",
    "spambot": "a PC becomes a spambot (many SMTP flows, many new destinations): home, mac, app=smtp",
    "streaming_silent": "a TV or streaming box stops working and goes silent: home, mac, app",
    "silent_churn": "a household slowly stops using the service over days: home",
    "reboot_loop": "the gateway reboots over and over (uptime and boot_id reset): home",
    "new_device": "benign: a new device joins the home network: home, mac",
    "away": "benign: the household is away (a day out or a holiday week); only machines talk: home",
    "firmware_rollout": "benign: a good firmware reaches part of one model's fleet (each home reboots once): "
                        "homes, model, firmware",
}
FAULT_KINDS: frozenset[str] = frozenset(k for k in KINDS if k not in ("new_device", "away", "firmware_rollout"))
BENIGN_KINDS: frozenset[str] = frozenset(KINDS) - FAULT_KINDS


@dataclass(frozen=True, slots=True)
class GroundTruth:
    """One trouble (or benign change) the simulator injected, with the homes it touches."""

    fault_id: str
    kind: str
    start_ts: int
    end_ts: int
    home_ids: tuple[str, ...]
    benign: bool = False
    region: str | None = None
    area: str | None = None
    node: str | None = None
    model: str | None = None
    firmware: str | None = None
    mac: str | None = None
    app: str | None = None
    band: str | None = None
    channel: int | None = None
    detail: str | None = None

    def active(self, ts: int) -> bool:
        """Whether the record is in force at ``ts``."""
        return self.start_ts <= ts < self.end_ts

    def overlaps(self, start_ts: int, end_ts: int) -> bool:
        """Whether the record is in force at some time in ``[start_ts, end_ts)``."""
        return self.start_ts < end_ts and start_ts < self.end_ts

    def to_json(self) -> str:
        """The record as one compact JSON line (no newline)."""
        doc = asdict(self)
        doc["home_ids"] = list(self.home_ids)
        return json.dumps(doc, separators=(",", ":"), sort_keys=False)


_FIELD_NAMES = frozenset(f.name for f in fields(GroundTruth))


def from_json(doc: dict[str, Any]) -> GroundTruth:
    """A record from its JSON object; ValueError when a required key is missing or the kind is unknown."""
    try:
        kind = doc["kind"]
        if kind not in KINDS:
            raise ValueError(f"unknown ground-truth kind {kind!r}")
        values = {k: v for k, v in doc.items() if k in _FIELD_NAMES}
        values["home_ids"] = tuple(doc["home_ids"])
        values["start_ts"] = int(doc["start_ts"])
        values["end_ts"] = int(doc["end_ts"])
        return GroundTruth(**values)
    except KeyError as exc:
        raise ValueError(f"ground-truth record lacks {exc.args[0]!r}") from None


def load_ground_truth(path: str | Path) -> list[GroundTruth]:
    """Read a ground-truth file (JSON lines) into records, in file order."""
    records: list[GroundTruth] = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                records.append(from_json(json.loads(line)))
            except (ValueError, TypeError) as exc:
                raise ValueError(f"{path}:{number}: {exc}") from None
    return records


def write_ground_truth(path: str | Path, records: Iterable[GroundTruth]) -> int:
    """Write records as JSON lines; returns how many."""
    count = 0
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for record in records:
            fh.write(record.to_json() + "\n")
            count += 1
    return count


def faults_of(records: Iterable[GroundTruth], kind: str | None = None) -> list[GroundTruth]:
    """The non-benign records, optionally of one kind."""
    return [r for r in records if not r.benign and (kind is None or r.kind == kind)]
