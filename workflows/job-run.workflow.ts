// One execution of a job: for each planned task in index order, page by page,
// import page → map → diff → upsert → export. Activities move the records through PostgreSQL;
// this workflow only holds cursors and counters.
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  DEFAULT_PAGES_PER_EXECUTION,
  STEP_MAX_ATTEMPTS,
  emptyCounters,
  pauseSignal,
  progressQuery,
  resumeSignal,
  type EntityCounters,
  type EntityOutcome,
  type JobRunCheckpoint,
  type JobRunInput,
  type JobRunResult,
  type RunError,
  type RunState,
} from './contracts';

const retry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: STEP_MAX_ATTEMPTS };

// Page steps write data: on cancel, wait for the attempt to stop before cleaning up.
const steps = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

// Read-model bookkeeping: short, retried until the database answers.
const bookkeeping = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
});

const PROGRESS_INTERVAL_MS = 2_000;

export async function jobRunWorkflow(input: JobRunInput): Promise<JobRunResult> {
  const { runId } = input;
  let paused = input.checkpoint?.paused ?? false;
  let live: { taskId: number | null; pageNo: number; counters: EntityCounters } = {
    taskId: null,
    pageNo: input.checkpoint?.pageNo ?? 0,
    counters: input.checkpoint?.counters ?? emptyCounters(),
  };
  const outcomes: EntityOutcome[] = [...(input.checkpoint?.outcomes ?? [])];

  setHandler(pauseSignal, () => {
    paused = true;
  });
  setHandler(resumeSignal, () => {
    paused = false;
  });
  setHandler(progressQuery, () => ({ runId, paused, ...live, completed: outcomes }));

  try {
    const plan = input.checkpoint?.plan ?? (await bookkeeping.beginRun({ runId, jobId: input.jobId, taskIds: input.taskIds })).plan;
    const pageBudget = input.pagesPerExecution ?? DEFAULT_PAGES_PER_EXECUTION;
    let pagesThisExecution = 0;

    for (let position = input.checkpoint?.position ?? 0; position < plan.length; position++) {
      const task = plan[position]!;
      const resuming = input.checkpoint !== undefined && position === input.checkpoint.position;
      let cursor = resuming ? input.checkpoint!.cursor : null;
      let pageNo = resuming ? input.checkpoint!.pageNo : 0;
      const counters = resuming ? input.checkpoint!.counters : emptyCounters();
      live = { taskId: task.taskId, pageNo, counters };
      if (!resuming) await bookkeeping.beginEntityRun({ runId, taskId: task.taskId });

      let lastProgressAt = Date.now();
      let failure: RunError | undefined;
      let continueFrom: JobRunCheckpoint | undefined;
      try {
        for (;;) {
          // Pause takes effect between pages: nothing is imported while paused.
          if (paused) await condition(() => !paused);

          const page = { runId, taskId: task.taskId, pageNo };
          const imported = await steps.importPage({ ...page, cursor, pageSize: task.pageSize });
          counters.extracted += imported.fetched;
          counters.sourceRequests += imported.requests;
          counters.errors += imported.rejected;
          if (imported.totalCount !== null) counters.total = imported.totalCount;

          if (imported.staged > 0) {
            const mapped = await steps.mapPage(page);
            counters.errors += mapped.failed;
            const diff = await steps.diffPage(page);
            counters.indexed += diff.created + diff.changed + diff.unchanged;
            counters.created += diff.created;
            counters.changed += diff.changed;
            counters.unchanged += diff.unchanged;
            if (diff.created + diff.changed > 0) {
              await steps.upsertPage(page);
              await steps.exportPage(page);
            }
          }

          pagesThisExecution++;
          if (imported.nextCursor === null) break;
          cursor = imported.nextCursor;
          pageNo++;
          live.pageNo = pageNo;

          if (Date.now() - lastProgressAt >= PROGRESS_INTERVAL_MS) {
            await bookkeeping.recordEntityProgress({ runId, taskId: task.taskId, counters });
            lastProgressAt = Date.now();
          }
          if (workflowInfo().continueAsNewSuggested || pagesThisExecution >= pageBudget) {
            continueFrom = { plan, position, cursor, pageNo, counters, outcomes, paused };
            break;
          }
        }
      } catch (err) {
        if (isCancellation(err)) throw err;
        failure = toRunError(err);
      }

      if (continueFrom) {
        // Outside the task's catch: continueAsNew works by throwing.
        await bookkeeping.recordEntityProgress({ runId, taskId: task.taskId, counters });
        await condition(allHandlersFinished);
        return await continueAsNew<typeof jobRunWorkflow>({ ...input, checkpoint: { ...continueFrom, paused } });
      }

      const state = failure ? 'FAILED' : counters.errors > 0 ? (counters.indexed === 0 ? 'FAILED' : 'WARNING') : 'SUCCEEDED';
      outcomes.push({ taskId: task.taskId, state, counters, ...(failure ? { error: failure } : {}) });
      await bookkeeping.finishEntityRun({ runId, taskId: task.taskId, state, counters, errors: failure ? [failure] : [] });
      // A failed task stops the run: later tasks would work on an incomplete picture.
      if (failure) break;
    }

    const state = runStateOf(outcomes);
    const errors = outcomes.flatMap((o) => (o.error ? [o.error] : []));
    await bookkeeping.finishRun({ runId, state, errors });
    return { runId, state, entities: outcomes };
  } catch (err) {
    if (isCancellation(err)) {
      // Record the end even though the workflow scope is cancelled.
      await CancellationScope.nonCancellable(async () => {
        if (live.taskId !== null && !outcomes.some((o) => o.taskId === live.taskId)) {
          await bookkeeping.finishEntityRun({ runId, taskId: live.taskId, state: 'CANCELLED', counters: live.counters, errors: [] });
        }
        await bookkeeping.finishRun({ runId, state: 'CANCELLED', errors: [] });
      });
    }
    throw err;
  }
}

function runStateOf(outcomes: EntityOutcome[]): RunState {
  if (outcomes.some((o) => o.state === 'FAILED')) return 'FAILED';
  if (outcomes.some((o) => o.state === 'WARNING')) return 'WARNING';
  return 'SUCCEEDED';
}

function toRunError(err: unknown): RunError {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) return { code: cause.type ?? 'TASK_FAILED', message: cause.message };
  return { code: 'TASK_FAILED', message: err instanceof Error ? err.message : String(err) };
}
