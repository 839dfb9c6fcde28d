-- For candidate homes: the hours of the judged day [%(start)s, %(end)s) and of the day before in which at least one
-- of the household's phones, tablets or laptops was on the Wi-Fi (the people were home). A TV that did not stream
-- while nobody was home was not used; one that did not stream for two evenings with the people home is broken.
-- A home with such devices in its inventory also gets one row with a NULL hour (its people are known, even when
-- they were away all along).
SELECT s.home_key, time_bucket('1 hour', s.ts) AS hour
FROM station_samples s
JOIN devices d ON d.device_key = s.device_key
WHERE s.home_key = ANY(%(homes)s)
  AND s.ts >= %(start)s::timestamptz - interval '1 day' AND s.ts < %(end)s
  AND d.device_class = ANY(ARRAY['phone', 'tablet', 'laptop', 'watch'])
GROUP BY 1, 2
UNION ALL
SELECT DISTINCT home_key, NULL::timestamptz
FROM devices
WHERE home_key = ANY(%(homes)s) AND device_class = ANY(ARRAY['phone', 'tablet', 'laptop', 'watch'])
