-- Households whose last two days of WAN traffic (to %(day)s) fell far below their normal (the median of the days
-- before the last week, up to three weeks), after dividing by the fleet's own ratio (a holiday quiets everyone).
-- Returns with each candidate the fleet's ratio over the last two days and the fleet's own change on each of the
-- last %(days)s days (the median over homes of the day against their normal: a weekend lifts every home on its own
-- days, so the fading check divides each day of a household by the fleet's figure for that day).
WITH d AS (
    SELECT home_key, bucket::date AS day,
           (coalesce(wan_rx_bytes, 0) + coalesce(wan_tx_bytes, 0))::double precision AS b
    FROM home_daily
    WHERE bucket >= %(day)s::date - 27 AND bucket < %(day)s::date + 1
),
s AS MATERIALIZED (
    SELECT home_key,
           sum(b) FILTER (WHERE day > %(day)s::date - 2) / 2.0 AS recent,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY b) FILTER (WHERE day <= %(day)s::date - 7) AS prior,
           count(*) FILTER (WHERE day <= %(day)s::date - 7) AS nprior,
           array_agg(day ORDER BY day) FILTER (WHERE day > %(day)s::date - %(days)s) AS last_days,
           array_agg(b ORDER BY day) FILTER (WHERE day > %(day)s::date - %(days)s) AS last_bytes
    FROM d GROUP BY home_key
),
fleet AS MATERIALIZED (
    SELECT coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY recent / prior), 1.0) AS ratio
    FROM s WHERE prior > 0 AND nprior >= %(min_prior_days)s
),
fleet_days AS MATERIALIZED (
    -- Each home's last days are unnested from its own row: a join of the days to the homes was planned as a nested
    -- loop (the day bounds are parameters, so the planner expects one row) and ran for minutes at 100,000 homes.
    SELECT array_agg(day ORDER BY day) AS days, array_agg(ratio ORDER BY day) AS ratios
    FROM (
        SELECT u.day, percentile_cont(0.5) WITHIN GROUP (ORDER BY u.b / s.prior) AS ratio
        FROM s CROSS JOIN LATERAL unnest(s.last_days, s.last_bytes) AS u(day, b)
        WHERE s.prior > 0 AND s.nprior >= %(min_prior_days)s
        GROUP BY u.day
    ) per_day
)
SELECT s.home_key, fleet.ratio AS fleet_ratio, fleet_days.days, fleet_days.ratios
FROM s, fleet, fleet_days
WHERE s.prior > 0 AND s.nprior >= %(min_prior_days)s
  AND s.recent / s.prior / greatest(fleet.ratio, 0.01) < %(max_relative)s
