CREATE TABLE "connected_systems" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "connected_systems_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"workspace_id" integer NOT NULL,
	"name" text NOT NULL,
	"connector_type" text NOT NULL,
	"config" jsonb NOT NULL,
	"secrets_ciphertext" text,
	"discovered_schema" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "connector_space_objects" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "connector_space_objects_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"connected_system_id" integer NOT NULL,
	"entity" text NOT NULL,
	"external_id" text NOT NULL,
	"data" jsonb NOT NULL,
	"hash" text NOT NULL,
	"last_changed_run_id" uuid,
	"deleted_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "contracts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "contracts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"task_id" integer NOT NULL,
	"origin_id" text NOT NULL,
	"register_object_id" bigint,
	"target_id" text,
	"origin_hash" text NOT NULL,
	"target_hash" text,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_synced_at" timestamp with time zone,
	"last_run_id" uuid,
	"last_action" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "entity_runs" (
	"run_id" uuid NOT NULL,
	"task_id" integer NOT NULL,
	"entity_name" text NOT NULL,
	"state" text NOT NULL,
	"sync_type" text DEFAULT 'FULL' NOT NULL,
	"errors" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"state_update_time" timestamp with time zone DEFAULT now() NOT NULL,
	"stats_update_time" timestamp with time zone DEFAULT now() NOT NULL,
	"total_count" bigint,
	"scheduled_record_count" bigint DEFAULT 0 NOT NULL,
	"extracted_record_count" bigint DEFAULT 0 NOT NULL,
	"indexed_record_count" bigint DEFAULT 0 NOT NULL,
	"error_record_count" bigint DEFAULT 0 NOT NULL,
	"deleted_record_count" bigint DEFAULT 0 NOT NULL,
	"source_api_request_count" bigint DEFAULT 0 NOT NULL,
	"new_record_count" bigint DEFAULT 0 NOT NULL,
	"changed_record_count" bigint DEFAULT 0 NOT NULL,
	"unchanged_record_count" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "entity_runs_run_id_task_id_pk" PRIMARY KEY("run_id","task_id")
);
--> statement-breakpoint
CREATE TABLE "jobs" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "jobs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"workspace_id" integer NOT NULL,
	"name" text NOT NULL,
	"type" text DEFAULT 'Standard' NOT NULL,
	"source_connection_id" integer NOT NULL,
	"destination_connection_id" integer NOT NULL,
	"batch_size" integer DEFAULT 100 NOT NULL,
	"options" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "mappings" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "mappings_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"workspace_id" integer NOT NULL,
	"name" text NOT NULL,
	"rules" jsonb NOT NULL,
	"casts" jsonb,
	"unset" jsonb,
	"pass_through" boolean DEFAULT false NOT NULL,
	"target_schema" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "pending_exports" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "pending_exports_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"run_id" uuid NOT NULL,
	"task_id" integer NOT NULL,
	"page_no" integer NOT NULL,
	"origin_id" text NOT NULL,
	"register_object_id" bigint NOT NULL,
	"action" text NOT NULL,
	"status" text DEFAULT 'Pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "register_objects" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "register_objects_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"workspace_id" integer NOT NULL,
	"object_type" text NOT NULL,
	"external_key" text NOT NULL,
	"data" jsonb NOT NULL,
	"hash" text NOT NULL,
	"last_run_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"workspace_id" integer NOT NULL,
	"job_id" integer,
	"run_profile_id" integer,
	"schedule_id" integer,
	"state" text NOT NULL,
	"trigger" text NOT NULL,
	"sync_type" text DEFAULT 'FULL' NOT NULL,
	"dry_run" boolean DEFAULT false NOT NULL,
	"paused" boolean DEFAULT false NOT NULL,
	"start_time" timestamp with time zone,
	"end_time" timestamp with time zone,
	"state_update_time" timestamp with time zone DEFAULT now() NOT NULL,
	"latest_pause_time" timestamp with time zone,
	"errors" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"workflow_id" text NOT NULL,
	"temporal_run_id" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sync_staging" (
	"run_id" uuid NOT NULL,
	"task_id" integer NOT NULL,
	"external_id" text NOT NULL,
	"page_no" integer NOT NULL,
	"origin_hash" text NOT NULL,
	"mapped" jsonb,
	"target_hash" text,
	"action" text,
	"error" text,
	CONSTRAINT "sync_staging_run_id_task_id_external_id_pk" PRIMARY KEY("run_id","task_id","external_id")
);
--> statement-breakpoint
CREATE TABLE "tasks" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "tasks_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"job_id" integer NOT NULL,
	"index" integer NOT NULL,
	"source_entity" text NOT NULL,
	"target_entity" text NOT NULL,
	"mapping_id" integer,
	"id_field" text DEFAULT 'id' NOT NULL,
	"results_position" text,
	"incremental_field" text,
	"query" text,
	"is_active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "workspaces" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "workspaces_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "connected_systems" ADD CONSTRAINT "connected_systems_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "connector_space_objects" ADD CONSTRAINT "connector_space_objects_connected_system_id_connected_systems_id_fk" FOREIGN KEY ("connected_system_id") REFERENCES "public"."connected_systems"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contracts" ADD CONSTRAINT "contracts_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contracts" ADD CONSTRAINT "contracts_register_object_id_register_objects_id_fk" FOREIGN KEY ("register_object_id") REFERENCES "public"."register_objects"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "entity_runs" ADD CONSTRAINT "entity_runs_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_source_connection_id_connected_systems_id_fk" FOREIGN KEY ("source_connection_id") REFERENCES "public"."connected_systems"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_destination_connection_id_connected_systems_id_fk" FOREIGN KEY ("destination_connection_id") REFERENCES "public"."connected_systems"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mappings" ADD CONSTRAINT "mappings_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pending_exports" ADD CONSTRAINT "pending_exports_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "register_objects" ADD CONSTRAINT "register_objects_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_mapping_id_mappings_id_fk" FOREIGN KEY ("mapping_id") REFERENCES "public"."mappings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "connected_systems_workspace_idx" ON "connected_systems" USING btree ("workspace_id");--> statement-breakpoint
CREATE UNIQUE INDEX "connector_space_objects_key" ON "connector_space_objects" USING btree ("connected_system_id","entity","external_id");--> statement-breakpoint
CREATE UNIQUE INDEX "contracts_task_origin_key" ON "contracts" USING btree ("task_id","origin_id");--> statement-breakpoint
CREATE INDEX "jobs_workspace_idx" ON "jobs" USING btree ("workspace_id");--> statement-breakpoint
CREATE INDEX "mappings_workspace_idx" ON "mappings" USING btree ("workspace_id");--> statement-breakpoint
CREATE UNIQUE INDEX "pending_exports_run_task_origin_key" ON "pending_exports" USING btree ("run_id","task_id","origin_id");--> statement-breakpoint
CREATE INDEX "pending_exports_page_idx" ON "pending_exports" USING btree ("run_id","task_id","page_no");--> statement-breakpoint
CREATE UNIQUE INDEX "register_objects_key" ON "register_objects" USING btree ("workspace_id","object_type","external_key");--> statement-breakpoint
CREATE INDEX "runs_job_created_idx" ON "runs" USING btree ("job_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "runs_one_live_run_per_job" ON "runs" USING btree ("job_id") WHERE state in ('PENDING', 'RUNNING', 'OVERRUN');--> statement-breakpoint
CREATE INDEX "sync_staging_page_idx" ON "sync_staging" USING btree ("run_id","task_id","page_no");--> statement-breakpoint
CREATE INDEX "tasks_job_index_idx" ON "tasks" USING btree ("job_id","index");