-- For candidate devices: every application's hourly counters in [%(start)s, %(end)s) (offset 0) and in the same hours
-- %(offsets)s days earlier (the same hours of the week for 7, 14, 21, 28; the same hours of the day for 1-6).
WITH cand AS (
    SELECT * FROM unnest(%(homes)s::integer[], %(devices)s::integer[]) AS c(home_key, device_key)
)
SELECT a.home_key, a.device_key, w.k AS offset_days, a.bucket + w.k * interval '1 day' AS hour, l.name AS app,
       a.bytes_up, a.bytes_down, a.new_flows, a.dests_max
FROM unnest(%(offsets)s::integer[]) AS w(k)
JOIN app_hourly a ON a.bucket >= %(start)s - w.k * interval '1 day' AND a.bucket < %(end)s - w.k * interval '1 day'
JOIN cand c ON c.home_key = a.home_key AND c.device_key = a.device_key
JOIN labels l ON l.label_id = a.app_id
