// Step 2: turn the page's staged source objects into target objects with the task's compiled
// mapping, check them against the target schema, and keep the result (and its hash) on the
// staging rows. A refused object fails alone, with a message naming the field.
// Before mapping, the task query's WHERE and SELECT list pick the records and fields: a record
// the filter leaves out is marked 'skipped' (not an error) and goes no further.
import type { Sql } from '../../db/client';
import type { JsonObject } from '../connectors/types';
import { mapRecords } from '../map-records';
import type { RunLogWriter } from '../run-logs';
import type { TaskContext } from '../task-context';
import { settledContract } from './contract-rules';
import type { PageRef } from './import-page';

export async function mapPage(sql: Sql, logs: RunLogWriter, ctx: TaskContext, page: PageRef): Promise<{ mapped: number; failed: number; skipped: number }> {
  // An object whose source hash is the one its contract last exported, with the task, job and
  // mapping unchanged since, maps to what the target already holds: it takes the contract's
  // target hash without being read or mapped again. (The import settles most such objects
  // already; this catches those staged from the connector space by a synchronisation.)
  const reused = await sql`
    update sync_staging s set target_hash = k.target_hash, mapped = null, error = null
    from contracts k
    where s.run_id = ${page.runId}::uuid and s.task_id = ${page.taskId} and s.page_no = ${page.pageNo}
      and s.origin_hash is not null and s.target_hash is null
      and k.task_id = s.task_id and k.origin_id = s.external_id and ${settledContract(sql, ctx, sql`s.origin_hash`)}`;

  // A lookup by the space's key per staged row: the plan cannot turn into a scan of the whole
  // entity per row, whatever the (often stale) statistics say.
  const staged = await sql<{ external_id: string; data: JsonObject }[]>`
    select s.external_id, coalesce(s.data::json, (
      select c.data from connector_space_objects c
      where c.connected_system_id = ${ctx.source.id} and c.entity = ${ctx.spaceEntity} and c.external_id = s.external_id)) as data
    from sync_staging s
    where s.run_id = ${page.runId}::uuid and s.task_id = ${page.taskId} and s.page_no = ${page.pageNo}
      and s.origin_hash is not null and s.target_hash is null`;

  const { results, failures, skipped } = await mapRecords(ctx, staged);
  if (results.length > 0) {
    await sql`
      update sync_staging s
      set mapped = x.mapped, target_hash = x.target_hash, error = x.error,
          action = case when x.error is not null then 'failed' when x.skipped then 'skipped' end
      from jsonb_to_recordset(${JSON.stringify(results.map(({ json: _json, ...row }) => row))}::jsonb) as x(external_id text, mapped jsonb, target_hash text, error text, skipped boolean)
      where s.run_id = ${page.runId}::uuid and s.task_id = ${page.taskId} and s.external_id = x.external_id`;
  }
  if (failures.length > 0) {
    await logs.write(page.runId, page.taskId, failures);
  }
  return { mapped: reused.count + results.length - failures.length - skipped, failed: failures.length, skipped };
}

