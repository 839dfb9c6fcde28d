-- Each home's day against its region, kept for the cohort tests (issue 7: cohorts within 10 s for 100,000 homes).
-- The daily cohort job compares every home's day with the days before it; reading those days' hourly scores again
-- every day (three times the rows of the day itself) was most of its time. It now keeps each home's daily mean
-- residual here once, and the change test reads three small rows per home instead of 72 hourly ones.
-- One row per home and day (UTC). A residual is the home's hourly value minus the mean of all homes in the same
-- region and hour of that day, averaged over the home's hours of the day; raw metrics are negated so that lower
-- is worse for every column, as in the QoE components. Only the last weeks are kept (the job deletes older rows).
CREATE TABLE cohort_home_daily (
    day        date NOT NULL,
    home_key   integer NOT NULL,
    hours      smallint NOT NULL,   -- scored hours of the home that day
    wifi       real,                -- QoE component residuals (points, 0-100 scale)
    access     real,
    health     real,
    stability  real,
    rtt_ms     real,                -- internet round trip residual (ms, negated)
    jitter_ms  real,                -- internet jitter residual (ms, negated)
    cpu_pct    real,                -- gateway CPU residual (percentage points, negated)
    -- Round trip and jitter against the other homes behind the same access node in the same hour (ms, negated;
    -- NULL without such a neighbour): the line technology (fibre, cable, DSL) is the node's, so a cohort whose homes
    -- happen to sit on slower lines is no slower than its neighbours.
    rtt_node_ms    real,
    jitter_node_ms real,
    PRIMARY KEY (day, home_key)
);

-- Each scored home-hour with what the cohort tests compare: the four QoE components (points) and three raw metrics,
-- negated so that lower is worse (ms of internet round trip and jitter, % gateway CPU), with the home's region,
-- access node and the hour of the day (UTC) its strata are made of. Read with a bucket range; the planner pushes it down.
CREATE VIEW cohort_hour_values AS
SELECT q.home_key, q.bucket, coalesce(h.region, '-') AS region, coalesce(h.node, '-') AS node,
       extract(hour FROM q.bucket)::integer AS hod,
       q.wifi, q.access, q.health, q.stability,
       -hh.internet_rtt_ms AS rtt, -hh.internet_jitter_ms AS jitter, -hh.cpu_pct AS cpu
FROM qoe_hourly q
JOIN homes h USING (home_key)
LEFT JOIN home_hourly hh ON hh.home_key = q.home_key AND hh.bucket = q.bucket;
