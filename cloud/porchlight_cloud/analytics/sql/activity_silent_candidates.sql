-- Devices that streamed or played on several earlier days (%(prior_days)s: the days before and the same weekday of
-- earlier weeks) but moved (almost) nothing on %(day)s: candidates for "device gone silent".
WITH hist AS (
    SELECT a.home_key, a.device_key, count(DISTINCT a.bucket) AS weeks,
           sum(a.bytes_up + a.bytes_down)::double precision AS bytes
    FROM app_daily a JOIN labels l ON l.label_id = a.app_id
    WHERE a.bucket = ANY(%(prior_days)s) AND l.name = ANY(%(apps)s) AND a.device_key <> 0
    GROUP BY 1, 2
    HAVING count(DISTINCT a.bucket) >= %(min_weeks)s
       AND sum(a.bytes_up + a.bytes_down) / count(DISTINCT a.bucket) >= %(min_bytes)s
),
today AS (
    SELECT a.home_key, a.device_key, sum(a.bytes_up + a.bytes_down)::double precision AS bytes
    FROM app_hourly a JOIN hist h USING (home_key, device_key)
    WHERE a.bucket >= %(start)s AND a.bucket < %(end)s
    GROUP BY 1, 2
)
SELECT h.home_key, h.device_key
FROM hist h LEFT JOIN today t USING (home_key, device_key)
WHERE coalesce(t.bytes, 0) <= %(max_share)s * h.bytes / h.weeks
