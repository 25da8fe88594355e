// Step 2: turn the page's staged source objects into target objects with the task's compiled
// mapping, and keep the result (and its hash) on the staging rows.
import type { Sql } from '../../db/client';
import { hashObject } from '../hashing';
import type { TaskContext } from '../task-context';
import type { PageRef } from './import-page';

export async function mapPage(sql: Sql, ctx: TaskContext, page: PageRef): Promise<{ mapped: number; failed: number }> {
  const staged = await sql<{ external_id: string; data: Record<string, never> }[]>`
    select s.external_id, c.data
    from sync_staging s
    join connector_space_objects c
      on c.connected_system_id = ${ctx.source.id} and c.entity = ${ctx.sourceEntity} and c.external_id = s.external_id
    where s.run_id = ${page.runId}::uuid and s.task_id = ${page.taskId} and s.page_no = ${page.pageNo}`;

  let failed = 0;
  const results = staged.map(({ external_id, data }) => {
    try {
      const mapped = ctx.map(data);
      return { external_id, mapped, target_hash: hashObject(mapped), error: null };
    } catch (err) {
      failed++;
      return { external_id, mapped: null, target_hash: null, error: err instanceof Error ? err.message : String(err) };
    }
  });
  if (results.length > 0) {
    await sql`
      update sync_staging s
      set mapped = x.mapped, target_hash = x.target_hash, error = x.error,
          action = case when x.error is null then null else 'failed' end
      from jsonb_to_recordset(${JSON.stringify(results)}::jsonb) as x(external_id text, mapped jsonb, target_hash text, error text)
      where s.run_id = ${page.runId}::uuid and s.task_id = ${page.taskId} and s.external_id = x.external_id`;
  }
  return { mapped: results.length - failed, failed };
}
