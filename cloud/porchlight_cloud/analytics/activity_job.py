"""The daily activity-change job: find candidate devices and homes in SQL, judge them, store the Pro-Alert list.

SQL does the fleet-wide passes (one over the day's application rollup, one over the daily rollups) and returns
only candidates: devices with heavy SMTP or wide destination spread for several hours, devices that streamed
or played on the same weekday of earlier weeks but not today, and households far below their normal. Python
then builds each candidate's hour-by-hour picture against its own normal and applies the rules.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import psycopg
from psycopg.rows import dict_row

from . import activity_change as ac
from . import activity_fading, findings_store
from .baselines import Baseline, baseline_of, median
from .findings_store import FindingRow
from .queries import sql
from .reasons import device_label
from .segment_job import latest_segments
from .segments import GAMING_APPS, STREAMING_APPS, Segment

log = logging.getLogger(__name__)
#: Earlier days looked at, in days before the judged day: the same weekday of four earlier weeks (the home's
#: normal for those hours of the week) and the six days before (the same hours of the day, used while the device
#: has fewer than two earlier weeks).
WEEK_OFFSETS = (7, 14, 21, 28)
DAY_OFFSETS = (1, 2, 3, 4, 5, 6)
MIN_DAYS_FOR_HOUR_OF_DAY = 3
MIN_WEEKS_FOR_HOUR_OF_WEEK = 3
#: An always-on device is a regular of the household when it was on the Wi-Fi on this share of the normal days.
REGULAR_SHARE = 0.8
#: Another device counts as having left the home network when the gateway last saw it in the week before the judged
#: day and at least this long before the day began (a device off for the night is not gone).
OTHERS_GONE_FOR = timedelta(hours=6)
#: A phone, tablet or laptop counts as gone by the end of the judged day when the gateway had not seen it for this
#: long by then: one switched off for the night, or simply not refreshed in the inventory's last quarter hour
#: (ingest.writer.DEVICE_REFRESH_S), is still the household's.
PEOPLE_GONE_FOR = timedelta(hours=6)
#: How far back the sightings history is read: for the candidates' presence and the others that left, the week
#: before the judged day (a device gone longer is no longer listed: activity_change.LISTED_GONE_FOR); for the
#: people's phones, tablets and laptops, the fade's days (activity_fading.FADING_DAYS) and a few more.
PRESENCE_DAYS = timedelta(days=8)
PEOPLE_GONE_DAYS = timedelta(days=14)
#: 1 in this many homes feeds the peer normals.
PEER_SAMPLE = 20

Key = tuple[int, int]  # (home_key, device_key)


def candidates(conn: psycopg.Connection[Any], day: date) -> tuple[set[Key], dict[int, float], dict[date, float]]:
    """Devices to judge, fading households with the fleet's ratio over the last two days, and the fleet's own change
    on each of the last activity_fading.FADING_DAYS days (empty without fading households)."""
    start = datetime.combine(day, time(), UTC)
    end = start + timedelta(days=1)
    prior = [start - timedelta(days=k) for k in (*DAY_OFFSETS, *WEEK_OFFSETS)]
    devices: set[Key] = set()
    for r in conn.execute(sql("activity_spike_candidates"), {
            "start": start, "end": end, "smtp_hour_flows": ac.SMTP_MIN_HOUR_NEW_FLOWS,
            "spread_dests": ac.SPREAD_MIN_DESTS, "row_dests": ac.SPREAD_MIN_ROW_DESTS,
            "min_hours": ac.MIN_UNUSUAL_HOURS}):
        devices.add((int(r[0]), int(r[1])))
    for apps, active in ((STREAMING_APPS, ac.STREAMING_ACTIVE_HOUR_BYTES), (GAMING_APPS, ac.GAMING_ACTIVE_HOUR_BYTES)):
        for r in conn.execute(sql("activity_silent_candidates"), {
                "prior_days": prior, "apps": sorted(apps), "min_weeks": ac.MIN_OWN_HISTORY,
                "min_bytes": active * ac.SILENT_MIN_EXPECTED_HOURS, "day": start, "start": start, "end": end,
                "max_share": 0.1}):
            devices.add((int(r[0]), int(r[1])))
    fading: dict[int, float] = {}
    fleet_days: dict[date, float] = {}
    for r in conn.execute(sql("activity_fading_candidates"), {
            "day": day, "max_relative": max(activity_fading.FADING_MAX_RELATIVE,
                                            activity_fading.FADING_MAX_RELATIVE_MOVING),
            "min_prior_days": activity_fading.FADING_MIN_PRIOR_DAYS, "days": activity_fading.FADING_DAYS}):
        fading[int(r[0])] = float(r[1])
        if not fleet_days:
            fleet_days = {d: float(v) for d, v in zip(r[2] or (), r[3] or (), strict=True) if v is not None and v > 0}
    return devices, fading, fleet_days


def _peers(conn: psycopg.Connection[Any], start: datetime, end: datetime
           ) -> tuple[dict[tuple[str, str], tuple[Baseline, Baseline]], dict[str, Baseline]]:
    per_app: dict[tuple[str, str], tuple[Baseline, Baseline]] = {}
    dests: dict[str, Baseline] = {}
    with conn.cursor(row_factory=dict_row) as cur:
        for r in cur.execute(sql("activity_peer_baselines"), {"start": start, "end": end, "sample": PEER_SAMPLE}):
            n = int(r["n"])
            per_app[(r["cls"], r["app"])] = (Baseline(float(r["up_med"]), float(r["up_mad"]), n, "peers"),
                                             Baseline(float(r["flows_med"]), float(r["flows_mad"]), n, "peers"))
            dests[r["cls"]] = Baseline(float(r["dests_med"]), float(r["dests_mad"]), int(r["dests_n"]), "peers")
    return per_app, dests


def _samples(by_offset: dict[int, float], offsets: list[int]) -> list[float]:
    return [by_offset.get(k, 0.0) for k in offsets]


def history_offsets(present: set[int]) -> list[int]:
    """The earlier days a device's normal is made of: the same weekday of earlier weeks when it has three, else
    the days just before (same hours of the day), else two weeks, else none (peers)."""
    weeks = [k for k in WEEK_OFFSETS if k in present]
    if len(weeks) >= MIN_WEEKS_FOR_HOUR_OF_WEEK:
        return weeks
    days = [k for k in DAY_OFFSETS if k in present]
    if len(days) >= MIN_DAYS_FOR_HOUR_OF_DAY:
        return days
    return weeks if len(weeks) >= ac.MIN_OWN_HISTORY else []


def offsets_before_leaving(own: list[int], start: datetime, gone_since: datetime | None) -> list[int]:
    """The earlier days of a device's normal that ended before the day it left the home network (``start``: the
    judged day's). The days since are its failure, not its habit: a box that broke on Monday morning did not stream
    on Monday, and counted as a day without a habit it would hide Tuesday's silence. With fewer than
    activity_change.MIN_OWN_HISTORY such days, all of them."""
    if gone_since is None:
        return own
    left_day = datetime.combine(gone_since.astimezone(UTC).date(), time(), UTC)
    kept = [k for k in own if start - timedelta(days=k - 1) <= left_day]
    return kept if len(kept) >= ac.MIN_OWN_HISTORY else own


def habit_offsets(own: list[int], failed_days: set[int]) -> list[int]:
    """The earlier days a device's habit is counted over: its normal days but those on which its apps failed as
    someone tried to play (below the habit's bar, with failed tries: activity_change.is_failed_try). A box that
    broke on Monday evening was tried and could not play; counted as a day without its habit, that day hid Tuesday's
    silence (seeds 241, 253 and 257: a TV tried in one hour the evening it broke, then in two or more hours the next
    day, its habit 4 of 6). With fewer than activity_change.MIN_OWN_HISTORY days left, all of them."""
    kept = [k for k in own if k not in failed_days]
    return kept if len(kept) >= ac.MIN_OWN_HISTORY else own


def presence_on_day(station_today: int, station_before: int, last_seen: datetime | None, start: datetime
                    ) -> tuple[bool | None, datetime | None]:
    """Whether a device was on the home network on the day beginning at ``start``, and since when it is gone.

    Wi-Fi station samples decide first (in the day's samples: there; only in the day before's: it left the
    Wi-Fi); then the gateway's last sighting of it (DHCP, ARP: the only trace of a wired device). Unknown: None.
    """
    gone = last_seen if last_seen is not None and last_seen < start else None
    if station_today:
        return True, None
    if station_before or gone is not None:
        return False, gone
    return (True if last_seen is not None else None), None


def build_homes(conn: psycopg.Connection[Any], day: date, devices: set[Key], fading: dict[int, float],
                segments: dict[int, Segment], fleet_days: dict[date, float] | None = None
                ) -> list[tuple[int, ac.HomeActivity, dict[str, int]]]:
    """The candidates' activity, hour by hour, next to their own normal (or their peers'); ``fleet_days``: the
    fleet's own change per day (see candidates)."""
    start = datetime.combine(day, time(), UTC)
    end = start + timedelta(days=1)
    hours = [start + timedelta(hours=h) for h in range(24)]
    homes = sorted({h for h, _ in devices} | set(fading))
    if not homes:
        return []
    offsets = [0, *DAY_OFFSETS, *WEEK_OFFSETS]
    # Per device: on which earlier days it was there at all, its identity, and day totals for the household share.
    ident: dict[Key, dict[str, Any]] = {}
    dev_days: dict[Key, dict[int, float]] = defaultdict(dict)
    home_ids: dict[int, str] = {}
    with conn.cursor(row_factory=dict_row) as cur:
        for r in cur.execute(sql("activity_home_days"), {"homes": homes, "day": day,
                                                          "days": [start - timedelta(days=k) for k in offsets]}):
            key = (int(r["home_key"]), int(r["device_key"]))
            ident[key] = r
            dev_days[key][int(r["offset_days"])] = float(r["bytes"])
            home_ids[key[0]] = r["home_id"]
    # Hour-by-hour counters of the candidate devices on the judged day and the earlier days.
    obs: dict[Key, dict[tuple[str, datetime, int], tuple[float, float, float, float]]] = defaultdict(dict)
    dev_list = sorted(devices)
    if dev_list:
        with conn.cursor(row_factory=dict_row) as cur:
            for r in cur.execute(sql("activity_device_hours"), {
                    "homes": [h for h, _ in dev_list], "devices": [d for _, d in dev_list], "start": start,
                    "end": end, "offsets": offsets}):
                obs[(int(r["home_key"]), int(r["device_key"]))][(r["app"], r["hour"], int(r["offset_days"]))] = (
                    float(r["bytes_up"]), float(r["bytes_down"]), float(r["new_flows"]), float(r["dests_max"]))
    presence: dict[Key, tuple[bool | None, datetime | None]] = {}
    people_left: dict[int, datetime] = {}
    others_left: dict[Key, int] = {}
    if dev_list:
        for r in conn.execute(sql("activity_device_presence"), {
                "homes": [h for h, _ in dev_list], "devices": [d for _, d in dev_list], "start": start, "end": end,
                "gone_for": OTHERS_GONE_FOR, "since": start - PRESENCE_DAYS}):
            presence[(int(r[0]), int(r[1]))] = presence_on_day(int(r[2]), int(r[3]), r[4], start)
            others_left[(int(r[0]), int(r[1]))] = int(r[6])
            if r[5] is not None and r[5] < start:  # every phone, tablet and laptop was gone before the day began
                people_left[int(r[0])] = r[5]
    incident_hours: dict[int, set[datetime]] = defaultdict(set)
    if dev_list:
        for r in conn.execute(sql("activity_incident_hours"), {"homes": sorted({h for h, _ in dev_list}),
                                                                "start": start, "end": end}):
            incident_hours[int(r[0])].add(r[1])
    history = {key: history_offsets({k for k in dev_days.get(key, {}) if k > 0}) for key in devices}
    peer_apps, peer_dests = _peers(conn, start, end) if any(not h for h in history.values()) else ({}, {})
    daily: dict[int, list[float]] = defaultdict(list)
    daily_dates: dict[int, list[date]] = defaultdict(list)
    for r in conn.execute(sql("activity_home_daily_bytes"), {"homes": homes, "day": day}):
        daily[int(r[0])].append(float(r[2]))
        daily_dates[int(r[0])].append(r[1])
    fleet_ratio = next(iter(fading.values()), 1.0)  # the same fleet ratio comes with every fading candidate
    fleet_days = fleet_days or {}
    always_on = _always_on(conn, day, sorted(fading)) if fading else {}
    people_gone: dict[int, list[datetime]] = defaultdict(list)
    for r in conn.execute(sql("activity_people_gone"), {"homes": homes, "end": end,
                                                          "gone_for": PEOPLE_GONE_FOR,
                                                          "since": end - PEOPLE_GONE_DAYS}):
        people_gone[int(r[0])].append(r[1])
    no_peer = Baseline(0.0, 0.0, 0, "peers")

    out: list[tuple[int, ac.HomeActivity, dict[str, int]]] = []
    by_home: dict[int, list[Key]] = defaultdict(list)
    for dk in dev_days:
        by_home[dk[0]].append(dk)
    for home_key in homes:
        device_keys: dict[str, int] = {}
        device_days: dict[str, tuple[float, float]] = {}
        judged: list[ac.DeviceActivity] = []
        for key in by_home.get(home_key, []):
            info = ident[key]
            mac = info["mac"] or f"device-{key[1]}"
            device_keys[mac] = key[1]
            normal_days = history_offsets({k for k in dev_days[key] if k > 0}) or \
                [k for k in dev_days[key] if k > 0]
            prior = _samples(dev_days[key], normal_days)
            device_days[mac] = (dev_days[key].get(0, 0.0), median(prior) if prior else 0.0)
            if key not in devices:
                continue
            cls = info["device_class"] or "unknown"
            associated, gone_since = presence.get(key, (None, None))
            own = offsets_before_leaving(history[key], start, gone_since)
            rows = obs.get(key, {})
            app_hours: list[ac.AppHours] = []
            dests_by_hour: dict[datetime, dict[int, float]] = defaultdict(dict)
            for (_app, h, k), v in rows.items():
                dests_by_hour[h][k] = dests_by_hour[h].get(k, 0.0) + v[3]
            zero = (0.0, 0.0, 0.0, 0.0)
            for app in sorted({a for a, _, _ in rows}):
                hs: list[ac.HourActivity] = []
                peer = peer_apps.get((cls, app)) or peer_apps.get(("unknown", app))
                for h in hours:
                    now_v = rows.get((app, h, 0), zero)
                    if own:
                        past = [rows.get((app, h, k), zero) for k in own]
                        b_bytes: Baseline | None = baseline_of([p[0] + p[1] for p in past])
                        b_up, b_flows = baseline_of([p[0] for p in past]), baseline_of([p[2] for p in past])
                    else:
                        b_bytes = None
                        b_up, b_flows = peer if peer else (no_peer, no_peer)
                    hs.append(ac.HourActivity(h, now_v[0], now_v[1], now_v[2], now_v[3], b_bytes, b_up, b_flows))
                app_hours.append(ac.AppHours(app, tuple(hs)))
            dests_hours = []
            for h in hours:
                per_day = dests_by_hour.get(h, {})
                base = baseline_of(_samples(per_day, own)) if own else \
                    (peer_dests.get(cls) or peer_dests.get("unknown") or no_peer)
                dests_hours.append(ac.HourActivity(h, dests=per_day.get(0, 0.0), base_dests=base))
            habit: dict[str, tuple[int, int]] = {}
            habit_bytes: dict[str, tuple[float, ...]] = {}
            for kind, group, active in (("streaming_device_silent", STREAMING_APPS, ac.STREAMING_ACTIVE_HOUR_BYTES),
                                        ("gaming_device_silent", GAMING_APPS, ac.GAMING_ACTIVE_HOUR_BYTES)):
                day_bytes: dict[int, float] = defaultdict(float)
                hour_sums: dict[tuple[int, datetime], list[float]] = {}  # (day, hour) -> [bytes, new flows]
                for (app, h, k), v in rows.items():
                    if app in group and k > 0:
                        day_bytes[k] += v[0] + v[1]
                        sums = hour_sums.setdefault((k, h), [0.0, 0.0])
                        sums[0] += v[0] + v[1]
                        sums[1] += v[2]
                habit_days = habit_offsets(own, {k for (k, _h), (b, flows) in hour_sums.items()
                                                 if day_bytes[k] < active and ac.is_failed_try(b, flows)})
                habit[kind] = (sum(1 for k in habit_days if day_bytes.get(k, 0.0) >= active), len(habit_days))
                habit_bytes[kind] = tuple(day_bytes.get(k, 0.0) for k in habit_days)
            judged.append(ac.DeviceActivity(mac, device_label(info["hostname"], cls, mac), cls, tuple(app_hours),
                                            len(own), tuple(dests_hours), habit, associated, habit_bytes,
                                            gone_since=gone_since, people_gone_since=people_left.get(home_key),
                                            others_left=others_left.get(key, 0)))
        seg = segments.get(home_key)
        home_id = home_ids.get(home_key) or (seg.home_id if seg else str(home_key))
        out.append((home_key, ac.HomeActivity(
            home_id, tuple(judged), seg, tuple(daily.get(home_key, ())), fading.get(home_key, fleet_ratio),
            home_key in fading, device_days, always_on.get(home_key, (0, ())),
            people_gone=tuple(people_gone.get(home_key, ())),
            incident_hours=frozenset(incident_hours.get(home_key, ())),
            fleet_day_ratios=tuple(fleet_days.get(d, fleet_ratio) for d in daily_dates.get(home_key, ())),
            start=start),
            device_keys))
    return out



def _always_on(conn: psycopg.Connection[Any], day: date, homes: list[int]) -> dict[int, tuple[int, tuple[str, ...]]]:
    """Per home: its regular always-on Wi-Fi devices, and the labels of those not on the Wi-Fi on ``day``."""
    regulars: dict[int, int] = defaultdict(int)
    left: dict[int, list[str]] = defaultdict(list)
    with conn.cursor(row_factory=dict_row) as cur:
        for r in cur.execute(sql("activity_fading_devices"), {"homes": homes, "day": day}):
            regular = r["normal_days"] >= REGULAR_SHARE * r["home_days"]
            if r["device_class"] not in activity_fading.ALWAYS_ON_CLASSES or not regular:
                continue
            regulars[int(r["home_key"])] += 1
            if not r["on_today"]:
                left[int(r["home_key"])].append(device_label(r["hostname"], r["device_class"], r["mac"] or ""))
    return {h: (n, tuple(sorted(left.get(h, [])))) for h, n in regulars.items()}


def run_daily(conn: psycopg.Connection[Any], day: date, segments: dict[int, Segment] | None = None) -> int:
    """The Pro-Alert list for ``day`` (UTC): stored as findings; returns the number of homes listed."""
    end = datetime.combine(day + timedelta(days=1), time(), UTC)
    run_id = findings_store.start_run(conn, "activity_change", end, {"day": day.isoformat()})
    segs = segments if segments is not None else latest_segments(conn, end)
    devices, fading, fleet_days = candidates(conn, day)
    homes = build_homes(conn, day, devices, fading, segs, fleet_days)
    rows: list[FindingRow] = []
    changes: list[ac.ActivityChange] = []
    for home_key, home, device_keys in homes:
        for c in ac.judge_home(home):
            changes.append(c)
            seg = segs.get(home_key)
            rows.append(FindingRow("activity_change", c.kind, c.summary, c.reasons, home_key=home_key, day=day,
                                   device_key=device_keys.get(c.mac or ""), mac=c.mac, app=c.app,
                                   place="home_device" if c.mac else "home", magnitude=c.magnitude,
                                   action=c.action, segment={"tenure": seg.tenure, "behaviours": sorted(seg.behaviours)}
                                   if seg else None))
    order = sorted(range(len(rows)), key=lambda i: (-rows[i].magnitude, changes[i].home_id))
    rows = [rows[i] for i in order]
    findings_store.write_daily(conn, run_id, "activity_change", day, end, rows)
    listed = len(listed_homes(changes))
    findings_store.finish_run(conn, run_id, "ok", {"candidate_devices": len(devices), "fading_candidates": len(fading),
                                                   "changes": len(changes), "homes_listed": listed})
    log.info("event=activity_change day=%s candidates=%d listed=%d", day, len(devices), listed)
    return listed


def listed_homes(changes: list[ac.ActivityChange]) -> set[str]:
    """The distinct homes on a list."""
    return {c.home_id for c in changes}
