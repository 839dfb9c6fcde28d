-- Per device and day: how much the household uses it normally (issue 7, QoE weighting). Written by the daily
-- analytics job from app_daily; read by the hourly QoE job so a device the home relies on every day (the TV that
-- streams every evening) weighs in the Wi-Fi score even in an hour it is idle, and one it barely uses does not.
-- Only the last few days are kept (the job deletes older rows): one row per device and day.
CREATE TABLE device_usage (
    home_key     integer NOT NULL,
    device_key   integer NOT NULL,
    day          date NOT NULL,          -- the last day of the window the share covers
    usual_share  real NOT NULL,          -- the device's share of the home's device traffic over the window (0-1)
    days_used    smallint NOT NULL,      -- days of the window on which it moved any traffic
    PRIMARY KEY (day, home_key, device_key)
);
