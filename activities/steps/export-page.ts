// Step 5: apply the task's open pending exports to the destination, then record on each contract
// what the target now holds. Pending → Exported, or back to Pending with a backoff when the write
// fails, and Failed after the last attempt. (Executing is what exports claimed by earlier
// versions still say; they are claimed again.)
// A row the table refuses on its own (a field without a column while alterSchema is off, a string
// longer than its varchar(n) while autoTruncateStrings is off) is Failed at once, alone; the rest
// of the batch is written. Deletions follow the job's deletionBehavior: HardDelete removes the
// row, SoftDelete flags it (_syncline_deleted, _syncline_deleted_at), Skip leaves it.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Sql, Tx } from '../../db/client';
import { writeFilePage, type FileConfig } from '../connectors/file';
import {
  copyIntoDestination,
  deleteFromDestination,
  ensureDestinationTable,
  fitRows,
  mergeIntoDestination,
  softDeleteInDestination,
  type ConnectionPools,
  type PostgresConnectionConfig,
} from '../connectors/postgres-destination';
import type { JsonObject } from '../connectors/types';
import { SyncError, toActivityFailure } from '../errors';
import type { RunLogWriter } from '../run-logs';
import type { TaskContext } from '../task-context';
import { metKeyConflict, noteKeyConflict } from './fresh-copies';

/** Attempts of one pending export before it is marked Failed. */
export const MAX_EXPORT_ATTEMPTS = 5;

export interface ExportPageArgs {
  runId: string;
  taskId: number;
  limit: number;
}

export interface ExportPageResult {
  exported: number;
  failed: number;
  /** More open exports are ready for this task. */
  remaining: boolean;
}

interface Claimed {
  id: number;
  origin_id: string;
  action: 'create' | 'update' | 'delete';
  attempts: number;
  data: JsonObject | null;
  /** `data` as JSON, when at hand. */
  json?: string;
  hash: string | null;
}

export async function exportPage(sql: Sql, pools: ConnectionPools, logs: RunLogWriter, ctx: TaskContext, args: ExportPageArgs): Promise<ExportPageResult> {
  const write = destinationWriter(pools, ctx, args.runId);
  // The batch is claimed with row locks held across the destination write, and settled in the
  // same transaction: a crash rolls the claim back and the retry finds the batch still Pending
  // (the write is an idempotent merge), and a concurrent export skips the locked rows.
  type Outcome = { exported: number; failed: number; rejected: Rejected[] } | { failure: Awaited<ReturnType<typeof recordFailure>> };
  const outcome = await sql.begin(async (tx): Promise<Outcome> => {
    // run_id: the run that queued the export.
    const claimed = await tx<(Claimed & { run_id: string })[]>`
      select p.id, p.run_id, p.origin_id, p.action, p.attempts + 1 as attempts, r.data, r.hash
      from pending_exports p
      -- A lookup per export by the register's key (the limit keeps it from becoming a join).
      left join lateral (select r.data, r.hash from register_objects r where r.id = p.register_object_id limit 1) r on true
      where p.task_id = ${args.taskId} and p.status in ('Pending', 'Executing') and p.next_attempt_at <= now()
      order by p.id limit ${args.limit}
      for update of p skip locked`;
    if (claimed.length === 0) return { exported: 0, failed: 0, rejected: [] as Rejected[] };

    let rejected: Rejected[];
    try {
      rejected = await write(claimed);
    } catch (err) {
      return { failure: await recordFailure(tx, args, claimed, err) };
    }
    Context.current().heartbeat();

    // Rows the table refused one by one (a missing column, a string too long) fail for good: a
    // retry would meet the same table. Their contracts keep what the target held before, so the
    // next run tries them again.
    const refused = new Map(rejected.map((r) => [r.id, r.error]));
    const written = claimed.filter((c) => !refused.has(c.id));
    const done = JSON.stringify(written.map((c) => ({ id: c.id, origin_id: c.origin_id, action: c.action, hash: c.hash })));
    if (rejected.length > 0) {
      await tx`
        update pending_exports p set status = 'Failed', attempts = p.attempts + 1, error = x.error, updated_at = now()
        from jsonb_to_recordset(${JSON.stringify(rejected)}::jsonb) as x(id bigint, error text) where p.id = x.id`;
    }
    await tx`
      update pending_exports p set status = 'Exported', attempts = p.attempts + 1, error = null, updated_at = now()
      from jsonb_to_recordset(${done}::jsonb) as x(id bigint) where p.id = x.id`;
    await tx`
      update contracts c
      set target_id = x.origin_id, target_hash = x.hash, synced_origin_hash = c.origin_hash, last_synced_at = now(), last_run_id = ${args.runId}::uuid,
          last_action = case when c.target_id is null then 'create' else 'update' end, updated_at = now()
      from jsonb_to_recordset(${done}::jsonb) as x(origin_id text, action text, hash text)
      where c.task_id = ${args.taskId} and c.origin_id = x.origin_id and x.action <> 'delete'`;
    // What this run queued and now wrote (a page whose destination failed as a whole) gets its
    // target row in this run's log, as a page written while it synchronised has it. Another run's
    // log stays as that run left it: it says what reached the target in that run.
    const landedHere = written.filter((c) => c.run_id === args.runId && c.action !== 'delete').map((c) => c.origin_id);
    if (landedHere.length > 0) {
      await tx`
        update run_logs set target_id = origin_id
        where run_id = ${args.runId}::uuid and task_id = ${args.taskId} and origin_id = any(${landedHere}::text[])
          and action in ('created', 'updated') and target_id is null`;
    }
    // The target no longer holds a deleted object: its contract goes, so a return is a create.
    await tx`
      delete from contracts c using jsonb_to_recordset(${done}::jsonb) as x(origin_id text, action text)
      where c.task_id = ${args.taskId} and c.origin_id = x.origin_id and x.action = 'delete'`;
    return { exported: written.length, failed: rejected.length, rejected };
  });

  if ('failure' in outcome) {
    const { failure } = outcome;
    if (failure.retry) throw failure.retry;
    await logs.write(args.runId, args.taskId, failure.claimed.map((c) => ({ originId: c.origin_id, action: 'failed' as const, error: failure.message })));
    return { exported: 0, failed: failure.claimed.length, remaining: await hasReadyExports(sql, args.taskId) };
  }
  if (outcome.rejected.length > 0) {
    await logs.write(args.runId, args.taskId, outcome.rejected.map((r) => ({ originId: r.origin_id, action: 'failed' as const, error: r.error })));
  }
  if (outcome.exported + outcome.failed === 0) return { exported: 0, failed: 0, remaining: false };
  return { exported: outcome.exported, failed: outcome.failed, remaining: await hasReadyExports(sql, args.taskId) };
}

async function hasReadyExports(sql: Sql, taskId: number): Promise<boolean> {
  const [row] = await sql<{ ready: boolean }[]>`
    select exists (select 1 from pending_exports where task_id = ${taskId} and status in ('Pending', 'Executing') and next_attempt_at <= now()) as ready`;
  return row!.ready;
}

/**
 * Records a failed write on the claimed batch: back off while attempts remain (the activity then
 * fails and Temporal retries it after the backoff), Failed after the last one.
 */
async function recordFailure(tx: Tx, args: ExportPageArgs, claimed: Claimed[], err: unknown) {
  const message = err instanceof Error ? err.message : String(err);
  const attempts = Math.max(...claimed.map((c) => c.attempts));
  const ids = claimed.map((c) => c.id);
  if (attempts < MAX_EXPORT_ATTEMPTS) {
    const backoffMs = 1_000 * 2 ** (attempts - 1);
    await tx`
      update pending_exports set status = 'Pending', attempts = attempts + 1, error = ${message}, next_attempt_at = now() + ${`${backoffMs} milliseconds`}::interval, updated_at = now()
      where id in ${tx(ids)}`;
    const failure = toActivityFailure(err, 'DESTINATION');
    const type = (failure instanceof ApplicationFailure ? failure.type : undefined) ?? 'DESTINATION_WRITE_FAILED';
    return { claimed, message, retry: ApplicationFailure.create({ type, message, nonRetryable: false, nextRetryDelay: backoffMs }) };
  }
  await tx`update pending_exports set status = 'Failed', attempts = attempts + 1, error = ${message}, updated_at = now() where id in ${tx(ids)}`;
  return { claimed, message, retry: undefined };
}

/**
 * Whether a page's changes can be written to the task's destination while the page synchronises,
 * without the export queue: PostgreSQL destinations, whose merge is keyed by origin id.
 */
export function writesAlongsideSynchronisation(ctx: TaskContext): boolean {
  return ctx.destination.connectorType === 'postgres';
}

/** A staged create or update, as the synchronisation writes it to the destination. */
export interface StagedChange {
  origin_id: string;
  action: 'create' | 'update';
  data: JsonObject;
  /** `data` as JSON, when the caller has it already (the merge then sends it as it is). */
  json?: string;
  hash: string;
}

/**
 * Writes a page's staged changes to the destination (an idempotent merge); returns those the
 * table refused one by one, and throws when the write failed as a whole.
 */
export async function writeStagedChanges(pools: ConnectionPools, ctx: TaskContext, runId: string, changes: StagedChange[]): Promise<{ origin_id: string; error: string }[]> {
  const rejected = await destinationWriter(pools, ctx, runId)(changes.map((c, i) => ({ id: i, attempts: 1, ...c })));
  return rejected.map(({ origin_id, error }) => ({ origin_id, error }));
}

/** Rows checked against their PostgreSQL destination table, ready to be merged into it. */
export interface PreparedMerge<R> {
  /** Rows the table refuses on its own (a field without a column, a string too long), with why. */
  refused: { row: R; error: string }[];
  /** Merges the other rows (idempotent: a retry rewrites nothing it already wrote). */
  write(): Promise<void>;
}

/**
 * Makes sure the task's table exists (and has the columns the job's alterSchema allows) and fits
 * the rows to it; the merge itself is left to `write`, so the refusals are known before it runs.
 */
export async function prepareMerge<R extends { id: string; data: JsonObject; json?: string | undefined }>(
  db: Sql,
  ctx: TaskContext,
  rows: R[],
  /** The rows are new to the table as far as the task knows (see fresh-copies.ts): copied, under this scope. */
  fresh?: string,
): Promise<PreparedMerge<R>> {
  const options = ctx.tableOptions;
  const { schema, table } = destinationTableOf(ctx);
  const target = await ensureDestinationTable(db, schema, table, rows.map(dataOf), {
    alterSchema: options.alterSchema,
    softDelete: options.deletionBehavior === 'SoftDelete',
  });
  const fitted = fitRows(target, rows, { autoTruncateStrings: options.autoTruncateStrings });
  return {
    refused: fitted.rejected,
    async write() {
      if (fresh !== undefined && !metKeyConflict(fresh)) {
        try {
          if (await copyIntoDestination(db, target, fitted.rows)) return;
        } catch (err) {
          // The merge below writes the rows as ever, and fails as it would have if the table is at fault.
          noteKeyConflict(fresh, err);
        }
      }
      // In slices, so the statement text of a whole page is never held at once. A row fitRows
      // changed (a cut string, say) no longer matches the JSON it came with.
      const unchanged = new Set(rows);
      for (let at = 0; at < fitted.rows.length; at += MERGE_SLICE) {
        const slice = fitted.rows.slice(at, at + MERGE_SLICE);
        await mergeIntoDestination(db, target, slice.map((r) => (r.json === undefined || unchanged.has(r) ? r : { id: r.id, data: r.data })));
        Context.current().heartbeat();
      }
    },
  };
}

const dataOf = (row: { data: JsonObject }) => row.data;

/** Rows per merge statement. */
export const MERGE_SLICE = 2_500;

/** A row the destination refused on its own, before anything was written. */
interface Rejected {
  id: number;
  origin_id: string;
  error: string;
}

/** Writes a batch; returns the rows refused one by one (the others are written). */
type Writer = (rows: Claimed[]) => Promise<Rejected[]>;

/** Where the task's rows go in a PostgreSQL destination: prefix + target entity, in the job's schema or the connection's. */
export function destinationTableOf(ctx: TaskContext): { schema: string; table: string } {
  const config = ctx.destination.config as unknown as PostgresConnectionConfig;
  return { schema: ctx.destinationSchema ?? config.schema ?? 'public', table: `${ctx.tableNamePrefix}${ctx.targetEntity}` };
}

function destinationWriter(pools: ConnectionPools, ctx: TaskContext, runId: string): Writer {
  const dest = ctx.destination;
  const options = ctx.tableOptions;
  switch (dest.connectorType) {
    case 'postgres': {
      const config = dest.config as unknown as PostgresConnectionConfig;
      const { schema, table } = destinationTableOf(ctx);
      return async (rows) => {
        const db = pools.get(dest.version, config, dest.secrets.password as string | undefined);
        const upserts = rows.filter((r) => r.action !== 'delete' && r.data !== null).map((r) => ({ claimed: r, id: r.origin_id, data: r.data!, json: r.json }));
        const deletes = rows.filter((r) => r.action === 'delete').map((r) => r.origin_id);
        let rejected: Rejected[] = [];
        if (upserts.length > 0) {
          const prepared = await prepareMerge(db, ctx, upserts);
          rejected = prepared.refused.map(({ row, error }) => ({ id: row.claimed.id, origin_id: row.id, error }));
          await prepared.write();
        }
        if (deletes.length > 0) {
          // Skip leaves the row as it is; the contract still goes, so a return is a create.
          if (options.deletionBehavior === 'HardDelete') await deleteFromDestination(db, schema, table, deletes);
          else if (options.deletionBehavior === 'SoftDelete') await softDeleteInDestination(db, schema, table, deletes);
        }
        return rejected;
      };
    }
    case 'file': {
      const config = dest.config as unknown as FileConfig;
      const table = `${ctx.tableNamePrefix}${ctx.targetEntity}`;
      return async (rows) => {
        const kept = options.deletionBehavior === 'Skip' ? rows.filter((r) => r.action !== 'delete') : rows;
        if (kept.length === 0) return [];
        // One file per claimed batch, named by its first export id: a retry rewrites the same file.
        await writeFilePage({
          config,
          entity: table,
          runId,
          pageNo: rows[0]!.id,
          rows: kept.map((r) => ({ id: r.origin_id, data: r.action === 'delete' ? { _syncline_deleted: true } : r.data! })),
        });
        return [];
      };
    }
    default:
      throw new SyncError('DESTINATION_UNSUPPORTED', `Connector type ${dest.connectorType} cannot be a destination`, false);
  }
}
