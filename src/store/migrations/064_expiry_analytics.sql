-- Chain analytics of one stored snapshot, per expiry (src/analytics, docs/analytics.md): the forward and
-- rate put-call parity implies, how well the fit went, box-spread rates per strike width and parity
-- breaches. Recomputed from market_data_ticks after each collection; a forced re-run replaces the rows.
-- Rates are continuously compounded, annual, ACT/365 decimals (0.04 = 4 %); prices are per share.
CREATE TABLE expiry_analytics (
    collection_date        DATE NOT NULL,
    collection_type        VARCHAR(20) NOT NULL,
    symbol                 VARCHAR(10) NOT NULL,
    expiry                 DATE NOT NULL,
    -- The instant time to expiry is measured from: the median time of the expiry's quotes.
    collection_time        TIMESTAMPTZ NOT NULL,
    years_to_expiry        DOUBLE PRECISION NOT NULL,
    exercise_style         VARCHAR(8) NOT NULL CHECK (exercise_style IN ('european', 'american')),
    underlying_price       DOUBLE PRECISION,
    -- NULL when fewer than 3 strikes had both rights two-sided (or T = 0 for the rates).
    forward                DOUBLE PRECISION,
    discount_factor        DOUBLE PRECISION,
    implied_rate           DOUBLE PRECISION,
    implied_dividend_yield DOUBLE PRECISION,
    rate_std_error         DOUBLE PRECISION,
    strikes_considered     INTEGER NOT NULL,
    strikes_used           INTEGER NOT NULL,
    residual_rms           DOUBLE PRECISION,
    -- Near-the-money strikes the robust fit rejected: [590, 595].
    excluded_strikes       JSONB NOT NULL,
    -- [{"width": "adjacent" | 5 | 10 | …, "pairs", "mid_rate", "lend_rate", "borrow_rate",
    --   "best_lend_rate", "best_borrow_rate"}]
    box_rates              JSONB NOT NULL,
    -- What the breach check priced parity with: the chain's rate (its expiries' implied rates weighted by
    -- 1 / standard error²) and this expiry's forward given that rate. NULL: no check.
    reference_rate         DOUBLE PRECISION,
    reference_forward      DOUBLE PRECISION,
    -- NULL: not checked (no fit, or American exercise without an underlying price).
    parity_breach_count    INTEGER,
    -- [{"strike", "kind": "conversion" | "reversal", "edge", "synthetic", "bound",
    --   "call_bid", "call_ask", "put_bid", "put_ask"}]
    parity_breaches        JSONB,
    -- The collection run that computed the row; NULL when computed outside a run.
    run_id                 UUID,
    computed_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (collection_date, collection_type, symbol, expiry)
);
CREATE INDEX idx_expiry_analytics_symbol ON expiry_analytics (symbol, collection_date);
