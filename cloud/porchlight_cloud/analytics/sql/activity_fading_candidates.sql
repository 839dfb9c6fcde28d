-- Households whose last two days of WAN traffic (to %(day)s) fell far below their normal (the median of the days
-- before the last week, up to three weeks), after dividing by the fleet's own ratio (a holiday quiets everyone).
-- Returns the fleet ratio with each candidate.
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
           count(*) FILTER (WHERE day <= %(day)s::date - 7) AS nprior
    FROM d GROUP BY home_key
),
fleet AS MATERIALIZED (
    SELECT coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY recent / prior), 1.0) AS ratio
    FROM s WHERE prior > 0 AND nprior >= %(min_prior_days)s
)
SELECT s.home_key, fleet.ratio AS fleet_ratio
FROM s, fleet
WHERE s.prior > 0 AND s.nprior >= %(min_prior_days)s
  AND s.recent / s.prior / greatest(fleet.ratio, 0.01) < %(max_relative)s
