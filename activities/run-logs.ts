// Per-object outcomes of a run (created, updated, deleted, failed), each kept for a retention
// period: failures longer than successes. Unchanged objects are counted, not logged, so that a
// run over an unchanged source writes nothing. A first run's successes are written in batches
// (run_log_batches, see job-page.ts), pruned here with the rest.
import type { Sql, Tx } from '../db/client';
import type { RunLogAction } from '../db/schema';

export interface LogRetention {
  successDays: number;
  errorDays: number;
}

export interface RunLogEntry {
  originId: string;
  action: RunLogAction;
  targetId?: string | null;
  error?: string | null;
}

export interface RunLogWriter {
  readonly retention: LogRetention;
  write(runId: string, taskId: number, entries: RunLogEntry[]): Promise<void>;
  /** Deletes entries past their retention. */
  prune(): Promise<number>;
}

export function createRunLogWriter(sql: Sql, retention: LogRetention): RunLogWriter {
  return {
    retention,
    async write(runId, taskId, entries) {
      if (entries.length === 0) return;
      const rows = entries.map((e) => ({ origin_id: e.originId, action: e.action, target_id: e.targetId ?? null, error: e.error ?? null }));
      await sql`
        insert into run_logs (run_id, task_id, origin_id, target_id, action, error, expires_at)
        select ${runId}::uuid, ${taskId}, x.origin_id, x.target_id, x.action, x.error,
               now() + make_interval(days => case when x.action = 'failed' then ${retention.errorDays}::int else ${retention.successDays}::int end)
        from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(origin_id text, action text, target_id text, error text)
        on conflict (run_id, task_id, origin_id, action) do update set error = excluded.error, target_id = coalesce(excluded.target_id, run_logs.target_id)`;
    },
    async prune() {
      const rows = await sql`delete from run_logs where expires_at < now()`;
      const batches = await sql<{ entries: number }[]>`
        delete from run_log_batches where expires_at < now() returning cardinality(ids) as entries`;
      return rows.count + batches.reduce((n, b) => n + b.entries, 0);
    },
  };
}

/** A page's successes of one kind, logged as one row of run_log_batches. */
export interface RunLogBatch {
  runId: string;
  taskId: number;
  action: 'created' | 'updated';
  /** Each entry's target id is its origin id; else the entries have none. */
  targeted: boolean;
  originIds: string[];
  /** As text, the way the page's other rows take their time. */
  expiresAt: string;
}

/**
 * Writes one batch: the entries' ids drawn from the run log's own sequence in the statement that
 * writes them, so they fall among the per-object rows' ids; the origins sent as one JSON array.
 */
export async function writeRunLogBatch(sql: Sql | Tx, batch: RunLogBatch): Promise<void> {
  if (batch.originIds.length === 0) return;
  await sql`
    insert into run_log_batches (run_id, first_id, last_id, task_id, action, targeted, ids, origin_ids, expires_at)
    select ${batch.runId}::uuid, min(e.id), max(e.id), ${batch.taskId}, ${batch.action}, ${batch.targeted},
           array_agg(e.id order by e.id), array_agg(e.origin_id order by e.id), ${batch.expiresAt}::timestamptz
    from (select nextval('run_logs_id_seq') as id, o.origin_id
          from json_array_elements_text(${JSON.stringify(batch.originIds)}::json) as o(origin_id)) e`;
}
