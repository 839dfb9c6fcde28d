-- Per device of every home: its share of the home's device traffic over the USAGE_DAYS days ending with
-- %(day)s (from app_daily; device 0, the gateway itself, is left out), and on how many of those days it moved
-- any traffic. Older rows are deleted by device_usage_prune.sql.
WITH per_day AS (
    SELECT home_key, device_key, bucket, sum(bytes_up + bytes_down)::double precision AS bytes
    FROM app_daily
    WHERE bucket >= %(day)s::date - (%(days)s - 1) AND bucket < %(day)s::date + 1 AND device_key <> 0
    GROUP BY home_key, device_key, bucket
),
per_device AS (
    SELECT home_key, device_key, sum(bytes) AS bytes, count(*) FILTER (WHERE bytes > 0) AS days_used
    FROM per_day GROUP BY home_key, device_key
)
INSERT INTO device_usage (home_key, device_key, day, usual_share, days_used)
SELECT home_key, device_key, %(day)s::date,
       coalesce(bytes / nullif(sum(bytes) OVER (PARTITION BY home_key), 0), 0), days_used
FROM per_device
ON CONFLICT (day, home_key, device_key) DO UPDATE SET usual_share = EXCLUDED.usual_share,
                                                      days_used = EXCLUDED.days_used
