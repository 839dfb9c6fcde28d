-- Per home, hour and Wi-Fi station in [%(start)s, %(end)s): traffic, and its link weighted by the traffic of each
-- report (a station idle most of the hour is judged by the minutes it was used).
SELECT s.home_key, time_bucket('1 hour', s.ts) AS bucket, s.device_key,
       max(s.band_ghz)::text AS band,
       sum(s.tx_bytes + s.rx_bytes)::double precision AS traffic_bytes,
       sum(s.signal_avg_dbm * (s.tx_bytes + s.rx_bytes + 1)) / sum(s.tx_bytes + s.rx_bytes + 1) AS signal_dbm,
       sum(s.tx_rate_mbps * (s.tx_bytes + s.rx_bytes + 1)) / sum(s.tx_bytes + s.rx_bytes + 1) AS tx_rate_mbps,
       100.0 * sum(s.tx_retries) / nullif(sum(s.tx_packets) + sum(s.tx_retries), 0) AS retry_pct,
       d.mac, d.hostname, d.device_class
FROM station_samples s
LEFT JOIN devices d ON d.device_key = s.device_key
WHERE s.ts >= %(start)s AND s.ts < %(end)s
GROUP BY s.home_key, 2, s.device_key, d.mac, d.hostname, d.device_class
