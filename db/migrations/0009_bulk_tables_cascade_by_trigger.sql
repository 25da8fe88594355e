ALTER TABLE "connector_space_objects" DROP CONSTRAINT "connector_space_objects_connected_system_id_connected_systems_id_fk";
--> statement-breakpoint
ALTER TABLE "contracts" DROP CONSTRAINT "contracts_task_id_tasks_id_fk";
--> statement-breakpoint
ALTER TABLE "register_objects" DROP CONSTRAINT "register_objects_workspace_id_workspaces_id_fk";
--> statement-breakpoint
ALTER TABLE "run_logs" DROP CONSTRAINT "run_logs_run_id_runs_id_fk";
--> statement-breakpoint
-- The bulk tables keep their parents' ON DELETE CASCADE through statement-level triggers instead
-- of foreign keys: a foreign key costs every inserted row a lookup of its parent (a tenth of a
-- first sync's database time), while these run once per deleting statement.
CREATE FUNCTION "syncline_delete_connector_space_of_systems"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "connector_space_objects" o USING "gone" g WHERE o."connected_system_id" = g."id";
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "connected_systems_delete_connector_space" AFTER DELETE ON "connected_systems"
  REFERENCING OLD TABLE AS "gone" FOR EACH STATEMENT EXECUTE FUNCTION "syncline_delete_connector_space_of_systems"();
--> statement-breakpoint
CREATE FUNCTION "syncline_delete_contracts_of_tasks"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "contracts" c USING "gone" g WHERE c."task_id" = g."id";
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "tasks_delete_contracts" AFTER DELETE ON "tasks"
  REFERENCING OLD TABLE AS "gone" FOR EACH STATEMENT EXECUTE FUNCTION "syncline_delete_contracts_of_tasks"();
--> statement-breakpoint
CREATE FUNCTION "syncline_delete_register_of_workspaces"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "register_objects" r USING "gone" g WHERE r."workspace_id" = g."id";
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "workspaces_delete_register" AFTER DELETE ON "workspaces"
  REFERENCING OLD TABLE AS "gone" FOR EACH STATEMENT EXECUTE FUNCTION "syncline_delete_register_of_workspaces"();
--> statement-breakpoint
CREATE FUNCTION "syncline_delete_logs_of_runs"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "run_logs" l USING "gone" g WHERE l."run_id" = g."id";
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "runs_delete_logs" AFTER DELETE ON "runs"
  REFERENCING OLD TABLE AS "gone" FOR EACH STATEMENT EXECUTE FUNCTION "syncline_delete_logs_of_runs"();
