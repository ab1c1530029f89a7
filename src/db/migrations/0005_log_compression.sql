-- The disclosure log keeps the exact text of every extract (~3.4 kB, compressed by TOAST to
-- ~1.2 kB). lz4 compresses it several times faster than PostgreSQL's default pglz, and the log
-- is written on the extract hot path. A server built without lz4 (the embedded database)
-- keeps pglz: the texts read back the same either way.
DO $$
BEGIN
  ALTER TABLE extracts ALTER COLUMN content SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  NULL;
END $$;
