"""The analytics jobs on a real migrated TimescaleDB: rollup rows in, stored findings and incidents out."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest
from porchlight_cloud.analytics import (
    activity_job,
    cohort_job,
    findings_store,
    incident_job,
    qoe_job,
    schedule,
    segment_job,
    struggling_job,
)

pytestmark = pytest.mark.integration

DAY = date(2026, 3, 9)  # a Monday
T0 = datetime(2026, 3, 9, tzinfo=UTC)


@pytest.fixture
def conn(db_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(db_url, autocommit=True) as c:
        yield c


def add_home(conn: psycopg.Connection, home_id: str, node: str = "north-a1-n1", model: str = "E8450",
             firmware: str = "23.05.5", tenure: date = date(2020, 1, 1)) -> int:
    region, area = node.split("-")[0], "-".join(node.split("-")[:2])
    row = conn.execute("INSERT INTO homes (home_id, region, area, node, plan, tenure_start) VALUES"
                       " (%s, %s, %s, %s, 'family-500', %s) RETURNING home_key",
                       (home_id, region, area, node, tenure)).fetchone()
    assert row is not None
    conn.execute("INSERT INTO gateways (gateway_id, home_key, model, firmware, last_seen) VALUES (%s, %s, %s, %s, %s)",
                 (f"gw-{home_id}", row[0], model, firmware, T0))
    return int(row[0])


def add_device(conn: psycopg.Connection, home_key: int, mac: str, cls: str, hostname: str | None = None) -> int:
    row = conn.execute("INSERT INTO devices (home_key, mac, hostname, device_class, first_seen) VALUES"
                       " (%s, %s, %s, %s, %s) RETURNING device_key",
                       (home_key, mac, hostname, cls, T0 - timedelta(days=60))).fetchone()
    assert row is not None
    return int(row[0])


def sighted(conn: psycopg.Connection, home_key: int, device_key: int, at: datetime) -> None:
    """The gateway's inventory saw the device at ``at`` (as ingest records it: the day's sightings and the latest)."""
    day = datetime.combine(at.date(), datetime.min.time(), UTC)
    conn.execute("INSERT INTO device_sightings (home_key, device_key, day, first_seen, last_seen) VALUES"
                 " (%s, %s, %s, %s, %s) ON CONFLICT (device_key, day) DO UPDATE SET"
                 " first_seen = LEAST(device_sightings.first_seen, EXCLUDED.first_seen),"
                 " last_seen = GREATEST(device_sightings.last_seen, EXCLUDED.last_seen)",
                 (home_key, device_key, day, at, at))
    conn.execute("UPDATE devices SET last_seen = GREATEST(last_seen, %s) WHERE device_key = %s", (at, device_key))


def label(conn: psycopg.Connection, name: str) -> int:
    row = conn.execute("INSERT INTO labels (name) VALUES (%s) ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name"
                       " RETURNING label_id", (name,)).fetchone()
    assert row is not None
    return int(row[0])


def app_usage(conn: psycopg.Connection, table: str, home_key: int, bucket: datetime, device_key: int, app_id: int,
              bytes_up: int, bytes_down: int, flows: int = 100, new_flows: int = 50, dests: int = 10,
              active_s: int = 3600) -> None:
    """One device's use of one application in an hour (app_hourly) or a day (app_daily)."""
    assert table in ("app_hourly", "app_daily")
    conn.execute(f"INSERT INTO {table} (home_key, bucket, device_key, app_id, bytes_up, bytes_down, flows, new_flows,"
                 " dests_max, active_s) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                 (home_key, bucket, device_key, app_id, bytes_up, bytes_down, flows, new_flows, dests, active_s))


def hourly(conn: psycopg.Connection, home_key: int, bucket: datetime, *, rtt: float = 12.0, loss: float = 0.0,
           reboots: int = 0, cpu: float = 20.0, busy: float = 20.0, wan_bytes: int = 400_000_000) -> None:
    conn.execute(
        "INSERT INTO home_hourly (home_key, bucket, reports, wifi_bytes, busy_pct, first_hop_rtt_ms,"
        " first_hop_loss_pct, internet_rtt_ms, internet_jitter_ms, internet_loss_pct, cpu_pct, mem_used_pct, reboots,"
        " wan_flaps, wan_rx_bytes, wan_tx_bytes) VALUES (%s, %s, 12, %s, %s, 2, 0, %s, 2, %s, %s, 40, %s, 0, %s, %s)",
        (home_key, bucket, wan_bytes, busy, rtt, loss, cpu, reboots, wan_bytes * 9 // 10, wan_bytes // 10))


def test_a_rebooting_gateway_is_on_the_daily_struggling_list_and_healthy_homes_are_not(conn) -> None:
    homes = [add_home(conn, f"h{i:03d}") for i in range(6)]
    for h in homes:
        for hour in range(24):
            bucket = T0 + timedelta(hours=hour)
            looping = h == homes[0] and 8 <= hour < 14
            hourly(conn, h, bucket, reboots=3 if looping else 0)
    out = schedule.run_daily(conn, DAY)
    assert out["qoe_rows"] == 6 * 24
    assert out["struggling"] == 1
    [row] = findings_store.list_findings(conn, "struggling_daily", DAY)
    assert row["home_id"] == "h000" and row["place"] == "gateway"
    assert any("restarted 3 time(s)" in r["text"] for r in row["reasons"])
    assert row["action"] and "gateway" in row["action"]


def test_a_rerun_that_finds_nothing_empties_the_day_and_keeps_the_earlier_list_as_history(conn) -> None:
    [home] = [add_home(conn, "h000")]
    for hour in range(24):
        hourly(conn, home, T0 + timedelta(hours=hour), reboots=3 if 8 <= hour < 14 else 0)
    schedule.run_daily(conn, DAY)
    assert [r["home_id"] for r in findings_store.list_findings(conn, "struggling_daily", DAY)] == ["h000"]
    # The reboots were a data error: corrected, the day is analysed again and its list is empty now.
    conn.execute("UPDATE home_hourly SET reboots = 0 WHERE home_key = %s", (home,))
    schedule.run_daily(conn, DAY)
    assert findings_store.list_findings(conn, "struggling_daily", DAY) == []
    stored = conn.execute("SELECT count(*) FROM findings WHERE list = 'struggling_daily' AND day = %s",
                          (DAY,)).fetchone()
    assert stored == (1,)


def stations_report(conn: psycopg.Connection, home_key: int, ts: datetime, seq: int, devices: list[int]) -> None:
    """One report in which ``devices`` were on the Wi-Fi (a fair link, a little traffic)."""
    conn.execute("INSERT INTO reports (ts, home_key, boot_key, seq, span_s, sample_interval_s, kind, flags, st_device,"
                 " st_q, st_c) VALUES (%s, %s, 1, %s, 300, 60, 0, 0, %s, %s, %s)",
                 (ts, home_key, seq, devices, [50, -55, -58, 300, 300, 0] * len(devices),
                  [1e6, 1e7, 1e4, 10.0] * len(devices)))


def wifi_report(conn: psycopg.Connection, home_key: int, device_key: int, ts: datetime, busy: int) -> None:
    """One report: a TV streaming on 5 GHz with a good link, on a channel ``busy`` % busy (3 points of it its own)."""
    conn.execute("INSERT INTO reports (ts, home_key, boot_key, seq, span_s, sample_interval_s, kind, flags, st_device,"
                 " st_q, st_c, ra) VALUES (%s, %s, 1, %s, 300, 60, 0, 0, %s, %s, %s, %s)",
                 (ts, home_key, int(ts.timestamp()) // 300, [device_key], [50, -55, -58, 400, 400, 0],
                  [400_000_000, 20_000_000, 300_000, 15_000], [50, 36, 80, -92, busy, 2, 1, 1]))


def test_a_neighbour_flooding_the_channel_the_tv_uses_is_judged_against_the_homes_own_air(conn) -> None:
    flooded = add_home(conn, "h-flooded")
    always_busy = add_home(conn, "h-always-busy")
    tvs = {h: add_device(conn, h, f"aa:bb:cc:00:00:0{i}", "tv", "living-room") for i, h in
           enumerate((flooded, always_busy))}
    first = DAY - timedelta(days=7)
    for d in range(8):
        day_start = datetime.combine(first + timedelta(days=d), datetime.min.time(), UTC)
        for hour in range(24):
            bucket = day_start + timedelta(hours=hour)
            flood = d == 7 and 8 <= hour < 20
            for h in (flooded, always_busy):
                hourly(conn, h, bucket)
                busy = (55 if flood else 12) if h == flooded else 45  # always_busy: 42 % of other networks' air
                wifi_report(conn, h, tvs[h], bucket + timedelta(minutes=30), busy)
        schedule.run_daily(conn, first + timedelta(days=d))
    # 52 % of the air taken by other networks is "comfortable" by the absolute ramp, but this channel normally
    # carries 9 %: the flooded home is listed, the home whose channel is always that busy is not.
    [row] = findings_store.list_findings(conn, "struggling_daily", DAY)
    assert row["home_id"] == "h-flooded" and row["place"] == "home_wifi"
    air = next(r for r in row["reasons"] if r["code"] == "channel_busy")
    assert air["numbers"]["foreign_busy_pct"] == 52 and air["numbers"]["normal_foreign_busy_pct"] == 9
    assert "normally take 9%" in air["text"]
    assert "channel change" in row["action"]


def probe_report(conn: psycopg.Connection, home_key: int, ts: datetime, rtt: float, lost: int, targets: list[int],
                 first_hop_rtt: float | None = None) -> None:
    """One report's probes: the first target is the first hop (at ``first_hop_rtt`` when given), the rest ``rtt``."""
    rtts = [first_hop_rtt if i == 0 and first_hop_rtt is not None else rtt for i in range(len(targets))]
    pr = [v for r in rtts for v in (1, 10, lost, int(r * 10), int(r * 15), 20)]  # 6 per probe, 0.1 ms
    conn.execute("INSERT INTO reports (ts, home_key, boot_key, seq, span_s, sample_interval_s, kind, flags, pr_target,"
                 " pr) VALUES (%s, %s, 1, %s, 300, 60, 0, 0, %s, %s)",
                 (ts, home_key, int(ts.timestamp()) // 300, targets, pr))


def test_node_outage_becomes_one_incident_naming_the_node_and_closes_when_it_ends(conn) -> None:
    targets = [label(conn, "first_hop"), label(conn, "1.1.1.1")]
    keys = {}
    for node in ("north-a1-n1", "north-a1-n2", "north-a2-n1"):
        for i in range(6):
            keys[f"{node}-{i}"] = add_home(conn, f"{node}-h{i}", node)
    onset = T0 + timedelta(hours=20, minutes=2)
    for hid, k in keys.items():
        for hour in range(24):
            hourly(conn, k, T0 + timedelta(hours=hour - 24))
        t = T0 + timedelta(hours=19, minutes=5 + int(hid[-1]))
        while t < T0 + timedelta(hours=21, minutes=30):
            bad = hid.startswith("north-a1-n2") and onset <= t < onset + timedelta(minutes=40)
            probe_report(conn, k, t, 60.0 if bad else 12.0, 4 if bad else 0, targets)
            t += timedelta(minutes=5)
    opened = None
    for minute in range(0, 70):
        now = onset + timedelta(minutes=minute)
        for inc in incident_job.run_incidents(conn, now):
            if inc.detected_at == now and opened is None:
                opened = inc
    assert opened is not None
    assert (opened.level, opened.area) == ("node", "north-a1-n2")
    assert opened.detected_at - onset <= timedelta(minutes=6)
    [inc] = findings_store.incidents_between(conn, None, None)
    assert inc.ended_at is not None and len(inc.homes) == 6


def test_congestion_beyond_the_first_hop_across_a_region_is_named_within_six_minutes(conn) -> None:
    # Evening congestion upstream of the access network grows slowly: 5 minutes in, each home's round trip beyond
    # the first hop is only ~4 ms up (its first hop unchanged), far below what one home needs to count as degraded
    # on its own round trip; every home of the region rising together is the incident.
    targets = [label(conn, "first_hop"), label(conn, "1.1.1.1")]
    keys = {}
    for node in ("north-a1-n1", "north-a1-n2", "north-a2-n1", "south-a1-n1", "south-a2-n1"):
        for i in range(5):
            keys[f"{node}-{i}"] = add_home(conn, f"{node}-h{i}", node)
    onset = T0 + timedelta(hours=19, minutes=30)
    for hid, k in keys.items():
        for hour in range(24):
            hourly(conn, k, T0 + timedelta(hours=hour - 24))  # normally: first hop 2 ms, beyond it 10 ms more
        t = T0 + timedelta(hours=18, minutes=int(hid[-1]))
        while t < onset + timedelta(minutes=20):
            ramp = 0.8 * max(0.0, (t - onset).total_seconds() / 60) if hid.startswith("north") else 0.0
            probe_report(conn, k, t, 12.0 + ramp, 0, targets, first_hop_rtt=2.0)
            t += timedelta(minutes=5)
    opened = []
    for minute in range(-40, 12):
        opened += [i for i in incident_job.run_incidents(conn, onset + timedelta(minutes=minute)) if i.is_open]
    assert opened, "the regional congestion was not found"
    first = min(opened, key=lambda i: i.detected_at)
    assert first.detected_at > onset, "an incident before the congestion began"
    assert first.detected_at - onset <= timedelta(minutes=6)
    assert (first.level, first.area) == ("region", "north")
    assert "round trip up beyond the first hop" in first.why
    assert all(inc.area == "north" for inc in findings_store.incidents_between(conn, None, None))


def test_incident_homes_are_kept_off_the_struggling_list(conn) -> None:
    homes = [add_home(conn, f"h{i:03d}") for i in range(4)]
    for h in homes:
        for hour in range(24):
            bad = 10 <= hour < 16
            hourly(conn, h, T0 + timedelta(hours=hour), rtt=300 if bad else 12, loss=8 if bad else 0)
    qoe_job.score_window(conn, T0, T0 + timedelta(days=1))
    assert len(struggling_job.judge_window(conn, T0, T0 + timedelta(days=1), recent=False)) == 4
    conn.execute("INSERT INTO incidents (level, area, started_at, detected_at, last_seen_at, ended_at, homes_total,"
                 " peak_degraded, why) VALUES ('node', 'north-a1-n1', %s, %s, %s, %s, 4, 4, 'loss') ",
                 (T0 + timedelta(hours=10), T0 + timedelta(hours=10), T0 + timedelta(hours=16),
                  T0 + timedelta(hours=16)))
    conn.execute("INSERT INTO incident_homes SELECT 1, home_key, %s FROM homes", (T0,))
    assert struggling_job.judge_window(conn, T0, T0 + timedelta(days=1), recent=False) == []


def test_spambot_pc_is_on_the_activity_change_list_with_smtp_reason_and_device(conn) -> None:
    smtp, web = label(conn, "smtp"), label(conn, "web")
    h = add_home(conn, "h-spam")
    pc = add_device(conn, h, "aa:bb:cc:00:00:01", "desktop", "DESKTOP-7")
    laptop = add_device(conn, h, "aa:bb:cc:00:00:02", "laptop")
    for offset in (0, 1, 2, 3, 4, 5, 6, 7, 14):
        day = T0 - timedelta(days=offset)
        for dev in (pc, laptop):
            app_usage(conn, "app_daily", h, day, dev, web, 1_000_000, 50_000_000)
        for hour in range(24):
            bucket = day + timedelta(hours=hour)
            app_usage(conn, "app_hourly", h, bucket, pc, web, 50_000, 2_000_000, 5, 3, 4, 300)
            if offset == 0 and hour >= 6:
                app_usage(conn, "app_hourly", h, bucket, pc, smtp, 90_000_000, 100_000, 18_000, 18_000, 250)
    assert activity_job.run_daily(conn, DAY) == 1
    [row] = findings_store.list_findings(conn, "activity_change", DAY)
    assert row["kind"] == "smtp_spam" and row["mac"] == "aa:bb:cc:00:00:01" and row["app"] == "smtp"
    assert "DESKTOP-7" in row["reasons"][0]["text"] and "malware" in row["action"]


def test_a_tv_on_the_wifi_is_listed_when_its_app_failed_as_someone_tried_to_watch_not_when_nobody_tried(conn) -> None:
    # Three homes whose TV streamed 19:00-23:00 on each of the seven days before, still on the Wi-Fi (DNS all day),
    # silent this evening. In "failing" its Netflix app opened short connections at 19:00 and 21:00 that carried
    # almost nothing; in "unused" nobody asked it to play; "outage" tried as "failing" did while the access node
    # behind it was down: the incident is the finding.
    netflix, dns = label(conn, "netflix"), label(conn, "dns")
    for i, name in enumerate(("failing", "unused", "outage")):
        k = add_home(conn, name)
        tv = add_device(conn, k, f"aa:bb:cc:00:03:{i:02d}", "tv", f"TV-{name}")
        phone = add_device(conn, k, f"aa:bb:cc:00:04:{i:02d}", "phone")
        if name == "outage":
            down, up = T0 + timedelta(hours=18), T0 + timedelta(hours=23)
            row = conn.execute("INSERT INTO incidents (level, area, started_at, detected_at, last_seen_at, ended_at,"
                               " homes_total, peak_degraded, why) VALUES ('node', 'north-a1-n1', %s, %s, %s, %s, 5, 5,"
                               " 'node down') RETURNING incident_id", (down, down, up, up)).fetchone()
            assert row is not None
            conn.execute("INSERT INTO incident_homes VALUES (%s, %s, %s)", (row[0], k, down))
        for dev in (tv, phone):
            sighted(conn, k, dev, T0 + timedelta(hours=23))
        for offset in range(8):
            day = T0 - timedelta(days=offset)
            streams = offset >= 1
            app_usage(conn, "app_daily", k, day, tv, dns, 1_000_000, 24_000_000)
            if streams:
                app_usage(conn, "app_daily", k, day, tv, netflix, 100_000_000, 6_000_000_000)
            for hour in range(24):
                bucket = day + timedelta(hours=hour)
                app_usage(conn, "app_hourly", k, bucket, tv, dns, 40_000, 1_000_000, 5, 3, 4, 300)
                if streams and 19 <= hour < 23:
                    app_usage(conn, "app_hourly", k, bucket, tv, netflix, 25_000_000, 1_500_000_000, 50, 5, 3)
                elif not streams and name != "unused" and hour in (19, 21):
                    app_usage(conn, "app_hourly", k, bucket, tv, netflix, 8_000, 32_000, 5, 5, 1, 0)
                stations_report(conn, k, bucket + timedelta(minutes=30), 10_000 - offset * 24 - hour, [tv, phone])
    assert activity_job.run_daily(conn, DAY, segment_job.compute_segments(conn, DAY)) == 1
    [row] = findings_store.list_findings(conn, "activity_change", DAY)
    assert row["kind"] == "streaming_device_silent" and row["mac"] == "aa:bb:cc:00:03:00"
    assert "still connected, and in 2 hours (19:00, 21:00 UTC) its apps opened 10 connections" in \
        row["reasons"][0]["text"]
    assert row["reasons"][0]["numbers"]["failed_try_hours"] == 2


def test_a_tv_that_broke_yesterday_evening_is_listed_when_tried_again_today(conn) -> None:
    # The TV streams most evenings (it skipped one four days ago). Yesterday it broke: tried once at 21:00, nothing
    # played. Today it was tried at 19:00 and 21:00. Yesterday is its failure, not a day without its habit: 4 of its
    # 5 other days, not 4 of 6.
    netflix, dns = label(conn, "netflix"), label(conn, "dns")
    k = add_home(conn, "broke")
    tv = add_device(conn, k, "aa:bb:cc:00:06:00", "tv", "TV-broke")
    phone = add_device(conn, k, "aa:bb:cc:00:06:01", "phone")
    for dev in (tv, phone):
        sighted(conn, k, dev, T0 + timedelta(hours=23))
    for offset in range(8):
        day = T0 - timedelta(days=offset)
        streams = offset >= 2 and offset != 4
        app_usage(conn, "app_daily", k, day, tv, dns, 1_000_000, 24_000_000)
        if streams:
            app_usage(conn, "app_daily", k, day, tv, netflix, 100_000_000, 6_000_000_000)
        for hour in range(24):
            bucket = day + timedelta(hours=hour)
            if streams and 19 <= hour < 23:
                app_usage(conn, "app_hourly", k, bucket, tv, netflix, 25_000_000, 1_500_000_000, 50, 5, 3)
            elif (offset == 1 and hour == 21) or (offset == 0 and hour in (19, 21)):
                app_usage(conn, "app_hourly", k, bucket, tv, netflix, 8_000, 32_000, 5, 5, 1, 0)
            stations_report(conn, k, bucket + timedelta(minutes=30), 10_000 - offset * 24 - hour, [tv, phone])
    assert activity_job.run_daily(conn, DAY, segment_job.compute_segments(conn, DAY)) == 1
    [row] = findings_store.list_findings(conn, "activity_change", DAY)
    assert row["kind"] == "streaming_device_silent" and row["mac"] == "aa:bb:cc:00:06:00"
    assert row["reasons"][0]["numbers"]["habit_days"] == 4 and row["reasons"][0]["numbers"]["history_days"] == 5


def test_a_day_judged_later_reads_who_had_left_by_the_end_of_that_day(conn) -> None:
    # Monday at 13:00 and 13:30 the family's two phones left (a trip); they were back on Wednesday evening, and the TV
    # stayed on the Wi-Fi. Judged on Thursday (a late run, a replay), Monday and Tuesday read the sightings up to
    # their own end: both phones gone, together; Wednesday none. The devices table alone says "seen Wednesday".
    web = label(conn, "web")
    k = add_home(conn, "trip")
    tv = add_device(conn, k, "aa:bb:cc:00:05:00", "tv")
    phones = [add_device(conn, k, f"aa:bb:cc:00:05:0{i}", "phone") for i in (1, 2)]
    for offset in range(-2, 8):
        day = T0 - timedelta(days=offset)
        app_usage(conn, "app_daily", k, day, tv, web, 1_000_000, 50_000_000)
        sighted(conn, k, tv, day + timedelta(hours=23, minutes=50))
        for i, phone in enumerate(phones):
            if offset >= 1:
                sighted(conn, k, phone, day + timedelta(hours=22))
            elif offset == 0:
                sighted(conn, k, phone, day + timedelta(hours=13, minutes=30 * i))
            elif offset == -2:
                sighted(conn, k, phone, day + timedelta(hours=19))
    left = (T0 + timedelta(hours=13), T0 + timedelta(hours=13, minutes=30))
    judged = {offset: activity_job.build_homes(conn, DAY + timedelta(days=offset), {(k, tv)}, {}, {})[0][1]
              for offset in (0, 1, 2)}
    assert judged[0].people_gone == left and judged[1].people_gone == left and judged[2].people_gone == ()
    assert [d.people_gone_since for d in judged[1].devices] == [left[1]]
    assert [d.people_gone_since for d in judged[0].devices] == [None]  # they left during the judged day


def test_a_fading_household_is_listed_when_its_always_on_devices_left_and_not_when_they_stay(conn) -> None:
    # "leaving" fades over 10 days and its TV has left the Wi-Fi on the judged day; "staying" came down in two steps
    # (two ordinary low days, then a trip away) with the TV and the speaker still associated: the people are out, not
    # leaving. Steady homes give the fleet's own ratio.
    web = label(conn, "web")
    homes = {name: add_home(conn, name) for name in ("leaving", "staying", "s1", "s2", "s3", "s4")}
    tvs = {name: add_device(conn, k, f"aa:bb:cc:00:01:{i:02d}", "tv", f"TV-{name}")
           for i, (name, k) in enumerate(homes.items())}
    speakers = {name: add_device(conn, k, f"aa:bb:cc:00:02:{i:02d}", "speaker")
                for i, (name, k) in enumerate(homes.items())}
    for offset in range(28):
        day = T0 - timedelta(days=offset)
        for name, k in homes.items():
            share = {"leaving": min(1.0, 0.1 + 0.09 * offset),
                     "staying": {0: 0.1, 1: 0.15, 2: 0.62, 3: 0.6}.get(offset, 1.0)}.get(name, 1.0)
            wan = int(4e9 * share)
            conn.execute("INSERT INTO home_daily (home_key, bucket, reports, wan_rx_bytes, wan_tx_bytes) VALUES"
                         " (%s, %s, 288, %s, %s)", (k, day, wan * 9 // 10, wan // 10))
            gone = name == "leaving" and offset == 0
            on = [speakers[name]] if gone else [tvs[name], speakers[name]]
            for dev in on:
                app_usage(conn, "app_daily", k, day, dev, web, 1_000_000, 50_000_000)
            stations_report(conn, k, day + timedelta(hours=12), 1000 - offset, on)
    assert activity_job.run_daily(conn, DAY) == 1
    [row] = findings_store.list_findings(conn, "activity_change", DAY)
    assert row["kind"] == "usage_fading"
    assert "1 of its 2 always-on devices has left the Wi-Fi (tv 'TV-leaving'" in row["reasons"][0]["text"]


def test_the_fleets_change_is_measured_day_by_day_for_the_fading_check(conn) -> None:
    # Every home used half as much again as its normal two days ago (a bank holiday): that day, and only that day,
    # the fleet stands at 1.5, and each household's day is divided by it. One household is down to a tenth over the
    # last two days: the fading candidate.
    homes = [add_home(conn, f"f{i}") for i in range(5)]
    for offset in range(28):
        for i, k in enumerate(homes):
            wan = int((1e9 + 1e8 * i) * (1.5 if offset == 2 else 1.0) * (0.1 if i == 0 and offset < 2 else 1.0))
            conn.execute("INSERT INTO home_daily (home_key, bucket, reports, wan_rx_bytes, wan_tx_bytes) VALUES"
                         " (%s, %s, 288, %s, 0)", (k, T0 - timedelta(days=offset), wan))
    _, fading, ratios = activity_job.candidates(conn, DAY)
    assert list(fading) == [homes[0]]
    assert sorted(ratios) == [DAY - timedelta(days=k) for k in range(9, -1, -1)]
    assert ratios[DAY - timedelta(days=2)] == pytest.approx(1.5)
    assert all(r == pytest.approx(1.0) for d, r in ratios.items() if d != DAY - timedelta(days=2))


def test_a_firmware_worse_on_stability_is_named_as_a_cohort(conn) -> None:
    rng = random.Random(5)
    for i in range(80):
        bad = i % 8 == 0
        k = add_home(conn, f"h{i:03d}", f"north-a{i % 3 + 1}-n1", "E8450", "24.10.0" if bad else "23.05.5")
        for hour in range(24):
            stab = rng.gauss(70 if bad else 97, 3)
            conn.execute("INSERT INTO qoe_hourly (home_key, bucket, score, wifi, access, health, stability) VALUES"
                         " (%s, %s, %s, %s, %s, 100, %s)",
                         (k, T0 + timedelta(hours=hour), stab, rng.gauss(95, 2), rng.gauss(95, 2), stab))
    found = cohort_job.run_daily(conn, DAY)
    assert [(f.model, f.firmware, f.component) for f in found] == [("E8450", "24.10.0", "stability")]
    [row] = findings_store.list_findings(conn, "cohort", DAY)
    assert "10 homes" in row["reasons"][0]["text"]


def test_a_rollout_that_made_its_homes_worse_than_their_own_days_before_is_named_from_the_stored_days(conn) -> None:
    """Three homes got a firmware that costs 12 points of access; on the day they still sit inside the fleet's
    spread (their lines were better than most), so only the change against their own three days before names it.
    Those days were stored by their own daily runs; the day's run stores its own and keeps both."""
    rng = random.Random(9)
    keys = [add_home(conn, f"h{i:03d}", f"north-a{i % 3 + 1}-n1", "E8450", "24.10.1" if i < 3 else "23.05.5")
            for i in range(60)]
    for back in range(4):
        day_start = T0 - timedelta(days=back)
        for i, k in enumerate(keys):
            base = 96 if i < 3 else 88
            access = base - (12 if i < 3 and back == 0 else 0)
            for hour in range(24):
                a = rng.gauss(access, 1.5)
                conn.execute("INSERT INTO qoe_hourly (home_key, bucket, score, wifi, access, health, stability)"
                             " VALUES (%s, %s, %s, 95, %s, 100, 100)", (k, day_start + timedelta(hours=hour), a, a))
    for back in (3, 2, 1):
        cohort_job.store_day(conn, DAY - timedelta(days=back))
    found = cohort_job.run_daily(conn, DAY)
    assert [(f.model, f.firmware, f.component, f.basis) for f in found] == [("E8450", "24.10.1", "access", "change")]
    stored = conn.execute("SELECT day, count(*) FROM cohort_home_daily GROUP BY day ORDER BY day").fetchall()
    assert stored == [(DAY - timedelta(days=k), 60) for k in (3, 2, 1, 0)]


def test_a_cohort_behind_slower_access_nodes_is_not_named_for_round_trip_unless_slower_than_its_neighbours(conn
                                                                                                        ) -> None:
    # 60 homes behind 12 nodes; 4 nodes are DSL (12 ms more round trip than the fibre ones). The 4 homes on 24.10.1
    # all sit behind DSL nodes: on the day they are 9 ms slower than the fleet, no slower than their neighbours.
    rng = random.Random(3)
    for i in range(60):
        node = i % 12
        fw = "24.10.1" if i in (0, 12, 24, 36) else "24.10.0"
        k = add_home(conn, f"h{i:03d}", f"north-a{node // 4 + 1}-n{node}", "BPI-R4", fw)
        for hour in range(24):
            bucket = T0 + timedelta(hours=hour)
            conn.execute("INSERT INTO qoe_hourly (home_key, bucket, score, wifi, access, health, stability)"
                         " VALUES (%s, %s, 95, 95, 95, 100, 100)", (k, bucket))
            hourly(conn, k, bucket, rtt=(24.0 if node % 3 == 0 else 12.0) + rng.gauss(0, 0.5))
    assert cohort_job.run_daily(conn, DAY) == []
    assert conn.execute("SELECT count(*) FROM cohort_home_daily WHERE rtt_node_hours = 24").fetchone() == (60,)


def cohort_sums(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute("SELECT home_key, hours, round(access_sum::numeric, 2), access_hours,"
                        " round(rtt_sum::numeric, 2), rtt_node_hours FROM cohort_home_daily WHERE day = %s"
                        " ORDER BY home_key", (DAY,)).fetchall()


def test_residuals_added_hour_by_hour_as_the_hours_end_are_the_day_computed_in_one_pass(conn) -> None:
    """The hourly job adds each final hour once, however often it is asked; the daily pass then adds only the hours
    it missed, and what it reads is the day's residuals as if computed at once."""
    rng = random.Random(5)
    for i in range(8):
        k = add_home(conn, f"h{i:03d}", f"north-a1-n{i % 2}")
        for hour in range(24):
            bucket = T0 + timedelta(hours=hour)
            a = rng.gauss(90, 4)
            conn.execute("INSERT INTO qoe_hourly (home_key, bucket, score, wifi, access, health, stability)"
                         " VALUES (%s, %s, %s, 95, %s, 100, 100)", (k, bucket, a, a))
            hourly(conn, k, bucket, rtt=rng.gauss(15, 3))
    for hour in range(1, 21):  # the schedule's looks at HH:15 until 20:15, each over the 6 hours before
        added = cohort_job.add_hours(conn, T0 + timedelta(hours=hour - 6), T0 + timedelta(hours=hour))
        assert added == (1 if hour > 1 else 6)  # 5 empty hours of the day before and hour 0
    assert conn.execute("SELECT count(*), sum(homes) FROM cohort_hours_done WHERE bucket >= %s",
                        (T0,)).fetchone() == (20, 8 * 20)
    cohort_job.daily_values(conn, [DAY])  # the daily pass: hours 20-23 only
    hour_by_hour = cohort_sums(conn)
    assert [r[1] for r in hour_by_hour] == [24] * 8 and all(r[5] == 24 for r in hour_by_hour)
    assert cohort_job.store_day(conn, DAY) == 8
    assert cohort_sums(conn) == hour_by_hour


def test_run_scheduled_runs_each_job_when_due(conn) -> None:
    add_home(conn, "h1")
    now = T0 + timedelta(hours=9)
    assert set(schedule.run_scheduled(conn, now)) == {"incidents", "recent", "daily"}
    assert schedule.run_scheduled(conn, now + timedelta(seconds=30)) == []
    assert schedule.run_scheduled(conn, now + timedelta(minutes=1)) == ["incidents"]
    assert set(schedule.run_scheduled(conn, now + timedelta(minutes=5))) == {"incidents", "recent"}
