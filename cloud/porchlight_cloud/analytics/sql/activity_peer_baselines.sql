-- Peer normals for devices with too little history of their own: per device class and application, the median
-- and MAD of a device-hour's counters over a 1-in-%(sample)s sample of homes on %(start)s .. %(end)s.
WITH rows AS (
    SELECT coalesce(d.device_class, 'unknown') AS cls, l.name AS app, a.device_key, a.bucket,
           a.bytes_up::double precision AS bytes_up, a.new_flows::double precision AS new_flows,
           a.dests_max::double precision AS dests
    FROM app_hourly a
    JOIN labels l ON l.label_id = a.app_id
    LEFT JOIN devices d ON d.device_key = a.device_key
    WHERE a.bucket >= %(start)s AND a.bucket < %(end)s AND a.device_key <> 0 AND a.home_key %% %(sample)s = 0
),
per_app AS (
    SELECT cls, app,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY bytes_up) AS up_med,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY new_flows) AS flows_med,
           count(*) AS n
    FROM rows GROUP BY cls, app
),
per_dev AS (
    SELECT cls, device_key, bucket, sum(dests) AS dests FROM rows GROUP BY cls, device_key, bucket
),
dests AS (
    SELECT cls, percentile_cont(0.5) WITHIN GROUP (ORDER BY dests) AS dests_med, count(*) AS n
    FROM per_dev GROUP BY cls
),
dests_mad AS (
    SELECT p.cls, percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(p.dests - d.dests_med)) AS dests_mad
    FROM per_dev p JOIN dests d USING (cls) GROUP BY p.cls
),
app_mad AS (
    SELECT r.cls, r.app,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(r.bytes_up - p.up_med)) AS up_mad,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(r.new_flows - p.flows_med)) AS flows_mad
    FROM rows r JOIN per_app p USING (cls, app) GROUP BY r.cls, r.app
)
SELECT p.cls, p.app, p.up_med, m.up_mad, p.flows_med, m.flows_mad, p.n,
       d.dests_med, dm.dests_mad, d.n AS dests_n
FROM per_app p JOIN app_mad m USING (cls, app) JOIN dests d USING (cls) JOIN dests_mad dm USING (cls)
