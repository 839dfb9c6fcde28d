-- Analytics results (issue 7): hourly QoE scores, segments, the home's normal, findings with their history,
-- regional incidents and the runs that produced them. Written by porchlight_cloud.analytics only.

-- Every run of an analysis job: what ran, for which time, how long it took and what it found.
CREATE TABLE analysis_runs (
    run_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job         text NOT NULL,          -- qoe_hourly, struggling_daily, struggling_recent, activity_change, ...
    as_of       timestamptz NOT NULL,   -- the analysed time (end of the window), not the wall clock
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    status      text NOT NULL DEFAULT 'running',   -- running, ok, failed
    detail      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX analysis_runs_job_idx ON analysis_runs (job, as_of DESC);

-- Per home and hour: the overall QoE score, its four components and the reasons, worst first.
CREATE TABLE qoe_hourly (
    home_key      integer NOT NULL,
    bucket        timestamptz NOT NULL,
    score         real,
    wifi          real,
    access        real,
    health        real,
    stability     real,
    traffic_bytes double precision NOT NULL DEFAULT 0,
    reasons       jsonb NOT NULL DEFAULT '[]',
    computed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (home_key, bucket)
);
SELECT create_hypertable('qoe_hourly', 'bucket', chunk_time_interval => interval '7 days',
                         create_default_indexes => false);

-- Per home and day: the day's median hourly score and its spread; the home's normal is the median over the
-- last two weeks of these (cheap to keep, unlike a two-week percentile over hourly rows for every home).
CREATE TABLE qoe_daily_normal (
    home_key     integer NOT NULL,
    day          date NOT NULL,
    median_score real NOT NULL,
    mad_score    real NOT NULL,
    hours        smallint NOT NULL,
    PRIMARY KEY (home_key, day)
);

-- Per home and day: its segment (behaviour, tenure, region, plan) as used by that day's findings.
CREATE TABLE home_segments (
    home_key    integer NOT NULL,
    day         date NOT NULL,
    tenure      text NOT NULL,          -- new (first two weeks) or established
    behaviours  text[] NOT NULL,        -- streamer, gamer, work_from_home, light_user
    segment_key text NOT NULL,          -- tenure/main behaviour/region: the peer group
    region      text,
    plan        text,
    devices     integer NOT NULL DEFAULT 0,
    usage       jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (home_key, day)
);
CREATE INDEX home_segments_key_idx ON home_segments (day, segment_key);

-- Regional incidents: one row per incident, updated while it lasts, ended_at set when it ends.
CREATE TABLE incidents (
    incident_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    level         text NOT NULL,        -- region, area or node
    area          text NOT NULL,        -- the region/area/node name at that level
    started_at    timestamptz NOT NULL, -- estimated onset (early quartile of the affected homes' first bad probe)
    detected_at   timestamptz NOT NULL, -- analysed time of the run that first found it
    last_seen_at  timestamptz NOT NULL,
    ended_at      timestamptz,
    homes_total   integer NOT NULL,
    peak_degraded integer NOT NULL,
    why           text NOT NULL,
    history       jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX incidents_open_idx ON incidents (ended_at, last_seen_at);

CREATE TABLE incident_homes (
    incident_id   bigint NOT NULL REFERENCES incidents ON DELETE CASCADE,
    home_key      integer NOT NULL,
    first_seen_at timestamptz NOT NULL,
    PRIMARY KEY (incident_id, home_key)
);
CREATE INDEX incident_homes_home_idx ON incident_homes (home_key);

-- Findings: every entry of every list, with why. Daily lists add rows per day (history: what was flagged on
-- which day and why); near-real-time findings are episodes: one row from first_flagged_at until cleared_at.
CREATE TABLE findings (
    finding_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id           bigint REFERENCES analysis_runs,
    list             text NOT NULL,     -- struggling_daily, struggling_recent, activity_change, cohort, incident
    kind             text NOT NULL,     -- struggling, smtp_spam, destination_spread, streaming_device_silent, ...
    day              date,              -- the day a daily list is for
    as_of            timestamptz NOT NULL,
    home_key         integer,
    device_key       integer,
    mac              text,
    app              text,
    model            text,
    firmware         text,
    component        text,
    area_level       text,
    area             text,
    incident_id      bigint REFERENCES incidents,
    place            text,              -- home_wifi, home_device, gateway, access_network, region
    magnitude        real NOT NULL DEFAULT 0,   -- impact, |z| x hours, or effect size: what the list is ranked by
    rank             integer,
    summary          text NOT NULL,
    reasons          jsonb NOT NULL,
    action           text,
    segment          jsonb,
    first_flagged_at timestamptz NOT NULL,
    last_flagged_at  timestamptz NOT NULL,
    cleared_at       timestamptz
);
CREATE INDEX findings_list_day_idx ON findings (list, day, rank);
CREATE INDEX findings_home_idx ON findings (home_key, as_of);
CREATE INDEX findings_open_idx ON findings (list, home_key) WHERE cleared_at IS NULL;
