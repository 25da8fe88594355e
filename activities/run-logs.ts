// Per-object outcomes of a run (created, updated, deleted, failed), each kept for a retention
// period: failures longer than successes. Unchanged objects are counted, not logged, so that a
// run over an unchanged source writes nothing.
import type { Sql } from '../db/client';
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
      const result = await sql`delete from run_logs where expires_at < now()`;
      return result.count;
    },
  };
}
