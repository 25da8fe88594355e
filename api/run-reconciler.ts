// Keeps the read model honest about runs whose workflow ended without recording it: terminated or
// cancelled from Temporal UI or the CLI, timed out, or never started. The API process sweeps the
// live runs every few seconds; a run is never left RUNNING after its workflow is gone.
import { WorkflowNotFoundError, type WorkflowExecutionStatusName } from '@temporalio/client';
import { and, eq, inArray, lt } from 'drizzle-orm';
import { entityRuns, LIVE_RUN_STATES, runs, type RunError, type RunState } from '../db/schema';
import type { RunResult } from '../workflows/contracts';
import { SynclineRunId } from '../workflows/search-attributes';
import type { AppDeps } from './app';
import { recordOverlapSkips } from './schedule-monitor';

/** A run younger than this may still be starting (its claim is written before the workflow starts). */
const START_GRACE_MS = 30_000;
const DEFAULT_INTERVAL_MS = 5_000;

type RunRow = typeof runs.$inferSelect;

/** What the workflow's end means for the run, or null while it is still running. */
async function terminalStateOf(deps: AppDeps, run: RunRow): Promise<{ state: RunState; errors: RunError[] } | null> {
  if (run.temporalRunId === null) {
    if (Date.now() - run.createdAt.getTime() < START_GRACE_MS) return null;
    return { state: 'FAILED', errors: [{ code: 'RUN_START_FAILED', message: 'The run workflow never started' }] };
  }
  const handle = deps.temporal.client.workflow.getHandle(run.workflowId, undefined, { firstExecutionRunId: run.temporalRunId });
  let status: WorkflowExecutionStatusName;
  try {
    const description = await handle.describe();
    // The workflow id is reused by the job's next run: only an execution of this run counts.
    const executionRunId = description.typedSearchAttributes.get(SynclineRunId);
    if (executionRunId !== undefined && executionRunId !== run.id) return { state: 'FAILED', errors: [{ code: 'RUN_ORPHANED', message: 'The run workflow ended without recording its end' }] };
    status = description.status.name;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { state: 'FAILED', errors: [{ code: 'RUN_ORPHANED', message: 'The run workflow no longer exists' }] };
    throw err;
  }
  switch (status) {
    case 'RUNNING':
    case 'CONTINUED_AS_NEW':
    case 'PAUSED':
      return null;
    case 'CANCELLED':
      return { state: 'CANCELLED', errors: [{ code: 'RUN_CANCELLED_OUTSIDE', message: 'The run workflow was cancelled outside Syncline' }] };
    case 'TERMINATED':
      return { state: 'FAILED', errors: [{ code: 'RUN_TERMINATED', message: 'The run workflow was terminated outside Syncline' }] };
    case 'TIMED_OUT':
      return { state: 'FAILED', errors: [{ code: 'RUN_TIMED_OUT', message: 'The run workflow timed out' }] };
    case 'COMPLETED': {
      // It finished but the final bookkeeping did not land: take the state it returned.
      const result = (await handle.result()) as RunResult;
      return { state: result.state, errors: [] };
    }
    default:
      return { state: 'FAILED', errors: [{ code: 'RUN_FAILED', message: `The run workflow ended ${status.toLowerCase()}` }] };
  }
}

/** Records the true end of one live run if its workflow has ended; true when it changed the run. */
export async function reconcileRun(deps: AppDeps, run: RunRow): Promise<boolean> {
  const end = await terminalStateOf(deps, run);
  if (end === null) return false;
  const now = new Date();
  return deps.db.transaction(async (tx) => {
    const updated = await tx
      .update(runs)
      .set({ state: end.state, endTime: now, stateUpdateTime: now, paused: false, errors: end.errors })
      .where(and(eq(runs.id, run.id), inArray(runs.state, [...LIVE_RUN_STATES])))
      .returning({ id: runs.id });
    if (updated.length === 0) return false; // the workflow recorded its end meanwhile
    await tx
      .update(entityRuns)
      .set({ state: end.state, stateUpdateTime: now })
      .where(and(eq(entityRuns.runId, run.id), inArray(entityRuns.state, [...LIVE_RUN_STATES])));
    return true;
  });
}

/** One sweep over every live run older than a moment; returns the ids it closed. */
export async function reconcileLiveRuns(deps: AppDeps): Promise<string[]> {
  const live = await deps.db
    .select()
    .from(runs)
    .where(and(inArray(runs.state, [...LIVE_RUN_STATES]), lt(runs.createdAt, new Date(Date.now() - 1_000))));
  const closed: string[] = [];
  for (const run of live) {
    try {
      if (await reconcileRun(deps, run)) closed.push(run.id);
    } catch (err) {
      (deps.log ?? console.error)(`reconciling run ${run.id} failed`, err);
    }
  }
  return closed;
}

/** Sweeps live runs, then schedules' overlap skips, every `intervalMs` until stopped; sweeps never overlap. */
export function startRunReconciler(deps: AppDeps, intervalMs = DEFAULT_INTERVAL_MS): { stop(): Promise<void> } {
  let stopped = false;
  let current: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    if (stopped) return;
    current = current
      .then(() => reconcileLiveRuns(deps))
      .then(() => recordOverlapSkips(deps))
      .catch((err: unknown) => (deps.log ?? console.error)('run reconciliation failed', err));
  }, intervalMs);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await current;
    },
  };
}
