-- A cache of what each page of a source last answered (activities/connectors/sources.ts):
-- unlogged, as losing it in a crash only makes the next import read its pages whole, and its
-- arrays stored uncompressed (hashes do not compress; trying costs every page's write).
CREATE UNLOGGED TABLE "source_pages" (
	"connected_system_id" integer NOT NULL,
	"request_key" text NOT NULL,
	"digest" text NOT NULL,
	"fetched" integer NOT NULL,
	"external_ids" text[] NOT NULL,
	"hashes" "bytea" NOT NULL,
	"next_cursor" text,
	"total_count" bigint,
	"watermark" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "source_pages_connected_system_id_request_key_pk" PRIMARY KEY("connected_system_id","request_key")
);
--> statement-breakpoint
ALTER TABLE "source_pages" ADD CONSTRAINT "source_pages_connected_system_id_connected_systems_id_fk" FOREIGN KEY ("connected_system_id") REFERENCES "public"."connected_systems"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "source_pages" ALTER COLUMN "external_ids" SET STORAGE EXTERNAL, ALTER COLUMN "hashes" SET STORAGE EXTERNAL;
