-- For candidate devices: the Wi-Fi station samples they appear in on the judged day [%(start)s, %(end)s) and on the
-- day before: a device that left the Wi-Fi is gone, one still associated but idle was only not used.
WITH cand AS (
    SELECT * FROM unnest(%(homes)s::integer[], %(devices)s::integer[]) AS c(home_key, device_key)
)
SELECT s.home_key, s.device_key,
       count(*) FILTER (WHERE s.ts >= %(start)s) AS today,
       count(*) FILTER (WHERE s.ts < %(start)s) AS before
FROM station_samples s JOIN cand c USING (home_key, device_key)
WHERE s.ts >= %(start)s::timestamptz - interval '1 day' AND s.ts < %(end)s
  AND s.home_key = ANY(%(homes)s)
GROUP BY 1, 2
