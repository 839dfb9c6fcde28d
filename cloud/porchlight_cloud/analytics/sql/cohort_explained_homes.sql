-- Homes whose gateway's (model, firmware) a cohort finding of the last two days (up to %(end)s) found worse, with
-- the component: their trouble on that component is the cohort's finding, not a struggling-home finding.
SELECT g.home_key, f.component
FROM findings f
JOIN gateways g ON g.model = f.model AND g.firmware = f.firmware
WHERE f.list = 'cohort' AND f.as_of > %(end)s::timestamptz - interval '2 days' AND f.as_of <= %(end)s::timestamptz + interval '1 day'
GROUP BY 1, 2
