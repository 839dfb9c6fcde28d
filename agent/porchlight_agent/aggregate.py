"""Folding the samples of one reporting interval into the report's records: one per radio, per station
link, per (device, application), per probe target, and one for health (porchlight_wire.schema).

Collectors sample every ``sample_interval_s`` and return per-sample records; a report carries one record
per entity covering [start_ts, end_ts]. How each field is folded is written down once, in ``RULES``:
counters are summed, levels averaged over the samples in which the entity was seen, states (channel,
MCS, uptime, ...) are the last sample's, and a few fields keep the worst sample (``signal_min_dbm``,
``busy_max_pct``, ``cpu_max_pct``, ``mem_used_pct``). A fold holds one small accumulator per entity, never
the samples themselves, so its memory does not grow with the number of samples in a report.

Distinct counts over the interval (``apps.flows``, ``apps.dests``) need the identities behind the
per-sample counts: the apps collector puts them in ``flow_ids`` and ``remotes``. A fold keeps at most
``distinct_limit`` identities in all; beyond that, each sample adds the identities it has not stored, so the
count stays exact up to the limit and becomes an upper bound past it. A row without identities (another
flow source) falls back to the largest per-sample count, a lower bound.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from porchlight_wire.schema import INT, SECTIONS_BY_KEY

__all__ = [
    "AGGREGATED_SECTIONS", "DISTINCT_LIMIT", "ENTITY_KEYS", "RULES", "Rule", "SectionFold", "aggregate", "inputs",
]

#: How many flow ids and remote addresses a fold keeps in all (twice the apps collector's default flow cap).
DISTINCT_LIMIT: Final = 16_384

# How a field is folded.
COUNT: Final = "count"  # samples in which the entity was seen
LAST: Final = "last"  # the last sample's value (the last one that had a value)
SUM: Final = "sum"  # counters: sum of the per-sample deltas
MEAN: Final = "mean"  # levels: mean over the samples that had a value (rounded for integer fields)
WEIGHTED: Final = "weighted"  # mean weighted by ``weight(row)`` (probes: answered probes)
MAX: Final = "max"
MIN: Final = "min"
DISTINCT: Final = "distinct"  # size of the union of the per-sample identity sets in ``ids``
ACTIVE: Final = "active"  # samples in which ``source`` was positive
DOWN_TIME: Final = "down_time"  # seconds of the samples in which ``source`` was False


@dataclass(frozen=True, slots=True)
class Rule:
    """How one output field is made from the per-sample rows: ``how`` applied to ``source``."""

    how: str
    source: str = ""
    #: MEAN: a field to use when ``source`` is null. DISTINCT: the row key holding the identity set.
    alt: str = ""
    weight: Callable[[Mapping[str, Any]], float] | None = None


def _answered(row: Mapping[str, Any]) -> float:
    sent, lost = row.get("sent"), row.get("lost")
    return 1.0 if sent is None else float(sent - (lost or 0))


def _answered_pairs(row: Mapping[str, Any]) -> float:
    return _answered(row) - 1.0


#: The fields that name an entity: one output record per distinct key within a report.
ENTITY_KEYS: Final[dict[str, tuple[str, ...]]] = {
    "radios": ("radio", "band"),  # a multi-link access point interface has one radio record per band
    "stations": ("mac", "link_id"),  # per station link; the radio is the last one it was seen on
    "apps": ("mac", "app"),
    "probes": ("kind", "target"),
    "health": (),
}

#: Output field -> rule, per section. Key fields are copied from the entity key.
RULES: Final[dict[str, dict[str, Rule]]] = {
    "radios": {
        "samples": Rule(COUNT),
        "channel": Rule(LAST, "channel"),
        "width_mhz": Rule(LAST, "width_mhz"),
        "noise_dbm": Rule(MEAN, "noise_dbm"),
        "busy_pct": Rule(MEAN, "busy_pct"),
        "busy_max_pct": Rule(MAX, "busy_pct"),
        "tx_pct": Rule(MEAN, "tx_pct"),
        "rx_pct": Rule(MEAN, "rx_pct"),
        "stations": Rule(MAX, "stations"),
    },
    "stations": {
        "radio": Rule(LAST, "radio"),
        "band": Rule(LAST, "band"),
        "samples": Rule(COUNT),
        "signal_dbm": Rule(LAST, "signal_dbm"),
        "signal_avg_dbm": Rule(MEAN, "signal_avg_dbm", alt="signal_dbm"),
        "signal_min_dbm": Rule(MIN, "signal_dbm"),
        "noise_dbm": Rule(MEAN, "noise_dbm"),
        "tx_rate_mbps": Rule(MEAN, "tx_rate_mbps"),
        "tx_rate_min_mbps": Rule(MIN, "tx_rate_mbps"),
        "rx_rate_mbps": Rule(MEAN, "rx_rate_mbps"),
        "tx_mcs": Rule(LAST, "tx_mcs"),
        "tx_nss": Rule(LAST, "tx_nss"),
        "tx_width_mhz": Rule(LAST, "tx_width_mhz"),
        "rx_mcs": Rule(LAST, "rx_mcs"),
        "rx_nss": Rule(LAST, "rx_nss"),
        "rx_width_mhz": Rule(LAST, "rx_width_mhz"),
        "tx_retries": Rule(SUM, "tx_retries"),
        "tx_failed": Rule(SUM, "tx_failed"),
        "tx_bytes": Rule(SUM, "tx_bytes"),
        "rx_bytes": Rule(SUM, "rx_bytes"),
        "tx_packets": Rule(SUM, "tx_packets"),
        "rx_packets": Rule(SUM, "rx_packets"),
        "inactive_ms": Rule(LAST, "inactive_ms"),
        "connected_s": Rule(LAST, "connected_s"),
        "expected_tput_mbps": Rule(MEAN, "expected_tput_mbps"),
        "airtime_tx_ms": Rule(SUM, "airtime_tx_ms"),
        "airtime_rx_ms": Rule(SUM, "airtime_rx_ms"),
        "standard": Rule(LAST, "standard"),
    },
    "apps": {
        "bytes_up": Rule(SUM, "bytes_up"),
        "bytes_down": Rule(SUM, "bytes_down"),
        "packets_up": Rule(SUM, "packets_up"),
        "packets_down": Rule(SUM, "packets_down"),
        "flows": Rule(DISTINCT, "flows", alt="flow_ids"),
        "new_flows": Rule(SUM, "new_flows"),
        "dests": Rule(DISTINCT, "dests", alt="remotes"),
        "active_samples": Rule(ACTIVE, "flows"),
    },
    "probes": {
        "sent": Rule(SUM, "sent"),
        "lost": Rule(SUM, "lost"),
        "rtt_ms": Rule(WEIGHTED, "rtt_ms", weight=_answered),
        "rtt_min_ms": Rule(MIN, "rtt_min_ms"),
        "rtt_max_ms": Rule(MAX, "rtt_max_ms"),
        "jitter_ms": Rule(WEIGHTED, "jitter_ms", weight=_answered_pairs),
    },
    "health": {
        "samples": Rule(COUNT),
        "uptime_s": Rule(LAST, "uptime_s"),
        "load1": Rule(MEAN, "load1"),
        "cpu_pct": Rule(MEAN, "cpu_pct"),
        "cpu_max_pct": Rule(MAX, "cpu_pct"),
        "mem_used_pct": Rule(MAX, "mem_used_pct"),
        "mem_total_kb": Rule(LAST, "mem_total_kb"),
        "wan_up": Rule(LAST, "wan_up"),
        "wan_down_s": Rule(DOWN_TIME, "wan_up"),
        "wan_flaps": Rule(SUM, "wan_flaps"),
        "wan_rx_bytes": Rule(SUM, "wan_rx_bytes"),
        "wan_tx_bytes": Rule(SUM, "wan_tx_bytes"),
        "conntrack_entries": Rule(MAX, "conntrack_entries"),
        "agent_cpu_ms": Rule(SUM, "agent_cpu_ms"),
        "agent_rss_kb": Rule(MAX, "agent_rss_kb"),
    },
}

#: Sections whose records a report carries once per entity rather than once per sample.
AGGREGATED_SECTIONS: Final = frozenset(RULES)


def inputs(key: str) -> frozenset[str]:
    """The per-sample fields a section's fold reads: ``ts``, the entity key and every rule's sources."""
    names = {"ts", *ENTITY_KEYS[key]}
    for rule in RULES[key].values():
        names.update(n for n in (rule.source, rule.alt) if n)
    return frozenset(names)


class _Distinct:
    """Identities seen so far (up to the fold's budget), identities counted but not stored, and the largest
    per-sample count for rows that carry no identities."""

    __slots__ = ("extra", "largest", "seen")

    def __init__(self) -> None:
        self.seen: set[Any] = set()
        self.extra = 0
        self.largest: int | None = None

    def value(self) -> int | None:
        if self.seen or self.extra:
            return len(self.seen) + self.extra
        return self.largest


class _Entity:
    """The accumulator of one entity: one slot per output field, the row count and the last sample time."""

    __slots__ = ("last_ts", "slots")

    def __init__(self, size: int) -> None:
        self.slots: list[Any] = [None] * size
        self.last_ts: int | None = None


class SectionFold:
    """Folds the per-sample rows of one section, as they arrive, into one record per entity.

    ``sample_interval_s`` is the time a sample stands for when there is no earlier sample in the interval
    (for ``health.wan_down_s``).
    """

    def __init__(self, key: str, *, sample_interval_s: int = 60, distinct_limit: int = DISTINCT_LIMIT) -> None:
        if key not in RULES:
            raise KeyError(f"section {key!r} is not aggregated")
        self.key = key
        self.sample_interval_s = sample_interval_s
        self._budget = distinct_limit
        self._keys = ENTITY_KEYS[key]
        self._rules = tuple(RULES[key].items())
        section = SECTIONS_BY_KEY[key]
        self._ints = frozenset(f.name for f in section.fields if f.type == INT)
        self._names = section.names
        self._entities: dict[tuple[Any, ...], _Entity] = {}

    def __len__(self) -> int:
        return len(self._entities)

    def add(self, row: Mapping[str, Any]) -> None:
        """Fold one per-sample row (a collector record's wire dict, with its ``ts``) into its entity."""
        key = tuple(row.get(k) for k in self._keys)
        entity = self._entities.get(key)
        if entity is None:
            entity = self._entities[key] = _Entity(len(self._rules))
        slots = entity.slots
        ts = row.get("ts")
        for i, (_, rule) in enumerate(self._rules):
            how = rule.how
            if how == COUNT:
                slots[i] = (slots[i] or 0) + 1
                continue
            value = row.get(rule.source)
            if how == LAST:
                if value is not None:
                    slots[i] = value
            elif how == SUM:
                if value is not None:
                    slots[i] = value if slots[i] is None else slots[i] + value
            elif how in (MEAN, WEIGHTED):
                if value is None and rule.alt:
                    value = row.get(rule.alt)
                weight = 1.0 if rule.weight is None else rule.weight(row)
                if value is not None and weight > 0:
                    total, n = slots[i] or (0.0, 0.0)
                    slots[i] = (total + value * weight, n + weight)
            elif how == MAX:
                if value is not None and (slots[i] is None or value > slots[i]):
                    slots[i] = value
            elif how == MIN:
                if value is not None and (slots[i] is None or value < slots[i]):
                    slots[i] = value
            elif how == DISTINCT:
                slots[i] = self._distinct(slots[i], row.get(rule.alt), value)
            elif how == ACTIVE:
                slots[i] = (slots[i] or 0) + (1 if value else 0)
            elif how == DOWN_TIME:
                if value is False:
                    gap = ts - entity.last_ts if ts is not None and entity.last_ts is not None else None
                    slots[i] = (slots[i] or 0) + (gap if gap is not None and gap > 0 else self.sample_interval_s)
                elif slots[i] is None and value is not None:
                    slots[i] = 0
        if ts is not None:
            entity.last_ts = ts

    def _distinct(self, acc: _Distinct | None, ids: Iterable[Any] | None, count: int | None) -> _Distinct:
        acc = acc or _Distinct()
        if ids is None:
            if count is not None and (acc.largest is None or count > acc.largest):
                acc.largest = count
            return acc
        for identity in ids:
            if identity in acc.seen:
                continue
            if self._budget > 0:
                acc.seen.add(identity)
                self._budget -= 1
            else:
                acc.extra += 1
        return acc

    def records(self) -> list[dict[str, Any]]:
        """One record per entity, keyed by the section's schema field names (floats not yet rounded)."""
        out = []
        for key, entity in self._entities.items():
            record: dict[str, Any] = dict(zip(self._keys, key, strict=True))
            for (name, rule), slot in zip(self._rules, entity.slots, strict=True):
                if rule.how in (MEAN, WEIGHTED):
                    value: Any = None if slot is None else slot[0] / slot[1]
                    if value is not None and name in self._ints:
                        value = math.floor(value + 0.5)
                elif rule.how == DISTINCT:
                    value = None if slot is None else slot.value()
                else:
                    value = slot
                record[name] = value
            out.append({name: record.get(name) for name in self._names})
        return out


def aggregate(key: str, rows: Iterable[Mapping[str, Any]], *, sample_interval_s: int = 60,
              distinct_limit: int = DISTINCT_LIMIT) -> list[dict[str, Any]]:
    """The report records of one section from the per-sample rows of one interval (pure)."""
    fold = SectionFold(key, sample_interval_s=sample_interval_s, distinct_limit=distinct_limit)
    for row in rows:
        fold.add(row)
    return fold.records()
