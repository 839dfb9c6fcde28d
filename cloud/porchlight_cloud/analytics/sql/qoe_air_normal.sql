-- Per home, band and hour of the day in %(hours)s: its normal foreign busy time from the newest air_normal day
-- before %(start)s (up to 3 days old, so one missed daily run does not drop the comparison).
SELECT DISTINCT ON (home_key, band_dghz, hour) home_key, band_dghz, hour, foreign_busy_pct
FROM air_normal
WHERE day < %(start)s::date AND day >= %(start)s::date - 3 AND hour = ANY(%(hours)s)
ORDER BY home_key, band_dghz, hour, day DESC
