-- The daemon's own bookkeeping (src/daemon/). Slot outcomes live in daily_collection_status;
-- these two tables hold what a restarted or second daemon must know.

-- How far the scheduler has planned: every slot due up to planned_through has been queued or
-- recorded as missed. Kept here, not in memory, so sleep, clock jumps and restarts resume from it.
CREATE TABLE daemon_state (
    name            TEXT PRIMARY KEY,
    planned_through TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One row per attempt to run a slot, by whichever daemon ran it: the audit trail that shows a slot
-- ran once (or was skipped because it already had), and what `daemon` health reports as last run.
CREATE TABLE daemon_slot_runs (
    id              BIGSERIAL PRIMARY KEY,
    slot_key        TEXT NOT NULL,               -- type:symbol:date
    collection_type VARCHAR(20) NOT NULL,
    symbol          VARCHAR(10) NOT NULL,        -- '*' when the slot is not about one underlying
    collection_date DATE NOT NULL,
    daemon_id       TEXT NOT NULL,
    job_id          UUID NOT NULL,
    attempt         INTEGER NOT NULL,
    started_at      TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ,
    outcome         VARCHAR(20),                 -- completed | skipped | missed | failed | interrupted
    detail          TEXT
);
CREATE INDEX idx_daemon_slot_runs_key ON daemon_slot_runs (slot_key);
CREATE INDEX idx_daemon_slot_runs_started ON daemon_slot_runs (started_at DESC);
