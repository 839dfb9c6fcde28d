-- Each home's state at %(now)s from its raw probe results of the last %(window)s (the latest report's probes)
-- and its last report in the last %(lookback)s; its normal round trip (and the part of it beyond the first hop)
-- from the hourly rollups before the hour.
WITH per_report AS (
    SELECT p.home_key, p.ts, sum(p.lost)::integer AS lost, sum(p.sent)::integer AS sent,
           avg(p.rtt_ms) FILTER (WHERE p.target <> 'first_hop') AS rtt_ms,
           avg(p.rtt_ms) FILTER (WHERE p.target = 'first_hop') AS first_hop_rtt_ms
    FROM probe_samples p
    WHERE p.ts > %(now)s - %(window)s::interval AND p.ts <= %(now)s AND p.kind <> 'dns'
    GROUP BY p.home_key, p.ts
),
latest AS (
    SELECT DISTINCT ON (home_key) home_key, ts, lost, sent, rtt_ms, first_hop_rtt_ms
    FROM per_report ORDER BY home_key, ts DESC
),
last_report AS (
    SELECT home_key, max(ts) AS last_ts
    FROM reports WHERE ts > %(now)s - %(lookback)s::interval AND ts <= %(now)s
    GROUP BY home_key
),
normal AS (
    SELECT home_key, percentile_cont(0.5) WITHIN GROUP (ORDER BY internet_rtt_ms) AS normal_rtt_ms,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY internet_rtt_ms - first_hop_rtt_ms)
               FILTER (WHERE first_hop_rtt_ms IS NOT NULL) AS normal_excess_ms
    FROM home_hourly
    WHERE bucket >= %(now)s - interval '2 days' AND bucket < date_trunc('hour', %(now)s) - interval '1 hour'
      AND internet_rtt_ms IS NOT NULL
    GROUP BY home_key
),
first_bad AS (
    SELECT pr.home_key, min(pr.ts) AS first_bad
    FROM per_report pr LEFT JOIN normal n USING (home_key)
    WHERE (pr.lost >= %(min_lost)s AND 100.0 * pr.lost / nullif(pr.sent, 0) >= %(loss_pct)s)
       OR pr.rtt_ms >= greatest(n.normal_rtt_ms * %(rtt_factor)s, n.normal_rtt_ms + %(rtt_extra_ms)s)
       OR pr.rtt_ms - pr.first_hop_rtt_ms - n.normal_excess_ms
              >= greatest(%(excess_rise_ms)s, %(excess_rise_share)s * greatest(n.normal_excess_ms, 0))
    GROUP BY pr.home_key
)
SELECT h.home_id, h.region, h.area, h.node, lr.last_ts AS last_report, l.lost, l.sent, l.rtt_ms, n.normal_rtt_ms,
       coalesce(fb.first_bad, CASE WHEN lr.last_ts <= %(now)s - %(stale)s::interval THEN lr.last_ts END) AS first_bad,
       l.first_hop_rtt_ms, n.normal_excess_ms
FROM last_report lr
JOIN homes h USING (home_key)
LEFT JOIN latest l USING (home_key)
LEFT JOIN normal n USING (home_key)
LEFT JOIN first_bad fb USING (home_key)
