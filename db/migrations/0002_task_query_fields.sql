ALTER TABLE "tasks" ADD COLUMN "columns" jsonb;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "filter" jsonb;--> statement-breakpoint
CREATE INDEX "entity_runs_task_idx" ON "entity_runs" USING btree ("task_id");