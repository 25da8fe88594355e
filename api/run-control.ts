// Finding a job's live run and reaching its workflow: shared by cancel, pause and resume.
import { WorkflowNotFoundError } from '@temporalio/client';
import { and, desc, eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/client';
import { LIVE_RUN_STATES, runs } from '../db/schema';
import type { AppDeps } from './app';
import { ApiError } from './errors';
import { reconcileRun } from './run-reconciler';

export type RunRow = typeof runs.$inferSelect;

export async function findLiveJobRun(db: Db, jobId: number): Promise<RunRow | undefined> {
  const [row] = await db
    .select()
    .from(runs)
    .where(and(eq(runs.jobId, jobId), inArray(runs.state, [...LIVE_RUN_STATES])))
    .orderBy(desc(runs.createdAt))
    .limit(1);
  return row;
}

/**
 * The job's live run whose workflow really runs. A run whose workflow has already ended is
 * recorded as such first, so a control request never acts on a ghost.
 */
export async function requireLiveJobRun(deps: AppDeps, jobId: number, action: string): Promise<RunRow> {
  const run = await findLiveJobRun(deps.db, jobId);
  if (run && !(await reconcileRun(deps, run))) return run;
  throw new ApiError('CONFLICT', `Job ${jobId} has no run in progress to ${action}`);
}

/** Sends a request to the run's workflow; a workflow that is gone means the run is over. */
export async function toRunWorkflow(deps: AppDeps, run: RunRow, act: (handle: ReturnType<AppDeps['temporal']['client']['workflow']['getHandle']>) => Promise<void>): Promise<void> {
  // No run id: continue-as-new moves the run to newer executions of the same workflow id.
  const handle = deps.temporal.client.workflow.getHandle(run.workflowId);
  try {
    await act(handle);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    await reconcileRun(deps, run);
    throw new ApiError('CONFLICT', `Run ${run.id} has already ended`, { runId: run.id });
  }
}
