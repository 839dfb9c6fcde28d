-- Per home and hour in [%(start)s, %(end)s): the hourly rollup's probes (with the probe counts), health and WAN,
-- plus Wi-Fi disconnects.
SELECT hh.home_key, ho.home_id, hh.bucket,
       hh.first_hop_rtt_ms, hh.first_hop_loss_pct, hh.internet_rtt_ms, hh.internet_jitter_ms, hh.internet_loss_pct,
       hh.reboots, hh.cpu_pct, hh.mem_used_pct, hh.wan_flaps,
       coalesce(hh.wan_rx_bytes, 0) + coalesce(hh.wan_tx_bytes, 0) AS wan_bytes,
       coalesce(hh.wifi_bytes, 0) AS wifi_bytes,
       coalesce(ev.disconnects, 0) AS disconnects,
       pr.first_hop_sent, pr.first_hop_lost, pr.internet_sent, pr.internet_lost
FROM home_hourly hh
JOIN homes ho USING (home_key)
LEFT JOIN (
    SELECT home_key, time_bucket('1 hour', ts) AS bucket, count(*) AS disconnects
    FROM events
    WHERE kind = 'disconnect' AND ts >= %(start)s AND ts < %(end)s
    GROUP BY 1, 2
) ev USING (home_key, bucket)
LEFT JOIN (
    -- probe counts, so that one lost probe in a quiet hour is not read as "5 per cent loss"
    SELECT home_key, time_bucket('1 hour', ts) AS bucket,
           sum(sent) FILTER (WHERE target = 'first_hop') AS first_hop_sent,
           sum(lost) FILTER (WHERE target = 'first_hop') AS first_hop_lost,
           sum(sent) FILTER (WHERE target <> 'first_hop' AND kind <> 'dns') AS internet_sent,
           sum(lost) FILTER (WHERE target <> 'first_hop' AND kind <> 'dns') AS internet_lost
    FROM probe_samples
    WHERE ts >= %(start)s AND ts < %(end)s
    GROUP BY 1, 2
) pr USING (home_key, bucket)
WHERE hh.bucket >= %(start)s AND hh.bucket < %(end)s
ORDER BY hh.home_key, hh.bucket
