-- What a quote's open interest and close really are. IB's option open interest (ticks 27/28, generic tick 101)
-- is OCC's figure settled after the previous session, and tick 9 (close_price) is the previous session's close:
-- a chain collected on trading day D carries D's quotes beside D−1's open interest and close. A backtest that
-- reads open_interest as "the open interest on collection_date" is off by one trading day (three calendar days
-- on a Monday, more after a holiday).
--
-- open_interest_date is the trading day the open_interest figure belongs to: the trading day before
-- collection_date per the NYSE calendar (src/calendar previousTradingDay), set by the collector with the figure
-- and NULL when the quote carried none. Rows stored before this migration keep NULL: their figure belongs to
-- the trading day before their collection_date all the same. Nullable and without a default so that adding it
-- to a TimescaleDB hypertable with compressed chunks rewrites nothing.
ALTER TABLE market_data_ticks ADD COLUMN open_interest_date DATE;

COMMENT ON COLUMN market_data_ticks.open_interest IS
    'OCC open interest settled after the previous session (IB ticks 27/28): it belongs to open_interest_date, not collection_date';
COMMENT ON COLUMN market_data_ticks.open_interest_date IS
    'Trading day the open_interest figure belongs to: the trading day before collection_date (NULL when no figure, or stored before migration 066)';
COMMENT ON COLUMN market_data_ticks.close_price IS
    'IB tick 9: the prior session''s close (the trading day before collection_date), not this snapshot''s day; on hist_daily rows (daily bars) the bar''s own close, equal to last_price';
COMMENT ON COLUMN underlying_ticks.close_price IS
    'IB tick 9: the prior session''s close (the trading day before collection_date), not this snapshot''s day';
