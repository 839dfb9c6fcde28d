-- Daily WAN bytes of the given homes over the 28 days to %(day)s, oldest first.
SELECT home_key, bucket::date AS day,
       (coalesce(wan_rx_bytes, 0) + coalesce(wan_tx_bytes, 0))::double precision AS bytes
FROM home_daily
WHERE home_key = ANY(%(homes)s) AND bucket >= %(day)s::date - 27 AND bucket < %(day)s::date + 1
ORDER BY home_key, bucket
