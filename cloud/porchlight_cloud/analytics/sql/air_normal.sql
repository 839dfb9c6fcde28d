-- Per home, band and hour of the day: the median busy time not caused by the home over the %(days)s days ending
-- with %(day)s (from qoe_hourly), where at least %(min_days)s of those days have a value for that hour.
INSERT INTO air_normal (day, home_key, band_dghz, hour, foreign_busy_pct, days)
SELECT %(day)s::date, q.home_key, a.band, extract(hour FROM q.bucket AT TIME ZONE 'UTC')::smallint,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY a.pct), count(*)
FROM qoe_hourly q CROSS JOIN LATERAL unnest(q.air_band_dghz, q.air_foreign_pct) AS a(band, pct)
WHERE q.bucket >= %(day)s::date - (%(days)s - 1) AND q.bucket < %(day)s::date + 1
  AND q.air_band_dghz IS NOT NULL AND a.pct IS NOT NULL
GROUP BY q.home_key, a.band, extract(hour FROM q.bucket AT TIME ZONE 'UTC')
HAVING count(*) >= %(min_days)s
ON CONFLICT (day, home_key, band_dghz, hour) DO UPDATE SET foreign_busy_pct = EXCLUDED.foreign_busy_pct,
                                                           days = EXCLUDED.days
