"""Benchmark of the daily analytics on a large fleet: rollup rows made in SQL, the jobs timed, figures printed.

    .venv/bin/python bench/analytics_daily.py --homes 100000

Creates (or recreates) the database ``porchlight_bench_analytics`` on the project-local TimescaleDB, applies the
migrations, and generates with generate_series: homes, gateways (8 model/firmware cohorts), ~6 devices per
home, one day of hourly QoE scores, four days of home rollups, the day's application rollup (about 6 device/app rows per
home and hour), four weeks of daily rollups, and a few homes with injected trouble (spambots, a silent TV,
fading households, poor Wi-Fi) so every code path runs. Then it times, on that day:
struggling list + activity-change list (target 60 s together), cohorts (target 10 s), the segments, the
devices' usual shares and the air normal (two weeks of per-band air for ``--air-homes`` homes).
Run on purpose, not by the test suite; prints the machine it ran on.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from datetime import UTC, date, datetime, timedelta

import psycopg
from porchlight_cloud.analytics import activity_job, cohort_job, qoe_job, segment_job, struggling_job
from porchlight_cloud.store import migrate

ADMIN = "postgresql://porchlight@127.0.0.1:{port}/postgres"
DB = "porchlight_bench_analytics"
DAY = date(2026, 3, 9)

SETUP = [
    ("homes", """
INSERT INTO homes (home_id, region, area, node, plan, tenure_start)
SELECT 'h' || lpad(i::text, 7, '0'), 'r' || (i %% 8), 'r' || (i %% 8) || '-a' || (i / 8 %% 10),
       'r' || (i %% 8) || '-a' || (i / 8 %% 10) || '-n' || (i / 80 %% 12),
       (ARRAY['essential-100', 'family-500', 'gigabit-1000'])[1 + i %% 3],
       CASE WHEN i %% 25 = 0 THEN %(day)s::date - 5 ELSE date '2021-01-01' + (i %% 1500) END
FROM generate_series(1, %(homes)s) i"""),
    ("gateways", """
INSERT INTO gateways (gateway_id, home_key, model, firmware, last_seen)
SELECT 'gw-' || home_key, home_key, 'model-' || (home_key / 7 %% 4), 'fw-' || (home_key / 29 %% 2), %(day)s::date
FROM homes"""),
    ("devices", """
INSERT INTO devices (home_key, mac, hostname, device_class, first_seen)
SELECT h.home_key, 'aa:' || lpad(to_hex(h.home_key), 8, '0') || ':' || d,
       CASE d WHEN 1 THEN 'DESKTOP-' || h.home_key END,
       (ARRAY['desktop', 'tv', 'phone', 'laptop', 'console', 'speaker'])[d], %(day)s::date - 400
FROM homes h, generate_series(1, 6) d"""),
    ("device_sightings (each device seen every day of two weeks, 06:00-23:00; the silent TVs gone since the "
     "evening before the day)", """
INSERT INTO device_sightings (home_key, device_key, day, first_seen, last_seen)
SELECT d.home_key, d.device_key, %(day)s::timestamptz - make_interval(days => o),
       %(day)s::timestamptz - make_interval(days => o, hours => -6),
       %(day)s::timestamptz - make_interval(days => o, hours => -23)
FROM devices d CROSS JOIN generate_series(0, 13) o
WHERE NOT (o = 0 AND d.home_key %% 4000 = 11 AND d.device_class = 'tv')"""),
    ("labels", """
INSERT INTO labels (name) SELECT unnest(ARRAY['web', 'netflix', 'youtube', 'smtp', 'gaming', 'dns', 'quic',
                                              'zoom', 'first_hop', '1.1.1.1'])
ON CONFLICT DO NOTHING"""),
    ("app_hourly (the day: ~6 device/app rows per home and hour)", """
INSERT INTO app_hourly (home_key, bucket, device_key, app_id, bytes_up, bytes_down, flows, new_flows, dests_max,
                        active_s)
SELECT d.home_key, %(day)s::timestamptz + make_interval(hours => hr), d.device_key, l.label_id,
       (1e6 * (1 + random()))::bigint,
       (CASE WHEN l.name = 'netflix' AND hr BETWEEN 18 AND 22 THEN 1.5e9 ELSE 3e7 END * (0.5 + random()))::bigint,
       (5 + 20 * random())::int, (2 + 10 * random())::int, (3 + 15 * random())::int, 1200
FROM devices d
JOIN labels l ON l.name = CASE d.device_class WHEN 'tv' THEN 'netflix' WHEN 'console' THEN 'gaming'
                              WHEN 'speaker' THEN 'dns' ELSE 'web' END
CROSS JOIN generate_series(0, 23) hr
WHERE d.device_class <> 'speaker' OR hr %% 2 = 0"""),
    ("app_hourly (spambots: 1 in 5000 homes)", """
INSERT INTO app_hourly (home_key, bucket, device_key, app_id, bytes_up, bytes_down, flows, new_flows, dests_max,
                        active_s)
SELECT d.home_key, %(day)s::timestamptz + make_interval(hours => hr), d.device_key,
       (SELECT label_id FROM labels WHERE name = 'smtp'), 60000000, 100000, 15000, 15000, 200, 3600
FROM devices d CROSS JOIN generate_series(6, 23) hr
WHERE d.home_key %% 5000 = 7 AND d.device_class = 'desktop'"""),
    ("app_daily (the day and 11 earlier days, per device and app)", """
INSERT INTO app_daily (home_key, bucket, device_key, app_id, bytes_up, bytes_down, flows, new_flows, dests_max,
                       active_s)
SELECT d.home_key, %(day)s::timestamptz - make_interval(days => o), d.device_key, l.label_id,
       (2e7 * (0.5 + random()))::bigint,
       CASE WHEN o = 0 AND d.home_key %% 4000 = 11 AND d.device_class = 'tv' THEN 0
            ELSE (CASE WHEN l.name = 'netflix' THEN 6e9 ELSE 6e8 END * (0.5 + random()))::bigint END,
       200, 100, 20, 20000
FROM devices d
JOIN labels l ON l.name = CASE d.device_class WHEN 'tv' THEN 'netflix' WHEN 'console' THEN 'gaming'
                              WHEN 'speaker' THEN 'dns' ELSE 'web' END
CROSS JOIN unnest(ARRAY[0, 1, 2, 3, 4, 5, 6, 7, 14, 21, 28]) o"""),
    ("app_hourly history of the silent TVs' homes (same hours, earlier days)", """
INSERT INTO app_hourly (home_key, bucket, device_key, app_id, bytes_up, bytes_down, flows, new_flows, dests_max,
                        active_s)
SELECT d.home_key, %(day)s::timestamptz - make_interval(days => o) + make_interval(hours => hr), d.device_key,
       (SELECT label_id FROM labels WHERE name = 'netflix'), 1000000, 1500000000, 10, 3, 3, 3600
FROM devices d CROSS JOIN unnest(ARRAY[1, 2, 3, 4, 5, 6, 7, 14, 21, 28]) o CROSS JOIN generate_series(18, 22) hr
WHERE d.home_key %% 4000 = 11 AND d.device_class = 'tv'"""),
    ("silent TVs: nothing today", """
DELETE FROM app_hourly a USING devices d
WHERE a.device_key = d.device_key AND d.home_key %% 4000 = 11 AND d.device_class = 'tv'
  AND a.bucket >= %(day)s::date AND a.bucket < %(day)s::date + 1"""),
    ("home_daily (28 days, each 45-155 % of normal: ~10 % of homes under 70 % over two days, as in the simulated "
     "fleets, are looked at by the fading check; 1 in 3000 households fading)", """
INSERT INTO home_daily (home_key, bucket, reports, wan_rx_bytes, wan_tx_bytes)
SELECT h.home_key, %(day)s::timestamptz - make_interval(days => o), 288,
       (4e9 * (0.45 + 1.1 * random()) * CASE WHEN h.home_key %% 3000 = 5 AND o < 8 THEN 0.1 + 0.1 * o
                                              ELSE 1 END)::bigint, 3e8::bigint
FROM homes h CROSS JOIN generate_series(0, 27) o"""),
    ("qoe_hourly (the day; 1 in 500 homes poor for an evening)", """
INSERT INTO qoe_hourly (home_key, bucket, score, wifi, access, health, stability, traffic_bytes, reasons)
SELECT h.home_key, %(day)s::timestamptz + make_interval(hours => hr),
       CASE WHEN h.home_key %% 500 = 3 AND hr BETWEEN 18 AND 22 THEN 35 ELSE 90 + 10 * random() END,
       CASE WHEN h.home_key %% 500 = 3 AND hr BETWEEN 18 AND 22 THEN 30 ELSE 90 + 10 * random() END,
       CASE WHEN h.home_key / 7 %% 4 = 1 AND h.home_key / 29 %% 2 = 1 THEN 80 ELSE 90 END + 10 * random(),
       95 + 5 * random(), 95 + 5 * random(), 4e8,
       CASE WHEN h.home_key %% 500 = 3 AND hr BETWEEN 18 AND 22 THEN
         '[{"code": "weak_signal", "text": "The tv had a weak Wi-Fi signal (-80 dBm)", "numbers": {"mac": "x"}}]'::jsonb
       ELSE '[]'::jsonb END
FROM homes h CROSS JOIN generate_series(0, 23) hr"""),
    ("home_hourly (the day and the 3 days before: round trip, jitter, CPU; the cohort residuals read them)", """
INSERT INTO home_hourly (home_key, bucket, reports, first_hop_rtt_ms, internet_rtt_ms, internet_jitter_ms, cpu_pct,
                         mem_used_pct, reboots, wan_flaps)
SELECT h.home_key, %(day)s::timestamptz - make_interval(days => o) + make_interval(hours => hr), 12,
       2 + random(), 12 + 8 * random() + CASE WHEN h.home_key / 7 %% 4 = 2 AND h.home_key / 29 %% 2 = 0 AND o = 0
                                              THEN 6 ELSE 0 END,
       1 + 2 * random(), 15 + 20 * random(), 40, 0, 0
FROM homes h CROSS JOIN generate_series(0, 3) o CROSS JOIN generate_series(0, 23) hr"""),
    ("qoe_daily_normal (14 days)", """
INSERT INTO qoe_daily_normal (home_key, day, median_score, mad_score, hours)
SELECT home_key, %(day)s::date - o, 95, 2, 24 FROM homes CROSS JOIN generate_series(1, 14) o"""),
    ("analyze", "ANALYZE"),
]
#: Two weeks of hourly scores with other networks' air per band for the first --air-homes homes (the hourly QoE job
#: keeps the air beside each score), so the daily air_normal step has its real input (14 days x 24 hours x 2 bands
#: per home) and the cohort change test real days before.
AIR_SETUP = [
    ("qoe_hourly air (14 days, 2 bands)", """
INSERT INTO qoe_hourly (home_key, bucket, score, wifi, access, health, stability, traffic_bytes, reasons,
                        air_band_dghz, air_foreign_pct)
SELECT h.home_key, %(day)s::timestamptz - make_interval(days => o) + make_interval(hours => hr), 95,
       90 + 10 * random(), 85 + 10 * random(), 95 + 5 * random(), 95 + 5 * random(), 4e8, '[]',
       ARRAY[24, 50]::smallint[], ARRAY[(20 + 15 * random())::real, (5 + 10 * random())::real]
FROM homes h CROSS JOIN generate_series(0, 13) o CROSS JOIN generate_series(0, 23) hr
WHERE h.home_key <= %(air_homes)s
ON CONFLICT (home_key, bucket) DO UPDATE SET air_band_dghz = EXCLUDED.air_band_dghz,
                                             air_foreign_pct = EXCLUDED.air_foreign_pct"""),
    ("analyze qoe_hourly", "ANALYZE qoe_hourly"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--homes", type=int, default=100_000)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORCHLIGHT_PG_PORT", "55432")))
    parser.add_argument("--keep", action="store_true", help="reuse the database if it exists (skip generation)")
    parser.add_argument("--air-homes", type=int, default=10_000,
                        help="homes given two weeks of per-band air for the air_normal step (default 10,000)")
    parser.add_argument("--skip-air", action="store_true", help="leave out the air_normal step (the longest)")
    args = parser.parse_args()
    admin = ADMIN.format(port=args.port)
    url = admin.rsplit("/", 1)[0] + f"/{DB}"
    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cores, python {platform.python_version()}")
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB,)).fetchone() is not None
        if not (args.keep and exists):
            conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {DB}")
            exists = False
    migrate.migrate(url)  # a kept database gets the migrations added since it was made
    if not exists:
        with psycopg.connect(url, autocommit=True) as conn:
            for name, statement in SETUP + AIR_SETUP:
                t = time.perf_counter()
                cur = conn.execute(statement, {"homes": args.homes, "day": DAY, "air_homes": args.air_homes})
                print(f"setup {name}: {cur.rowcount if cur.rowcount >= 0 else '-'} rows, "
                      f"{time.perf_counter() - t:.1f} s")
    with psycopg.connect(url, autocommit=True) as conn:
        homes = conn.execute("SELECT count(*) FROM homes").fetchone()
        rows = conn.execute("SELECT count(*) FROM app_hourly").fetchone()
        print(f"fleet: {homes[0] if homes else 0} homes, {rows[0] if rows else 0} app_hourly rows")
        conn.execute("DELETE FROM findings")
        t = time.perf_counter()
        segments = segment_job.compute_segments(conn, DAY)
        t_seg = time.perf_counter() - t
        t = time.perf_counter()
        struggling = struggling_job.run_daily(conn, DAY, segments)
        t_str = time.perf_counter() - t
        t = time.perf_counter()
        activity = activity_job.run_daily(conn, DAY, segments)
        t_act = time.perf_counter() - t
        # Steady state: the days before were stored by their own runs, and the day's hours were added by the hourly
        # cohort job as each ended (timed here hour by hour: the cost the hourly job carries).
        conn.execute("TRUNCATE cohort_home_daily, cohort_hours_done")
        t = time.perf_counter()
        for k in range(1, cohort_job.BEFORE_DAYS + 1):
            cohort_job.store_day(conn, DAY - timedelta(days=k))
        t_before = time.perf_counter() - t
        day_start = datetime.combine(DAY, datetime.min.time(), UTC)
        t_hours = []
        for hour in range(24):
            t = time.perf_counter()
            cohort_job.add_hours(conn, day_start + timedelta(hours=hour), day_start + timedelta(hours=hour + 1))
            t_hours.append(time.perf_counter() - t)
        t = time.perf_counter()
        cohorts = cohort_job.run_daily(conn, DAY)
        t_coh = time.perf_counter() - t
        t = time.perf_counter()
        hourly = cohort_job.run_hourly(conn, datetime.combine(DAY, datetime.min.time(), UTC) + timedelta(hours=21))
        t_hourly = time.perf_counter() - t
        t = time.perf_counter()
        usage = qoe_job.update_device_usage(conn, DAY)
        t_usage = time.perf_counter() - t
        air, t_air, air_homes = 0, 0.0, None
        if not args.skip_air:
            t = time.perf_counter()
            air = qoe_job.update_air_normal(conn, DAY)
            t_air = time.perf_counter() - t
            air_homes = conn.execute("SELECT count(DISTINCT home_key) FROM air_normal WHERE day = %s",
                                     (DAY,)).fetchone()
    print(f"segments:          {t_seg:6.1f} s  ({len(segments)} homes)")
    print(f"struggling list:   {t_str:6.1f} s  ({struggling} homes listed)")
    print(f"activity change:   {t_act:6.1f} s  ({activity} homes listed)")
    print(f"  together:        {t_str + t_act:6.1f} s  (target <= 60 s)")
    print(f"cohorts:           {t_coh:6.1f} s  ({len(cohorts)} findings: "
          f"{', '.join(f'{c.model}/{c.firmware} {c.component}' for c in cohorts)}; target <= 10 s)")
    print(f"  days before:     {t_before:6.1f} s  (storing the {cohort_job.BEFORE_DAYS} days before in one pass each, "
          "untimed above: their hours were added as they ended)")
    print(f"  hour by hour:    {statistics.median(t_hours):6.2f} s  median per hour, {sum(t_hours):.1f} s for the "
          "day's 24 (the hourly cohort job adds each hour as it ends; untimed above)")
    print(f"cohorts, hourly:   {t_hourly:6.1f} s  ({len(hourly)} findings over the 6 hours to 21:00)")
    print(f"device usage:      {t_usage:6.1f} s  ({usage} devices' usual share over 7 days of app_daily)")
    n_air = air_homes[0] if air_homes else 0
    if not args.skip_air:
        print(f"air normal:        {t_air:6.1f} s  ({air} rows for {n_air} homes from 14 days of qoe_hourly; "
              f"{t_air * 100_000 / max(n_air, 1):.0f} s per 100,000 homes at this rate)")
    print(f"at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; day analysed {DAY} (+{timedelta(days=1)})")


if __name__ == "__main__":
    main()
