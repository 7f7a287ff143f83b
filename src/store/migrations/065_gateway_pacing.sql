-- The message rate each gateway allowed the last run that had to slow down for it (error 100): the next run's
-- pacer starts there instead of at ib.max_messages_per_second, and climbs back to the ceiling from there.
-- Keyed by the gateway's host:port as the collector reaches it.
CREATE TABLE gateway_pacing (
    gateway             TEXT PRIMARY KEY,
    messages_per_second DOUBLE PRECISION NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
