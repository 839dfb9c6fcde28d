-- Homes with at least %(min_hours)s hour(s) in [%(start)s, %(end)s) that are poor by the loosest bar of any segment
-- (absolute, or relative to the home's normal), or with enough hours for a sustained rule (struggling.judge: a long
-- moderate drop, a crowded channel, other networks' air far above the home's normal), with
-- all their hours in the window and their normal.
WITH normal AS (
    SELECT home_key,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY median_score) AS median_score,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY mad_score) AS mad_score,
           sum(hours)::integer AS hours
    FROM qoe_daily_normal
    WHERE day >= %(start)s::date - 14 AND day < %(start)s::date
    GROUP BY home_key
),
candidates AS (
    SELECT q.home_key
    FROM qoe_hourly q LEFT JOIN normal n USING (home_key)
    WHERE q.bucket >= %(start)s AND q.bucket < %(end)s
      AND (q.score < %(abs_bar)s OR q.score < n.median_score - least(%(drop)s, %(sustained_drop)s, %(air_drop)s)
           OR jsonb_path_exists(q.reasons, '$[*] ? (@.code == "channel_busy" && @.numbers.above_normal_pct >= $p)',
                                jsonb_build_object('p', %(air_surge)s::float8)))
    GROUP BY q.home_key
    HAVING count(*) FILTER (WHERE q.score < %(abs_bar)s OR q.score < n.median_score - %(drop)s) >= %(min_hours)s
        -- the sustained rules of struggling.judge: a long moderate drop, or a crowded channel
        OR count(*) FILTER (WHERE q.score < n.median_score - %(sustained_drop)s
                            OR (q.score < n.median_score - %(air_drop)s
                                AND q.reasons @> '[{"code": "channel_busy"}]'::jsonb)) >= %(sustained_hours)s
        -- ... or other networks' air far above the home's normal on a band it uses
        OR count(*) FILTER (WHERE jsonb_path_exists(
               q.reasons, '$[*] ? (@.code == "channel_busy" && @.numbers.above_normal_pct >= $p)',
               jsonb_build_object('p', %(air_surge)s::float8))) >= %(sustained_hours)s
)
SELECT q.home_key, q.bucket, q.score, q.wifi, q.access, q.health, q.stability, q.traffic_bytes, q.reasons,
       n.median_score, n.mad_score, n.hours AS normal_hours
FROM qoe_hourly q
JOIN candidates c USING (home_key)
LEFT JOIN normal n USING (home_key)
WHERE q.bucket >= %(start)s AND q.bucket < %(end)s
ORDER BY q.home_key, q.bucket
