-- The cause family of a regional incident, so overlapping events of different causes stay separate incidents:
--   access   : packet loss, homes gone silent, or a round trip up at or before the first hop (the access network)
--   upstream : the round trip beyond the first hop is up while the first hop is as usual (congestion past it)
ALTER TABLE incidents ADD COLUMN cause text NOT NULL DEFAULT 'access' CHECK (cause IN ('access', 'upstream'));
