-- When a job's settings last changed; pausing and resuming no longer move it. Existing jobs take
-- their updated_at, so their settled contracts stay settled across the upgrade.
ALTER TABLE "jobs" ADD COLUMN "configured_at" timestamp with time zone;--> statement-breakpoint
UPDATE "jobs" SET "configured_at" = "updated_at";--> statement-breakpoint
ALTER TABLE "jobs" ALTER COLUMN "configured_at" SET DEFAULT now();--> statement-breakpoint
ALTER TABLE "jobs" ALTER COLUMN "configured_at" SET NOT NULL;
