CREATE TABLE "sync_seen_pages" (
	"run_id" uuid NOT NULL,
	"task_id" integer NOT NULL,
	"page_no" integer NOT NULL,
	"external_ids" text[] NOT NULL,
	CONSTRAINT "sync_seen_pages_run_id_task_id_page_no_pk" PRIMARY KEY("run_id","task_id","page_no")
);
