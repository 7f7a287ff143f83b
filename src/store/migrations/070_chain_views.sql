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
--
-- Written as "a key row per contract-day, then each snapshot looked up" rather than an aggregate or a FULL JOIN:
-- a filter on the symbol, the OCC symbol or the date then reaches the indexes (a GROUP BY or FULL JOIN would
-- aggregate the whole table first). The key row is the day's eod quote, or its analytics quote when there is no
-- eod one.
CREATE VIEW chain_daily AS
SELECT
    u.symbol AS underlying_symbol,
    k.collection_date AS quote_date,
    c.trading_class AS root,
    c.expiration_date AS expiration,
    c.strike_price AS strike,
    c.option_type,
    c.contract_symbol AS occ_symbol,
    c.multiplier,
    a.time AS quote_time_1545,
    a.bid_size AS bid_size_1545,
    a.bid_price AS bid_1545,
    a.ask_size AS ask_size_1545,
    a.ask_price AS ask_1545,
    a.last_price AS last_1545,
    ua.bid AS underlying_bid_1545,
    ua.ask AS underlying_ask_1545,
    ua.last AS underlying_last_1545,
    a.underlying_price AS underlying_price_1545,
    a.implied_volatility AS implied_volatility_1545,
    a.delta AS delta_1545,
    a.gamma AS gamma_1545,
    a.theta AS theta_1545,
    a.vega AS vega_1545,
    a.rho AS rho_1545,
    a.greeks_source AS greeks_source_1545,
    e.time AS quote_time_eod,
    e.bid_size AS bid_size_eod,
    e.bid_price AS bid_eod,
    e.ask_size AS ask_size_eod,
    e.ask_price AS ask_eod,
    e.last_price AS last_eod,
    ue.bid AS underlying_bid_eod,
    ue.ask AS underlying_ask_eod,
    ue.last AS underlying_last_eod,
    e.underlying_price AS underlying_price_eod,
    e.implied_volatility AS implied_volatility_eod,
    e.delta AS delta_eod,
    e.gamma AS gamma_eod,
    e.theta AS theta_eod,
    e.vega AS vega_eod,
    e.rho AS rho_eod,
    e.greeks_source AS greeks_source_eod,
    -- IB's open interest and close (tick 9) are the previous session's figures, not quote_date's: each comes
    -- with the day it belongs to (open_interest_date, migration 066). The end-of-day snapshot's when there is one.
    coalesce(e.close_price, a.close_price) AS prior_close,
    CASE WHEN e.open_interest IS NOT NULL THEN e.open_interest ELSE a.open_interest END AS open_interest,
    CASE WHEN e.open_interest IS NOT NULL THEN e.open_interest_date ELSE a.open_interest_date END
        AS open_interest_date,
    coalesce(e.volume, a.volume) AS trade_volume,
    k.contract_id
FROM market_data_ticks k
JOIN option_chains c ON c.id = k.contract_id
JOIN underlying_securities u ON u.id = c.underlying_id
LEFT JOIN LATERAL (
    SELECT * FROM market_data_ticks x
     WHERE x.collection_date = k.collection_date AND x.collection_type = 'analytics'
       AND x.contract_id = k.contract_id
     ORDER BY x.time DESC LIMIT 1
) a ON true
LEFT JOIN LATERAL (
    SELECT * FROM market_data_ticks x
     WHERE x.collection_date = k.collection_date AND x.collection_type = 'eod'
       AND x.contract_id = k.contract_id
     ORDER BY x.time DESC LIMIT 1
) e ON true
LEFT JOIN underlying_snapshots ua
    ON ua.underlying_id = c.underlying_id AND ua.collection_date = k.collection_date
   AND ua.collection_type = 'analytics'
LEFT JOIN underlying_snapshots ue
    ON ue.underlying_id = c.underlying_id AND ue.collection_date = k.collection_date
   AND ue.collection_type = 'eod'
WHERE k.collection_type IN ('analytics', 'eod')
  AND ((k.collection_type = 'eod' AND k.time = e.time)
    OR (k.collection_type = 'analytics' AND e.time IS NULL AND k.time = a.time));
