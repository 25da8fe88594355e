CREATE TABLE "run_log_batches" (
	"run_id" uuid NOT NULL,
	"first_id" bigint NOT NULL,
	"last_id" bigint NOT NULL,
	"task_id" integer NOT NULL,
	"action" text NOT NULL,
	"targeted" boolean NOT NULL,
	"ids" bigint[] NOT NULL,
	"origin_ids" text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "run_log_batches_pkey" PRIMARY KEY("run_id","first_id")
);
--> statement-breakpoint
CREATE INDEX "run_log_batches_expiry_idx" ON "run_log_batches" USING btree ("expires_at");--> statement-breakpoint
-- Deleted with their run, as run_logs are (migration 0009).
CREATE TRIGGER "runs_delete_log_batches" AFTER DELETE ON "runs"
  REFERENCING OLD TABLE AS "gone" FOR EACH STATEMENT EXECUTE FUNCTION "syncline_delete_children"('run_log_batches', 'run_id');
--> statement-breakpoint
-- A run's log as one row per object, whichever way it was written.
CREATE VIEW "run_log_entries" AS
  SELECT "id", "run_id", "task_id", "origin_id", "target_id", "action", "error", "created_at", "expires_at" FROM "run_logs"
  UNION ALL
  SELECT e."id", b."run_id", b."task_id", e."origin_id", CASE WHEN b."targeted" THEN e."origin_id" END, b."action", NULL::text, b."created_at", b."expires_at"
  FROM "run_log_batches" b CROSS JOIN LATERAL unnest(b."ids", b."origin_ids") AS e("id", "origin_id");
