// Schemas shared by several routes: ids, pagination, the run shape.
import { z } from '@hono/zod-openapi';
import { ApiError } from './errors';

const pathId = (name: string) => z.coerce.number().int().positive().openapi({ param: { name, in: 'path' }, example: 1 });

/** Path parameters that are positive integer ids, e.g. IdParam('jobId'). */
export const IdParam = <N extends string>(...names: N[]) =>
  z.object(Object.fromEntries(names.map((n) => [n, pathId(n)])) as { [K in N]: ReturnType<typeof pathId> });

export const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50).openapi({ param: { name: 'limit', in: 'query' } }),
  cursor: z.string().optional().openapi({ param: { name: 'cursor', in: 'query' } }),
});

export const listOf = <T extends z.ZodTypeAny>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

/** Keyset cursor over an integer id (lists ordered by id). */
export function decodeIdCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const id = Number(decoded);
  if (!/^[1-9][0-9]*$/.test(decoded) || !Number.isSafeInteger(id)) throw new ApiError('BAD_REQUEST', 'cursor: not a cursor this list returned', { errors: [{ path: 'cursor', message: 'unreadable cursor' }] });
  return id;
}

export function encodeIdCursor(id: number): string {
  return Buffer.from(String(id), 'utf8').toString('base64url');
}

/** One list page from rows fetched with `limit + 1`: the extra row only tells that more follow. */
export function idPage<Row extends { id: number }, View>(rows: Row[], limit: number, view: (row: Row) => View) {
  const page = rows.slice(0, limit);
  return { items: page.map(view), nextCursor: rows.length > limit ? encodeIdCursor(page.at(-1)!.id) : null };
}

const Count = z.string().openapi({ description: 'int64 as a string', example: '1200' });
const RunState = z.enum(['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'OVERRUN', 'CANCELLED', 'WARNING', 'SKIPPED']);
const RunErrorSchema = z.object({ code: z.string(), message: z.string() });

export const EntityRunSchema = z.object({
  taskId: z.number().int(),
  entityName: z.string(),
  state: RunState,
  syncType: z.enum(['FULL', 'INCREMENTAL']),
  errors: z.array(RunErrorSchema),
  stateUpdateTime: z.string(),
  statsUpdateTime: z.string(),
  progress: z.object({ currentCount: Count, totalCount: Count.nullable(), percentile: z.number().nullable() }),
  scheduledRecordCount: Count,
  extractedRecordCount: Count,
  indexedRecordCount: Count,
  errorRecordCount: Count,
  deletedRecordCount: Count,
  sourceApiRequestCount: Count,
  newRecordCount: Count,
  changedRecordCount: Count,
  unchangedRecordCount: Count,
});

export const RunSchema = z
  .object({
    name: z.string(),
    id: z.string().uuid(),
    jobId: z.number().int().nullable(),
    runProfileId: z.number().int().nullable(),
    connectedSystemId: z.number().int().nullable(),
    runType: z.enum(['FullImport', 'DeltaImport', 'FullSynchronisation', 'DeltaSynchronisation', 'Export']).nullable(),
    scheduleId: z.number().int().nullable(),
    parentRunId: z.string().uuid().nullable().openapi({ description: 'A schedule step’s run: the schedule run that started it' }),
    state: RunState,
    trigger: z.enum(['SCHEDULER', 'INITIALIZATION', 'RESUME', 'MANUAL']),
    syncType: z.enum(['FULL', 'INCREMENTAL']),
    dryRun: z.boolean(),
    paused: z.boolean(),
    startTime: z.string().nullable(),
    endTime: z.string().nullable(),
    stateUpdateTime: z.string(),
    latestPauseTime: z.string().nullable(),
    errors: z.array(RunErrorSchema),
    entityRuns: z.array(EntityRunSchema),
    workflowId: z.string(),
    temporalRunId: z.string().nullable(),
  })
  .openapi('Run');

export type RunView = z.infer<typeof RunSchema>;
