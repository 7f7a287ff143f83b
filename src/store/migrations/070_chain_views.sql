-- Read views for backtests and exports (docs/schema.md describes them column by column). Plain SQL: identical
-- on PGlite, PostgreSQL and TimescaleDB. They only join and rename; values keep the tables' types.
--
-- underlying_snapshots: the underlying's quote of each collection — one row per (symbol, trading day, type), the
-- latest tick when a forced re-run stored the collection twice.
CREATE VIEW underlying_snapshots AS
SELECT DISTINCT ON (t.underlying_id, t.collection_date, t.collection_type)
    u.symbol AS underlying_symbol,
    t.collection_date,
    t.collection_type,
    t.time AS quote_time,
    t.bid_price AS bid,
    t.ask_price AS ask,
    t.last_price AS last,
    t.close_price AS prior_close,
    t.bid_size,
    t.ask_size,
    t.volume,
    t.implied_volatility,
    t.historical_volatility,
    t.underlying_id
FROM underlying_ticks t
JOIN underlying_securities u ON u.id = t.underlying_id
ORDER BY t.underlying_id, t.collection_date, t.collection_type, t.time DESC;

-- chain_quotes: one row per contract per stored snapshot, with the contract spelled out and the underlying's
-- bid/ask/last of the same collection beside it.
CREATE VIEW chain_quotes AS
SELECT
    u.symbol AS underlying_symbol,
    c.contract_symbol AS occ_symbol,
    c.trading_class,
    c.expiration_date AS expiration,
    c.strike_price AS strike,
    c.option_type,
    c.multiplier,
    q.collection_date,
    q.collection_type,
    q.time AS quote_time,
    q.bid_price AS bid,
    q.ask_price AS ask,
    q.bid_size,
    q.ask_size,
    q.last_price AS last,
    q.close_price AS prior_close,
    q.volume,
    q.open_interest,
    q.open_interest_date,
    q.implied_volatility,
    q.delta,
    q.gamma,
    q.theta,
    q.vega,
    q.rho,
    q.greeks_source,
    q.iv_flag,
    q.underlying_price,
    s.bid AS underlying_bid,
    s.ask AS underlying_ask,
    s.last AS underlying_last,
    q.market_data_type,
    q.contract_id
FROM market_data_ticks q
JOIN option_chains c ON c.id = q.contract_id
JOIN underlying_securities u ON u.id = c.underlying_id
LEFT JOIN underlying_snapshots s
    ON s.underlying_id = c.underlying_id
   AND s.collection_date = q.collection_date
   AND s.collection_type = q.collection_type;

-- chain_daily: one row per contract per trading day in the layout of Cboe's "Option EOD Summary": the 15:45
-- (analytics) snapshot and the end-of-day snapshot side by side. A contract quoted by only one of the two has
-- NULL in the other's columns. When a collection was stored twice (a forced re-run) the latest quote counts.
CREATE VIEW chain_daily AS
WITH latest AS (
    SELECT DISTINCT ON (q.contract_id, q.collection_date, q.collection_type) q.*
    FROM market_data_ticks q
    WHERE q.collection_type IN ('analytics', 'eod')
    ORDER BY q.contract_id, q.collection_date, q.collection_type, q.time DESC
), day AS (
    -- At most one row per type remains per (contract, day), so max(… FILTER) picks that row's value.
    SELECT
        l.contract_id,
        l.collection_date,
        max(l.time) FILTER (WHERE l.collection_type = 'analytics') AS quote_time_1545,
        max(l.bid_size) FILTER (WHERE l.collection_type = 'analytics') AS bid_size_1545,
        max(l.bid_price) FILTER (WHERE l.collection_type = 'analytics') AS bid_1545,
        max(l.ask_size) FILTER (WHERE l.collection_type = 'analytics') AS ask_size_1545,
        max(l.ask_price) FILTER (WHERE l.collection_type = 'analytics') AS ask_1545,
        max(l.last_price) FILTER (WHERE l.collection_type = 'analytics') AS last_1545,
        max(l.underlying_price) FILTER (WHERE l.collection_type = 'analytics') AS underlying_price_1545,
        max(l.implied_volatility) FILTER (WHERE l.collection_type = 'analytics') AS implied_volatility_1545,
        max(l.delta) FILTER (WHERE l.collection_type = 'analytics') AS delta_1545,
        max(l.gamma) FILTER (WHERE l.collection_type = 'analytics') AS gamma_1545,
        max(l.theta) FILTER (WHERE l.collection_type = 'analytics') AS theta_1545,
        max(l.vega) FILTER (WHERE l.collection_type = 'analytics') AS vega_1545,
        max(l.rho) FILTER (WHERE l.collection_type = 'analytics') AS rho_1545,
        max(l.greeks_source) FILTER (WHERE l.collection_type = 'analytics') AS greeks_source_1545,
        max(l.open_interest) FILTER (WHERE l.collection_type = 'analytics') AS open_interest_1545,
        max(l.open_interest_date) FILTER (WHERE l.collection_type = 'analytics') AS open_interest_date_1545,
        max(l.close_price) FILTER (WHERE l.collection_type = 'analytics') AS close_1545,
        max(l.volume) FILTER (WHERE l.collection_type = 'analytics') AS volume_1545,
        max(l.time) FILTER (WHERE l.collection_type = 'eod') AS quote_time_eod,
        max(l.bid_size) FILTER (WHERE l.collection_type = 'eod') AS bid_size_eod,
        max(l.bid_price) FILTER (WHERE l.collection_type = 'eod') AS bid_eod,
        max(l.ask_size) FILTER (WHERE l.collection_type = 'eod') AS ask_size_eod,
        max(l.ask_price) FILTER (WHERE l.collection_type = 'eod') AS ask_eod,
        max(l.last_price) FILTER (WHERE l.collection_type = 'eod') AS last_eod,
        max(l.close_price) FILTER (WHERE l.collection_type = 'eod') AS close_eod,
        max(l.underlying_price) FILTER (WHERE l.collection_type = 'eod') AS underlying_price_eod,
        max(l.implied_volatility) FILTER (WHERE l.collection_type = 'eod') AS implied_volatility_eod,
        max(l.delta) FILTER (WHERE l.collection_type = 'eod') AS delta_eod,
        max(l.gamma) FILTER (WHERE l.collection_type = 'eod') AS gamma_eod,
        max(l.theta) FILTER (WHERE l.collection_type = 'eod') AS theta_eod,
        max(l.vega) FILTER (WHERE l.collection_type = 'eod') AS vega_eod,
        max(l.rho) FILTER (WHERE l.collection_type = 'eod') AS rho_eod,
        max(l.greeks_source) FILTER (WHERE l.collection_type = 'eod') AS greeks_source_eod,
        max(l.open_interest) FILTER (WHERE l.collection_type = 'eod') AS open_interest_eod,
        max(l.open_interest_date) FILTER (WHERE l.collection_type = 'eod') AS open_interest_date_eod,
        max(l.volume) FILTER (WHERE l.collection_type = 'eod') AS volume_eod
    FROM latest l
    GROUP BY l.contract_id, l.collection_date
)
SELECT
    u.symbol AS underlying_symbol,
    d.collection_date AS quote_date,
    c.trading_class AS root,
    c.expiration_date AS expiration,
    c.strike_price AS strike,
    c.option_type,
    c.contract_symbol AS occ_symbol,
    c.multiplier,
    d.quote_time_1545,
    d.bid_size_1545,
    d.bid_1545,
    d.ask_size_1545,
    d.ask_1545,
    d.last_1545,
    a.bid AS underlying_bid_1545,
    a.ask AS underlying_ask_1545,
    a.last AS underlying_last_1545,
    d.underlying_price_1545,
    d.implied_volatility_1545,
    d.delta_1545,
    d.gamma_1545,
    d.theta_1545,
    d.vega_1545,
    d.rho_1545,
    d.greeks_source_1545,
    d.quote_time_eod,
    d.bid_size_eod,
    d.bid_eod,
    d.ask_size_eod,
    d.ask_eod,
    d.last_eod,
    e.bid AS underlying_bid_eod,
    e.ask AS underlying_ask_eod,
    e.last AS underlying_last_eod,
    d.underlying_price_eod,
    d.implied_volatility_eod,
    d.delta_eod,
    d.gamma_eod,
    d.theta_eod,
    d.vega_eod,
    d.rho_eod,
    d.greeks_source_eod,
    -- IB's open interest and close (tick 9) are the previous session's figures, not quote_date's: each comes
    -- with the day it belongs to (open_interest_date, migration 066). The end-of-day snapshot's when there is one.
    coalesce(d.close_eod, d.close_1545) AS prior_close,
    CASE WHEN d.open_interest_eod IS NOT NULL THEN d.open_interest_eod ELSE d.open_interest_1545 END AS open_interest,
    CASE WHEN d.open_interest_eod IS NOT NULL THEN d.open_interest_date_eod ELSE d.open_interest_date_1545 END
        AS open_interest_date,
    coalesce(d.volume_eod, d.volume_1545) AS trade_volume,
    d.contract_id
FROM day d
JOIN option_chains c ON c.id = d.contract_id
JOIN underlying_securities u ON u.id = c.underlying_id
LEFT JOIN underlying_snapshots a
    ON a.underlying_id = c.underlying_id AND a.collection_date = d.collection_date
   AND a.collection_type = 'analytics'
LEFT JOIN underlying_snapshots e
    ON e.underlying_id = c.underlying_id AND e.collection_date = d.collection_date
   AND e.collection_type = 'eod';
