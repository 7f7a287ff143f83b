-- chainvault: requires timescaledb
-- The continuous aggregates of 002 named each figure after the bucket it was read in: hourly_option_summary's
-- `closing_oi` is not a closing figure of that hour (it is OCC's open interest settled after the previous
-- session), and daily_option_summary's `open_interest` sat on the day of its snapshot, one trading day after
-- the day it belongs to. Both are rebuilt so every figure carries its own day: open_interest with
-- open_interest_date (migration 066), and tick 9 as prior_close (the previous session's close). A continuous
-- aggregate's columns cannot be renamed or added in place, so they are dropped (with their refresh policies) and
-- created again (a continuous aggregate is a view to COMMENT ON); refresh_continuous_aggregate fills them from the raw ticks on the next policy run.
DROP MATERIALIZED VIEW IF EXISTS hourly_option_summary;
DROP MATERIALIZED VIEW IF EXISTS daily_option_summary;

CREATE MATERIALIZED VIEW hourly_option_summary
WITH (timescaledb.continuous) AS
SELECT
    contract_id,
    time_bucket(INTERVAL '1 hour', time) AS hour,
    avg(bid_price) AS avg_bid,
    avg(ask_price) AS avg_ask,
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
    last(bid_price, time) AS bid_price,
    last(ask_price, time) AS ask_price,
    last(last_price, time) AS last_price,
    last(close_price, time) AS prior_close,
    max(volume) AS volume,
    last(open_interest, time) AS open_interest,
    last(open_interest_date, time) AS open_interest_date,
    last(implied_volatility, time) AS implied_volatility,
    last(underlying_price, time) AS underlying_price,
    count(*) AS snapshots
FROM market_data_ticks
GROUP BY contract_id, day
WITH NO DATA;

COMMENT ON VIEW hourly_option_summary IS
    'open_interest is OCC''s figure for open_interest_date (the previous trading day), not a close of this hour';
COMMENT ON VIEW daily_option_summary IS
    'Per contract and UTC day: last quote; prior_close is the previous session''s close (tick 9); open_interest belongs to open_interest_date';

SELECT add_continuous_aggregate_policy('hourly_option_summary',
    start_offset => INTERVAL '7 days', end_offset => INTERVAL '1 hour',
    schedule_interval => INTERVAL '1 hour', if_not_exists => true);
SELECT add_continuous_aggregate_policy('daily_option_summary',
    start_offset => INTERVAL '7 days', end_offset => INTERVAL '1 hour',
    schedule_interval => INTERVAL '1 hour', if_not_exists => true);
