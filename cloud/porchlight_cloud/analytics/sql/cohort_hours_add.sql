-- Add the residuals of every hour in [%(start)s, %(end)s) not added yet to each home's day (UTC) in
-- cohort_home_daily, and record those hours in cohort_hours_done (an hour without scores too: it is not looked at
-- again). A residual is the home's hourly value minus the mean of all homes in the same region and hour (raw
-- metrics negated: lower is worse); round trip and jitter also against the other homes behind the same access node
-- in the same hour (leave one out). %(start)s and %(end)s are on the hour.
WITH todo AS (
    SELECT b AS bucket
    FROM generate_series(%(start)s::timestamptz, %(end)s::timestamptz - interval '1 hour', interval '1 hour') b
    WHERE NOT EXISTS (SELECT 1 FROM cohort_hours_done d WHERE d.bucket = b)
),
q AS (
    SELECT * FROM cohort_hour_values(%(start)s, %(end)s) WHERE bucket IN (SELECT bucket FROM todo)
),
strata AS (
    SELECT region, bucket, avg(wifi) AS wifi, avg(access) AS access, avg(health) AS health,
           avg(stability) AS stability, avg(rtt) AS rtt, avg(jitter) AS jitter, avg(cpu) AS cpu
    FROM q GROUP BY region, bucket
),
nodes AS (  -- sums and counts behind each node and hour: each home is compared with the others (leave one out)
    SELECT node, bucket, sum(rtt) AS rtt, count(rtt) AS n_rtt, sum(jitter) AS jitter, count(jitter) AS n_jitter
    FROM q GROUP BY node, bucket
),
done AS (
    INSERT INTO cohort_hours_done (bucket, homes)
    SELECT t.bucket, count(q.home_key) FROM todo t LEFT JOIN q USING (bucket) GROUP BY t.bucket
),
r AS (
    SELECT (q.bucket AT TIME ZONE 'UTC')::date AS day, q.home_key,
           q.wifi - s.wifi AS wifi, q.access - s.access AS access, q.health - s.health AS health,
           q.stability - s.stability AS stability, q.rtt - s.rtt AS rtt, q.jitter - s.jitter AS jitter,
           q.cpu - s.cpu AS cpu,
           q.rtt - (n.rtt - q.rtt) / nullif(n.n_rtt - 1, 0) AS rtt_node,
           q.jitter - (n.jitter - q.jitter) / nullif(n.n_jitter - 1, 0) AS jitter_node
    FROM q JOIN strata s USING (region, bucket) JOIN nodes n USING (node, bucket)
)
INSERT INTO cohort_home_daily AS c (
    day, home_key, hours, wifi_sum, wifi_hours, access_sum, access_hours, health_sum, health_hours,
    stability_sum, stability_hours, rtt_sum, rtt_hours, jitter_sum, jitter_hours, cpu_sum, cpu_hours,
    rtt_node_sum, rtt_node_hours, jitter_node_sum, jitter_node_hours)
SELECT day, home_key, count(*),
       coalesce(sum(wifi), 0), count(wifi), coalesce(sum(access), 0), count(access),
       coalesce(sum(health), 0), count(health), coalesce(sum(stability), 0), count(stability),
       coalesce(sum(rtt), 0), count(rtt), coalesce(sum(jitter), 0), count(jitter), coalesce(sum(cpu), 0), count(cpu),
       coalesce(sum(rtt_node), 0), count(rtt_node), coalesce(sum(jitter_node), 0), count(jitter_node)
FROM r GROUP BY day, home_key
ON CONFLICT (day, home_key) DO UPDATE SET
    hours = c.hours + EXCLUDED.hours,
    wifi_sum = c.wifi_sum + EXCLUDED.wifi_sum, wifi_hours = c.wifi_hours + EXCLUDED.wifi_hours,
    access_sum = c.access_sum + EXCLUDED.access_sum, access_hours = c.access_hours + EXCLUDED.access_hours,
    health_sum = c.health_sum + EXCLUDED.health_sum, health_hours = c.health_hours + EXCLUDED.health_hours,
    stability_sum = c.stability_sum + EXCLUDED.stability_sum,
    stability_hours = c.stability_hours + EXCLUDED.stability_hours,
    rtt_sum = c.rtt_sum + EXCLUDED.rtt_sum, rtt_hours = c.rtt_hours + EXCLUDED.rtt_hours,
    jitter_sum = c.jitter_sum + EXCLUDED.jitter_sum, jitter_hours = c.jitter_hours + EXCLUDED.jitter_hours,
    cpu_sum = c.cpu_sum + EXCLUDED.cpu_sum, cpu_hours = c.cpu_hours + EXCLUDED.cpu_hours,
    rtt_node_sum = c.rtt_node_sum + EXCLUDED.rtt_node_sum, rtt_node_hours = c.rtt_node_hours + EXCLUDED.rtt_node_hours,
    jitter_node_sum = c.jitter_node_sum + EXCLUDED.jitter_node_sum,
    jitter_node_hours = c.jitter_node_hours + EXCLUDED.jitter_node_hours
