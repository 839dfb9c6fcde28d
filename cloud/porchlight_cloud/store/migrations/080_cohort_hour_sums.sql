-- Cohort residuals added up hour by hour (issue 7: the daily cohort pass for 100,000 homes within 10 s).
-- Storing a day's residuals in one pass over its 2.4 M hourly scores took most of the daily cohort pass. Each
-- hour's residuals are now added to the home's day as soon as the hour is final (the hourly cohort job, 15 minutes
-- after the hour ends), so the daily pass only adds the hours the schedule missed and reads the sums.
-- cohort_home_daily is derived data (recomputed from qoe_hourly whenever a day is missing), so the old table of
-- daily means is dropped rather than converted.
DROP TABLE cohort_home_daily;

-- One row per home and day (UTC): per quantity, the sum of the home's hourly residuals and the hours summed (a
-- quantity missing in an hour adds nothing to either). A residual is the home's hourly value minus the mean of all
-- homes in the same region and hour; raw metrics are negated so that lower is worse for every column, as in the
-- QoE components. Only the last weeks are kept (the daily job deletes older rows).
CREATE TABLE cohort_home_daily (
    day              date NOT NULL,
    home_key         integer NOT NULL,
    hours            smallint NOT NULL,              -- scored hours of the home added so far
    wifi_sum         real NOT NULL DEFAULT 0,        -- QoE component residuals (points, 0-100 scale)
    wifi_hours       smallint NOT NULL DEFAULT 0,
    access_sum       real NOT NULL DEFAULT 0,
    access_hours     smallint NOT NULL DEFAULT 0,
    health_sum       real NOT NULL DEFAULT 0,
    health_hours     smallint NOT NULL DEFAULT 0,
    stability_sum    real NOT NULL DEFAULT 0,
    stability_hours  smallint NOT NULL DEFAULT 0,
    rtt_sum          real NOT NULL DEFAULT 0,        -- internet round trip residual (ms, negated)
    rtt_hours        smallint NOT NULL DEFAULT 0,
    jitter_sum       real NOT NULL DEFAULT 0,        -- internet jitter residual (ms, negated)
    jitter_hours     smallint NOT NULL DEFAULT 0,
    cpu_sum          real NOT NULL DEFAULT 0,        -- gateway CPU residual (percentage points, negated)
    cpu_hours        smallint NOT NULL DEFAULT 0,
    -- Round trip and jitter against the other homes behind the same access node in the same hour (ms, negated;
    -- an hour without such a neighbour adds nothing): the line technology (fibre, cable, DSL) is the node's, so a
    -- cohort whose homes happen to sit on slower lines is no slower than its neighbours.
    rtt_node_sum     real NOT NULL DEFAULT 0,
    rtt_node_hours   smallint NOT NULL DEFAULT 0,
    jitter_node_sum  real NOT NULL DEFAULT 0,
    jitter_node_hours smallint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, home_key)
) WITH (fillfactor = 50);  -- each row is updated once an hour: room on its page keeps the updates off the index (HOT)

-- The hours (UTC, on the hour) whose residuals are in cohort_home_daily: each is added once, and recomputing a day
-- deletes its hours here together with its rows there.
CREATE TABLE cohort_hours_done (
    bucket   timestamptz PRIMARY KEY,
    homes    integer NOT NULL,                        -- homes with a score that hour
    added_at timestamptz NOT NULL DEFAULT now()
);

-- Every hour's pass (the cohort residuals of the hour just ended, the hourly cohort tests over the last hours) reads
-- one hour of all homes' scores and home rollups; in 7-day chunks that was a scan of 17 M rows of each for 100,000
-- at 100,000 homes. Day-long chunks (2.4 M rows at 100,000 homes) make each such pass read a day, not a week. (An index on the hour was tried: with
-- the date-typed day bounds of the daily queries, which are only known at execution, the planner then expected one
-- row and chose nested loops over the whole day.) Chunks made from now on take the new length.
SELECT set_chunk_time_interval('qoe_hourly', interval '1 day');
SELECT set_chunk_time_interval('home_hourly', interval '1 day');
