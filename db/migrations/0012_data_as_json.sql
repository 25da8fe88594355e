-- The connector space's and the register's objects as json, not jsonb: written whole and read whole,
-- never queried inside, so PostgreSQL keeps their text instead of building jsonb of it on every
-- write. Existing rows are rewritten once (jsonb's text of them).
ALTER TABLE "connector_space_objects" ALTER COLUMN "data" SET DATA TYPE json;--> statement-breakpoint
ALTER TABLE "register_objects" ALTER COLUMN "data" SET DATA TYPE json;