-- greeks_source names the model that filled what IB left out, now that there are two: 'amer' (the American
-- model: equity and ETF options) and 'bs' (European Black–Scholes–Merton: European-style index options), beside
-- 'ib' (IB's option computation). 'model' stays valid: rows stored before this migration carry it, and it meant
-- Black–Scholes–Merton, the only model then. Every value fits VARCHAR(5), so the column keeps its type — changing
-- a column's type is refused on a TimescaleDB hypertable with compressed chunks, replacing a CHECK is not.
--
-- iv_flag says why a quote has no implied volatility from its mid although it has a two-sided market:
-- 'below_intrinsic' (the mid is at or below the no-arbitrage floor — for an American option its exercise value)
-- or 'wide_spread' (ask − bid is wider than pricing.max_relative_spread of the mid). Such a mid is a fact about
-- the market, not a price: the quote keeps NULL model IV and greeks, and the quality rules can count these.
--
-- NOT VALID: the old rows satisfy the wider check by construction, so the table (hundreds of millions of rows,
-- compressed) is not scanned; new rows are checked.
ALTER TABLE market_data_ticks DROP CONSTRAINT IF EXISTS market_data_ticks_greeks_source_check;
ALTER TABLE market_data_ticks ADD CONSTRAINT market_data_ticks_greeks_source_check
    CHECK (greeks_source IN ('ib', 'bs', 'amer', 'model')) NOT VALID;
ALTER TABLE market_data_ticks ADD COLUMN iv_flag VARCHAR(16)
    CONSTRAINT market_data_ticks_iv_flag_check CHECK (iv_flag IN ('below_intrinsic', 'wide_spread'));
