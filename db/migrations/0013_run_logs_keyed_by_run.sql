-- A run's log keyed by (run, id) instead of id alone: GET /runs/{id}/logs reads one run's entries
-- in id order, and keyed by id alone its first page walked every older run's entries first. The
-- same number of index entries per logged object as before (the key replaces the old one).
ALTER TABLE "run_logs" DROP CONSTRAINT "run_logs_pkey";--> statement-breakpoint
ALTER TABLE "run_logs" ADD CONSTRAINT "run_logs_pkey" PRIMARY KEY("run_id","id");
