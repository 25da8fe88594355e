-- Each remembered answer's records' digests (activities/steps/import-page.ts, partlyRecognisedPage):
-- a later answer at the same place reuses what was remembered of each record whose bytes it still
-- holds. Stored uncompressed, like the page's hashes (digests do not compress).
ALTER TABLE "source_pages" ADD COLUMN "record_digests" "bytea";--> statement-breakpoint
ALTER TABLE "source_pages" ADD COLUMN "records_read_as" text;--> statement-breakpoint
ALTER TABLE "source_pages" ALTER COLUMN "record_digests" SET STORAGE EXTERNAL;
