-- For fading candidate homes: when each of the household's phones, tablets and laptops was last seen on the home
-- network, for those gone before the end of the judged day %(end)s. People on holiday take theirs within hours of
-- each other; a household moving away from the service loses them one by one, over days.
SELECT home_key, last_seen
FROM devices
WHERE home_key = ANY(%(homes)s) AND last_seen < %(end)s
  AND device_class = ANY(ARRAY['phone', 'tablet', 'laptop', 'watch'])
ORDER BY home_key, last_seen
