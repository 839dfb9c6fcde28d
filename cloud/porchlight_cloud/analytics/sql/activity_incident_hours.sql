-- For candidate homes: the hours of the judged day [%(start)s, %(end)s) during which a regional incident (an access
-- node or area down, congestion) covered the home. A streaming app that failed while the network could not carry
-- it is the incident's finding, not a broken device.
SELECT ih.home_key, hr AS hour
FROM incident_homes ih
JOIN incidents i USING (incident_id)
CROSS JOIN LATERAL generate_series(
    date_trunc('hour', greatest(i.started_at, %(start)s::timestamptz)),
    least(coalesce(i.ended_at, i.last_seen_at), %(end)s::timestamptz) - interval '1 second',
    interval '1 hour') AS hr
WHERE ih.home_key = ANY(%(homes)s)
  AND i.started_at < %(end)s AND coalesce(i.ended_at, i.last_seen_at) > %(start)s::timestamptz
GROUP BY 1, 2
