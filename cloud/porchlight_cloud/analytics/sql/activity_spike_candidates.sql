-- Devices that, in [%(start)s, %(end)s), opened many SMTP connections or reached many destinations for several
-- hours: the only ones worth a closer look for "infected PC" changes. One pass over the day's application rollup
-- keeps just the rows that could matter (heavy SMTP, or an application reaching many destinations in a sample).
WITH hot AS (
    SELECT a.home_key, a.device_key, a.bucket, a.app_id, a.new_flows, a.dests_max
    FROM app_hourly a
    WHERE a.bucket >= %(start)s AND a.bucket < %(end)s AND a.device_key <> 0
      AND ((a.app_id = (SELECT label_id FROM labels WHERE name = 'smtp') AND a.new_flows >= %(smtp_hour_flows)s)
           OR a.dests_max >= %(row_dests)s)
),
smtp_devices AS (
    SELECT home_key, device_key
    FROM hot
    WHERE app_id = (SELECT label_id FROM labels WHERE name = 'smtp') AND new_flows >= %(smtp_hour_flows)s
    GROUP BY 1, 2 HAVING count(*) >= %(min_hours)s
),
spread_devices AS (
    SELECT home_key, device_key
    FROM (SELECT home_key, device_key, bucket, sum(dests_max) AS dests FROM hot GROUP BY 1, 2, 3) x
    WHERE dests >= %(spread_dests)s
    GROUP BY 1, 2 HAVING count(*) >= %(min_hours)s
)
SELECT home_key, device_key FROM smtp_devices
UNION
SELECT home_key, device_key FROM spread_devices
