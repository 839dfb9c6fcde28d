"""Write one batch of decoded reports and quarantined messages in one database transaction.

Order inside the transaction: gateway bindings (a gateway bound to another home is quarantined), homes,
new gateways, boots, devices and labels (set-based upserts, with per-process key caches), the ledger merge
that decides which reports are new, then only for those: events, hourly app counters, sequence gaps,
gateway state and rollup dirty marks; finally the quarantine rows. Caches learn keys only after commit, so a
rolled-back batch never leaves a key that does not exist.
"""

from __future__ import annotations

import logging
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Final

import psycopg

from ..store import devices as devices_store
from ..store import dictionaries as dictionaries_store
from ..store import gateways as gateways_store
from ..store import homes as homes_store
from ..store import pgbinary, staging
from ..store import quarantine as quarantine_store
from ..store import reports as reports_store
from . import gaps as gap_logic
from .decode import Incoming
from .errors import GatewayHomeMismatchError, StoreRejectedError
from .rows import Summary

log = logging.getLogger(__name__)
DEVICE_REFRESH_S: Final = 900      # a known, unchanged device's last_seen is refreshed at most this often
CACHE_LIMIT: Final = 1_000_000     # entries per key cache before it is cleared


@dataclass(frozen=True, slots=True)
class Rejected:
    """A message that goes to quarantine, with its reason code and detail."""

    incoming: Incoming
    reason: str
    detail: str


@dataclass(slots=True)
class BatchResult:
    """What a committed batch did."""

    stored: list[Summary] = field(default_factory=list)
    duplicates: int = 0
    quarantined: list[Rejected] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    gaps_opened: int = 0
    gaps_closed: int = 0


def _dt(epoch: int | float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


@lru_cache(maxsize=4096)
def _hour(epoch: int) -> datetime:
    """An hour bucket as a datetime: a report's ~15 app rows share one, so it is converted once."""
    return _dt(epoch)


def _text(value: str) -> str:
    # PostgreSQL text cannot hold NUL; a quarantine row must never be refused, or the batch could not commit.
    return value.replace("\x00", "\\0")


def _software(s: Summary) -> tuple[str, str, str]:
    header = s.report.header
    return header["model"], header["firmware"], header["agent_version"]


def _info(d: tuple[Any, ...]) -> tuple[Any, ...]:
    conf = d[4]
    return (d[1], d[2], d[3], None if conf is None else round(conf, 1), d[5], tuple(d[6]) if d[6] else None)


class Writer:
    """Writes batches over one connection; keeps key caches (homes, gateways, boots, devices, labels)."""

    def __init__(self, conn: psycopg.Connection[Any], worker_id: str = "") -> None:
        self.conn = conn
        self.worker_id = worker_id
        self._homes: dict[str, int] = {}
        self._gateways: dict[str, gateways_store.Binding] = {}
        self._boots: dict[tuple[int, str], int] = {}
        self._devices: dict[tuple[int, str], int] = {}
        self._device_seen: dict[tuple[int, str], tuple[tuple[Any, ...], int]] = {}
        self._labels: dict[str, int] = {}
        staging.prepare(conn)

    def forget(self) -> None:
        """Drop every cached key (after a database error the cache may name rows that were rolled back)."""
        for cache in (self._homes, self._gateways, self._boots, self._devices, self._device_seen, self._labels):
            cache.clear()

    # ---------------------------------------------------------------------------------------------- public
    def write(self, summaries: Sequence[Summary], rejected: Sequence[Rejected]) -> BatchResult:
        """Store the batch in one transaction; raise psycopg errors unchanged (the caller retries)."""
        result = BatchResult(quarantined=list(rejected))
        learned: dict[str, dict[Any, Any]] = {"homes": {}, "gateways": {}, "boots": {}, "devices": {},
                                              "device_seen": {}, "labels": {}}
        with self.conn.transaction(), self.conn.cursor() as cur:
            accepted = self._bind(cur, summaries, learned, result)
            if accepted:
                self._store(cur, accepted, learned, result)
            if result.quarantined:
                result.rows["quarantine"] = quarantine_store.add(cur, (
                    (_dt(r.incoming.received_at), _text(r.incoming.topic), r.reason, _text(r.detail[:2000]),
                     r.incoming.payload, self.worker_id) for r in result.quarantined))
        for name, entries in learned.items():
            cache: dict[Any, Any] = getattr(self, f"_{name}")
            if len(cache) + len(entries) > CACHE_LIMIT:
                cache.clear()
            cache.update(entries)
        return result

    def write_isolating(self, summaries: Sequence[Summary], rejected: Sequence[Rejected]) -> BatchResult:
        """Like write(), but a report the database refuses (a data error) is quarantined, not retried forever.

        Splits the batch in halves until the offending report is alone; operational errors (the database
        is down) are raised unchanged for the caller's retry loop.
        """
        try:
            return self.write(summaries, rejected)
        except (psycopg.DataError, psycopg.IntegrityError, psycopg.ProgrammingError,
                psycopg.errors.InternalError_, struct.error, OverflowError) as exc:
            self.forget()
            if len(summaries) <= 1:
                bad = [Rejected(s.report.incoming, StoreRejectedError.reason, f"{type(exc).__name__}: {exc}")
                       for s in summaries]
                log.warning("event=store_rejected count=%d error=%r", len(bad), str(exc)[:200])
                return self.write([], [*rejected, *bad])
            half = len(summaries) // 2
            first = self.write_isolating(summaries[:half], rejected)
            second = self.write_isolating(summaries[half:], [])
            first.stored += second.stored
            first.duplicates += second.duplicates
            first.quarantined += second.quarantined
            first.gaps_opened += second.gaps_opened
            first.gaps_closed += second.gaps_closed
            for table, n in second.rows.items():
                first.rows[table] = first.rows.get(table, 0) + n
            return first

    # ---------------------------------------------------------------------------------------------- steps
    def _bind(self, cur: psycopg.Cursor[Any], summaries: Sequence[Summary], learned: dict[str, dict[Any, Any]],
              result: BatchResult) -> list[tuple[Summary, int, int]]:
        """Resolve homes and gateways; quarantine reports whose gateway is bound to another home."""
        gw_cache = self._gateways
        missing = {s.gateway_id for s in summaries if s.gateway_id not in gw_cache}
        # A cached binding that disagrees may be stale (an import re-bound the gateway): re-read those too.
        missing |= {s.gateway_id for s in summaries
                    if s.gateway_id in gw_cache and gw_cache[s.gateway_id][2] != s.home_id}
        bound = {**gw_cache, **(gateways_store.bindings(cur, sorted(missing)) if missing else {})}
        first_home: dict[str, str] = {}
        candidates: list[Summary] = []
        for s in summaries:
            home = bound[s.gateway_id][2] if s.gateway_id in bound else first_home.setdefault(s.gateway_id, s.home_id)
            if home == s.home_id:
                candidates.append(s)
            else:
                result.quarantined.append(self._mismatch(s, home))
        if not candidates:
            return []
        home_keys = {h: self._homes[h] for h in {s.home_id for s in candidates} if h in self._homes}
        new_homes = sorted({s.home_id for s in candidates} - home_keys.keys())
        if new_homes:
            created = homes_store.ensure_homes(cur, new_homes)
            home_keys.update(created)
            learned["homes"].update(created)
        if first_home:
            newest = {s.gateway_id: s for s in candidates if s.gateway_id in first_home}
            gateways_store.create_gateways(cur, (
                (g, home_keys[first_home[g]], *_software(s), _dt(s.report.incoming.received_at))
                for g, s in sorted(newest.items())))
            # Another worker may have bound the same new gateway first: believe the database.
            bound.update(gateways_store.bindings(cur, sorted(first_home)))
        accepted: list[tuple[Summary, int, int]] = []
        for s in candidates:
            gateway_key, home_key, home_id = bound[s.gateway_id]
            if home_id != s.home_id:
                result.quarantined.append(self._mismatch(s, home_id))
                continue
            learned["gateways"][s.gateway_id] = bound[s.gateway_id]
            accepted.append((s, gateway_key, home_key))
        return accepted

    @staticmethod
    def _mismatch(s: Summary, bound_home: str) -> Rejected:
        error = GatewayHomeMismatchError(
            f"gateway {s.gateway_id!r} is bound to home {bound_home!r} but reports home {s.home_id!r}")
        return Rejected(s.report.incoming, error.reason, str(error))

    def _store(self, cur: psycopg.Cursor[Any], accepted: list[tuple[Summary, int, int]],
               learned: dict[str, dict[Any, Any]], result: BatchResult) -> None:
        boots = self._resolve_boots(cur, accepted, learned)
        dev_keys = self._resolve_devices(cur, accepted, learned)
        labels = self._resolve_labels(cur, accepted, learned)

        report_rows = []
        keyed: list[tuple[tuple[int, int, datetime], Summary, int, int]] = []
        for s, gateway_key, home_key in accepted:
            boot_key = boots[(gateway_key, s.boot_id)]
            ts = _dt(s.end_ts)
            keyed.append(((boot_key, s.seq, ts), s, gateway_key, home_key))
            report_rows.append((
                ts, home_key, boot_key, s.seq, *s.meta, *s.health,
                pgbinary.int4s([dev_keys[(home_key, m)] for m in s.station_macs] or None),
                pgbinary.int2s(s.station_q or None), pgbinary.float4s(s.station_c or None),
                pgbinary.int2s(s.radios or None), pgbinary.int4s([labels[t] for t in s.probe_targets] or None),
                pgbinary.int2s(s.probes or None),
            ))
        new_keys = reports_store.insert_new(cur, report_rows)
        fresh: list[tuple[Summary, int, int, int]] = []
        for key, s, gateway_key, home_key in keyed:
            if key in new_keys:
                new_keys.discard(key)       # a second copy inside the same batch is a duplicate
                fresh.append((s, gateway_key, home_key, key[0]))
            else:
                result.duplicates += 1
        result.rows["reports"] = len(fresh)
        if not fresh:
            return
        result.stored = [f[0] for f in fresh]
        result.rows["events"] = reports_store.add_events(cur, (
            (_dt(ts), home_key, dev_keys[(home_key, mac)] if mac else None, kind, detail)
            for s, _, home_key, _ in fresh for ts, mac, kind, detail in s.events))
        result.rows["app_pending"] = reports_store.add_app_counters(cur, (
            (home_key, _hour(hour), dev_keys[(home_key, mac)] if mac else 0, labels[app], *counters)
            for s, _, home_key, _ in fresh for mac, app, hour, *counters in s.apps))
        self._sequences(cur, fresh, result)
        newest: dict[int, Summary] = {}
        seen: dict[int, float] = {}
        for s, gateway_key, _, _ in fresh:
            if gateway_key not in newest or s.end_ts >= newest[gateway_key].end_ts:
                newest[gateway_key] = s
            seen[gateway_key] = max(seen.get(gateway_key, 0.0), s.report.incoming.received_at)
        gateways_store.update_state(cur, [
            (g, *_software(s), _dt(seen[g]), s.boot_id, s.seq, _dt(s.end_ts)) for g, s in newest.items()])
        references: dict[int, Summary] = {}
        for s, gateway_key, _, _ in fresh:
            if s.reference and (gateway_key not in references or s.end_ts > references[gateway_key].end_ts):
                references[gateway_key] = s
        dictionaries_store.keep_references(cur, [(g, _dt(s.end_ts), s.report.incoming.payload)
                                                 for g, s in references.items()])
        reports_store.mark_dirty(cur, ((home_key, _hour(hour)) for s, _, home_key, _ in fresh for hour in s.hours))

    def _resolve_boots(self, cur: psycopg.Cursor[Any], accepted: list[tuple[Summary, int, int]],
                       learned: dict[str, dict[Any, Any]]) -> dict[tuple[int, str], int]:
        pairs = {(g, s.boot_id) for s, g, _ in accepted}
        found = {p: self._boots[p] for p in pairs if p in self._boots}
        missing = sorted(pairs - found.keys())
        if missing:
            created = gateways_store.ensure_boots(cur, missing)
            found.update(created)
            learned["boots"].update(created)
        return found

    def _resolve_devices(self, cur: psycopg.Cursor[Any], accepted: list[tuple[Summary, int, int]],
                         learned: dict[str, dict[Any, Any]]) -> dict[tuple[int, str], int]:
        """Device keys for every MAC of the batch; new devices and changed inventory facts are merged."""
        keys: dict[tuple[int, str], int] = {}
        stage: dict[tuple[int, str], devices_store.DeviceRow] = {}
        missing_pairs: set[tuple[int, str]] = set()
        cached = self._devices
        for s, _, home_key in accepted:
            for d in s.devices:
                pair = (home_key, d[0])
                info = _info(d)
                last_seen = d[8] if d[8] is not None else s.end_ts
                seen = self._device_seen.get(pair) or learned["device_seen"].get(pair)
                if seen is None or seen[0] != info or last_seen - seen[1] >= DEVICE_REFRESH_S:
                    stage[pair] = (home_key, d[0], d[1], d[2], d[3], d[4], d[5], d[6],
                                   _dt(d[7]) if d[7] is not None else None, _dt(last_seen))
                    learned["device_seen"][pair] = (info, last_seen)
            for mac in s.macs:
                pair = (home_key, mac)
                key = cached.get(pair)
                if key is not None:
                    keys[pair] = key
                else:
                    missing_pairs.add(pair)
                    if pair not in stage:
                        stage[pair] = (home_key, mac, None, None, None, None, None, None, None, _dt(s.end_ts))
        if stage:
            devices_store.merge_devices(cur, (stage[p] for p in sorted(stage)))
        missing = sorted(missing_pairs)
        if missing:
            found = devices_store.device_keys(cur, missing)
            keys.update(found)
            learned["devices"].update(found)
        return keys

    def _resolve_labels(self, cur: psycopg.Cursor[Any], accepted: list[tuple[Summary, int, int]],
                        learned: dict[str, dict[Any, Any]]) -> dict[str, int]:
        names = {t for s, _, _ in accepted for t in s.probe_targets} | {a[1] for s, _, _ in accepted for a in s.apps}
        found = {n: self._labels[n] for n in names if n in self._labels}
        missing = sorted(names - found.keys())
        if missing:
            created = devices_store.ensure_labels(cur, missing)
            found.update(created)
            learned["labels"].update(created)
        return found

    def _sequences(self, cur: psycopg.Cursor[Any], fresh: list[tuple[Summary, int, int, int]],
                   result: BatchResult) -> None:
        """Advance each boot's high-water mark and open or close sequence gaps."""
        seqs: dict[int, list[int]] = {}
        for s, _, _, boot_key in fresh:
            seqs.setdefault(boot_key, []).append(s.seq)
        max_seq, open_gaps = gateways_store.lock_boots(cur, sorted(seqs))
        new_max: dict[int, int] = {}
        changed: dict[int, list[tuple[int, int]]] = {}
        for boot_key, numbers in seqs.items():
            before = open_gaps.get(boot_key, [])
            top, after = gap_logic.advance(max_seq.get(boot_key, -1), before, numbers)
            if top != max_seq.get(boot_key, -1):
                new_max[boot_key] = top
            if after != before:
                changed[boot_key] = after
                delta = gap_logic.missing(after) - gap_logic.missing(before)
                if delta > 0:
                    result.gaps_opened += delta
                else:
                    result.gaps_closed -= delta
        gateways_store.save_sequences(cur, new_max, changed)


def lag_seconds(summaries: Sequence[Summary], now: float | None = None) -> float:
    """How far behind the newest data of a batch is: now minus the oldest report end among them."""
    if not summaries:
        return 0.0
    now = time.time() if now is None else now
    return max(0.0, now - min(s.end_ts for s in summaries))
