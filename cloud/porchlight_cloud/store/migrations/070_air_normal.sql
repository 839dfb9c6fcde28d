-- Other networks' air per band, and each home's normal of it (issue 7, interference against the home's normal).
-- The hourly QoE job keeps, beside each home-hour's score, the busy time per band that the home did not cause
-- (its neighbours' networks, an interferer); the daily job turns the last two weeks of those into the home's normal
-- per band and hour of the day, which the next day's QoE scores compare against: a neighbour who starts flooding
-- an empty channel shows as a rise over this home's normal long before the channel counts as crowded in absolute
-- terms.
ALTER TABLE qoe_hourly
    ADD COLUMN air_band_dghz   smallint[],   -- bands in tenths of GHz (24, 50, 60), one per entry
    ADD COLUMN air_foreign_pct real[];       -- per entry: mean busy time not caused by the home (%)

-- Per home, band and hour of the day (UTC): the median foreign busy time over the window ending with `day`.
-- Only the last few days are kept (the daily job deletes older rows).
CREATE TABLE air_normal (
    day              date NOT NULL,        -- the last day of the window
    home_key         integer NOT NULL,
    band_dghz        smallint NOT NULL,
    hour             smallint NOT NULL,    -- 0-23, UTC
    foreign_busy_pct real NOT NULL,        -- median over the window's days (%)
    days             smallint NOT NULL,    -- days of the window with a value for this hour
    PRIMARY KEY (day, home_key, band_dghz, hour)
);
