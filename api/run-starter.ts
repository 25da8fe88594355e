// Starting a run: the read model claims the job (or, for a run profile, the connected system) —
// one live run each, enforced by unique indexes — then Temporal starts the run workflow under the
// matching workflow id.
import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { and, eq, inArray } from 'drizzle-orm';
import { isUniqueViolation } from '../db/client';
import { LIVE_RUN_STATES, runs, type RunTrigger, type RunType } from '../db/schema';
import { connectedSystemWorkflowId, jobWorkflowId, type RunInput } from '../workflows/contracts';
import type { jobRunWorkflow } from '../workflows/job-run.workflow';
import { SynclineJobId, SynclineRunId, SynclineTrigger, SynclineWorkspaceId } from '../workflows/search-attributes';
import type { AppDeps } from './app';
import { ApiError } from './errors';
import { reconcileRun } from './run-reconciler';

/** How long a new run waits for the previous run's workflow to close after it recorded its end. */
const PREVIOUS_RUN_CLOSE_MS = 10_000;

export type RunTarget =
  | { kind: 'job'; workspaceId: number; jobId: number }
  | { kind: 'profile'; workspaceId: number; runProfileId: number; connectedSystemId: number; runType: RunType };

export interface StartRunOptions {
  trigger: RunTrigger;
  taskIds?: number[];
  dryRun?: boolean;
  /** Tests only: a smaller continue-as-new budget. */
  pagesPerExecution?: number;
}

export async function startRun(deps: AppDeps, target: RunTarget, options: StartRunOptions): Promise<{ runId: string; workflowId: string }> {
  const runId = randomUUID();
  const workflowId = target.kind === 'job' ? jobWorkflowId(target.jobId) : connectedSystemWorkflowId(target.connectedSystemId);
  await claim(deps, target, { runId, workflowId, trigger: options.trigger, dryRun: options.dryRun ?? false });

  const input: RunInput = {
    runId,
    ...(options.taskIds ? { taskIds: options.taskIds } : {}),
    ...(options.pagesPerExecution ? { pagesPerExecution: options.pagesPerExecution } : {}),
  };
  const searchAttributes: SearchAttributePair[] = [
    { key: SynclineWorkspaceId, value: String(target.workspaceId) },
    { key: SynclineTrigger, value: options.trigger },
    { key: SynclineRunId, value: runId },
    ...(target.kind === 'job' ? [{ key: SynclineJobId, value: String(target.jobId) }] : []),
  ];
  const start = () =>
    deps.temporal.client.workflow.start<typeof jobRunWorkflow>(target.kind === 'job' ? 'jobRunWorkflow' : 'runProfileWorkflow', {
      taskQueue: deps.temporal.taskQueue,
      workflowId,
      args: [input],
      workflowIdConflictPolicy: 'FAIL',
      typedSearchAttributes: searchAttributes,
    });
  try {
    let handle;
    try {
      handle = await start();
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      // We hold the claim, so the workflow under this id belongs to a run that has recorded its
      // end and is closing. Give it a moment rather than answering a spurious 409.
      if (!(await waitUntilClosed(deps, workflowId, PREVIOUS_RUN_CLOSE_MS))) throw err;
      handle = await start();
    }
    await deps.db.update(runs).set({ temporalRunId: handle.firstExecutionRunId }).where(eq(runs.id, runId));
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      // A workflow under this id runs that the read model does not know about (started by hand, say).
      await deps.db.delete(runs).where(eq(runs.id, runId));
      throw new ApiError('CONFLICT', `A run is already in progress (workflow ${workflowId})`, { workflowId });
    }
    await deps.db
      .update(runs)
      .set({ state: 'FAILED', endTime: new Date(), stateUpdateTime: new Date(), errors: [{ code: 'RUN_START_FAILED', message: String(err) }] })
      .where(eq(runs.id, runId));
    throw err;
  }
  return { runId, workflowId };
}

async function claim(deps: AppDeps, target: RunTarget, run: { runId: string; workflowId: string; trigger: RunTrigger; dryRun: boolean }): Promise<void> {
  const insert = () =>
    deps.db.insert(runs).values({
      id: run.runId,
      workspaceId: target.workspaceId,
      state: 'PENDING',
      trigger: run.trigger,
      workflowId: run.workflowId,
      dryRun: run.dryRun,
      ...(target.kind === 'job'
        ? { jobId: target.jobId }
        : {
            runProfileId: target.runProfileId,
            connectedSystemId: target.connectedSystemId,
            runType: target.runType,
            syncType: target.runType.startsWith('Delta') ? ('INCREMENTAL' as const) : ('FULL' as const),
          }),
    });
  try {
    await insert();
    return;
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
  }
  const owner = target.kind === 'job' ? eq(runs.jobId, target.jobId) : eq(runs.connectedSystemId, target.connectedSystemId);
  const [live] = await deps.db
    .select()
    .from(runs)
    .where(and(owner, inArray(runs.state, [...LIVE_RUN_STATES])));
  const what = target.kind === 'job' ? `Job ${target.jobId}` : `Connected system ${target.connectedSystemId}`;
  // A live run whose workflow is gone (terminated outside Syncline, or its start never happened)
  // gets its real end recorded, and the claim is tried again.
  if (live && !(await reconcileRun(deps, live))) {
    throw new ApiError('CONFLICT', `${what} is already running: run ${live.id}`, { runId: live.id });
  }
  try {
    await insert();
  } catch (err) {
    if (isUniqueViolation(err)) throw new ApiError('CONFLICT', `${what} is already running`);
    throw err;
  }
}

async function waitUntilClosed(deps: AppDeps, workflowId: string, timeoutMs: number): Promise<boolean> {
  const handle = deps.temporal.client.workflow.getHandle(workflowId);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await handle.describe()).status.name !== 'RUNNING') return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return true;
      throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

