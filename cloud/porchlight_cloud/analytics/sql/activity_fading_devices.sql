-- For fading candidate homes: each Wi-Fi device's days on the Wi-Fi in the household's normal period (the days
-- before the last week, as the fading check's normal: %(day)s - 27 .. %(day)s - 7), the home's days with any
-- station seen in that period, and whether the device was on the Wi-Fi at all on the judged day %(day)s.
WITH seen AS (
    SELECT s.home_key, s.device_key, s.ts::date AS day
    FROM station_samples s
    WHERE s.home_key = ANY(%(homes)s) AND s.ts >= %(day)s::date - 27 AND s.ts < %(day)s::date + 1
    GROUP BY 1, 2, 3
),
home_days AS (
    SELECT home_key, count(DISTINCT day) AS days FROM seen WHERE day <= %(day)s::date - 7 GROUP BY home_key
)
SELECT s.home_key, s.device_key, d.mac, d.hostname, d.device_class, hd.days AS home_days,
       count(*) FILTER (WHERE s.day <= %(day)s::date - 7) AS normal_days,
       count(*) FILTER (WHERE s.day = %(day)s::date) > 0 AS on_today
FROM seen s
JOIN home_days hd USING (home_key)
LEFT JOIN devices d ON d.device_key = s.device_key
GROUP BY s.home_key, s.device_key, d.mac, d.hostname, d.device_class, hd.days
