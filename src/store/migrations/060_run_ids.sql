-- Correlation ids and the facts `chainvault status` reports. Plain PostgreSQL: identical on PGlite and a server.

-- One id per collection run (the id its collection_runs rows carry) or daemon slot attempt, written into every
-- row the run leaves and every log line it writes, so a status row, a dead letter and the log tell one story.
-- The listed/selected counts let status show coverage against what the run set out to collect.
ALTER TABLE daily_collection_status
    ADD COLUMN run_id             UUID,
    ADD COLUMN contracts_listed   INTEGER,
    ADD COLUMN contracts_selected INTEGER;
CREATE INDEX idx_collection_status_run ON daily_collection_status (run_id);

ALTER TABLE collection_dead_letters ADD COLUMN run_id UUID;
CREATE INDEX idx_dead_letters_run ON collection_dead_letters (run_id);

-- A slot attempt's id is also the id of the collection it runs: one id from the queue to the quotes.
ALTER TABLE daemon_slot_runs ADD COLUMN run_id UUID;
CREATE INDEX idx_daemon_slot_runs_date ON daemon_slot_runs (collection_date);

-- When chainvault first started on this database (the first daemon or collection, by its own clock). Slots
-- whose window had closed before it were never expected: status shows them as skipped, and neither the
-- scheduler nor the gap check reports them missed.
-- One row, written once, never overwritten.
CREATE TABLE chainvault_install (
    singleton    BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    installed_at TIMESTAMPTZ NOT NULL,
    recorded_by  TEXT NOT NULL
);

-- A database that already holds runs was in use before this migration: its first recorded run is its start.
-- A fresh database gets its row from the first daemon or collection instead.
INSERT INTO chainvault_install (installed_at, recorded_by)
SELECT first_run, 'migration 060 (earliest recorded run)'
  FROM (SELECT LEAST(
                 (SELECT min(collection_time) FROM daily_collection_status),
                 (SELECT min(started_at) FROM daily_collection_status),
                 (SELECT min(started_at) FROM daemon_slot_runs)) AS first_run) AS earliest
 WHERE first_run IS NOT NULL;
