-- The cohort passes' hourly values over an hour range, in place of the view cohort_hour_values (migration 075).
-- Through the view the range reached qoe_hourly only: home_hourly was probed in every chunk once per home-hour
-- (the hourly cohort pass's 6-hour window took 3.9-5.1 s to read at 100,000 homes; through this function 2.2-2.5 s).
-- A SQL function of one SELECT is inlined by the planner, so the range is known when chunks are excluded.
DROP VIEW cohort_hour_values;

-- Each home-hour scored in [range_start, range_end) with what the cohort tests compare: the four QoE components
-- (points) and three raw metrics, negated so that lower is worse (ms of internet round trip and jitter, % gateway
-- CPU), with the home's region, access node and the hour of the day (UTC) its strata are made of.
CREATE FUNCTION cohort_hour_values(range_start timestamptz, range_end timestamptz)
RETURNS TABLE (home_key integer, bucket timestamptz, region text, node text, hod integer,
               wifi real, access real, health real, stability real, rtt real, jitter real, cpu real)
LANGUAGE sql STABLE AS $$
    SELECT q.home_key, q.bucket, coalesce(h.region, '-'), coalesce(h.node, '-'),
           extract(hour FROM q.bucket AT TIME ZONE 'UTC')::integer,
           q.wifi, q.access, q.health, q.stability,
           -hh.internet_rtt_ms, -hh.internet_jitter_ms, -hh.cpu_pct
    FROM qoe_hourly q
    JOIN homes h ON h.home_key = q.home_key
    LEFT JOIN home_hourly hh ON hh.home_key = q.home_key AND hh.bucket = q.bucket
                            AND hh.bucket >= range_start AND hh.bucket < range_end
    WHERE q.bucket >= range_start AND q.bucket < range_end
$$;
