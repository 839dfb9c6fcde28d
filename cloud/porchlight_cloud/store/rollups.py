"""Hourly and daily rollups per home, maintained incrementally from the buckets ingest marked dirty.

The Apache edition has no continuous aggregates (and ours aggregate over the per-report array columns, which
continuous aggregates cannot unnest), so the cloud does the same work itself: every ingest batch marks the
(home, hour) buckets it touched in ``rollup_dirty``; once an hour has ended (plus a grace period for
stragglers) ``run`` claims its marks, recomputes ``home_hourly`` from the raw report rows with INSERT ...
SELECT ... ON CONFLICT DO UPDATE and marks the day; once a day has ended it recomputes ``home_daily`` and
``app_daily``. App counters wait in ``app_pending`` and are folded into ``app_hourly`` when their hour is due.
Late data therefore catches up by itself, and each retained rollup row is normally written once (no update
churn, no bloat).

Correctness with concurrent ingest: the claim DELETEs the marks (locking them) before the recompute statement
takes its snapshot; an ingest transaction that marks the same bucket either committed before (its rows are
visible) or waits for our commit and then inserts a fresh mark (recomputed next round).
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any, Final

import psycopg

BATCH: Final = 500

FOLD_BATCH: Final = 50_000
# An hour is rolled up once it has ended and ``grace`` seconds passed for stragglers (or at once with
# include_open): the retained rollup rows are then written about once, which keeps them free of bloat.
_NOW = "coalesce(%(now)s::timestamptz, now())"
_DUE = f"(bucket + interval '1 hour' <= {_NOW} - make_interval(secs => %(grace)s) OR %(all)s)"
_CLAIM = f"""
DELETE FROM rollup_dirty WHERE (home_key, bucket) IN (
    SELECT home_key, bucket FROM rollup_dirty WHERE {_DUE}
    ORDER BY home_key, bucket LIMIT %(limit)s FOR UPDATE SKIP LOCKED)
RETURNING home_key, bucket
"""
# Move due pending app counters into app_hourly (additive: a late report adds to an hour already folded).
_FOLD = f"""
WITH moved AS (
    DELETE FROM app_pending WHERE ctid IN (SELECT ctid FROM app_pending WHERE {_DUE} LIMIT %(limit)s)
    RETURNING *
), folded AS (
    INSERT INTO app_hourly AS a (home_key, bucket, device_key, app_id, bytes_up, bytes_down, flows, new_flows,
                                 dests_max, active_s)
    SELECT home_key, bucket, device_key, app_id, sum(bytes_up), sum(bytes_down), sum(flows), sum(new_flows),
           max(dests_max), sum(active_s)
    FROM moved GROUP BY home_key, bucket, device_key, app_id ORDER BY home_key, bucket, device_key, app_id
    ON CONFLICT (home_key, bucket, device_key, app_id) DO UPDATE SET
        bytes_up = a.bytes_up + EXCLUDED.bytes_up, bytes_down = a.bytes_down + EXCLUDED.bytes_down,
        flows = a.flows + EXCLUDED.flows, new_flows = a.new_flows + EXCLUDED.new_flows,
        dests_max = greatest(a.dests_max, EXCLUDED.dests_max), active_s = a.active_s + EXCLUDED.active_s
    RETURNING home_key, bucket
)
SELECT (SELECT count(*) FROM moved), array_agg(home_key ORDER BY home_key, bucket),
       array_agg(bucket ORDER BY home_key, bucket)
FROM (SELECT DISTINCT home_key, bucket FROM folded) f
"""
# Days are marked with DO UPDATE (a row lock) for the same reason as rollup_dirty: see the module docstring.
_MARK_DAYS = """
INSERT INTO rollup_dirty_daily AS r (home_key, day)
SELECT DISTINCT home_key, date_trunc('day', bucket, 'UTC')
FROM unnest(%(homes)s::integer[], %(buckets)s::timestamptz[]) AS c(home_key, bucket) ORDER BY 1, 2
ON CONFLICT (home_key, day) DO UPDATE SET marked_at = r.marked_at
"""
_DAY_DUE = f"(day + interval '1 day' <= {_NOW} - make_interval(secs => %(grace)s) OR %(all)s)"
_CLAIM_DAYS = f"""
DELETE FROM rollup_dirty_daily WHERE (home_key, day) IN (
    SELECT home_key, day FROM rollup_dirty_daily WHERE {_DAY_DUE}
    ORDER BY home_key, day LIMIT %(limit)s FOR UPDATE SKIP LOCKED)
RETURNING home_key, day
"""

# Both home rollups (hourly and daily) replace every measured column of a bucket they recompute.
_HOME_MEASURES = (
    "reports",
    "wifi_bytes",
    "signal_dbm",
    "tx_rate_mbps",
    "rx_rate_mbps",
    "retry_pct",
    "busy_pct",
    "busy_max_pct",
    "weak_signal_min",
    "stations_max",
    "first_hop_rtt_ms",
    "first_hop_rtt_p95_ms",
    "first_hop_jitter_ms",
    "first_hop_loss_pct",
    "internet_rtt_ms",
    "internet_rtt_p95_ms",
    "internet_jitter_ms",
    "internet_loss_pct",
    "dns_ms",
    "dns_p95_ms",
    "dns_loss_pct",
    "cpu_pct",
    "cpu_max_pct",
    "mem_used_pct",
    "load1_max",
    "reboots",
    "wan_flaps",
    "wan_down_s",
    "wan_rx_bytes",
    "wan_tx_bytes",
)
_HOME_UPSERT = "ON CONFLICT (home_key, bucket) DO UPDATE SET\n    " + ",\n    ".join(
    f"{c} = EXCLUDED.{c}" for c in _HOME_MEASURES) + "\n"

_HOURLY = """
WITH c AS (
    SELECT DISTINCT * FROM unnest(%(homes)s::integer[], %(buckets)s::timestamptz[]) AS c(home_key, bucket)
),
around AS (   -- the bucket's reports plus 30 minutes before it, to see an uptime reset at the hour's start
    SELECT c.bucket, r.*, b.gateway_key,
           lag(r.uptime_s) OVER (PARTITION BY c.home_key, c.bucket, b.gateway_key ORDER BY r.ts) AS prev_uptime_s
    FROM c JOIN reports r ON r.home_key = c.home_key AND r.ts >= c.bucket - interval '30 minutes'
                         AND r.ts < c.bucket + interval '1 hour'
    JOIN boots b ON b.boot_key = r.boot_key
),
r AS (SELECT * FROM around WHERE ts >= bucket),
health AS (
    SELECT home_key, bucket, count(*) AS reports,
           sum(cpu_pct * health_samples) / nullif(sum(health_samples) FILTER (WHERE cpu_pct IS NOT NULL), 0)
               AS cpu_pct,
           max(cpu_max_pct) AS cpu_max_pct,
           sum(mem_used_pct * health_samples)
               / nullif(sum(health_samples) FILTER (WHERE mem_used_pct IS NOT NULL), 0) AS mem_used_pct,
           max(load1) AS load1_max,
           coalesce(sum(reboots), 0) + count(*) FILTER (WHERE uptime_s < prev_uptime_s) AS reboots,
           sum(wan_flaps) AS wan_flaps, sum(wan_down_s) AS wan_down_s,
           sum(wan_rx_bytes) AS wan_rx_bytes, sum(wan_tx_bytes) AS wan_tx_bytes,
           max(cardinality(st_device)) AS stations_max
    FROM r GROUP BY home_key, bucket
),
st AS (
    SELECT r.home_key, r.bucket, r.st_q[6 * i - 4] AS signal, r.st_q[6 * i - 2] AS tx_rate,
           r.st_q[6 * i - 1] AS rx_rate, r.st_q[6 * i] AS weak_s, r.st_c[4 * i - 1] AS tx_packets,
           r.st_c[4 * i] AS tx_retries, coalesce(r.st_c[4 * i - 3], 0) + coalesce(r.st_c[4 * i - 2], 0) AS traffic
    FROM r, generate_series(1, cardinality(r.st_device)) AS i
),
wifi AS (     -- link quality weighted by traffic (+1 byte, so an idle station still counts a little)
    SELECT home_key, bucket, sum(traffic) AS wifi_bytes,
           sum(signal * (traffic + 1)) / nullif(sum(traffic + 1) FILTER (WHERE signal IS NOT NULL), 0) AS signal_dbm,
           sum(tx_rate * (traffic + 1)) / nullif(sum(traffic + 1) FILTER (WHERE tx_rate IS NOT NULL), 0)
               AS tx_rate_mbps,
           sum(rx_rate * (traffic + 1)) / nullif(sum(traffic + 1) FILTER (WHERE rx_rate IS NOT NULL), 0)
               AS rx_rate_mbps,
           100.0 * sum(tx_retries) / nullif(sum(tx_packets) + sum(tx_retries), 0) AS retry_pct,
           sum(weak_s) / 60.0 AS weak_signal_min
    FROM st GROUP BY home_key, bucket
),
radio AS (
    SELECT r.home_key, r.bucket, avg(r.ra[8 * i - 3]) AS busy_pct, max(r.ra[8 * i - 3]) AS busy_max_pct
    FROM r, generate_series(1, cardinality(r.ra) / 8) AS i GROUP BY r.home_key, r.bucket
),
probe AS (
    SELECT r.home_key, r.bucket,
           CASE WHEN l.name = 'first_hop' THEN 'first_hop' WHEN r.pr[6 * i - 5] = 3 THEN 'dns' ELSE 'internet' END
               AS cls,
           r.pr[6 * i - 4] AS sent, r.pr[6 * i - 3] AS lost, r.pr[6 * i - 2] / 10.0 AS rtt,
           r.pr[6 * i] / 10.0 AS jitter, greatest(coalesce(r.pr[6 * i - 4], 1) - coalesce(r.pr[6 * i - 3], 0), 1)
               AS answered
    FROM r CROSS JOIN LATERAL generate_series(1, cardinality(r.pr_target)) AS i
    JOIN labels l ON l.label_id = r.pr_target[i]
),
qoe AS (
    SELECT home_key, bucket,
           sum(rtt * answered) FILTER (WHERE cls = 'first_hop')
               / nullif(sum(answered) FILTER (WHERE cls = 'first_hop' AND rtt IS NOT NULL), 0) AS first_hop_rtt_ms,
           percentile_cont(0.95) WITHIN GROUP (ORDER BY rtt) FILTER (WHERE cls = 'first_hop') AS first_hop_rtt_p95_ms,
           avg(jitter) FILTER (WHERE cls = 'first_hop') AS first_hop_jitter_ms,
           100.0 * sum(lost) FILTER (WHERE cls = 'first_hop') / nullif(sum(sent) FILTER (WHERE cls = 'first_hop'), 0)
               AS first_hop_loss_pct,
           sum(rtt * answered) FILTER (WHERE cls = 'internet')
               / nullif(sum(answered) FILTER (WHERE cls = 'internet' AND rtt IS NOT NULL), 0) AS internet_rtt_ms,
           percentile_cont(0.95) WITHIN GROUP (ORDER BY rtt) FILTER (WHERE cls = 'internet') AS internet_rtt_p95_ms,
           avg(jitter) FILTER (WHERE cls = 'internet') AS internet_jitter_ms,
           100.0 * sum(lost) FILTER (WHERE cls = 'internet') / nullif(sum(sent) FILTER (WHERE cls = 'internet'), 0)
               AS internet_loss_pct,
           sum(rtt * answered) FILTER (WHERE cls = 'dns')
               / nullif(sum(answered) FILTER (WHERE cls = 'dns' AND rtt IS NOT NULL), 0) AS dns_ms,
           percentile_cont(0.95) WITHIN GROUP (ORDER BY rtt) FILTER (WHERE cls = 'dns') AS dns_p95_ms,
           100.0 * sum(lost) FILTER (WHERE cls = 'dns') / nullif(sum(sent) FILTER (WHERE cls = 'dns'), 0)
               AS dns_loss_pct
    FROM probe GROUP BY home_key, bucket
)
INSERT INTO home_hourly AS t (
    home_key, bucket, reports, wifi_bytes, signal_dbm, tx_rate_mbps, rx_rate_mbps, retry_pct, busy_pct,
    busy_max_pct, weak_signal_min, stations_max,
    first_hop_rtt_ms, first_hop_rtt_p95_ms, first_hop_jitter_ms, first_hop_loss_pct,
    internet_rtt_ms, internet_rtt_p95_ms, internet_jitter_ms, internet_loss_pct, dns_ms, dns_p95_ms, dns_loss_pct,
    cpu_pct, cpu_max_pct, mem_used_pct, load1_max, reboots, wan_flaps, wan_down_s, wan_rx_bytes, wan_tx_bytes)
SELECT h.home_key, h.bucket, h.reports, w.wifi_bytes, w.signal_dbm, w.tx_rate_mbps, w.rx_rate_mbps, w.retry_pct,
       ra.busy_pct, ra.busy_max_pct, w.weak_signal_min, h.stations_max,
       q.first_hop_rtt_ms, q.first_hop_rtt_p95_ms, q.first_hop_jitter_ms, q.first_hop_loss_pct,
       q.internet_rtt_ms, q.internet_rtt_p95_ms, q.internet_jitter_ms, q.internet_loss_pct,
       q.dns_ms, q.dns_p95_ms, q.dns_loss_pct,
       h.cpu_pct, h.cpu_max_pct, h.mem_used_pct, h.load1_max, least(h.reboots, 32767), least(h.wan_flaps, 32767),
       h.wan_down_s, h.wan_rx_bytes, h.wan_tx_bytes
FROM health h
LEFT JOIN wifi w USING (home_key, bucket)
LEFT JOIN radio ra USING (home_key, bucket)
LEFT JOIN qoe q USING (home_key, bucket)
ORDER BY h.home_key, h.bucket
""" + _HOME_UPSERT

# Daily from hourly: sums add up, means are weighted by reports (Wi-Fi by traffic), p95 is the 95th
# percentile of the hourly means, maxima take the maximum.
_DAILY = """
WITH d AS (
    SELECT DISTINCT home_key, date_trunc('day', bucket, 'UTC') AS day
    FROM unnest(%(homes)s::integer[], %(buckets)s::timestamptz[]) AS c(home_key, bucket)
)
INSERT INTO home_daily AS t (
    home_key, bucket, reports, wifi_bytes, signal_dbm, tx_rate_mbps, rx_rate_mbps, retry_pct, busy_pct,
    busy_max_pct, weak_signal_min, stations_max,
    first_hop_rtt_ms, first_hop_rtt_p95_ms, first_hop_jitter_ms, first_hop_loss_pct,
    internet_rtt_ms, internet_rtt_p95_ms, internet_jitter_ms, internet_loss_pct, dns_ms, dns_p95_ms, dns_loss_pct,
    cpu_pct, cpu_max_pct, mem_used_pct, load1_max, reboots, wan_flaps, wan_down_s, wan_rx_bytes, wan_tx_bytes)
SELECT h.home_key, d.day, sum(h.reports), sum(h.wifi_bytes),
       sum(h.signal_dbm * (h.wifi_bytes + 1))
           / nullif(sum(h.wifi_bytes + 1) FILTER (WHERE h.signal_dbm IS NOT NULL), 0),
       sum(h.tx_rate_mbps * (h.wifi_bytes + 1))
           / nullif(sum(h.wifi_bytes + 1) FILTER (WHERE h.tx_rate_mbps IS NOT NULL), 0),
       sum(h.rx_rate_mbps * (h.wifi_bytes + 1))
           / nullif(sum(h.wifi_bytes + 1) FILTER (WHERE h.rx_rate_mbps IS NOT NULL), 0),
       sum(h.retry_pct * (h.wifi_bytes + 1)) / nullif(sum(h.wifi_bytes + 1) FILTER (WHERE h.retry_pct IS NOT NULL), 0),
       sum(h.busy_pct * h.reports) / nullif(sum(h.reports) FILTER (WHERE h.busy_pct IS NOT NULL), 0),
       max(h.busy_max_pct), sum(h.weak_signal_min), max(h.stations_max),
       sum(h.first_hop_rtt_ms * h.reports) / nullif(sum(h.reports) FILTER (WHERE h.first_hop_rtt_ms IS NOT NULL), 0),
       percentile_cont(0.95) WITHIN GROUP (ORDER BY h.first_hop_rtt_ms),
       avg(h.first_hop_jitter_ms), avg(h.first_hop_loss_pct),
       sum(h.internet_rtt_ms * h.reports) / nullif(sum(h.reports) FILTER (WHERE h.internet_rtt_ms IS NOT NULL), 0),
       percentile_cont(0.95) WITHIN GROUP (ORDER BY h.internet_rtt_ms),
       avg(h.internet_jitter_ms), avg(h.internet_loss_pct),
       sum(h.dns_ms * h.reports) / nullif(sum(h.reports) FILTER (WHERE h.dns_ms IS NOT NULL), 0),
       percentile_cont(0.95) WITHIN GROUP (ORDER BY h.dns_ms), avg(h.dns_loss_pct),
       sum(h.cpu_pct * h.reports) / nullif(sum(h.reports) FILTER (WHERE h.cpu_pct IS NOT NULL), 0),
       max(h.cpu_max_pct),
       sum(h.mem_used_pct * h.reports) / nullif(sum(h.reports) FILTER (WHERE h.mem_used_pct IS NOT NULL), 0),
       max(h.load1_max), sum(h.reboots), sum(h.wan_flaps), sum(h.wan_down_s), sum(h.wan_rx_bytes), sum(h.wan_tx_bytes)
FROM d JOIN home_hourly h ON h.home_key = d.home_key AND h.bucket >= d.day AND h.bucket < d.day + interval '1 day'
GROUP BY h.home_key, d.day
ORDER BY h.home_key, d.day
""" + _HOME_UPSERT

_APP_DAILY = """
WITH d AS (
    SELECT DISTINCT home_key, date_trunc('day', bucket, 'UTC') AS day
    FROM unnest(%(homes)s::integer[], %(buckets)s::timestamptz[]) AS c(home_key, bucket)
)
INSERT INTO app_daily AS t (home_key, bucket, device_key, app_id, bytes_up, bytes_down, flows, new_flows,
                            dests_max, active_s)
SELECT a.home_key, d.day, a.device_key, a.app_id, sum(a.bytes_up), sum(a.bytes_down), sum(a.flows),
       sum(a.new_flows), max(a.dests_max), sum(a.active_s)
FROM d JOIN app_hourly a ON a.home_key = d.home_key AND a.bucket >= d.day AND a.bucket < d.day + interval '1 day'
GROUP BY a.home_key, d.day, a.device_key, a.app_id
ORDER BY a.home_key, d.day, a.device_key, a.app_id
ON CONFLICT (home_key, bucket, device_key, app_id) DO UPDATE SET
    bytes_up = EXCLUDED.bytes_up, bytes_down = EXCLUDED.bytes_down, flows = EXCLUDED.flows,
    new_flows = EXCLUDED.new_flows, dests_max = EXCLUDED.dests_max, active_s = EXCLUDED.active_s
"""


def roll_up_hours(cur: psycopg.Cursor[Any], buckets: list[tuple[int, datetime]]) -> None:
    """Recompute home_hourly for the given (home_key, hour) buckets and mark their days."""
    params = {"homes": [b[0] for b in buckets], "buckets": [b[1] for b in buckets]}
    cur.execute(_HOURLY, params)
    cur.execute(_MARK_DAYS, params)


def roll_up_days(cur: psycopg.Cursor[Any], days: list[tuple[int, datetime]]) -> None:
    """Recompute home_daily and app_daily for the given (home_key, day) pairs."""
    params = {"homes": [d[0] for d in days], "buckets": [d[1] for d in days]}
    cur.execute(_DAILY, params)
    cur.execute(_APP_DAILY, params)


def run(conn: psycopg.Connection[Any], grace_s: float = 0.0, include_open: bool = False,
        stop: threading.Event | None = None, batch: int = BATCH, now: datetime | None = None) -> int:
    """Fold due app counters and roll up every due marked bucket, in small transactions; return the hours.

    Due: the hour (day) ended ``grace_s`` ago or more, or any with ``include_open``. ``now`` defaults to the
    database clock (benchmarks replaying a past day pass their simulated time).
    """
    due = {"grace": grace_s, "all": include_open, "now": now}
    while stop is None or not stop.is_set():
        with conn.transaction(), conn.cursor() as cur:
            moved, homes, buckets = cur.execute(_FOLD, {**due, "limit": FOLD_BATCH}).fetchone() or (0, None, None)
            if homes:
                cur.execute(_MARK_DAYS, {"homes": homes, "buckets": buckets})
        if moved < FOLD_BATCH:
            break
    done = 0
    for claim, step in ((_CLAIM, roll_up_hours), (_CLAIM_DAYS, roll_up_days)):
        while stop is None or not stop.is_set():
            with conn.transaction(), conn.cursor() as cur:
                claimed = cur.execute(claim, {**due, "limit": batch}).fetchall()
                if claimed:
                    step(cur, [(home, bucket) for home, bucket in claimed])
            if step is roll_up_hours:
                done += len(claimed)
            if len(claimed) < batch:
                break
    return done


def pending(conn: psycopg.Connection[Any]) -> int:
    """Buckets waiting for the rollup job."""
    row = conn.execute("SELECT count(*) FROM rollup_dirty").fetchone()
    return int(row[0]) if row else 0
