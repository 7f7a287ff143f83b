-- Alerts raised by src/alerts/: one row per (kind, date, symbol), so a storm of failures, a retry or a
-- restarted daemon sends one message per problem, and one `resolved` message when it recovers.
-- Delivery is tracked on the row: `undelivered` names the channels the current state has not reached;
-- a later start sends to them again.
CREATE TABLE alerts (
    id                  BIGSERIAL PRIMARY KEY,
    kind                VARCHAR(32) NOT NULL,     -- slot_failed | coverage_low | quality_error | gateway_unreachable
    alert_date          DATE NOT NULL,            -- New York trading date of what failed
    symbol              VARCHAR(10) NOT NULL,     -- '*' for run-wide slots and for the gateway
    state               VARCHAR(10) NOT NULL CHECK (state IN ('firing', 'resolved')),
    -- What is still wrong under this key (slot types; type:rule for quality), as a JSON array of strings:
    -- the alert resolves when the last of them recovers.
    open_items          JSONB NOT NULL DEFAULT '[]',
    collection_type     VARCHAR(20),              -- of the event that last changed the state
    run_id              TEXT,
    message             TEXT NOT NULL,
    -- Bumped at each change of state: a delivery of an older state never counts for a newer one.
    revision            INTEGER NOT NULL DEFAULT 1,
    times_fired         INTEGER NOT NULL DEFAULT 1,
    repeats_suppressed  INTEGER NOT NULL DEFAULT 0,
    first_fired_at      TIMESTAMPTZ NOT NULL,
    changed_at          TIMESTAMPTZ NOT NULL,
    resolved_at         TIMESTAMPTZ,
    undelivered         JSONB NOT NULL DEFAULT '[]',
    delivery_attempts   INTEGER NOT NULL DEFAULT 0,
    last_delivery_error TEXT,
    delivered_at        TIMESTAMPTZ,
    UNIQUE (kind, alert_date, symbol)
);
CREATE INDEX idx_alerts_undelivered ON alerts (changed_at) WHERE undelivered <> '[]'::jsonb;
