-- Per home, hour and band in [%(start)s, %(end)s): mean channel busy time and the radio's own share of it
-- (its transmit + receive air time), so the score can tell the neighbours' air from the home's own use.
SELECT home_key, time_bucket('1 hour', ts) AS bucket, band_ghz::text AS band, avg(busy_pct) AS busy_pct,
       avg(coalesce(tx_pct, 0) + coalesce(rx_pct, 0)) FILTER (WHERE tx_pct IS NOT NULL OR rx_pct IS NOT NULL)
           AS own_pct
FROM radio_samples
WHERE ts >= %(start)s AND ts < %(end)s AND busy_pct IS NOT NULL
GROUP BY 1, 2, 3
