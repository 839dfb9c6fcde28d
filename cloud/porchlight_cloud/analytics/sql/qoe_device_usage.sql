-- Per device: its usual share of the home's traffic from the newest device_usage day before %(start)s (up to
-- 3 days old, so one missed daily run does not drop the weighting).
SELECT DISTINCT ON (device_key) device_key, usual_share, days_used
FROM device_usage
WHERE day < %(start)s::date AND day >= %(start)s::date - 3
ORDER BY device_key, day DESC
