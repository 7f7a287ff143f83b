-- The Parquet archive's ledger (issue 14): one row per table per UTC month written by `chainvault archive run`.
-- Retention asks this table before it deletes anything: a month's raw rows go only when every table of that month
-- has a verified archive whose row count still equals what the database holds (a late insert after the archive
-- was written makes the month "changed since archive" and keeps it).
CREATE TABLE archive_months (
    month          DATE NOT NULL,                -- first day of the UTC month
    table_name     TEXT NOT NULL,
    location       TEXT NOT NULL,                -- the file's key under the target (dir path or s3://bucket/key)
    row_count      BIGINT NOT NULL,
    min_time       TIMESTAMPTZ,
    max_time       TIMESTAMPTZ,
    sha256         TEXT NOT NULL,                -- of the Parquet file's bytes
    content_sum    TEXT NOT NULL,                -- order-independent checksum of the rows (src/archive/checksum.ts)
    schema_version INTEGER NOT NULL,             -- the migration the rows were written under
    written_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    verified_at    TIMESTAMPTZ,                  -- last `archive verify` that read the file back and matched
    dropped_at     TIMESTAMPTZ,                  -- retention deleted the month's raw rows
    dropped_rows   BIGINT,
    PRIMARY KEY (month, table_name)
);
