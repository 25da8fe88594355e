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
-- Arguments: the child table and its column holding the parent's id.
CREATE FUNCTION "syncline_delete_children"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('DELETE FROM %I c USING "gone" g WHERE c.%I = g."id"', TG_ARGV[0], TG_ARGV[1]);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "connected_systems_delete_connector_space" AFTER DELETE ON "connected_systems"
  REFERENCING OLD TABLE AS "gone" FOR EACH STATEMENT EXECUTE FUNCTION "syncline_delete_children"('connector_space_objects', 'connected_system_id');
--> statement-breakpoint
CREATE TRIGGER "tasks_delete_contracts" AFTER DELETE ON "tasks"
  REFERENCING OLD TABLE AS "gone" FOR EACH STATEMENT EXECUTE FUNCTION "syncline_delete_children"('contracts', 'task_id');
--> statement-breakpoint
CREATE TRIGGER "workspaces_delete_register" AFTER DELETE ON "workspaces"
  REFERENCING OLD TABLE AS "gone" FOR EACH STATEMENT EXECUTE FUNCTION "syncline_delete_children"('register_objects', 'workspace_id');
--> statement-breakpoint
CREATE TRIGGER "runs_delete_logs" AFTER DELETE ON "runs"
  REFERENCING OLD TABLE AS "gone" FOR EACH STATEMENT EXECUTE FUNCTION "syncline_delete_children"('run_logs', 'run_id');
