-- The run that found each data-quality issue: the collector's run id (collection_runs.run_id, the
-- same id its status row and logs carry), so `chainvault quality`, `status` and alerts can name the
-- run an issue belongs to. NULL for issues of the daemon's bookkeeping (gap check, expiry) and for
-- those stored before this migration. Plain SQL: identical on PGlite and a server.
ALTER TABLE data_quality_issues ADD COLUMN run_id UUID;
CREATE INDEX idx_quality_issues_run ON data_quality_issues (run_id);
