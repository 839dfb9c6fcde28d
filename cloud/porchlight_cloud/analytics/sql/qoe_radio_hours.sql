-- Per home, hour and band in [%(start)s, %(end)s): mean channel busy time.
SELECT home_key, time_bucket('1 hour', ts) AS bucket, band_ghz::text AS band, avg(busy_pct) AS busy_pct
FROM radio_samples
WHERE ts >= %(start)s AND ts < %(end)s AND busy_pct IS NOT NULL
GROUP BY 1, 2, 3
