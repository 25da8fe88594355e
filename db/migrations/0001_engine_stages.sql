CREATE SEQUENCE "public"."connector_space_change_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "run_logs" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "run_logs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"run_id" uuid NOT NULL,
	"task_id" integer NOT NULL,
	"origin_id" text NOT NULL,
	"target_id" text,
	"action" text NOT NULL,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "run_profiles" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "run_profiles_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"connected_system_id" integer NOT NULL,
	"name" text NOT NULL,
	"run_type" text NOT NULL,
	"page_size" integer DEFAULT 100 NOT NULL,
	"partition_name" text,
	"file_path" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "watermarks" (
	"connected_system_id" integer NOT NULL,
	"entity" text NOT NULL,
	"kind" text NOT NULL,
	"value" text NOT NULL,
	"run_id" uuid,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "watermarks_connected_system_id_entity_kind_pk" PRIMARY KEY("connected_system_id","entity","kind")
);
--> statement-breakpoint
DROP INDEX "pending_exports_page_idx";--> statement-breakpoint
ALTER TABLE "pending_exports" ALTER COLUMN "register_object_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "sync_staging" ALTER COLUMN "origin_hash" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "connector_space_objects" ADD COLUMN "change_seq" bigint DEFAULT nextval('connector_space_change_seq') NOT NULL;--> statement-breakpoint
ALTER TABLE "pending_exports" ADD COLUMN "next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "connected_system_id" integer;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "run_type" text;--> statement-breakpoint
ALTER TABLE "sync_staging" ADD COLUMN "data" jsonb;--> statement-breakpoint
ALTER TABLE "sync_staging" ADD COLUMN "space_action" text;--> statement-breakpoint
ALTER TABLE "run_logs" ADD CONSTRAINT "run_logs_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "run_profiles" ADD CONSTRAINT "run_profiles_connected_system_id_connected_systems_id_fk" FOREIGN KEY ("connected_system_id") REFERENCES "public"."connected_systems"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "watermarks" ADD CONSTRAINT "watermarks_connected_system_id_connected_systems_id_fk" FOREIGN KEY ("connected_system_id") REFERENCES "public"."connected_systems"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "run_logs_run_task_origin_action_key" ON "run_logs" USING btree ("run_id","task_id","origin_id","action");--> statement-breakpoint
CREATE INDEX "run_logs_expiry_idx" ON "run_logs" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "run_profiles_connected_system_idx" ON "run_profiles" USING btree ("connected_system_id");--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_run_profile_id_run_profiles_id_fk" FOREIGN KEY ("run_profile_id") REFERENCES "public"."run_profiles"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_connected_system_id_connected_systems_id_fk" FOREIGN KEY ("connected_system_id") REFERENCES "public"."connected_systems"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "connector_space_objects_changes" ON "connector_space_objects" USING btree ("connected_system_id","entity","change_seq");--> statement-breakpoint
CREATE INDEX "pending_exports_open_idx" ON "pending_exports" USING btree ("task_id","id") WHERE status in ('Pending', 'Executing');--> statement-breakpoint
CREATE UNIQUE INDEX "runs_one_live_run_per_connected_system" ON "runs" USING btree ("connected_system_id") WHERE state in ('PENDING', 'RUNNING', 'OVERRUN');--> statement-breakpoint
CREATE INDEX "runs_run_profile_idx" ON "runs" USING btree ("run_profile_id","created_at");