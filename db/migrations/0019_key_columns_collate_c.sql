-- The keys of the connector space, the register, the contracts, the staging and the pending
-- exports compare byte by byte (COLLATE "C"): they are identifiers, whose order means nothing,
-- and a comparison under the database's locale copies both strings and calls strcoll, about a
-- tenth of PostgreSQL's CPU in a first run (perf, 2026-12-06), where each new object adds five
-- entries to these indexes and every page probes them once per object. A value compared with
-- them (a parameter, a working table's column) takes their collation, so the indexes still serve
-- every look-up; and as these tables are joined on their keys, all of them change together. (The
-- run log's origin ids stay as they are: a view reads them, and nothing probes them from another
-- table.) Their indexes are rebuilt.
ALTER TABLE "connector_space_objects" ALTER COLUMN "entity" TYPE text COLLATE "C", ALTER COLUMN "external_id" TYPE text COLLATE "C";--> statement-breakpoint
ALTER TABLE "register_objects" ALTER COLUMN "object_type" TYPE text COLLATE "C", ALTER COLUMN "external_key" TYPE text COLLATE "C";--> statement-breakpoint
ALTER TABLE "contracts" ALTER COLUMN "origin_id" TYPE text COLLATE "C";--> statement-breakpoint
ALTER TABLE "sync_staging" ALTER COLUMN "external_id" TYPE text COLLATE "C";--> statement-breakpoint
ALTER TABLE "pending_exports" ALTER COLUMN "origin_id" TYPE text COLLATE "C";
