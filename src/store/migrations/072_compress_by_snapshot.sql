-- chainvault: requires timescaledb
-- Compressed batches of market_data_ticks ordered by snapshot (collection_date, collection_type), then contract.
-- The chain-at-snapshot query (reads/chain-reads.ts chainQuotes) filters on collection_date and collection_type;
-- ordered by contract first (002), every compressed batch spans the chunk's whole date range, so the query
-- decompressed the whole 30-day chunk. Measured with bench/storage on 90 trading days of the simulator's full
-- SPY chain (406k quotes, analytics + eod): the chain query went from 1.2 s uncompressed to 9.4 s compressed under
-- 002's order, and from 0.39 s to 0.09 s under this one (batch min/max of collection_date skip the other days),
-- while the compression ratio against the row store with its indexes rose from 4.74:1 to 5.09:1 (neighbouring
-- strikes of one snapshot are as alike as one contract's neighbouring days). Chunks already compressed keep the
-- order they were compressed with; the policy compresses new chunks in this one.
ALTER TABLE market_data_ticks SET (
    timescaledb.compress_segmentby = '',
    timescaledb.compress_orderby = 'collection_date, collection_type, contract_id, time DESC'
);
