-- For candidate homes: each device's bytes on %(day)s and on the earlier days %(days)s (offset in days), and the
-- devices' identities.
SELECT a.home_key, a.device_key, (%(day)s::date - a.bucket::date)::integer AS offset_days,
       sum(a.bytes_up + a.bytes_down)::double precision AS bytes,
       d.mac, d.hostname, d.device_class, d.first_seen, h.home_id
FROM app_daily a
JOIN homes h USING (home_key)
LEFT JOIN devices d ON d.device_key = a.device_key
WHERE a.home_key = ANY(%(homes)s) AND a.bucket = ANY(%(days)s)
GROUP BY a.home_key, a.device_key, 3, d.mac, d.hostname, d.device_class, d.first_seen, h.home_id
