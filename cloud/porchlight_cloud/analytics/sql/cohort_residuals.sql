-- Per home over [%(start)s, %(end)s): its gateway's model and firmware and, per QoE component and raw metric
-- (negated: lower is worse), the mean of (its hourly value - the mean of all homes in the same region and hour).
WITH q AS (
    SELECT q.home_key, coalesce(h.region, '-') AS region, extract(hour FROM q.bucket)::integer AS hod,
           q.wifi, q.access, q.health, q.stability,
           -hh.internet_rtt_ms AS rtt, -hh.internet_jitter_ms AS jitter, -hh.cpu_pct AS cpu
    FROM qoe_hourly q
    JOIN homes h USING (home_key)
    LEFT JOIN home_hourly hh ON hh.home_key = q.home_key AND hh.bucket = q.bucket
    WHERE q.bucket >= %(start)s AND q.bucket < %(end)s
),
strata AS (
    SELECT region, hod, avg(wifi) AS wifi, avg(access) AS access, avg(health) AS health, avg(stability) AS stability,
           avg(rtt) AS rtt, avg(jitter) AS jitter, avg(cpu) AS cpu
    FROM q GROUP BY region, hod
),
gw AS (
    SELECT DISTINCT ON (home_key) home_key, model, firmware
    FROM gateways WHERE model IS NOT NULL AND firmware IS NOT NULL
    ORDER BY home_key, last_seen DESC NULLS LAST
)
SELECT q.home_key, gw.model, gw.firmware,
       avg(q.wifi - s.wifi) AS wifi, avg(q.access - s.access) AS access,
       avg(q.health - s.health) AS health, avg(q.stability - s.stability) AS stability,
       avg(q.rtt - s.rtt) AS rtt_ms, avg(q.jitter - s.jitter) AS jitter_ms, avg(q.cpu - s.cpu) AS cpu_pct
FROM q JOIN strata s USING (region, hod) JOIN gw USING (home_key)
GROUP BY q.home_key, gw.model, gw.firmware
