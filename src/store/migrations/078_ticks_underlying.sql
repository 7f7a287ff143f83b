-- market_data_ticks carries its contract's underlying (option_chains.underlying_id), indexed with the snapshot:
-- "the chain of one symbol at one snapshot" (reads/chain-reads.ts) then reads exactly that chain's rows. Through
-- option_chains it had to take the snapshot of every symbol and every contract of the symbol that had not expired
-- by that day — including all listed after it — so the read grew with the number of symbols and, for older days,
-- with the years of history. bench/query.ts (a year x 3 symbols): the server part of the read fell from about
-- 3.2 ms to 1.5 ms at the median; docs/backtesting.md has the figures of the whole read.
--
-- The value is derived: writers set it from option_chains (repositories/quotes.ts; restores of dumps and archives
-- made before this migration look it up), and dumps and archives leave it out, so they are the same before and
-- after this migration. An OCC symbol names its root, so a contract never changes underlying.
--
-- On TimescaleDB the compressed chunks are decompressed, filled and compressed again in 072/075's layout; one block,
-- so the new column is filled while compression is off.
DO $$
DECLARE
    hypertable boolean := false;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
        EXECUTE 'SELECT EXISTS (SELECT 1 FROM timescaledb_information.hypertables
                                 WHERE hypertable_schema = current_schema() AND hypertable_name = ''market_data_ticks'')'
            INTO hypertable;
    END IF;
    IF hypertable THEN
        PERFORM remove_compression_policy('market_data_ticks', if_exists => true);
        CREATE TEMP TABLE chainvault_078_compressed ON COMMIT DROP AS
            SELECT format('%I.%I', chunk_schema, chunk_name) AS chunk FROM timescaledb_information.chunks
             WHERE hypertable_schema = current_schema() AND hypertable_name = 'market_data_ticks' AND is_compressed;
        PERFORM decompress_chunk(chunk::regclass) FROM chainvault_078_compressed;
        ALTER TABLE market_data_ticks SET (timescaledb.compress = false);
    END IF;

    ALTER TABLE market_data_ticks ADD COLUMN underlying_id integer;
    UPDATE market_data_ticks t SET underlying_id = c.underlying_id FROM option_chains c WHERE c.id = t.contract_id;
    -- Quotes of a contract no longer in option_chains cannot belong to any chain; kept, under no underlying (0).
    UPDATE market_data_ticks SET underlying_id = 0 WHERE underlying_id IS NULL;
    ALTER TABLE market_data_ticks ALTER COLUMN underlying_id SET NOT NULL;
    CREATE INDEX IF NOT EXISTS idx_market_data_ticks_chain
        ON market_data_ticks (collection_date, collection_type, underlying_id);

    IF hypertable THEN
        ALTER TABLE market_data_ticks SET (
            timescaledb.compress,
            timescaledb.compress_segmentby = '',
            timescaledb.compress_orderby = 'collection_date, collection_type, contract_id, time DESC'
        );
        PERFORM add_compression_policy('market_data_ticks', INTERVAL '7 days', if_not_exists => true);
        PERFORM compress_chunk(chunk::regclass) FROM chainvault_078_compressed;
    END IF;
END
$$;
