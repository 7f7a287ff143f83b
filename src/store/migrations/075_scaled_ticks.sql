-- market_data_ticks stores its prices and greeks as integers of their declared numeric scale: bid_price
-- numeric(12, 4) becomes bid_price_e4 bigint (the bid in 1/10,000 of a dollar), gamma numeric(10, 6) gamma_e6,
-- and so on (src/store/repositories/tick-columns.ts lists them; docs/schema.md explains the choice). Every value
-- a column could hold converts exactly (value x 10^scale is an integer; int4 where it has at most 9 digits, int8
-- otherwise), and the suffix names the unit so no raw read can take it for dollars. The views and TimescaleDB's
-- continuous aggregates turn them back into the same decimals under the same names, so users' SQL is unchanged.
--
-- Why: TimescaleDB compresses numeric only as opaque values, integers with delta-of-delta and simple-8b. Measured
-- with bench/storage on 90 trading days of the simulator's full SPY chain (analytics + eod): the compression
-- ratio against the row store with its indexes rose from 6.34:1 (072) to the figure docs/schema.md records.
--
-- Runs on every engine. Views reading the columns must go before their type can change; on TimescaleDB so must the
-- continuous aggregates, the compression policy and the columnstore itself: a compressed chunk is decompressed
-- first and compressed again at the end, in the new layout. The aggregates come back empty: refresh them with
-- CALL refresh_continuous_aggregate('daily_option_summary', NULL, NULL) (and hourly_option_summary) outside a
-- transaction; their policies refresh the last 7 days by themselves.
DROP VIEW IF EXISTS chain_daily;
DROP VIEW IF EXISTS chain_quotes;

DO $$
DECLARE
    hypertable boolean := false;
BEGIN
    -- Only where 002 made market_data_ticks a hypertable (TimescaleDB's catalog exists only with the extension).
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
        EXECUTE 'SELECT EXISTS (SELECT 1 FROM timescaledb_information.hypertables
                                 WHERE hypertable_schema = current_schema() AND hypertable_name = ''market_data_ticks'')'
            INTO hypertable;
    END IF;
    IF hypertable THEN
        DROP MATERIALIZED VIEW IF EXISTS hourly_option_summary;
        DROP MATERIALIZED VIEW IF EXISTS daily_option_summary;
        PERFORM remove_compression_policy('market_data_ticks', if_exists => true);
        -- The chunks compressed now are compressed again below, so the table takes no more space afterwards.
        CREATE TEMP TABLE chainvault_075_compressed ON COMMIT DROP AS
            SELECT format('%I.%I', chunk_schema, chunk_name) AS chunk FROM timescaledb_information.chunks
             WHERE hypertable_schema = current_schema() AND hypertable_name = 'market_data_ticks' AND is_compressed;
        PERFORM decompress_chunk(chunk::regclass) FROM chainvault_075_compressed;
        ALTER TABLE market_data_ticks SET (timescaledb.compress = false);
    END IF;
END
$$;

ALTER TABLE market_data_ticks RENAME COLUMN bid_price TO bid_price_e4;
ALTER TABLE market_data_ticks RENAME COLUMN ask_price TO ask_price_e4;
ALTER TABLE market_data_ticks RENAME COLUMN last_price TO last_price_e4;
ALTER TABLE market_data_ticks RENAME COLUMN close_price TO close_price_e4;
ALTER TABLE market_data_ticks RENAME COLUMN delta TO delta_e4;
ALTER TABLE market_data_ticks RENAME COLUMN gamma TO gamma_e6;
ALTER TABLE market_data_ticks RENAME COLUMN theta TO theta_e4;
ALTER TABLE market_data_ticks RENAME COLUMN vega TO vega_e4;
ALTER TABLE market_data_ticks RENAME COLUMN rho TO rho_e4;
ALTER TABLE market_data_ticks RENAME COLUMN implied_volatility TO implied_volatility_e4;
ALTER TABLE market_data_ticks RENAME COLUMN underlying_price TO underlying_price_e4;
ALTER TABLE market_data_ticks
    ALTER COLUMN bid_price_e4 TYPE bigint USING round(bid_price_e4 * 10000)::bigint,
    ALTER COLUMN ask_price_e4 TYPE bigint USING round(ask_price_e4 * 10000)::bigint,
    ALTER COLUMN last_price_e4 TYPE bigint USING round(last_price_e4 * 10000)::bigint,
    ALTER COLUMN close_price_e4 TYPE bigint USING round(close_price_e4 * 10000)::bigint,
    ALTER COLUMN delta_e4 TYPE integer USING round(delta_e4 * 10000)::integer,
    ALTER COLUMN gamma_e6 TYPE bigint USING round(gamma_e6 * 1000000)::bigint,
    ALTER COLUMN theta_e4 TYPE bigint USING round(theta_e4 * 10000)::bigint,
    ALTER COLUMN vega_e4 TYPE bigint USING round(vega_e4 * 10000)::bigint,
    ALTER COLUMN rho_e4 TYPE bigint USING round(rho_e4 * 10000)::bigint,
    ALTER COLUMN implied_volatility_e4 TYPE integer USING round(implied_volatility_e4 * 10000)::integer,
    ALTER COLUMN underlying_price_e4 TYPE bigint USING round(underlying_price_e4 * 10000)::bigint;

-- TimescaleDB: compressed batches of one snapshot (collection_date, collection_type), contracts in order (072's
-- layout, which the chain query needs to skip other days' batches), now over integers.
DO $$
DECLARE
    hypertable boolean := false;
BEGIN
    -- Only where 002 made market_data_ticks a hypertable (TimescaleDB's catalog exists only with the extension).
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
        EXECUTE 'SELECT EXISTS (SELECT 1 FROM timescaledb_information.hypertables
                                 WHERE hypertable_schema = current_schema() AND hypertable_name = ''market_data_ticks'')'
            INTO hypertable;
    END IF;
    IF hypertable THEN
        ALTER TABLE market_data_ticks SET (
            timescaledb.compress,
            timescaledb.compress_segmentby = '',
            timescaledb.compress_orderby = 'collection_date, collection_type, contract_id, time DESC'
        );
        PERFORM add_compression_policy('market_data_ticks', INTERVAL '7 days', if_not_exists => true);
        PERFORM compress_chunk(chunk::regclass) FROM chainvault_075_compressed;

        -- 068's aggregates, reading the decimals.
        CREATE MATERIALIZED VIEW hourly_option_summary
        WITH (timescaledb.continuous) AS
        SELECT
            contract_id,
            time_bucket(INTERVAL '1 hour', time) AS hour,
            avg((bid_price_e4::numeric / 10000)::numeric(12, 4)) AS avg_bid,
            avg((ask_price_e4::numeric / 10000)::numeric(12, 4)) AS avg_ask,
            sum(volume) AS total_volume,
            last(open_interest, time) AS open_interest,
            last(open_interest_date, time) AS open_interest_date
        FROM market_data_ticks
        GROUP BY contract_id, hour
        WITH NO DATA;

        CREATE MATERIALIZED VIEW daily_option_summary
        WITH (timescaledb.continuous) AS
        SELECT
            contract_id,
            time_bucket(INTERVAL '1 day', time) AS day,
            last((bid_price_e4::numeric / 10000)::numeric(12, 4), time) AS bid_price,
            last((ask_price_e4::numeric / 10000)::numeric(12, 4), time) AS ask_price,
            last((last_price_e4::numeric / 10000)::numeric(12, 4), time) AS last_price,
            last((close_price_e4::numeric / 10000)::numeric(12, 4), time) AS prior_close,
            max(volume) AS volume,
            last(open_interest, time) AS open_interest,
            last(open_interest_date, time) AS open_interest_date,
            last((implied_volatility_e4::numeric / 10000)::numeric(8, 4), time) AS implied_volatility,
            last((underlying_price_e4::numeric / 10000)::numeric(12, 4), time) AS underlying_price,
            count(*) AS snapshots
        FROM market_data_ticks
        GROUP BY contract_id, day
        WITH NO DATA;

        COMMENT ON VIEW hourly_option_summary IS
            'open_interest is OCC''s figure for open_interest_date (the previous trading day), not a close of this hour';
        COMMENT ON VIEW daily_option_summary IS
            'Per contract and UTC day: last quote; prior_close is the previous session''s close (tick 9); open_interest belongs to open_interest_date';

        PERFORM add_continuous_aggregate_policy('hourly_option_summary',
            start_offset => INTERVAL '7 days', end_offset => INTERVAL '1 hour',
            schedule_interval => INTERVAL '1 hour', if_not_exists => true);
        PERFORM add_continuous_aggregate_policy('daily_option_summary',
            start_offset => INTERVAL '7 days', end_offset => INTERVAL '1 hour',
            schedule_interval => INTERVAL '1 hour', if_not_exists => true);
    END IF;
END
$$;

-- 070's chain_quotes and 073's chain_daily, unchanged but for reading the decimals from the scaled integers.
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
    (q.bid_price_e4::numeric / 10000)::numeric(12, 4) AS bid,
    (q.ask_price_e4::numeric / 10000)::numeric(12, 4) AS ask,
    q.bid_size,
    q.ask_size,
    (q.last_price_e4::numeric / 10000)::numeric(12, 4) AS last,
    (q.close_price_e4::numeric / 10000)::numeric(12, 4) AS prior_close,
    q.volume,
    q.open_interest,
    q.open_interest_date,
    (q.implied_volatility_e4::numeric / 10000)::numeric(8, 4) AS implied_volatility,
    (q.delta_e4::numeric / 10000)::numeric(7, 4) AS delta,
    (q.gamma_e6::numeric / 1000000)::numeric(10, 6) AS gamma,
    (q.theta_e4::numeric / 10000)::numeric(10, 4) AS theta,
    (q.vega_e4::numeric / 10000)::numeric(10, 4) AS vega,
    (q.rho_e4::numeric / 10000)::numeric(10, 4) AS rho,
    q.greeks_source,
    q.iv_flag,
    (q.underlying_price_e4::numeric / 10000)::numeric(12, 4) AS underlying_price,
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
    (a.bid_price_e4::numeric / 10000)::numeric(12, 4) AS bid_1545,
    a.ask_size AS ask_size_1545,
    (a.ask_price_e4::numeric / 10000)::numeric(12, 4) AS ask_1545,
    (a.last_price_e4::numeric / 10000)::numeric(12, 4) AS last_1545,
    ua.bid AS underlying_bid_1545,
    ua.ask AS underlying_ask_1545,
    ua.last AS underlying_last_1545,
    (a.underlying_price_e4::numeric / 10000)::numeric(12, 4) AS underlying_price_1545,
    (a.implied_volatility_e4::numeric / 10000)::numeric(8, 4) AS implied_volatility_1545,
    (a.delta_e4::numeric / 10000)::numeric(7, 4) AS delta_1545,
    (a.gamma_e6::numeric / 1000000)::numeric(10, 6) AS gamma_1545,
    (a.theta_e4::numeric / 10000)::numeric(10, 4) AS theta_1545,
    (a.vega_e4::numeric / 10000)::numeric(10, 4) AS vega_1545,
    (a.rho_e4::numeric / 10000)::numeric(10, 4) AS rho_1545,
    a.greeks_source AS greeks_source_1545,
    e.time AS quote_time_eod,
    e.bid_size AS bid_size_eod,
    (e.bid_price_e4::numeric / 10000)::numeric(12, 4) AS bid_eod,
    e.ask_size AS ask_size_eod,
    (e.ask_price_e4::numeric / 10000)::numeric(12, 4) AS ask_eod,
    (e.last_price_e4::numeric / 10000)::numeric(12, 4) AS last_eod,
    ue.bid AS underlying_bid_eod,
    ue.ask AS underlying_ask_eod,
    ue.last AS underlying_last_eod,
    (e.underlying_price_e4::numeric / 10000)::numeric(12, 4) AS underlying_price_eod,
    (e.implied_volatility_e4::numeric / 10000)::numeric(8, 4) AS implied_volatility_eod,
    (e.delta_e4::numeric / 10000)::numeric(7, 4) AS delta_eod,
    (e.gamma_e6::numeric / 1000000)::numeric(10, 6) AS gamma_eod,
    (e.theta_e4::numeric / 10000)::numeric(10, 4) AS theta_eod,
    (e.vega_e4::numeric / 10000)::numeric(10, 4) AS vega_eod,
    (e.rho_e4::numeric / 10000)::numeric(10, 4) AS rho_eod,
    e.greeks_source AS greeks_source_eod,
    -- quote_date's own close and open interest: reported by the next trading day's snapshot (IB's tick 9 and
    -- OCC open interest are the previous session's), so NULL until that snapshot is stored.
    (n.close_price_e4::numeric / 10000)::numeric(12, 4) AS close,
    n.open_interest,
    -- What this day's snapshot reported, as known at the time: the previous session's close and open interest
    -- (open_interest_date, migration 066, is the day the figure belongs to). The end-of-day snapshot's when
    -- there is one.
    coalesce((e.close_price_e4::numeric / 10000)::numeric(12, 4), (a.close_price_e4::numeric / 10000)::numeric(12, 4)) AS prior_close,
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
    SELECT x.open_interest, x.close_price_e4 FROM market_data_ticks x
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
