-- Porchlight core schema: dimensions, the report ledger with its per-report samples, events, quarantine,
-- gaps, ingest worker metrics and the rollup tables. See docs/storage.md for the sizing behind every choice.
CREATE EXTENSION IF NOT EXISTS timescaledb;

-- ---------------------------------------------------------------------------------------------------------
-- Dimensions. Surrogate int keys keep the time-series rows small: a home_id text costs ~14 bytes a row,
-- a home_key 4.
CREATE TABLE homes (
    home_key      integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    home_id       text NOT NULL UNIQUE,
    subscriber_ref text,
    region        text,
    area          text,
    node          text,          -- OLT/PON or cable node: the last level of the region hierarchy
    plan          text,
    tenure_start  date,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX homes_region_idx ON homes (region, area, node);

CREATE TABLE gateways (
    gateway_key    integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    gateway_id     text NOT NULL UNIQUE,
    home_key       integer NOT NULL REFERENCES homes,
    model          text,
    firmware       text,
    agent_version  text,
    first_seen     timestamptz NOT NULL DEFAULT now(),
    last_seen      timestamptz,
    last_boot_id   text,
    last_seq       integer,
    last_report_ts timestamptz
) WITH (fillfactor = 70);   -- updated every report: room for HOT updates
CREATE INDEX gateways_home_idx ON gateways (home_key);

-- One row per (gateway, boot_id): the int key the report ledger uses, and the sequence high-water mark.
CREATE TABLE boots (
    boot_key    integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    gateway_key integer NOT NULL REFERENCES gateways,
    boot_id     text NOT NULL,
    first_seen  timestamptz NOT NULL DEFAULT now(),
    max_seq     integer NOT NULL DEFAULT -1,
    UNIQUE (gateway_key, boot_id)
) WITH (fillfactor = 70);

CREATE TABLE devices (
    device_key       integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    home_key         integer NOT NULL REFERENCES homes,
    mac              text NOT NULL,
    hostname         text,
    vendor           text,
    device_class     text,
    class_confidence real,
    connection       text,
    ips              text[],
    first_seen       timestamptz NOT NULL DEFAULT now(),
    last_seen        timestamptz,
    UNIQUE (home_key, mac)
) WITH (fillfactor = 80);

-- Low-cardinality names shared by the whole fleet (application ids, probe targets): stored once.
CREATE TABLE labels (
    label_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name     text NOT NULL UNIQUE
);

-- Every zstd dictionary the cloud ever issued: old gateways may still compress with any of them.
CREATE TABLE zstd_dictionaries (
    dict_id    bigint PRIMARY KEY,
    data       bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------------------------------------------------
-- The report ledger, one row per stored report, identified by (gateway, boot_id, seq) = (boot_key, seq).
-- It also carries the report's samples, summarised per report (5-minute resolution). One compact row per
-- report, not one row per section: the Apache edition has no compression and PostgreSQL only compresses
-- values of rows over 2 KB, so what keeps a home within 250 KB/day is paying the tuple header, the index
-- entry and the page slack once per report. Per-entity data are flattened [entity][field] arrays (smallint
-- where the unit allows); the *_samples views below name the fields.
CREATE TABLE reports (
    ts                timestamptz NOT NULL,  -- header.end_ts
    home_key          integer NOT NULL,
    boot_key          integer NOT NULL,
    seq               integer NOT NULL,
    span_s            integer NOT NULL,      -- end_ts - start_ts
    sample_interval_s smallint NOT NULL,
    kind              smallint NOT NULL,     -- 0 periodic, 1 diagnosis
    flags             smallint NOT NULL,     -- bit set of header.flags (porchlight_cloud.ingest.rows.FLAG_BITS)
    dropped_reports   integer,
    queue_depth       integer,
    -- health, summarised over the report's samples
    health_samples    smallint,
    uptime_s          integer,               -- at the last sample
    reboots           smallint,              -- uptime resets between the report's samples
    load1             real,                  -- max
    cpu_pct           real,                  -- mean
    cpu_max_pct       real,
    mem_used_pct      real,                  -- mean
    wan_down_s        integer,               -- samples with wan_up = false x sample interval
    wan_flaps         smallint,
    wan_rx_bytes      bigint,
    wan_tx_bytes      bigint,
    conntrack_max     integer,
    agent_cpu_ms      integer,
    agent_rss_kb      integer,               -- max
    -- Wi-Fi stations, one entity per station MAC (a multi-link station's links are summed)
    st_device         integer[],             -- device_key per station
    st_q              smallint[],            -- 6 per station: band_dghz (24/50/60), signal_avg_dbm (mean),
                                             -- signal_min_dbm, tx_rate_mbps, rx_rate_mbps (means), weak_s
    st_c              real[],                -- 4 per station, sums: tx_bytes, rx_bytes, tx_packets, tx_retries
    -- radios: 8 per radio: band_dghz, channel, width_mhz, noise_dbm, busy_pct, tx_pct, rx_pct (means, whole
    -- percent), stations (max)
    ra                smallint[],
    -- QoE probes, one entity per (target, kind)
    pr_target         integer[],             -- label_id of the target
    pr                smallint[]             -- 6 per probe: kind_code (1 icmp, 2 tcp, 3 dns), sent, lost,
                                             -- rtt, rtt_max, jitter in 0.1 ms (capped at 3276.7 ms)
);
SELECT create_hypertable('reports', 'ts', chunk_time_interval => interval '1 day', create_default_indexes => false);
-- The one index: serves the rep's query (one home, a time range) and makes (boot_key, seq) exactly-once
-- (a replayed report repeats its end_ts, so the duplicate lands in the same chunk and conflicts).
CREATE UNIQUE INDEX reports_home_ts_key ON reports (home_key, ts, boot_key, seq);

CREATE TABLE events (
    ts         timestamptz NOT NULL,
    home_key   integer NOT NULL,
    device_key integer,                      -- null when the event concerns no device
    kind       text NOT NULL,                -- schema events.kind, or collector_error for the errors section
    detail     text
);
SELECT create_hypertable('events', 'ts', chunk_time_interval => interval '7 days', create_default_indexes => false);
CREATE INDEX events_home_ts_idx ON events (home_key, ts);

-- Missing sequence numbers per boot: a gap is opened when seq jumps past max_seq + 1 and shrinks or
-- disappears when the missing reports arrive late.
CREATE TABLE report_gaps (
    boot_key    integer NOT NULL REFERENCES boots,
    seq_from    integer NOT NULL,
    seq_to      integer NOT NULL,
    detected_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (boot_key, seq_from),
    CHECK (seq_to >= seq_from)
);

CREATE TABLE quarantine (
    received_at timestamptz NOT NULL,
    topic       text NOT NULL,
    reason      text NOT NULL,
    detail      text,
    payload     bytea NOT NULL,
    worker_id   text
);
SELECT create_hypertable('quarantine', 'received_at', chunk_time_interval => interval '1 day');
CREATE INDEX quarantine_reason_idx ON quarantine (reason, received_at);

-- Each ingest worker saves its counters here every few seconds; GET /metrics sums them.
CREATE TABLE ingest_workers (
    worker_id  text PRIMARY KEY,
    host       text NOT NULL,
    pid        integer NOT NULL,
    started_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    metrics    jsonb NOT NULL
);

-- ---------------------------------------------------------------------------------------------------------
-- Rollups. The Apache edition has no continuous aggregates, and ours aggregate over array columns, so the
-- cloud maintains them itself: ingest marks the (home, hour) buckets it touched, `porchlight rollup`
-- recomputes just those once their hour has closed. App counters are not kept per report: ingest appends
-- them, summed per (home, hour, device, app), to app_pending, and the rollup job folds closed hours into
-- app_hourly (written once per hour, so the retained table never churns).
CREATE TABLE rollup_dirty (
    home_key  integer NOT NULL,
    bucket    timestamptz NOT NULL,
    marked_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (home_key, bucket)
);

-- Days whose daily rollups need recomputing (marked by the hourly rollup and the app fold).
CREATE TABLE rollup_dirty_daily (
    home_key  integer NOT NULL,
    day       timestamptz NOT NULL,
    marked_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (home_key, day)
);

CREATE TABLE home_hourly (
    home_key            integer NOT NULL,
    bucket              timestamptz NOT NULL,
    reports             smallint NOT NULL,
    -- Wi-Fi
    wifi_bytes          double precision,    -- tx + rx bytes of all stations
    signal_dbm          real,                -- traffic-weighted mean signal
    tx_rate_mbps        real,                -- traffic-weighted mean downlink PHY rate
    rx_rate_mbps        real,
    retry_pct           real,                -- tx_retries / tx_packets
    busy_pct            real,                -- mean channel busy over radios and reports
    busy_max_pct        real,
    weak_signal_min     real,                -- station-minutes below the weak-signal threshold
    stations_max        smallint,
    -- QoE per target class: first_hop, internet (every other icmp/tcp target), dns
    first_hop_rtt_ms    real, first_hop_rtt_p95_ms real, first_hop_jitter_ms real, first_hop_loss_pct real,
    internet_rtt_ms     real, internet_rtt_p95_ms  real, internet_jitter_ms  real, internet_loss_pct  real,
    dns_ms              real, dns_p95_ms           real, dns_loss_pct        real,
    -- health
    cpu_pct             real,
    cpu_max_pct         real,
    mem_used_pct        real,
    load1_max           real,
    reboots             smallint,
    wan_flaps           smallint,
    wan_down_s          integer,
    wan_rx_bytes        bigint,
    wan_tx_bytes        bigint,
    PRIMARY KEY (home_key, bucket)
);
SELECT create_hypertable('home_hourly', 'bucket', chunk_time_interval => interval '7 days',
                         create_default_indexes => false);

CREATE TABLE home_daily (LIKE home_hourly INCLUDING DEFAULTS);
ALTER TABLE home_daily ALTER COLUMN reports TYPE integer, ALTER COLUMN reboots TYPE integer,
    ALTER COLUMN wan_flaps TYPE integer;
ALTER TABLE home_daily ADD PRIMARY KEY (home_key, bucket);
SELECT create_hypertable('home_daily', 'bucket', chunk_time_interval => interval '30 days',
                         create_default_indexes => false);

CREATE TABLE app_pending (
    home_key   integer NOT NULL,
    bucket     timestamptz NOT NULL,
    device_key integer NOT NULL,
    app_id     integer NOT NULL,
    bytes_up   bigint NOT NULL,
    bytes_down bigint NOT NULL,
    flows      integer NOT NULL,
    new_flows  integer NOT NULL,
    dests_max  integer NOT NULL,
    active_s   integer NOT NULL
);
CREATE INDEX app_pending_bucket_idx ON app_pending (bucket);

CREATE TABLE app_hourly (
    home_key   integer NOT NULL,
    bucket     timestamptz NOT NULL,
    device_key integer NOT NULL,             -- 0: the gateway itself or an address with no known device
    app_id     integer NOT NULL,             -- label_id of the application
    bytes_up   bigint NOT NULL,
    bytes_down bigint NOT NULL,
    flows      integer NOT NULL,
    new_flows  integer NOT NULL,
    dests_max  integer NOT NULL,             -- most distinct destinations in one sample
    active_s   integer NOT NULL,             -- samples with traffic x sample interval
    PRIMARY KEY (home_key, bucket, device_key, app_id)
);
SELECT create_hypertable('app_hourly', 'bucket', chunk_time_interval => interval '1 day',
                         create_default_indexes => false);

CREATE TABLE app_daily (LIKE app_hourly INCLUDING DEFAULTS);
ALTER TABLE app_daily ADD PRIMARY KEY (home_key, bucket, device_key, app_id);
SELECT create_hypertable('app_daily', 'bucket', chunk_time_interval => interval '7 days',
                         create_default_indexes => false);

-- Chunks whose indexes were rebuilt densely after their time range ended (store/compaction.py).
CREATE TABLE compacted_chunks (
    chunk        text PRIMARY KEY,
    compacted_at timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------------------------------------------------
-- Views that name the matrix fields: what analytics and the API read.
CREATE VIEW health_samples AS
SELECT r.ts, r.home_key, r.boot_key, r.seq, r.span_s, r.health_samples AS samples, r.uptime_s, r.reboots,
       r.load1, r.cpu_pct, r.cpu_max_pct, r.mem_used_pct, r.wan_down_s, r.wan_flaps, r.wan_rx_bytes,
       r.wan_tx_bytes, r.conntrack_max, r.agent_cpu_ms, r.agent_rss_kb, r.dropped_reports, r.queue_depth
FROM reports r;

CREATE VIEW station_samples AS
SELECT r.ts, r.home_key, r.st_device[i] AS device_key,
       (r.st_q[6 * i - 5] / 10.0)::real AS band_ghz, r.st_q[6 * i - 4] AS signal_avg_dbm,
       r.st_q[6 * i - 3] AS signal_min_dbm, r.st_q[6 * i - 2] AS tx_rate_mbps, r.st_q[6 * i - 1] AS rx_rate_mbps,
       r.st_q[6 * i] AS weak_s,
       r.st_c[4 * i - 3]::bigint AS tx_bytes, r.st_c[4 * i - 2]::bigint AS rx_bytes,
       r.st_c[4 * i - 1]::bigint AS tx_packets, r.st_c[4 * i]::bigint AS tx_retries
FROM reports r, generate_series(1, cardinality(r.st_device)) AS i;

CREATE VIEW radio_samples AS
SELECT r.ts, r.home_key, (r.ra[8 * i - 7] / 10.0)::real AS band_ghz, r.ra[8 * i - 6] AS channel,
       r.ra[8 * i - 5] AS width_mhz, r.ra[8 * i - 4] AS noise_dbm, r.ra[8 * i - 3] AS busy_pct,
       r.ra[8 * i - 2] AS tx_pct, r.ra[8 * i - 1] AS rx_pct, r.ra[8 * i] AS stations
FROM reports r, generate_series(1, cardinality(r.ra) / 8) AS i;

CREATE VIEW probe_samples AS
SELECT r.ts, r.home_key, l.name AS target, (ARRAY['icmp', 'tcp', 'dns'])[r.pr[6 * i - 5]] AS kind,
       r.pr[6 * i - 4] AS sent, r.pr[6 * i - 3] AS lost, (r.pr[6 * i - 2] / 10.0)::real AS rtt_ms,
       (r.pr[6 * i - 1] / 10.0)::real AS rtt_max_ms, (r.pr[6 * i] / 10.0)::real AS jitter_ms
FROM reports r CROSS JOIN LATERAL generate_series(1, cardinality(r.pr_target)) AS i
JOIN labels l ON l.label_id = r.pr_target[i];

-- ---------------------------------------------------------------------------------------------------------
-- Native compression where the license has it (Community edition). The Apache edition stores raw chunks
-- as they are; docs/storage.md shows the budget is met without it.
DO $$
BEGIN
    IF current_setting('timescaledb.license', true) = 'timescale' THEN
        ALTER TABLE reports SET (timescaledb.compress, timescaledb.compress_segmentby = 'home_key',
                                 timescaledb.compress_orderby = 'ts, boot_key, seq');
        PERFORM add_compression_policy('reports', interval '2 days');
        ALTER TABLE events SET (timescaledb.compress, timescaledb.compress_segmentby = 'home_key',
                                timescaledb.compress_orderby = 'ts');
        PERFORM add_compression_policy('events', interval '7 days');
        ALTER TABLE app_hourly SET (timescaledb.compress, timescaledb.compress_segmentby = 'home_key',
                                    timescaledb.compress_orderby = 'bucket, device_key, app_id');
        PERFORM add_compression_policy('app_hourly', interval '7 days');
    END IF;
END
$$;
