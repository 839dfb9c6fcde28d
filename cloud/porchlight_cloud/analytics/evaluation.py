"""Scoring the stored findings against a simulator's ground truth: precision, recall, time to detect, right name.

Ground truth is the simulator's JSON-lines file (one record per injected fault or benign change; read here
without importing the simulator, which the cloud does not depend on). Each home-level fault kind is scored
against the list meant to catch it; cohort faults by whether a cohort finding names the model and firmware;
network faults by whether an incident names the area (node, area or region) and which homes it holds.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

from . import findings_store, incidents


@dataclass(frozen=True, slots=True)
class Truth:
    """One ground-truth record (the fields scoring needs)."""

    fault_id: str
    kind: str
    start: datetime
    end: datetime
    homes: frozenset[str]
    benign: bool = False
    region: str | None = None
    area: str | None = None
    node: str | None = None
    model: str | None = None
    firmware: str | None = None
    mac: str | None = None
    band: str | None = None


def _ts(v: Any) -> datetime:
    return datetime.fromtimestamp(int(v), UTC)


def load(path: str | Path) -> list[Truth]:
    """Read a ground-truth JSON-lines file."""
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        d = json.loads(line)
        out.append(Truth(d["fault_id"], d["kind"], _ts(d["start_ts"]), _ts(d["end_ts"]), frozenset(d["home_ids"]),
                         bool(d.get("benign")), d.get("region"), d.get("area"), d.get("node"), d.get("model"),
                         d.get("firmware"), d.get("mac"), d.get("band")))
    return out


@dataclass(frozen=True, slots=True)
class Detector:
    """Which findings are meant to catch a home-level kind, and the family of kinds they cannot tell apart."""

    lists: tuple[str, ...]
    kinds: tuple[str, ...]
    places: tuple[str, ...] = ()
    family: tuple[str, ...] = ()


STRUGGLING = ("struggling_daily", "struggling_recent")
WIFI_FAMILY = ("wifi_poor_coverage", "wifi_interference")
HOME_DETECTORS: dict[str, Detector] = {
    "wifi_poor_coverage": Detector(STRUGGLING, ("struggling",), ("home_wifi", "home_device"), WIFI_FAMILY),
    "wifi_interference": Detector(STRUGGLING, ("struggling",), ("home_wifi", "home_device"), WIFI_FAMILY),
    # "The gateway" is also the right place for a bad firmware's symptoms (clients dropping, latency, CPU).
    "reboot_loop": Detector(STRUGGLING, ("struggling",), ("gateway",), ("reboot_loop", "firmware_wifi_drops",
                                                                        "firmware_latency")),
    "spambot": Detector(("activity_change",), ("smtp_spam", "destination_spread"), (), ("spambot",)),
    "streaming_silent": Detector(("activity_change",), ("streaming_device_silent", "gaming_device_silent"), (),
                                 ("streaming_silent",)),
    "silent_churn": Detector(("activity_change",), ("usage_fading",), (), ("silent_churn",)),
}
COHORT_KINDS = ("firmware_wifi_drops", "firmware_latency")
NETWORK_KINDS = ("access_network", "region_congestion")
#: The incident cause that names each network kind right: an outage is the access network's, congestion beyond
#: the first hop is upstream of it. An incident of the other cause over the same homes is no hit.
INCIDENT_CAUSE = {"access_network": incidents.ACCESS, "region_congestion": incidents.UPSTREAM}
#: A finding within this long after a fault ended still counts for it (daily lists come out after the day).
SLACK = timedelta(days=1)
#: A Wi-Fi fault can only hurt a household through what it uses: interference on a band through the devices on that
#: band, a device in a far room through that device. A home is *exposed* when the band (or device) carried at least
#: this share of its Wi-Fi traffic during the fault (measured from the stored station samples). Recall is reported
#: over all the kind's homes, and in the note over the exposed ones: the rest are faults that by construction
#: could not hurt the household (a flooded band nobody uses, a weak speaker that moves a few kB a day).
EXPOSED_SHARE = 0.1
EXPOSURE_KINDS = ("wifi_poor_coverage", "wifi_interference")


@dataclass(frozen=True, slots=True)
class Flag:
    """One finding reduced to what scoring needs: home, when it covers, when it was known, what it said."""

    home_id: str
    list: str
    kind: str
    place: str | None
    start: datetime
    end: datetime
    known_at: datetime


@dataclass
class KindScore:
    """The score of one fault kind."""

    kind: str
    records: int = 0
    homes: int = 0
    flagged: int = 0
    true_positives: int = 0
    detected: int = 0
    precision: float | None = None
    recall: float | None = None
    #: For Wi-Fi kinds: recall over the exposed homes only (the fault went through what the household uses).
    recall_exposed: float | None = None
    ttd_minutes: list[float] = field(default_factory=list)
    named_right: str = ""
    note: str = ""

    @property
    def median_ttd(self) -> float | None:
        """Median time to detect, in minutes."""
        return statistics.median(self.ttd_minutes) if self.ttd_minutes else None


def _flags(conn: psycopg.Connection[Any]) -> list[Flag]:
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            "SELECT h.home_id, f.list, f.kind, f.place, f.day, f.first_flagged_at, f.last_flagged_at, f.as_of"
            " FROM findings f JOIN homes h ON h.home_key = f.home_key"
            f" WHERE f.home_key IS NOT NULL AND {findings_store.CURRENT_DAILY}").fetchall()
    out = []
    for r in rows:
        if r["day"] is not None:
            start = datetime.combine(r["day"], datetime.min.time(), UTC)
            out.append(Flag(r["home_id"], r["list"], r["kind"], r["place"], start, start + timedelta(days=1),
                            r["first_flagged_at"]))
        else:
            out.append(Flag(r["home_id"], r["list"], r["kind"], r["place"], r["first_flagged_at"] - timedelta(hours=3),
                            r["last_flagged_at"], r["first_flagged_at"]))
    return out


def _overlaps(flag: Flag, t: Truth) -> bool:
    return flag.start < t.end + SLACK and t.start < flag.end


def _matches(flag: Flag, det: Detector) -> bool:
    return flag.list in det.lists and flag.kind in det.kinds and (not det.places or flag.place in det.places)


_EXPOSURE = """
SELECT h.home_id,
       coalesce(sum(s.tx_bytes + s.rx_bytes) FILTER (WHERE d.mac = %(mac)s::text
                                                        OR abs(s.band_ghz - %(band)s::real) < 0.05)
                / nullif(sum(s.tx_bytes + s.rx_bytes), 0), 0)
FROM station_samples s JOIN homes h USING (home_key) LEFT JOIN devices d USING (device_key)
WHERE h.home_id = ANY(%(homes)s) AND s.ts >= %(start)s AND s.ts < %(end)s
GROUP BY h.home_id"""


def exposure(conn: psycopg.Connection[Any], t: Truth) -> dict[str, float]:
    """Per home of a Wi-Fi fault: the share of its Wi-Fi traffic during the fault carried on the fault's band
    (interference) or by the fault's device (poor coverage)."""
    mac = t.mac if t.kind == "wifi_poor_coverage" else None
    band = float(t.band) if t.kind == "wifi_interference" and t.band else None
    if mac is None and band is None:
        return {}
    out = {h: 0.0 for h in t.homes}
    with conn.cursor() as cur:
        for home_id, share in cur.execute(_EXPOSURE, {"mac": mac, "band": band, "homes": sorted(t.homes),
                                                      "start": t.start, "end": t.end}):
            out[str(home_id)] = float(share)
    return out


def score_home_kind(kind: str, truths: Sequence[Truth], flags: Sequence[Flag], horizon: datetime,
                    exposed: frozenset[str] | None = None) -> KindScore:
    """Precision and recall over homes, and time to detect, for one home-level kind; with ``exposed`` (the homes
    the fault could hurt), the recall over those is added to the note."""
    det = HOME_DETECTORS[kind]
    mine = [t for t in truths if t.kind == kind and not t.benign and t.start < horizon]
    family = [t for t in truths if t.kind in det.family and not t.benign]
    s = KindScore(kind, len(mine), len({h for t in mine for h in t.homes}))
    relevant = [f for f in flags if _matches(f, det)]
    flagged_homes = {f.home_id for f in relevant}
    correct = {f.home_id for f in relevant for t in family if f.home_id in t.homes and _overlaps(f, t)}
    s.flagged = len(flagged_homes)
    s.true_positives = len(correct)
    s.precision = len(correct) / len(flagged_homes) if flagged_homes else None
    found_homes: set[str] = set()
    for t in mine:
        for h in t.homes:
            hits = [f for f in relevant if f.home_id == h and _overlaps(f, t)]
            if hits:
                found_homes.add(h)
                s.ttd_minutes.append(max(0.0, (min(f.known_at for f in hits) - t.start).total_seconds() / 60))
    s.detected = len(found_homes)
    s.recall = len(found_homes) / s.homes if s.homes else None
    if exposed is not None:
        mine_homes = {h for t in mine for h in t.homes}
        reach = mine_homes & exposed
        s.recall_exposed = len(found_homes & reach) / len(reach) if reach else None
        s.note = (f"exposed homes (>= {EXPOSED_SHARE:.0%} of their Wi-Fi traffic through it): {len(reach)}/"
                  f"{len(mine_homes)}, found {len(found_homes & reach)}/{len(reach)}; found unexposed: "
                  f"{len(found_homes - reach)}")
    return s


def score_cohorts(truths: Sequence[Truth], conn: psycopg.Connection[Any], horizon: datetime) -> list[KindScore]:
    """Whether each bad firmware was named (model and firmware), with home precision/recall of the named cohort."""
    with conn.cursor(row_factory=dict_row) as cur:
        found = cur.execute("SELECT model, firmware, component, min(as_of) AS known_at FROM findings"
                            " WHERE list = 'cohort' GROUP BY 1, 2, 3").fetchall()
        gw = cur.execute("SELECT h.home_id, g.model, g.firmware FROM gateways g"
                         " JOIN homes h USING (home_key)").fetchall()
    named = {(r["model"], r["firmware"]) for r in found}
    bad = {(t.model, t.firmware) for t in truths if t.kind in COHORT_KINDS and not t.benign}
    out = []
    for kind in COHORT_KINDS:
        mine = [t for t in truths if t.kind == kind and t.start < horizon]
        s = KindScore(kind, len(mine), len({h for t in mine for h in t.homes}))
        for t in mine:
            hit = [r for r in found if (r["model"], r["firmware"]) == (t.model, t.firmware)]
            s.named_right = "yes" if hit else "no"
            cohort_homes = {r["home_id"] for r in gw if (r["model"], r["firmware"]) == (t.model, t.firmware)}
            if hit:
                s.ttd_minutes.append((min(r["known_at"] for r in hit) - t.start).total_seconds() / 60)
                s.flagged = len(cohort_homes)
                s.true_positives = len(cohort_homes & t.homes)
                s.detected = s.true_positives
                s.precision = s.true_positives / len(cohort_homes) if cohort_homes else None
                s.recall = s.true_positives / len(t.homes) if t.homes else None
                s.note = ", ".join(sorted({r["component"] for r in hit}))
            else:
                s.recall = 0.0
        false_named = sorted(f"{m} / {f}" for m, f in named - bad)
        if false_named:
            s.note = (s.note + "; " if s.note else "") + "also named (no fault): " + "; ".join(false_named)
        out.append(s)
    return out


def score_network(truths: Sequence[Truth], conn: psycopg.Connection[Any], horizon: datetime) -> list[KindScore]:
    """Whether each network fault became an incident naming the right area, how fast, with which homes."""
    found = findings_store.incidents_between(conn, None, None)
    out = []
    used: set[int] = set()
    for kind in NETWORK_KINDS:
        mine = [t for t in truths if t.kind == kind and t.start < horizon]
        s = KindScore(kind, len(mine), len({h for t in mine for h in t.homes}))
        right = 0
        tp = flagged = detected_homes = 0
        for t in mine:
            if kind == "access_network":
                want = ("node", t.node) if t.node else ("area", t.area)
            else:
                want = ("region", t.region)
            hits = [i for i in found if i.cause == INCIDENT_CAUSE[kind]
                    and i.started_at < t.end + timedelta(minutes=30)
                    and (i.ended_at or horizon) > t.start - timedelta(minutes=30)
                    and len(i.homes & t.homes) >= 0.5 * min(len(i.homes), len(t.homes))]
            if not hits:
                continue
            used.update(i.incident_id for i in hits if i.incident_id is not None)
            first = min(hits, key=lambda i: i.detected_at)
            s.ttd_minutes.append(max(0.0, (first.detected_at - t.start).total_seconds() / 60))
            if any((i.level, i.area) == want for i in hits):
                right += 1
            homes = frozenset().union(*(i.homes for i in hits))
            flagged += len(homes)
            tp += len(homes & t.homes)
            detected_homes += len(homes & t.homes)
        s.detected = len(s.ttd_minutes)
        s.flagged, s.true_positives = flagged, tp
        s.precision = tp / flagged if flagged else None
        s.recall = detected_homes / sum(len(t.homes) for t in mine) if mine else None
        s.named_right = f"{right}/{len(mine)}"
        s.note = f"{s.detected}/{len(mine)} faults became incidents"
        out.append(s)
    false_incidents = [i for i in found if i.incident_id not in used]
    if out:
        out[-1].note += f"; {len(false_incidents)} incident(s) matching no network fault"
    return out


@dataclass
class Report:
    """Every kind's score plus list-level figures."""

    scores: list[KindScore]
    horizon: datetime
    list_figures: dict[str, Any]


def _list_figures(truths: Sequence[Truth], flags: Sequence[Flag]) -> dict[str, Any]:
    faults = [t for t in truths if not t.benign]
    benign = [t for t in truths if t.benign]
    out: dict[str, Any] = {}
    for name, lists in (("struggling", STRUGGLING), ("activity_change", ("activity_change",))):
        mine = [f for f in flags if f.list in lists]
        homes = {f.home_id for f in mine}
        explained = {f.home_id for f in mine for t in faults if f.home_id in t.homes and _overlaps(f, t)}
        on_benign = {f.home_id for f in mine for t in benign if f.home_id in t.homes and _overlaps(f, t)} - explained
        days = {f.start.date() for f in mine if f.list != "struggling_recent"}
        out[name] = {"homes_flagged": len(homes), "with_a_fault": len(explained),
                     "precision_any_fault": round(len(explained) / len(homes), 3) if homes else None,
                     "flagged_on_benign_change_only": len(on_benign), "days": len(days)}
    return out


def evaluate(conn: psycopg.Connection[Any], truths: Sequence[Truth]) -> Report:
    """Score everything stored in the database against the ground truth."""
    row = conn.execute("SELECT max(as_of) FROM analysis_runs WHERE status = 'ok'").fetchone()
    horizon = row[0] if row and row[0] else datetime.now(UTC)
    flags = _flags(conn)
    exposed = {k: frozenset(h for t in truths if t.kind == k and t.start < horizon
                            for h, share in exposure(conn, t).items() if share >= EXPOSED_SHARE)
               for k in EXPOSURE_KINDS}
    scores = [score_home_kind(k, truths, flags, horizon, exposed.get(k)) for k in HOME_DETECTORS]
    scores += score_cohorts(truths, conn, horizon)
    scores += score_network(truths, conn, horizon)
    return Report(scores, horizon, _list_figures(truths, flags))


def _fmt(v: float | None, pct: bool = True) -> str:
    if v is None:
        return "-"
    return f"{v:.2f}" if pct else f"{v:.0f}"


def format_report(r: Report) -> str:
    """The report as a table for people."""
    lines = [f"Evaluation up to {r.horizon:%Y-%m-%d %H:%M} UTC",
             f"{'kind':<22}{'records':>8}{'homes':>7}{'flagged':>8}{'TP':>5}{'prec':>7}{'recall':>8}"
             f"{'exposed':>8}{'ttd med (min)':>15}{'named':>8}  note"]
    for s in r.scores:
        lines.append(f"{s.kind:<22}{s.records:>8}{s.homes:>7}{s.flagged:>8}{s.true_positives:>5}"
                     f"{_fmt(s.precision):>7}{_fmt(s.recall):>8}{_fmt(s.recall_exposed):>8}"
                     f"{_fmt(s.median_ttd, False):>15}"
                     f"{s.named_right or '-':>8}  {s.note}")
    for name, figs in r.list_figures.items():
        lines.append(f"{name} list: " + ", ".join(f"{k}={v}" for k, v in figs.items()))
    return "\n".join(lines)


def as_json(r: Report) -> dict[str, Any]:
    """The report as JSON-ready data."""
    return {"horizon": r.horizon.isoformat(), "lists": r.list_figures,
            "kinds": [{"kind": s.kind, "records": s.records, "homes": s.homes, "flagged": s.flagged,
                       "true_positives": s.true_positives, "precision": s.precision, "recall": s.recall,
                       "recall_exposed": s.recall_exposed,
                       "median_ttd_minutes": s.median_ttd, "named_right": s.named_right, "note": s.note}
                      for s in r.scores]}


def summarize(scores: Iterable[KindScore]) -> Mapping[str, tuple[float | None, float | None]]:
    """kind -> (precision, recall), for tests."""
    return {s.kind: (s.precision, s.recall) for s in scores}
