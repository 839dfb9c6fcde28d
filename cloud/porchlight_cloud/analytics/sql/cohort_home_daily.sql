-- Store each home's mean residual per QoE component and raw metric over the day %(day)s (UTC): its hourly value
-- minus the mean of all homes in the same region and hour of that day (raw metrics negated: lower is worse).
-- Recomputing a day replaces its rows.
WITH q AS (
    SELECT * FROM cohort_hour_values
    WHERE bucket >= %(day)s::date::timestamptz AND bucket < (%(day)s::date + 1)::timestamptz
),
strata AS (
    SELECT region, hod, avg(wifi) AS wifi, avg(access) AS access, avg(health) AS health, avg(stability) AS stability,
           avg(rtt) AS rtt, avg(jitter) AS jitter, avg(cpu) AS cpu
    FROM q GROUP BY region, hod
)
INSERT INTO cohort_home_daily AS c (day, home_key, hours, wifi, access, health, stability, rtt_ms, jitter_ms, cpu_pct)
SELECT %(day)s::date, q.home_key, count(*),
       avg(q.wifi - s.wifi), avg(q.access - s.access), avg(q.health - s.health), avg(q.stability - s.stability),
       avg(q.rtt - s.rtt), avg(q.jitter - s.jitter), avg(q.cpu - s.cpu)
FROM q JOIN strata s USING (region, hod)
GROUP BY q.home_key
ON CONFLICT (day, home_key) DO UPDATE SET
    hours = EXCLUDED.hours, wifi = EXCLUDED.wifi, access = EXCLUDED.access, health = EXCLUDED.health,
    stability = EXCLUDED.stability, rtt_ms = EXCLUDED.rtt_ms, jitter_ms = EXCLUDED.jitter_ms, cpu_pct = EXCLUDED.cpu_pct
