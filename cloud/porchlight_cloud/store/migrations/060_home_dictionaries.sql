-- Home dictionaries (issue 4, wire size of busy homes): a zstd dictionary issued to one gateway, made of a fleet
-- dictionary (base_id) followed by one of that gateway's own recent report bodies (data holds that reference,
-- not the composed content). Ids of home dictionaries come from their own range, 2^31 - 2^32-1, so an id says
-- its kind; fleet dictionaries keep data = the trained dictionary and kind 'fleet'. Like every dictionary,
-- home dictionaries are kept forever: a gateway may compress with one until it hears of the next.
ALTER TABLE zstd_dictionaries
    ADD COLUMN kind       text NOT NULL DEFAULT 'fleet' CHECK (kind IN ('fleet', 'home')),
    ADD COLUMN base_id    bigint,
    ADD COLUMN gateway_id text,
    ADD CONSTRAINT home_dictionary_shape CHECK (
        (kind = 'fleet' AND base_id IS NULL AND gateway_id IS NULL AND dict_id < 2147483648) OR
        (kind = 'home' AND base_id IS NOT NULL AND gateway_id IS NOT NULL
         AND dict_id BETWEEN 2147483648 AND 4294967295));
CREATE INDEX zstd_dictionaries_gateway ON zstd_dictionaries (gateway_id, created_at) WHERE kind = 'home';
CREATE SEQUENCE home_dictionary_ids AS bigint MINVALUE 2147483648 MAXVALUE 4294967295 START 2147483648;

-- The newest report with a full device inventory of each gateway, as it arrived (envelope and compressed
-- body): what a home dictionary is made of. One row per gateway, replaced about hourly by ingest.
CREATE TABLE gateway_references (
    gateway_key integer PRIMARY KEY REFERENCES gateways,
    end_ts      timestamptz NOT NULL,
    payload     bytea NOT NULL
);
