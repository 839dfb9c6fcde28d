-- For candidate devices: the Wi-Fi station samples they appear in on the judged day [%(start)s, %(end)s) and on the
-- day before, and when the gateway's inventory (Wi-Fi, DHCP, ARP) last saw them by the end of the day (the sightings
-- history, so that a later day's sighting does not hide a departure from a job judging an earlier day): a device
-- that left the home network is gone, one still there but idle was only not used. A wired device has no station
-- samples; its inventory sighting alone tells. Also when the home's phones, tablets and laptops were last seen: a
-- device that left with them went with the people. And how many of the home's other devices that do not travel
-- with people (not phones, tablets, laptops, watches) left the network in the week before the day, at least
-- %(gone_for)s before it began: a household whose TV, printer and speaker leave one after the other is moving away.
-- Sightings of the week before the day and the day are read (%(since)s on): a device gone for longer is not
-- listed (activity_change.LISTED_GONE_FOR), and the others' leaving counts over that week.
WITH cand AS (
    SELECT * FROM unnest(%(homes)s::integer[], %(devices)s::integer[]) AS c(home_key, device_key)
),
st AS (
    SELECT s.home_key, s.device_key,
           count(*) FILTER (WHERE s.ts >= %(start)s) AS today,
           count(*) FILTER (WHERE s.ts < %(start)s) AS before
    FROM station_samples s JOIN cand c USING (home_key, device_key)
    WHERE s.ts >= %(start)s::timestamptz - interval '1 day' AND s.ts < %(end)s
      AND s.home_key = ANY(%(homes)s)
    GROUP BY 1, 2
),
seen AS (
    SELECT s.home_key, s.device_key, max(s.last_seen) AS last_seen, coalesce(d.device_class, 'unknown') AS cls
    FROM device_sightings s JOIN devices d USING (device_key)
    WHERE s.home_key = ANY(%(homes)s) AND s.day >= %(since)s AND s.day < %(end)s
    GROUP BY 1, 2, 4
)
SELECT c.home_key, c.device_key, coalesce(st.today, 0) AS today, coalesce(st.before, 0) AS before, ds.last_seen,
       people.last_seen AS people_last_seen,
       (SELECT count(*) FROM seen o
        WHERE o.home_key = c.home_key AND o.device_key <> c.device_key
          AND o.last_seen >= %(start)s::timestamptz - interval '7 days'
          AND o.last_seen < %(start)s::timestamptz - %(gone_for)s::interval
          AND o.cls <> ALL(ARRAY['phone', 'tablet', 'laptop', 'watch'])) AS others_left
FROM cand c
LEFT JOIN seen ds ON ds.device_key = c.device_key
LEFT JOIN st ON st.home_key = c.home_key AND st.device_key = c.device_key
LEFT JOIN (
    SELECT home_key, max(last_seen) AS last_seen
    FROM seen
    WHERE cls = ANY(ARRAY['phone', 'tablet', 'laptop', 'watch'])
    GROUP BY home_key
) people ON people.home_key = c.home_key
