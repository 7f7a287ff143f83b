-- Who holds a collection (date, symbol, type) right now, and the replacement a forced run has under
-- way. daily_collection_status stays exactly ADR-001's; ownership lives beside it. One row per key,
-- kept after the run: released_at says it is free, replacing_before that a replacement is pending.
CREATE TABLE collection_runs (
    collection_date  DATE NOT NULL,
    symbol           VARCHAR(10) NOT NULL,
    collection_type  VARCHAR(20) NOT NULL,
    run_id           UUID NOT NULL,
    owner_pid        INTEGER NOT NULL,
    owner_host       TEXT NOT NULL,
    started_at       TIMESTAMPTZ NOT NULL,
    heartbeat_at     TIMESTAMPTZ NOT NULL,
    -- NULL while the run holds the key.
    released_at      TIMESTAMPTZ,
    -- A forced run writes its snapshot beside the old one: rows of the collection older than this
    -- gateway time are the old snapshot, deleted when the new one is recorded. NULL: no replacement.
    replacing_before TIMESTAMPTZ,
    PRIMARY KEY (collection_date, symbol, collection_type)
);
