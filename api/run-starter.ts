// Starting a job run: the read model claims the job (one live run per job, enforced by a unique
// index), then Temporal starts the run workflow under the job's workflow id.
import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { and, eq, inArray } from 'drizzle-orm';
import { jobs, runs, type RunTrigger } from '../db/schema';
import { jobWorkflowId, type JobRunInput } from '../workflows/contracts';
import type { jobRunWorkflow } from '../workflows/job-run.workflow';
import { SynclineJobId, SynclineRunId, SynclineTrigger, SynclineWorkspaceId } from '../workflows/search-attributes';
import type { AppDeps } from './app';
import { ApiError } from './errors';

type Job = typeof jobs.$inferSelect;
const LIVE_STATES = ['PENDING', 'RUNNING', 'OVERRUN'] as const;
/** A PENDING run younger than this may be one whose start is still in flight. */
const START_GRACE_MS = 30_000;
/** How long a new run waits for the previous run's workflow to close after it recorded its end. */
const PREVIOUS_RUN_CLOSE_MS = 10_000;

export async function startJobRun(
  deps: AppDeps,
  job: Job,
  options: { trigger: RunTrigger; taskIds?: number[]; pagesPerExecution?: number },
): Promise<{ runId: string; workflowId: string }> {
  const runId = randomUUID();
  const workflowId = jobWorkflowId(job.id);
  await claimJob(deps, job, { runId, workflowId, trigger: options.trigger });

  const input: JobRunInput = {
    runId,
    jobId: job.id,
    ...(options.taskIds ? { taskIds: options.taskIds } : {}),
    ...(options.pagesPerExecution ? { pagesPerExecution: options.pagesPerExecution } : {}),
  };
  const start = () =>
    deps.temporal.client.workflow.start<typeof jobRunWorkflow>('jobRunWorkflow', {
      taskQueue: deps.temporal.taskQueue,
      workflowId,
      args: [input],
      workflowIdConflictPolicy: 'FAIL',
      typedSearchAttributes: [
        { key: SynclineJobId, value: String(job.id) },
        { key: SynclineWorkspaceId, value: String(job.workspaceId) },
        { key: SynclineTrigger, value: options.trigger },
        { key: SynclineRunId, value: runId },
      ],
    });
  try {
    let handle;
    try {
      handle = await start();
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      // We hold the job's claim, so the workflow under this id belongs to a run that has recorded
      // its end and is closing. Give it a moment rather than answering a spurious 409.
      if (!(await waitUntilClosed(deps, workflowId, PREVIOUS_RUN_CLOSE_MS))) throw err;
      handle = await start();
    }
    await deps.db.update(runs).set({ temporalRunId: handle.firstExecutionRunId }).where(eq(runs.id, runId));
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      // A workflow of this job runs that the read model does not know about (started by hand, say).
      await deps.db.delete(runs).where(eq(runs.id, runId));
      throw new ApiError('CONFLICT', `Job ${job.id} is already running (workflow ${workflowId})`, { workflowId });
    }
    await deps.db
      .update(runs)
      .set({ state: 'FAILED', endTime: new Date(), stateUpdateTime: new Date(), errors: [{ code: 'RUN_START_FAILED', message: String(err) }] })
      .where(eq(runs.id, runId));
    throw err;
  }
  return { runId, workflowId };
}

async function claimJob(deps: AppDeps, job: Job, run: { runId: string; workflowId: string; trigger: RunTrigger }): Promise<void> {
  const insert = () =>
    deps.db.insert(runs).values({
      id: run.runId,
      workspaceId: job.workspaceId,
      jobId: job.id,
      state: 'PENDING',
      trigger: run.trigger,
      workflowId: run.workflowId,
    });
  try {
    await insert();
    return;
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
  }
  const [live] = await deps.db
    .select()
    .from(runs)
    .where(and(eq(runs.jobId, job.id), inArray(runs.state, [...LIVE_STATES])));
  if (live && (await isStillRunning(deps, live))) {
    throw new ApiError('CONFLICT', `Job ${job.id} is already running: run ${live.id}`, { runId: live.id });
  }
  // The live run's workflow is gone (terminated outside Syncline, or its start never happened):
  // record that, then claim the job again.
  if (live) {
    await deps.db
      .update(runs)
      .set({
        state: 'FAILED',
        endTime: new Date(),
        stateUpdateTime: new Date(),
        errors: [{ code: 'RUN_ORPHANED', message: 'The run workflow ended without recording its end' }],
      })
      .where(and(eq(runs.id, live.id), inArray(runs.state, [...LIVE_STATES])));
  }
  try {
    await insert();
  } catch (err) {
    if (isUniqueViolation(err)) throw new ApiError('CONFLICT', `Job ${job.id} is already running`);
    throw err;
  }
}

async function isStillRunning(deps: AppDeps, run: typeof runs.$inferSelect): Promise<boolean> {
  if (run.temporalRunId === null) return Date.now() - run.createdAt.getTime() < START_GRACE_MS;
  try {
    const handle = deps.temporal.client.workflow.getHandle(run.workflowId, undefined, { firstExecutionRunId: run.temporalRunId });
    const description = await handle.describe();
    return description.status.name === 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
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

function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: string; cause?: { code?: string } }).code ?? (err as { cause?: { code?: string } }).cause?.code;
  return code === '23505';
}
