-- Each home's model and firmware and its MEDIAN hourly residual over [%(start)s, %(end)s) per quantity (its value
-- minus the mean of its region's homes in the same hour), not the mean: the hourly cohort pass looks at a few hours, where one hour (the upgrade's own reboot) would dominate a mean,
-- while a defect (clients dropping, added latency) shows in most hours and moves the median.
WITH q AS (
    SELECT * FROM cohort_hour_values(%(start)s, %(end)s)
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
       percentile_cont(0.5) WITHIN GROUP (ORDER BY q.wifi - s.wifi) AS wifi,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY q.access - s.access) AS access,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY q.health - s.health) AS health,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY q.stability - s.stability) AS stability,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY q.rtt - s.rtt) AS rtt_ms,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY q.jitter - s.jitter) AS jitter_ms,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY q.cpu - s.cpu) AS cpu_pct
FROM q JOIN strata s USING (region, hod) JOIN gw USING (home_key)
GROUP BY q.home_key, gw.model, gw.firmware
