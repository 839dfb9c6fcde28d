-- Store each home's mean residual per QoE component and raw metric over the day %(day)s (UTC): its hourly value
-- minus the mean of all homes in the same region and hour of that day (raw metrics negated: lower is worse); round
-- trip and jitter also against the other homes behind the same access node in the same hour.
-- Recomputing a day replaces its rows.
WITH q AS (
    SELECT * FROM cohort_hour_values
    WHERE bucket >= %(day)s::date::timestamptz AND bucket < (%(day)s::date + 1)::timestamptz
),
strata AS (
    SELECT region, hod, avg(wifi) AS wifi, avg(access) AS access, avg(health) AS health, avg(stability) AS stability,
           avg(rtt) AS rtt, avg(jitter) AS jitter, avg(cpu) AS cpu
    FROM q GROUP BY region, hod
),
nodes AS (  -- sums and counts behind each node and hour: each home is compared with the others (leave one out)
    SELECT node, hod, sum(rtt) AS rtt, count(rtt) AS n_rtt, sum(jitter) AS jitter, count(jitter) AS n_jitter
    FROM q GROUP BY node, hod
)
INSERT INTO cohort_home_daily AS c (day, home_key, hours, wifi, access, health, stability, rtt_ms, jitter_ms, cpu_pct,
                                    rtt_node_ms, jitter_node_ms)
SELECT %(day)s::date, q.home_key, count(*),
       avg(q.wifi - s.wifi), avg(q.access - s.access), avg(q.health - s.health), avg(q.stability - s.stability),
       avg(q.rtt - s.rtt), avg(q.jitter - s.jitter), avg(q.cpu - s.cpu),
       avg(q.rtt - (n.rtt - q.rtt) / nullif(n.n_rtt - 1, 0)),
       avg(q.jitter - (n.jitter - q.jitter) / nullif(n.n_jitter - 1, 0))
FROM q JOIN strata s USING (region, hod) JOIN nodes n USING (node, hod)
GROUP BY q.home_key
ON CONFLICT (day, home_key) DO UPDATE SET
    hours = EXCLUDED.hours, wifi = EXCLUDED.wifi, access = EXCLUDED.access, health = EXCLUDED.health,
    stability = EXCLUDED.stability, rtt_ms = EXCLUDED.rtt_ms, jitter_ms = EXCLUDED.jitter_ms, cpu_pct = EXCLUDED.cpu_pct,
    rtt_node_ms = EXCLUDED.rtt_node_ms, jitter_node_ms = EXCLUDED.jitter_node_ms
