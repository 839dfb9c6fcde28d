-- Devices that, in [%(start)s, %(end)s), opened many SMTP connections or reached many destinations for several
-- hours: the only ones worth a closer look for "infected PC" changes. One pass over the day's app rollup.
WITH smtp AS (
    SELECT label_id FROM labels WHERE name = 'smtp'
),
day AS (
    SELECT a.home_key, a.device_key, a.bucket, a.app_id, a.new_flows, a.dests_max
    FROM app_hourly a
    WHERE a.bucket >= %(start)s AND a.bucket < %(end)s AND a.device_key <> 0
),
smtp_devices AS (
    SELECT d.home_key, d.device_key
    FROM day d JOIN smtp s ON s.label_id = d.app_id
    WHERE d.new_flows >= %(smtp_hour_flows)s
    GROUP BY 1, 2 HAVING count(*) >= %(min_hours)s
),
spread_devices AS (
    SELECT home_key, device_key
    FROM (SELECT home_key, device_key, bucket, sum(dests_max) AS dests FROM day GROUP BY 1, 2, 3) x
    WHERE dests >= %(spread_dests)s
    GROUP BY 1, 2 HAVING count(*) >= %(min_hours)s
)
SELECT home_key, device_key FROM smtp_devices
UNION
SELECT home_key, device_key FROM spread_devices
