-- Per home over the stored days %(days)s: its gateway's model and firmware and its mean hourly residual per
-- quantity (the sums over the days divided by the hours summed; NULL where no hour had it), from cohort_home_daily.
WITH gw AS (
    SELECT DISTINCT ON (home_key) home_key, model, firmware
    FROM gateways WHERE model IS NOT NULL AND firmware IS NOT NULL
    ORDER BY home_key, last_seen DESC NULLS LAST
)
SELECT c.home_key, gw.model, gw.firmware,
       sum(c.wifi_sum) / nullif(sum(c.wifi_hours), 0),
       sum(c.access_sum) / nullif(sum(c.access_hours), 0),
       sum(c.health_sum) / nullif(sum(c.health_hours), 0),
       sum(c.stability_sum) / nullif(sum(c.stability_hours), 0),
       sum(c.rtt_sum) / nullif(sum(c.rtt_hours), 0),
       sum(c.jitter_sum) / nullif(sum(c.jitter_hours), 0),
       sum(c.cpu_sum) / nullif(sum(c.cpu_hours), 0),
       sum(c.rtt_node_sum) / nullif(sum(c.rtt_node_hours), 0),
       sum(c.jitter_node_sum) / nullif(sum(c.jitter_node_hours), 0)
FROM cohort_home_daily c JOIN gw USING (home_key)
WHERE c.day = ANY(%(days)s::date[])
GROUP BY c.home_key, gw.model, gw.firmware
