-- chain_daily puts each figure on its own day (issue 11). Until now the row for trading day D carried the
-- open interest and close its snapshot reported, which are D-1's (migration 066). Now D's row also carries
-- `close` and `open_interest` for D itself, taken from the next trading day's snapshot (NULL until it is stored),
-- and keeps the reported figures as `prior_close`, `open_interest_reported` and `open_interest_date` for a
-- backtest that must see only what was known on D. docs/schema.md lists the columns. The view is dropped and
-- recreated: CREATE OR REPLACE VIEW cannot rename or insert columns. Plain SQL on every engine.
--
-- The TimescaleDB continuous aggregate daily_option_summary (068) is left as it is: a continuous aggregate
-- groups one bucket's rows and cannot read the next bucket's (no joins between buckets, no window functions),
-- so it keeps each figure beside its date (open_interest with open_interest_date, prior_close).
--
-- chain_daily: one row per contract per trading day in the layout of Cboe's "Option EOD Summary": the 15:45
-- (analytics) snapshot and the end-of-day snapshot side by side. A contract quoted by only one of the two has
-- NULL in the other's columns. When a collection was stored twice (a forced re-run) the latest quote counts.
--
-- Written as "a key row per contract-day, then each snapshot looked up" rather than an aggregate or a FULL JOIN:
-- a filter on the symbol, the OCC symbol or the date then reaches the indexes (a GROUP BY or FULL JOIN would
-- aggregate the whole table first). The key row is the day's eod quote, or its analytics quote when there is no
-- eod one.
DROP VIEW IF EXISTS chain_daily;
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
    -- quote_date's own close and open interest: reported by the next trading day's snapshot (IB's tick 9 and
    -- OCC open interest are the previous session's), so NULL until that snapshot is stored.
    n.close_price AS close,
    n.open_interest,
    -- What this day's snapshot reported, as known at the time: the previous session's close and open interest
    -- (open_interest_date, migration 066, is the day the figure belongs to). The end-of-day snapshot's when
    -- there is one.
    coalesce(e.close_price, a.close_price) AS prior_close,
    CASE WHEN e.open_interest IS NOT NULL THEN e.open_interest ELSE a.open_interest END AS open_interest_reported,
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
-- The next snapshot whose figures are dated quote_date: the first later day reporting them, its eod quote
-- preferred. open_interest_date marks the session tick 9 belongs to as well; matching on it rather than on "the
-- next stored day" keeps a missed collection (no snapshot on D+1, so D+2 reports D+1's figures) from putting
-- D+1's figures on D. Only analytics/eod rows: a hist_daily bar's close_price is its own day's close.
LEFT JOIN LATERAL (
    SELECT x.open_interest, x.close_price FROM market_data_ticks x
     WHERE x.contract_id = k.contract_id AND x.open_interest_date = k.collection_date
       AND x.collection_date > k.collection_date AND x.collection_type IN ('analytics', 'eod')
     ORDER BY x.collection_date, x.collection_type = 'eod' DESC, x.time DESC LIMIT 1
) n ON true
LEFT JOIN underlying_snapshots ua
    ON ua.underlying_id = c.underlying_id AND ua.collection_date = k.collection_date
   AND ua.collection_type = 'analytics'
LEFT JOIN underlying_snapshots ue
    ON ue.underlying_id = c.underlying_id AND ue.collection_date = k.collection_date
   AND ue.collection_type = 'eod'
WHERE k.collection_type IN ('analytics', 'eod')
  AND ((k.collection_type = 'eod' AND k.time = e.time)
    OR (k.collection_type = 'analytics' AND e.time IS NULL AND k.time = a.time));
