-- For the judged homes: when each of the household's phones, tablets and laptops was last seen on the home network,
-- for those the sightings history shows gone for at least %(gone_for)s by the end of the judged day %(end)s (one
-- switched off at 23:00 or refreshed in the last quarter hour is not gone). People on holiday take theirs within
-- hours of each other; a household moving away from the service loses them one by one, over days. Sightings from
-- %(since)s on are read (the fade's days): a phone gone for longer left the household before, not with this change.
SELECT s.home_key, max(s.last_seen) AS last_seen
FROM device_sightings s JOIN devices d USING (device_key)
WHERE s.home_key = ANY(%(homes)s) AND s.day >= %(since)s AND s.day < %(end)s
  AND d.device_class = ANY(ARRAY['phone', 'tablet', 'laptop', 'watch'])
GROUP BY s.home_key, s.device_key
HAVING max(s.last_seen) < %(end)s::timestamptz - %(gone_for)s::interval
ORDER BY 1, 2
