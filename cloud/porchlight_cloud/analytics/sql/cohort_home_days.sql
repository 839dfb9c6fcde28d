-- Per home over the stored days %(days)s: its gateway's model and firmware and its mean residual per component
-- (each day weighted by its scored hours), and round trip and jitter against the node's other homes, from
-- cohort_home_daily.
WITH gw AS (
    SELECT DISTINCT ON (home_key) home_key, model, firmware
    FROM gateways WHERE model IS NOT NULL AND firmware IS NOT NULL
    ORDER BY home_key, last_seen DESC NULLS LAST
)
SELECT c.home_key, gw.model, gw.firmware,
       sum(c.wifi * c.hours) / nullif(sum(c.hours) FILTER (WHERE c.wifi IS NOT NULL), 0),
       sum(c.access * c.hours) / nullif(sum(c.hours) FILTER (WHERE c.access IS NOT NULL), 0),
       sum(c.health * c.hours) / nullif(sum(c.hours) FILTER (WHERE c.health IS NOT NULL), 0),
       sum(c.stability * c.hours) / nullif(sum(c.hours) FILTER (WHERE c.stability IS NOT NULL), 0),
       sum(c.rtt_ms * c.hours) / nullif(sum(c.hours) FILTER (WHERE c.rtt_ms IS NOT NULL), 0),
       sum(c.jitter_ms * c.hours) / nullif(sum(c.hours) FILTER (WHERE c.jitter_ms IS NOT NULL), 0),
       sum(c.cpu_pct * c.hours) / nullif(sum(c.hours) FILTER (WHERE c.cpu_pct IS NOT NULL), 0),
       sum(c.rtt_node_ms * c.hours) / nullif(sum(c.hours) FILTER (WHERE c.rtt_node_ms IS NOT NULL), 0),
       sum(c.jitter_node_ms * c.hours) / nullif(sum(c.hours) FILTER (WHERE c.jitter_node_ms IS NOT NULL), 0)
FROM cohort_home_daily c JOIN gw USING (home_key)
WHERE c.day = ANY(%(days)s::date[])
GROUP BY c.home_key, gw.model, gw.firmware
