-- chainvault: requires timescaledb
-- 002 created a paused 2-year retention policy on market_data_ticks. Retention is now the daemon's guarded job
-- (src/archive/retention.ts): it deletes a month only after a verified Parquet archive of it exists, which a
-- TimescaleDB policy cannot check. The paused policy would drop unarchived chunks the moment anyone resumed it.
SELECT remove_retention_policy('market_data_ticks', if_exists => true);
