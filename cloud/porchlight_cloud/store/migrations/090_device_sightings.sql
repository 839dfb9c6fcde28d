-- When the gateway saw each device on the home network, day by day (issue 7). devices.last_seen holds only the
-- latest sighting: a daily job that judges an earlier day (a replay, a late run, a re-run after a fix) would read
-- the sighting of a later day and miss that the phones had left together that evening. Written with every device
-- refresh of the inventory (at most every 15 minutes per device, ingest.writer.DEVICE_REFRESH_S); read by the
-- activity-change job as "last seen by the end of the judged day". Kept as long as the hourly rollups.
CREATE TABLE device_sightings (
    home_key    integer NOT NULL,
    device_key  integer NOT NULL,
    day         timestamptz NOT NULL,   -- the UTC day (midnight) the sightings fall in
    first_seen  timestamptz NOT NULL,   -- the earliest sighting refreshed that day (within 15 min of the first)
    last_seen   timestamptz NOT NULL    -- the latest sighting that day (Wi-Fi association, DHCP lease or ARP/ND)
) WITH (fillfactor = 70);   -- a row is updated every quarter hour all day: room for HOT updates
SELECT create_hypertable('device_sightings', 'day', chunk_time_interval => interval '30 days',
                         create_default_indexes => false);
CREATE UNIQUE INDEX device_sightings_key ON device_sightings (device_key, day);
CREATE INDEX device_sightings_home ON device_sightings (home_key, day);

-- What the inventory knew before this table: each device's first and latest sightings (one row when both fall on
-- the same day).
INSERT INTO device_sightings (home_key, device_key, day, first_seen, last_seen)
SELECT home_key, device_key, date_trunc('day', first_seen, 'UTC'), first_seen,
       CASE WHEN date_trunc('day', last_seen, 'UTC') = date_trunc('day', first_seen, 'UTC')
            THEN greatest(first_seen, last_seen) ELSE first_seen END
FROM devices
UNION ALL
SELECT home_key, device_key, date_trunc('day', last_seen, 'UTC'), last_seen, last_seen
FROM devices WHERE last_seen IS NOT NULL AND date_trunc('day', last_seen, 'UTC') > date_trunc('day', first_seen, 'UTC')
ON CONFLICT DO NOTHING;
