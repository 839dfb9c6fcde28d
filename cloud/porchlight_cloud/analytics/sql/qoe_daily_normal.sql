-- The day's median hourly score and its median absolute deviation, per home, for the home's normal.
WITH m AS (
    SELECT home_key, percentile_cont(0.5) WITHIN GROUP (ORDER BY score) AS med, count(*) AS n
    FROM qoe_hourly
    WHERE bucket >= %(day)s::date AND bucket < %(day)s::date + 1 AND score IS NOT NULL
    GROUP BY home_key
)
INSERT INTO qoe_daily_normal (home_key, day, median_score, mad_score, hours)
SELECT q.home_key, %(day)s::date, m.med, percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(q.score - m.med)), m.n
FROM qoe_hourly q JOIN m USING (home_key)
WHERE q.bucket >= %(day)s::date AND q.bucket < %(day)s::date + 1 AND q.score IS NOT NULL
GROUP BY q.home_key, m.med, m.n
ON CONFLICT (home_key, day) DO UPDATE SET median_score = EXCLUDED.median_score, mad_score = EXCLUDED.mad_score,
                                         hours = EXCLUDED.hours
