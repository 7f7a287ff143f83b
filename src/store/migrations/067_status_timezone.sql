-- daily_collection_status.timezone is the zone of the plan a row belongs to (schedule.timezone, else the
-- machine's), written by every run. 001 gave it a fixed default ('Asia/Jerusalem', the first user's zone) that a
-- row written without a zone silently took, and the daemon's own rows said 'America/New_York': neither was the
-- plan's. Without a default, a row whose writer knows no plan says NULL instead of a guess. Existing rows keep
-- their value.
--
-- collection_time, started_at and completed_at of a collection row are all read from the gateway's clock
-- (the daemon's own rows: the daemon's clock), no longer started_at/completed_at from the database's now().
ALTER TABLE daily_collection_status ALTER COLUMN timezone DROP DEFAULT;
COMMENT ON COLUMN daily_collection_status.timezone IS
    'The plan''s zone (schedule.timezone, else the machine''s) when the row was written; NULL when its writer had no plan';
COMMENT ON COLUMN daily_collection_status.started_at IS
    'Run start by the gateway''s clock (the daemon''s for its bookkeeping rows), the clock of collection_time and completed_at';
