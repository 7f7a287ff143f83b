-- The index the chain reads need: "the chain of a symbol at one snapshot" (the API's chainQuotes, the
-- chain_quotes view, `chainvault export`) selects one (collection_date, collection_type), and chain_daily looks
-- up each contract's 15:45 and eod quotes of a day by (collection_date, collection_type, contract_id). Without
-- it, every contract the symbol ever listed (thousands after a year, expired ones included) was probed through
-- market_data_ticks_key: bench/query.ts measured 45–60 ms for a 1,080-contract chain after 40 days of data,
-- growing with the history; with it the read touches only that snapshot's rows (docs/backtesting.md has the
-- figures). On TimescaleDB the index is created on every chunk.
CREATE INDEX IF NOT EXISTS idx_market_data_ticks_day
    ON market_data_ticks (collection_date, collection_type, contract_id);
