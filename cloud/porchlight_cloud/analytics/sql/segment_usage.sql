-- Per home: two weeks of application use up to %(day)s (inclusive), summarised for segmentation, with its
-- tenure, region, plan and device classes.
WITH per_day AS (
    SELECT a.home_key, a.bucket AS day, l.name AS app, sum(a.bytes_up + a.bytes_down)::double precision AS bytes
    FROM app_daily a JOIN labels l ON l.label_id = a.app_id
    WHERE a.bucket >= %(day)s::date - 13 AND a.bucket < %(day)s::date + 1
    GROUP BY 1, 2, 3
),
usage AS (
    SELECT home_key,
           count(DISTINCT day) AS days_observed,
           count(DISTINCT day) FILTER (WHERE app = ANY(%(streaming)s) AND bytes >= 100e6) AS streaming_days,
           coalesce(sum(bytes) FILTER (WHERE app = ANY(%(streaming)s)), 0) AS streaming_bytes,
           count(DISTINCT day) FILTER (WHERE app = ANY(%(gaming)s) AND bytes >= 10e6) AS gaming_days,
           coalesce(sum(bytes) FILTER (WHERE app = ANY(%(gaming)s)), 0) AS gaming_bytes,
           count(DISTINCT day) FILTER (WHERE app = ANY(%(work)s) AND bytes >= 100e6
                                         AND extract(isodow FROM day) < 6) AS work_weekdays,
           sum(bytes) AS bytes
    FROM per_day GROUP BY home_key
),
classes AS (
    SELECT home_key, jsonb_object_agg(cls, n) AS device_classes
    FROM (SELECT home_key, coalesce(device_class, 'unknown') AS cls, count(*) AS n
          FROM devices WHERE last_seen IS NULL OR last_seen >= %(day)s::date - 13
          GROUP BY 1, 2) c
    GROUP BY home_key
)
SELECT h.home_key, h.home_id, h.region, h.plan, h.tenure_start,
       coalesce(u.days_observed, 0) AS days_observed, coalesce(u.streaming_days, 0) AS streaming_days,
       coalesce(u.streaming_bytes, 0) AS streaming_bytes, coalesce(u.gaming_days, 0) AS gaming_days,
       coalesce(u.gaming_bytes, 0) AS gaming_bytes, coalesce(u.work_weekdays, 0) AS work_weekdays,
       coalesce(u.bytes, 0) AS bytes, coalesce(c.device_classes, '{}'::jsonb) AS device_classes
FROM homes h
LEFT JOIN usage u USING (home_key)
LEFT JOIN classes c USING (home_key)
