-- A task's contracts keyed by (task, id) instead of id alone: GET .../tasks/{id}/contracts lists
-- one task's contracts in id order, and keyed by id alone its first page walked the contracts of
-- every task created before it. The key replaces the old one: no more index entries per contract.
ALTER TABLE "contracts" DROP CONSTRAINT "contracts_pkey";--> statement-breakpoint
ALTER TABLE "contracts" ADD CONSTRAINT "contracts_pkey" PRIMARY KEY("task_id","id");
