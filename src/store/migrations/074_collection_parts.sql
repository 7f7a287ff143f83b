-- A collection split into parts that several workers take from the job queue (src/collect/split.ts). One row
-- per part of the collection's current plan; the plan's coordinator writes the rows, each part's worker its
-- own row, and whoever settles the last part sets daily_collection_status from all of them.
CREATE TABLE collection_parts (
    collection_date  DATE NOT NULL,
    symbol           VARCHAR(10) NOT NULL,
    collection_type  VARCHAR(20) NOT NULL,
    part_index       INTEGER NOT NULL,
    part_count       INTEGER NOT NULL,
    -- The coordinator run that planned the parts: a job of an older plan finds it replaced and does nothing.
    plan_id          UUID NOT NULL,
    -- The selected contracts (option_chains ids) the part snapshots: discovered once, by the coordinator.
    contract_ids     INTEGER[] NOT NULL,
    contract_count   INTEGER NOT NULL,
    -- Contracts discovery listed for the whole collection (the same on each part): its status row's count.
    contracts_listed INTEGER,
    -- The underlying's price when the coordinator quoted it: the part's greeks are computed from it.
    underlying_price DOUBLE PRECISION,
    stored_count     INTEGER NOT NULL DEFAULT 0,
    failed_count     INTEGER NOT NULL DEFAULT 0,
    -- queued, running, completed, partial (some contracts dead-lettered) or failed (its retries ran out).
    status           VARCHAR(20) NOT NULL DEFAULT 'queued',
    attempts         INTEGER NOT NULL DEFAULT 0,
    worker           TEXT,
    gateway          TEXT,
    run_id           UUID,
    queued_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at       TIMESTAMPTZ,
    completed_at     TIMESTAMPTZ,
    error_message    TEXT,
    PRIMARY KEY (collection_date, symbol, collection_type, part_index)
);
CREATE INDEX idx_collection_parts_status ON collection_parts (status) WHERE status IN ('queued', 'running');
