-- A page's arrays (the ids a page saw, a run log batch's ids and origin ids: 10,000 each) are
-- compressed with lz4 instead of pglz: pglz took about 2 ms of PostgreSQL's CPU per array of
-- 10,000 ids (2026-12-06, 100 arrays: 509–546 ms against 252–298 with lz4, which stores them a
-- fifth larger), about 3% of its CPU in a first run (perf). A server built without lz4 keeps pglz.
DO $$
BEGIN
  ALTER TABLE "sync_seen_pages" ALTER COLUMN "external_ids" SET COMPRESSION lz4;
  ALTER TABLE "run_log_batches" ALTER COLUMN "ids" SET COMPRESSION lz4, ALTER COLUMN "origin_ids" SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  RAISE NOTICE 'lz4 is not available: page arrays stay compressed with pglz';
END
$$;
