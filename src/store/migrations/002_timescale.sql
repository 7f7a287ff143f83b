-- chainvault: requires timescaledb
-- Applied only where the timescaledb extension is installed; on plain PostgreSQL and the embedded
-- engine it is recorded as skipped (and applied by a later `db migrate` once the extension exists).
--
-- Chunk size and compression layout. chainvault stores end-of-day snapshots: about one row per
-- contract per collection per day (2k-20k rows a day), not a tick stream. The obvious layout
-- (1-day chunks, segmentby contract_id) leaves 1-5 rows per segment per chunk, and compressed
-- batches of a handful of rows carry more metadata than data: measured on EOD data the table grew
-- (0.61x in the dependency notes; 0.19x for 90 days x 2,000 contracts of random-valued quotes in
-- this repository, where the layout below gave 4.24x on the same rows). Instead:
--   * 30-day chunks: ~20-400k rows each, small enough to compress and drop whole months, large
--     enough that one contract has ~20 rows per chunk;
--   * no segmentby, orderby (contract_id, collection_type, time): each compressed batch of 1,000
--     rows holds consecutive days of neighbouring contracts, so delta/dictionary encoding works
--     (4-6x measured), and contract_id min/max metadata still lets queries skip batches.
--   * compress chunks 7 days after they end (the hot tier); late corrections still insert.
SELECT create_hypertable('market_data_ticks', 'time',
    chunk_time_interval => INTERVAL '30 days',
    create_default_indexes => false,
    if_not_exists => true,
    migrate_data => true);
ALTER TABLE market_data_ticks SET (
    timescaledb.compress,
    timescaledb.compress_segmentby = '',
    timescaledb.compress_orderby = 'contract_id, collection_type, time DESC'
);
SELECT add_compression_policy('market_data_ticks', INTERVAL '7 days', if_not_exists => true);

-- A few underlyings, a few rows a day: one chunk a year is plenty.
SELECT create_hypertable('underlying_ticks', 'time',
    chunk_time_interval => INTERVAL '365 days',
    create_default_indexes => false,
    if_not_exists => true,
    migrate_data => true);
ALTER TABLE underlying_ticks SET (
    timescaledb.compress,
    timescaledb.compress_segmentby = '',
    timescaledb.compress_orderby = 'underlying_id, collection_type, time DESC'
);
SELECT add_compression_policy('underlying_ticks', INTERVAL '30 days', if_not_exists => true);

-- Continuous aggregates. hourly_option_summary summarises intraday snapshots; daily_option_summary is what EOD
-- backtests read (one row per contract per day: last quote, volume, closing OI).
CREATE MATERIALIZED VIEW hourly_option_summary
WITH (timescaledb.continuous) AS
SELECT
    contract_id,
    time_bucket(INTERVAL '1 hour', time) AS hour,
    avg(bid_price) AS avg_bid,
    avg(ask_price) AS avg_ask,
    sum(volume) AS total_volume,
    last(open_interest, time) AS closing_oi
FROM market_data_ticks
GROUP BY contract_id, hour
WITH NO DATA;

CREATE MATERIALIZED VIEW daily_option_summary
WITH (timescaledb.continuous) AS
SELECT
    contract_id,
    time_bucket(INTERVAL '1 day', time) AS day,
    last(bid_price, time) AS bid_price,
    last(ask_price, time) AS ask_price,
    last(last_price, time) AS last_price,
    max(volume) AS volume,
    last(open_interest, time) AS open_interest,
    last(implied_volatility, time) AS implied_volatility,
    last(underlying_price, time) AS underlying_price,
    count(*) AS snapshots
FROM market_data_ticks
GROUP BY contract_id, day
WITH NO DATA;

SELECT add_continuous_aggregate_policy('hourly_option_summary',
    start_offset => INTERVAL '7 days', end_offset => INTERVAL '1 hour',
    schedule_interval => INTERVAL '1 hour', if_not_exists => true);
SELECT add_continuous_aggregate_policy('daily_option_summary',
    start_offset => INTERVAL '7 days', end_offset => INTERVAL '1 hour',
    schedule_interval => INTERVAL '1 hour', if_not_exists => true);

-- Raw ticks may retire after 2 years, but only to an archive. Dropping chunks before they are
-- archived would destroy exactly the data chainvault exists to preserve, so the policy is created
-- paused: the retention/archive step enables it (alter_job(..., scheduled => true)) once a chunk's
-- Parquet copy is verified.
SELECT alter_job(add_retention_policy('market_data_ticks', INTERVAL '2 years', if_not_exists => true),
    scheduled => false);
