"""Building one report from collector output: the per-sample records of an interval in, a schema-valid
document out.

Radios, stations, apps, probes and health are folded as they arrive into one record per entity
(``aggregate.py``); the devices section is the inventory collector's last snapshot, all of it or only what
changed (``inventory_diff.py``, decided by the loop); events and errors keep one record each. The builder
also shapes the columns so they compress well, within the schema: floats are rounded to the precision
their unit deserves (a float that rounds to a whole number is written as an integer), records are sorted by
entity so that id columns become runs, and all-null columns are left out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from porchlight_wire.report import build_report
from porchlight_wire.schema import FLOAT, HEADER_FLAGS, INVENTORY_MODES, MAX_STRING_LENGTH, SECTIONS_BY_KEY

from .aggregate import AGGREGATED_SECTIONS, SectionFold
from .collectors.base import record_to_wire
from .inventory_diff import FULL
from .queue import SANE_EPOCH

__all__ = [
    "COUNTER_FIELDS", "FLOAT_DECIMALS", "SORT_KEYS", "HeaderIdentity", "ReportBuilder", "round_counter",
    "round_value", "shape_section",
]

#: Decimal places kept per float field; fields not listed keep three significant digits.
FLOAT_DECIMALS: Final[dict[str, int]] = {
    "busy_pct": 1, "busy_max_pct": 1, "tx_pct": 1, "rx_pct": 1, "cpu_pct": 1, "cpu_max_pct": 1,
    "mem_used_pct": 1, "tx_rate_mbps": 1, "tx_rate_min_mbps": 1, "rx_rate_mbps": 1, "expected_tput_mbps": 0,
    "load1": 2, "class_confidence": 2,
}
_SIGNIFICANT: Final = 3

#: Per-interval traffic counters: with ``counter_digits`` set they keep that many significant digits.
COUNTER_FIELDS: Final = frozenset({
    "tx_bytes", "rx_bytes", "tx_packets", "rx_packets", "tx_retries", "tx_failed", "bytes_up", "bytes_down",
    "packets_up", "packets_down", "wan_rx_bytes", "wan_tx_bytes",
})

#: Record order per section: by entity (events and errors by time).
SORT_KEYS: Final[dict[str, tuple[str, ...]]] = {
    "radios": ("radio", "band"),
    "stations": ("radio", "mac", "link_id"),
    "devices": ("mac",),
    "apps": ("mac", "app"),
    "probes": ("kind", "target"),
    "health": (),
    "events": ("ts", "kind", "mac"),
    "errors": ("collector", "ts"),
}

#: Sections whose records keep their own time (events, errors); the rest are aggregated or a snapshot.
_TIMED_SECTIONS: Final = frozenset(k for k, s in SECTIONS_BY_KEY.items() if "ts" in s.names)


def round_value(name: str, value: float) -> float | int:
    """Round a float to the precision its field needs; whole results become ints (shorter JSON)."""
    if not math.isfinite(value):
        raise ValueError(f"{name}: {value} is not a finite number")
    decimals = FLOAT_DECIMALS.get(name)
    if decimals is None:
        if value == 0:
            return 0
        decimals = max(_SIGNIFICANT - 1 - math.floor(math.log10(abs(value))), 0)
    rounded = round(value, decimals)
    return int(rounded) if rounded == int(rounded) else rounded


def round_counter(value: int, digits: int) -> int:
    """Keep ``digits`` significant digits of a counter (half up): 37_512_345 -> 37_500_000 for 3."""
    if digits <= 0 or value < 10**digits:
        return value
    scale: int = 10 ** (len(str(value)) - digits)
    return (value + scale // 2) // scale * scale


def _sort_key(names: Sequence[str]) -> Any:
    def key(record: Mapping[str, Any]) -> tuple[Any, ...]:
        parts: list[Any] = []
        for name in names:
            value = record.get(name)
            parts.append((value is None, "" if value is None else value))
        return tuple(parts)
    return key


def shape_section(key: str, records: Iterable[Mapping[str, Any]], *, counter_digits: int = 0) -> list[dict[str, Any]]:
    """Round the float fields (and, with ``counter_digits``, the traffic counters) and sort the records of
    one section (pure; the input is not modified)."""
    section = SECTIONS_BY_KEY[key]
    float_fields = [f.name for f in section.fields if f.type == FLOAT]
    counters = [f.name for f in section.fields if f.name in COUNTER_FIELDS] if counter_digits > 0 else []
    shaped: list[dict[str, Any]] = []
    for record in records:
        out = dict(record)
        for name in float_fields:
            value = out.get(name)
            if isinstance(value, float):
                out[name] = round_value(name, value)
        for name in counters:
            value = out.get(name)
            if type(value) is int and value > 0:
                out[name] = round_counter(value, counter_digits)
        shaped.append(out)
    shaped.sort(key=_sort_key(SORT_KEYS.get(key, ("ts",))))
    return shaped


@dataclass(frozen=True, slots=True)
class HeaderIdentity:
    """The header fields that do not change between reports."""

    home_id: str
    gateway_id: str
    model: str
    firmware: str
    agent_version: str


class ReportBuilder:
    """Collects the samples, events, errors and flags of one reporting interval and folds the samples into
    the report's records as they arrive."""

    def __init__(self, start_ts: int, sample_interval_s: int, *, counter_digits: int = 0) -> None:
        self.start_ts = start_ts
        self.counter_digits = counter_digits
        self.sample_interval_s = sample_interval_s
        self._folds: dict[str, SectionFold] = {}
        self._records: dict[str, list[Mapping[str, Any]]] = {}
        self._snapshots: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
        self._inventory: tuple[str, list[Mapping[str, Any]]] | None = None
        self._errors: dict[tuple[str, str], tuple[int, int]] = {}
        self._events: list[dict[str, Any]] = []
        self._flags: set[str] = set()
        #: ``collect()`` results added (every collector's, so several per sample).
        self.samples = 0
        #: Set when the interval is closed (the reporting boundary); ``build`` uses it unless told otherwise.
        self.end_ts: int | None = None

    def add(self, collector: str, records: Iterable[Any]) -> None:
        """Add what one ``collect()`` call returned (dataclass records with a SECTION)."""
        snapshot: dict[str, list[Mapping[str, Any]]] = {}
        for record in records:
            section = getattr(record, "SECTION", None)
            if not isinstance(section, str) or section not in SECTIONS_BY_KEY:
                raise ValueError(f"{collector}: record {type(record).__name__} names no known section")
            wire = record_to_wire(record)
            if section in AGGREGATED_SECTIONS:
                fold = self._folds.get(section)
                if fold is None:
                    fold = self._folds[section] = SectionFold(section, sample_interval_s=self.sample_interval_s)
                fold.add(wire)
            elif section in _TIMED_SECTIONS:
                self._records.setdefault(section, []).append(wire)
            else:
                snapshot.setdefault(section, []).append(wire)
        # A snapshot section (the device inventory) keeps only what its collector said last.
        for section, rows in snapshot.items():
            self._snapshots[(section, collector)] = rows
        self.samples += 1

    def devices(self) -> list[Mapping[str, Any]] | None:
        """Every device of the last inventory snapshot of the interval; None when no collector gave one."""
        found = [rows for (section, _collector), rows in self._snapshots.items() if section == "devices"]
        if not found:
            return None
        return [row for rows in found for row in rows]

    def set_inventory(self, mode: str, devices: Iterable[Mapping[str, Any]]) -> None:
        """Send ``devices`` as the devices section with ``header.inventory`` = ``mode`` (the loop decides;
        without a decision a report carries the full snapshot)."""
        if mode not in INVENTORY_MODES:
            raise ValueError(f"inventory mode {mode!r} is not one of {sorted(INVENTORY_MODES)}")
        self._inventory = (mode, list(devices))

    def add_error(self, collector: str, error: str, ts: int) -> None:
        """Count a collector failure; the same error repeated is one record with a count."""
        key = (collector, error[:MAX_STRING_LENGTH])
        _, count = self._errors.get(key, (ts, 0))
        self._errors[key] = (ts, count + 1)

    def add_event(self, ts: int, kind: str, *, mac: str | None = None, detail: str | None = None) -> None:
        """Record something that happened (agent_start, queue_drop, config_change, ...)."""
        self._events.append({"ts": ts, "kind": kind, "mac": mac,
                             "detail": detail[:MAX_STRING_LENGTH] if detail else detail})

    def add_flags(self, flags: Iterable[str]) -> None:
        """Raise header flags for this interval (only the schema's flag names are kept)."""
        self._flags.update(f for f in flags if f in HEADER_FLAGS)

    def inventory_mode(self) -> str | None:
        """'full' or 'changes' for the header; None when the report has no inventory at all."""
        if self._inventory is not None:
            return self._inventory[0]
        return FULL if self.devices() is not None else None

    def sections(self) -> dict[str, list[dict[str, Any]]]:
        """The shaped records of every section that has any."""
        raw: dict[str, list[Mapping[str, Any]]] = {k: list(v) for k, v in self._records.items()}
        raw.update((k, [*fold.records()]) for k, fold in self._folds.items())
        devices = self._inventory[1] if self._inventory is not None else self.devices()
        if devices:
            raw["devices"] = devices
        if self._events:
            raw["events"] = [*raw.get("events", ()), *self._events]
        if self._errors:
            raw["errors"] = [{"ts": ts, "collector": c, "error": e, "count": n}
                             for (c, e), (ts, n) in self._errors.items()]
        return {key: shape_section(key, rows, counter_digits=self.counter_digits) for key, rows in raw.items()
                if rows}

    def build(
        self,
        identity: HeaderIdentity,
        *,
        boot_id: str,
        end_ts: int | None = None,
        seq: int,
        dropped_reports: int = 0,
        queue_depth: int = 0,
        kind: str = "periodic",
        command_id: str | None = None,
    ) -> dict[str, Any]:
        """The report document (see porchlight_wire.schema.HEADER for the header fields)."""
        end_ts = end_ts if end_ts is not None else self.end_ts
        if end_ts is None:
            raise ValueError("the report's end_ts is not known: pass end_ts or close the interval first")
        flags = set(self._flags)
        if end_ts < SANE_EPOCH:
            flags.add("clock_unsynced")
        header: dict[str, Any] = {
            "home_id": identity.home_id,
            "gateway_id": identity.gateway_id,
            "model": identity.model[:MAX_STRING_LENGTH],
            "firmware": identity.firmware[:MAX_STRING_LENGTH],
            "agent_version": identity.agent_version,
            "boot_id": boot_id,
            "seq": seq,
            "start_ts": min(self.start_ts, end_ts),
            "end_ts": end_ts,
            "sample_interval_s": self.sample_interval_s,
            "kind": kind,
            "flags": sorted(flags),
            "dropped_reports": dropped_reports,
            "queue_depth": queue_depth,
        }
        if command_id is not None:
            header["command_id"] = command_id
        inventory = self.inventory_mode()
        if inventory is not None:
            header["inventory"] = inventory
        doc: dict[str, Any] = build_report(header, self.sections())
        return doc
