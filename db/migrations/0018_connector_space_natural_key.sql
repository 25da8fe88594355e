-- The connector space is keyed by what each row is of: its surrogate id, which nothing referred to,
-- goes with its index and sequence (they cost each new object about a seventh of its write). The
-- unique index on the natural key becomes the primary key as it is, without being built again.
ALTER TABLE "connector_space_objects" DROP COLUMN "id";--> statement-breakpoint
ALTER TABLE "connector_space_objects" ADD CONSTRAINT "connector_space_objects_key" PRIMARY KEY USING INDEX "connector_space_objects_key";
