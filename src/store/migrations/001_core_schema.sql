-- chainvault core schema: plain PostgreSQL (>= 14), identical on PGlite and on a server.
-- Column names are the ones existing backtesting code reads; renaming one breaks it.
-- TimescaleDB features are added by 002_timescale.sql where the extension is present.

CREATE TABLE underlying_securities (
    id               SERIAL PRIMARY KEY,
    symbol           VARCHAR(10) NOT NULL UNIQUE,
    security_type    VARCHAR(10) NOT NULL CHECK (security_type IN ('STK', 'ETF', 'IND')),
    ib_con_id        BIGINT UNIQUE,
    exchange         VARCHAR(20) NOT NULL DEFAULT 'SMART',
    primary_exchange VARCHAR(20),
    currency         VARCHAR(3) NOT NULL DEFAULT 'USD',
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One row per option contract, kept after expiry (IB forgets it 30-60 days later; we must not).
CREATE TABLE option_chains (
    id              SERIAL PRIMARY KEY,
    contract_symbol VARCHAR(21) NOT NULL UNIQUE,          -- OCC symbol, e.g. "SPY   251219C00600000"
    underlying_id   INTEGER NOT NULL REFERENCES underlying_securities (id),
    strike_price    NUMERIC(12, 3) NOT NULL,
    option_type     CHAR(1) NOT NULL CHECK (option_type IN ('C', 'P')),
    expiration_date DATE NOT NULL,
    ib_con_id       BIGINT UNIQUE,
    multiplier      INTEGER NOT NULL DEFAULT 100,
    exchange        VARCHAR(20) NOT NULL DEFAULT 'SMART',
    trading_class   VARCHAR(20),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_option_chains_underlying_expiry ON option_chains (underlying_id, expiration_date);

-- One row per contract per snapshot. No foreign key to option_chains: it would check every row of
-- a bulk COPY (ids come from upsertContracts), and TimescaleDB compression restricts FKs anyway.
CREATE TABLE market_data_ticks (
    time               TIMESTAMPTZ NOT NULL,
    collection_date    DATE NOT NULL,
    contract_id        INTEGER NOT NULL,
    collection_type    VARCHAR(20) NOT NULL,
    bid_price          NUMERIC(12, 4),
    ask_price          NUMERIC(12, 4),
    last_price         NUMERIC(12, 4),
    close_price        NUMERIC(12, 4),
    bid_size           INTEGER,
    ask_size           INTEGER,
    volume             BIGINT,
    open_interest      INTEGER,
    delta              NUMERIC(7, 4),
    gamma              NUMERIC(10, 6),
    theta              NUMERIC(10, 4),
    vega               NUMERIC(10, 4),
    rho                NUMERIC(10, 4),
    implied_volatility NUMERIC(8, 4),
    underlying_price   NUMERIC(12, 4),
    market_data_type   SMALLINT,                           -- IB: 1 live, 2 frozen, 3 delayed, 4 delayed frozen
    greeks_source      VARCHAR(5) CHECK (greeks_source IN ('ib', 'model')),
    -- The idempotency key: storing the same snapshot twice leaves one copy.
    CONSTRAINT market_data_ticks_key UNIQUE (contract_id, collection_type, time)
);
CREATE INDEX idx_market_data_ticks_time ON market_data_ticks (time DESC);

CREATE TABLE underlying_ticks (
    time                  TIMESTAMPTZ NOT NULL,
    collection_date       DATE NOT NULL,
    underlying_id         INTEGER NOT NULL REFERENCES underlying_securities (id),
    collection_type       VARCHAR(20) NOT NULL,
    bid_price             NUMERIC(12, 4),
    ask_price             NUMERIC(12, 4),
    last_price            NUMERIC(12, 4),
    close_price           NUMERIC(12, 4),
    bid_size              INTEGER,
    ask_size              INTEGER,
    volume                BIGINT,
    implied_volatility    NUMERIC(8, 4),
    historical_volatility NUMERIC(8, 4),
    market_data_type      SMALLINT,
    CONSTRAINT underlying_ticks_key UNIQUE (underlying_id, collection_type, time)
);
CREATE INDEX idx_underlying_ticks_time ON underlying_ticks (time DESC);

-- One row per run, keyed by (collection_date, symbol, collection_type).
CREATE TABLE daily_collection_status (
    id                SERIAL PRIMARY KEY,
    collection_date   DATE NOT NULL,
    collection_time   TIMESTAMPTZ NOT NULL,
    symbol            VARCHAR(10) NOT NULL,
    collection_type   VARCHAR(20),
    started_at        TIMESTAMPTZ,
    completed_at      TIMESTAMPTZ,
    status            VARCHAR(20),
    records_collected INTEGER,
    error_message     TEXT,
    timezone          VARCHAR(50) DEFAULT 'Asia/Jerusalem',
    UNIQUE (collection_date, symbol, collection_type)
);
CREATE INDEX idx_collection_status_date ON daily_collection_status (collection_date);
CREATE INDEX idx_collection_status_symbol ON daily_collection_status (symbol);

-- One row per contract, with the unique index that makes lifecycle upserts possible.
CREATE TABLE option_contract_lifecycle (
    contract_id      INTEGER REFERENCES option_chains (id),
    first_seen       DATE NOT NULL,
    last_seen        DATE,
    expiry_collected BOOLEAN DEFAULT FALSE,
    status           VARCHAR(20)
);
CREATE UNIQUE INDEX idx_lifecycle_contract ON option_contract_lifecycle (contract_id);
CREATE INDEX idx_lifecycle_status ON option_contract_lifecycle (status);

-- Work that failed permanently (or exhausted its retries), kept for inspection and replay.
CREATE TABLE collection_dead_letters (
    id              BIGSERIAL PRIMARY KEY,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    collection_date DATE,
    symbol          VARCHAR(10),
    collection_type VARCHAR(20),
    contract_id     INTEGER REFERENCES option_chains (id),
    contract_symbol VARCHAR(21),
    category        VARCHAR(20) NOT NULL,                  -- transient | pacing | connectivity | permanent | data
    error_code      INTEGER,
    error_message   TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 1,
    payload         JSONB,
    resolved_at     TIMESTAMPTZ
);
CREATE INDEX idx_dead_letters_date ON collection_dead_letters (collection_date);
CREATE INDEX idx_dead_letters_unresolved ON collection_dead_letters (created_at) WHERE resolved_at IS NULL;

CREATE TABLE data_quality_issues (
    id              BIGSERIAL PRIMARY KEY,
    detected_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    collection_date DATE NOT NULL,
    symbol          VARCHAR(10),
    collection_type VARCHAR(20),
    contract_id     INTEGER REFERENCES option_chains (id),
    rule            VARCHAR(50) NOT NULL,
    severity        VARCHAR(10) NOT NULL CHECK (severity IN ('info', 'warning', 'error')),
    message         TEXT NOT NULL,
    details         JSONB
);
CREATE INDEX idx_quality_issues_date ON data_quality_issues (collection_date, symbol);
