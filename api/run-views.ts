// Reads runs from the read model and projects them onto the API's run shape.
import { and, asc, desc, eq, gte, inArray, isNotNull, lt, lte, or } from 'drizzle-orm';
import type { Db } from '../db/client';
import { entityRuns, LIVE_RUN_STATES, runs } from '../db/schema';
import { ApiError } from './errors';
import type { RunView } from './schemas';

type RunRow = typeof runs.$inferSelect;
type EntityRunRow = typeof entityRuns.$inferSelect;

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const TERMINAL_SUCCESS = new Set(['SUCCEEDED', 'WARNING']);

export function entityRunView(e: EntityRunRow): RunView['entityRuns'][number] {
  const current = e.extractedRecordCount;
  const percentile =
    e.totalCount !== null && e.totalCount > 0 ? Math.min(1, current / e.totalCount) : TERMINAL_SUCCESS.has(e.state) ? 1 : null;
  return {
    taskId: e.taskId,
    entityName: e.entityName,
    state: e.state,
    syncType: e.syncType,
    errors: e.errors,
    stateUpdateTime: e.stateUpdateTime.toISOString(),
    statsUpdateTime: e.statsUpdateTime.toISOString(),
    progress: { currentCount: String(current), totalCount: e.totalCount === null ? null : String(e.totalCount), percentile },
    scheduledRecordCount: String(e.scheduledRecordCount),
    extractedRecordCount: String(e.extractedRecordCount),
    indexedRecordCount: String(e.indexedRecordCount),
    errorRecordCount: String(e.errorRecordCount),
    deletedRecordCount: String(e.deletedRecordCount),
    sourceApiRequestCount: String(e.sourceApiRequestCount),
    newRecordCount: String(e.newRecordCount),
    changedRecordCount: String(e.changedRecordCount),
    unchangedRecordCount: String(e.unchangedRecordCount),
  };
}

export function runView(run: RunRow, entities: EntityRunRow[]): RunView {
  return {
    name:
      run.jobId !== null
        ? `workspaces/${run.workspaceId}/jobs/${run.jobId}/runs/${run.id}`
        : run.runProfileId !== null || run.connectedSystemId !== null
          ? `workspaces/${run.workspaceId}/connectedSystems/${run.connectedSystemId}/runProfiles/${run.runProfileId}/runs/${run.id}`
          : `workspaces/${run.workspaceId}/schedules/${run.scheduleId}/runs/${run.id}`,
    id: run.id,
    jobId: run.jobId,
    runProfileId: run.runProfileId,
    connectedSystemId: run.connectedSystemId,
    runType: run.runType,
    scheduleId: run.scheduleId,
    parentRunId: run.parentRunId,
    state: run.state,
    trigger: run.trigger,
    syncType: run.syncType,
    dryRun: run.dryRun,
    paused: run.paused,
    startTime: iso(run.startTime),
    endTime: iso(run.endTime),
    stateUpdateTime: run.stateUpdateTime.toISOString(),
    latestPauseTime: iso(run.latestPauseTime),
    errors: run.errors,
    entityRuns: entities.map(entityRunView),
    workflowId: run.workflowId,
    temporalRunId: run.temporalRunId,
  };
}

async function withEntityRuns(db: Db, rows: RunRow[]): Promise<RunView[]> {
  if (rows.length === 0) return [];
  const entities = await db
    .select()
    .from(entityRuns)
    .where(inArray(entityRuns.runId, rows.map((r) => r.id)))
    .orderBy(asc(entityRuns.taskId));
  return rows.map((r) => runView(r, entities.filter((e) => e.runId === r.id)));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function findRunView(db: Db, runId: string): Promise<RunView | undefined> {
  if (!UUID.test(runId)) return undefined;
  const rows = await db.select().from(runs).where(eq(runs.id, runId));
  return (await withEntityRuns(db, rows))[0];
}

/** The job's live run, else its latest one. */
export async function currentRunView(db: Db, jobId: number): Promise<RunView | undefined> {
  const rows = await db
    .select()
    .from(runs)
    .where(eq(runs.jobId, jobId))
    .orderBy(desc(inArray(runs.state, [...LIVE_RUN_STATES])), desc(runs.createdAt), desc(runs.id))
    .limit(1);
  return (await withEntityRuns(db, rows))[0];
}

export interface RunFilter {
  scheduleId?: number;
  parentRunId?: string;
  workspaceId?: number;
  jobId?: number;
  trigger?: string;
  connectedSystemId?: number;
  runProfileId?: number;
  /** Only runs of run profiles (JIM's activities). */
  runProfileRunsOnly?: boolean;
  state?: string;
  from?: Date;
  to?: Date;
}

/** Keyset cursor over runs newest first: the (createdAt, id) of the last run of a page. */
export function decodeRunCursor(cursor: string | undefined): { createdAt: Date; id: string } | undefined {
  if (cursor === undefined) return undefined;
  const [createdAt, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const at = new Date(createdAt ?? '');
  if (!id || !UUID.test(id) || Number.isNaN(at.getTime())) {
    throw new ApiError('BAD_REQUEST', 'cursor: not a cursor this list returned', { errors: [{ path: 'cursor', message: 'unreadable cursor' }] });
  }
  return { createdAt: at, id };
}

export function encodeRunCursor(run: { createdAt: Date; id: string }): string {
  return Buffer.from(`${run.createdAt.toISOString()}|${run.id}`).toString('base64url');
}

/** Runs newest first, keyset-paginated on (createdAt, id). */
export async function listRunViews(db: Db, filter: RunFilter, limit: number, cursor: string | undefined) {
  const after = decodeRunCursor(cursor);
  const rows = await db
    .select()
    .from(runs)
    .where(
      and(
        filter.workspaceId !== undefined ? eq(runs.workspaceId, filter.workspaceId) : undefined,
        filter.jobId !== undefined ? eq(runs.jobId, filter.jobId) : undefined,
        filter.scheduleId !== undefined ? eq(runs.scheduleId, filter.scheduleId) : undefined,
        filter.parentRunId !== undefined ? eq(runs.parentRunId, filter.parentRunId) : undefined,
        filter.trigger !== undefined ? eq(runs.trigger, filter.trigger as RunRow['trigger']) : undefined,
        filter.connectedSystemId !== undefined ? eq(runs.connectedSystemId, filter.connectedSystemId) : undefined,
        filter.runProfileId !== undefined ? eq(runs.runProfileId, filter.runProfileId) : undefined,
        filter.runProfileRunsOnly ? isNotNull(runs.runProfileId) : undefined,
        filter.state !== undefined ? eq(runs.state, filter.state as RunRow['state']) : undefined,
        filter.from !== undefined ? gte(runs.createdAt, filter.from) : undefined,
        filter.to !== undefined ? lte(runs.createdAt, filter.to) : undefined,
        after ? or(lt(runs.createdAt, after.createdAt), and(eq(runs.createdAt, after.createdAt), lt(runs.id, after.id))) : undefined,
      ),
    )
    .orderBy(desc(runs.createdAt), desc(runs.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  const nextCursor = rows.length > limit && last ? encodeRunCursor(last) : null;
  return { items: await withEntityRuns(db, page), nextCursor };
}
