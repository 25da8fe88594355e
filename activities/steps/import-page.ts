// Step 1: read one page from the source, hash each object, write only new or changed objects to
// the connector space, and stage the page's keys for the next steps.
import { Context } from '@temporalio/activity';
import type { Sql } from '../../db/client';
import { fetchSourcePage, recordId } from '../connectors/http-json-source';
import type { HttpJsonConfig, HttpJsonSecrets } from '../connectors/types';
import { SyncError } from '../errors';
import { hashObject } from '../hashing';
import type { TaskContext } from '../task-context';

export interface PageRef {
  runId: string;
  taskId: number;
  pageNo: number;
}

export interface ImportPageResult {
  fetched: number;
  /** Objects of this page staged for map → diff → upsert (duplicates of earlier pages excluded). */
  staged: number;
  /** Objects rejected at import: an id seen twice in this run. */
  rejected: number;
  nextCursor: string | null;
  totalCount: number | null;
  requests: number;
}

export async function importPage(sql: Sql, ctx: TaskContext, page: PageRef & { cursor: string | null; pageSize: number }): Promise<ImportPageResult> {
  if (ctx.source.connectorType !== 'http-json') {
    throw new SyncError('SOURCE_UNSUPPORTED', `Connector type ${ctx.source.connectorType} cannot be a job source yet`, false);
  }
  const fetched = await fetchSourcePage({
    config: ctx.source.config as unknown as HttpJsonConfig,
    secrets: ctx.source.secrets as HttpJsonSecrets,
    entity: { entity: ctx.sourceEntity, resultsPosition: ctx.resultsPosition, idField: ctx.idField },
    cursor: page.cursor,
    pageSize: page.pageSize,
    signal: Context.current().cancellationSignal,
  });
  Context.current().heartbeat();

  const rows = fetched.records.map((record) => ({ external_id: recordId(record, ctx.idField), hash: hashObject(record), data: record }));
  const staged = rows.length === 0 ? 0 : await stageRows(sql, ctx, page, rows);
  return {
    fetched: rows.length,
    staged,
    rejected: rows.length - staged,
    nextCursor: fetched.nextCursor,
    totalCount: fetched.totalCount,
    requests: fetched.requests,
  };
}

async function stageRows(sql: Sql, ctx: TaskContext, page: PageRef, rows: { external_id: string; hash: string; data: unknown }[]): Promise<number> {
  return sql.begin(async (tx) => {
    // One statement for the page: unchanged objects are matched and left untouched.
    await tx`
      with input as (
        select distinct on (external_id) external_id, hash, data
        from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(external_id text, hash text, data jsonb)
      ), space as (
        insert into connector_space_objects (connected_system_id, entity, external_id, data, hash, last_changed_run_id)
        select ${ctx.source.id}, ${ctx.sourceEntity}, external_id, data, hash, ${page.runId}::uuid from input
        on conflict (connected_system_id, entity, external_id) do update
          set data = excluded.data, hash = excluded.hash, last_changed_run_id = excluded.last_changed_run_id,
              deleted_at = null, updated_at = now()
          where connector_space_objects.hash is distinct from excluded.hash
             or connector_space_objects.deleted_at is not null
      )
      insert into sync_staging (run_id, task_id, external_id, page_no, origin_hash)
      select ${page.runId}::uuid, ${page.taskId}, external_id, ${page.pageNo}, hash from input
      on conflict (run_id, task_id, external_id) do nothing`;
    // Counted from the table, not from the insert, so a retried page reports the same number.
    const [{ staged }] = (await tx`
      select count(*)::int as staged from sync_staging
      where run_id = ${page.runId}::uuid and task_id = ${page.taskId} and page_no = ${page.pageNo}`) as unknown as [{ staged: number }];
    return staged;
  });
}
