// The engine every run workflow shares: for each planned task in order, page by page, the steps
// of the run's stage. Activities move the records through PostgreSQL; this code only holds
// cursors, counters and pause state, so histories stay small and continue-as-new is cheap.
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
  type RunCheckpoint,
  type RunError,
  type RunInput,
  type RunPlan,
  type RunResult,
  type RunState,
  type TaskPlan,
  type UnitStart,
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

/** A task's position: what continue-as-new carries for the task in progress. */
interface UnitState {
  cursor: string | null;
  pageNo: number;
  counters: EntityCounters;
  start: UnitStart;
  watermark: string | null;
}

/** Thrown inside a task's page loop to hand over to a new execution at a page boundary. */
class ContinueFrom {
  constructor(readonly state: UnitState) {}
}

export async function runEngine(input: RunInput): Promise<RunResult> {
  const { runId } = input;
  let paused = input.checkpoint?.paused ?? false;
  const outcomes: EntityOutcome[] = [...(input.checkpoint?.outcomes ?? [])];
  let live: { taskId: number | null; pageNo: number; counters: EntityCounters } = {
    taskId: null,
    pageNo: input.checkpoint?.pageNo ?? 0,
    counters: input.checkpoint?.counters ?? emptyCounters(),
  };

  setHandler(pauseSignal, () => {
    paused = true;
  });
  setHandler(resumeSignal, () => {
    paused = false;
  });
  setHandler(progressQuery, () => ({ runId, paused, ...live, completed: outcomes }));

  const pageBudget = input.pagesPerExecution ?? DEFAULT_PAGES_PER_EXECUTION;
  let pagesThisExecution = 0;

  /** Between pages: wait while paused, and say whether this execution should hand over. */
  const pageBoundary = async (): Promise<boolean> => {
    pagesThisExecution++;
    if (paused) await condition(() => !paused);
    return workflowInfo().continueAsNewSuggested || pagesThisExecution >= pageBudget;
  };

  try {
    const plan = input.checkpoint?.plan ?? (await bookkeeping.beginRun({ runId, ...(input.taskIds ? { taskIds: input.taskIds } : {}) }));

    for (let position = input.checkpoint?.position ?? 0; position < plan.units.length; position++) {
      const unit = plan.units[position]!;
      const resumed = input.checkpoint !== undefined && position === input.checkpoint.position ? input.checkpoint : undefined;
      const state: UnitState = resumed
        ? { cursor: resumed.cursor, pageNo: resumed.pageNo, counters: resumed.counters, start: resumed.start, watermark: resumed.watermark }
        : { cursor: null, pageNo: 0, counters: emptyCounters(), start: await bookkeeping.beginEntityRun({ runId, taskId: unit.taskId }), watermark: null };
      live = { taskId: unit.taskId, pageNo: state.pageNo, counters: state.counters };

      let failure: RunError | undefined;
      try {
        await runUnit(plan, unit, state, runId, pageBoundary, (pageNo) => {
          live.pageNo = pageNo;
        });
      } catch (err) {
        if (err instanceof ContinueFrom) {
          await bookkeeping.recordEntityProgress({ runId, taskId: unit.taskId, counters: err.state.counters });
          await condition(allHandlersFinished);
          const checkpoint: RunCheckpoint = { plan, position, ...err.state, outcomes, paused };
          return await continueAsNew<typeof runEngine>({ ...input, checkpoint });
        }
        if (isCancellation(err)) throw err;
        failure = toRunError(err);
      }

      const { counters } = state;
      const processed = counters.indexed + counters.deleted;
      const state_ = failure ? 'FAILED' : counters.errors > 0 ? (processed === 0 ? 'FAILED' : 'WARNING') : 'SUCCEEDED';
      outcomes.push({ taskId: unit.taskId, state: state_, counters, ...(failure ? { error: failure } : {}) });
      await bookkeeping.finishEntityRun({ runId, taskId: unit.taskId, state: state_, counters, errors: failure ? [failure] : [] });
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

/** Runs the pages of one task for the run's stage; throws ContinueFrom to hand over mid-task. */
async function runUnit(
  plan: RunPlan,
  unit: TaskPlan,
  state: UnitState,
  runId: string,
  pageBoundary: () => Promise<boolean>,
  onPage: (pageNo: number) => void,
): Promise<void> {
  const { counters } = state;
  const { taskId, pageSize } = unit;
  let lastProgressAt = Date.now();

  /** map → diff → upsert → export of one staged page (job and sync stages). */
  const synchronisePage = async (pageNo: number, exportToo: boolean) => {
    const page = { runId, taskId, pageNo };
    const mapped = await steps.mapPage(page);
    counters.errors += mapped.failed;
    const diff = await steps.diffPage(page);
    counters.indexed += diff.created + diff.changed + diff.unchanged;
    counters.created += diff.created;
    counters.changed += diff.changed;
    counters.unchanged += diff.unchanged;
    counters.deleted += diff.deleted;
    if (plan.dryRun || diff.created + diff.changed + diff.deleted === 0) return;
    const upserted = await steps.upsertPage(page);
    if (exportToo && upserted.queued > 0) await exportOnce();
  };

  const exportOnce = async () => {
    const result = await steps.exportPage({ runId, taskId, limit: pageSize });
    counters.errors += result.failed;
    return result;
  };

  /** Advances to the next page, records progress now and then, and hands over when due. */
  const nextPage = async (cursor: string | null) => {
    state.cursor = cursor;
    state.pageNo++;
    onPage(state.pageNo);
    if (Date.now() - lastProgressAt >= PROGRESS_INTERVAL_MS) {
      await bookkeeping.recordEntityProgress({ runId, taskId, counters });
      lastProgressAt = Date.now();
    }
    if (await pageBoundary()) throw new ContinueFrom(state);
  };

  switch (plan.mode) {
    case 'job':
    case 'import': {
      const since = plan.delta ? state.start.since : null;
      for (;;) {
        const imported = await steps.importPage({ runId, taskId, pageNo: state.pageNo, cursor: state.cursor, pageSize, since, dryRun: plan.dryRun });
        counters.extracted += imported.fetched;
        counters.sourceRequests += imported.requests;
        counters.errors += imported.rejected;
        if (imported.totalCount !== null) counters.total = imported.totalCount;
        if (imported.watermark !== null && (state.watermark === null || laterThan(imported.watermark, state.watermark))) state.watermark = imported.watermark;
        if (plan.mode === 'import') {
          counters.indexed += imported.staged;
          counters.created += imported.created;
          counters.changed += imported.changed;
          counters.unchanged += imported.unchanged;
        } else if (imported.staged > 0) {
          await synchronisePage(state.pageNo, true);
        }
        if (imported.nextCursor === null) break;
        await nextPage(imported.nextCursor);
      }
      // A full import marks what the source no longer has as deleted — but only when the source
      // returned something, so an empty or broken listing never deletes everything.
      if (!plan.delta && counters.extracted > 0) {
        const deletionPage = state.pageNo + 1;
        const { deleted } = await steps.detectDeletions({ runId, taskId, pageNo: deletionPage, dryRun: plan.dryRun });
        if (plan.mode === 'import') counters.deleted += deleted;
        else if (deleted > 0) await synchronisePage(deletionPage, true);
      }
      if (plan.mode === 'job' && !plan.dryRun) {
        // Exports left over (earlier failures now past their backoff, or more than one page's worth).
        while ((await exportOnce()).remaining);
      }
      if (plan.mode === 'import' && plan.delta && state.watermark !== null) {
        await bookkeeping.commitWatermark({ runId, taskId, kind: 'import', value: state.watermark });
      }
      return;
    }
    case 'sync': {
      for (;;) {
        const afterSeq = Number(state.cursor ?? (plan.delta ? state.start.syncAfterSeq : 0));
        const staged = await steps.stageSpacePage({ runId, taskId, pageNo: state.pageNo, afterSeq, pageSize });
        counters.extracted += staged.staged + staged.deleted;
        if (staged.staged + staged.deleted > 0) await synchronisePage(state.pageNo, false);
        if (staged.lastSeq !== null) state.watermark = staged.lastSeq;
        if (staged.nextCursor === null) break;
        await nextPage(staged.nextCursor);
      }
      // The next delta synchronisation starts after what this one reached (dry runs move nothing).
      if (state.watermark !== null && !plan.dryRun) {
        await bookkeeping.commitWatermark({ runId, taskId, kind: 'sync', value: state.watermark });
      }
      return;
    }
    case 'export': {
      for (;;) {
        const result = await exportOnce();
        counters.indexed += result.exported;
        counters.extracted += result.exported + result.failed;
        if (!result.remaining) break;
        await nextPage(null);
      }
      return;
    }
  }
}

/** Compares watermarks as numbers when both are numeric, else as text. */
function laterThan(a: string, b: string): boolean {
  const na = Number(a);
  const nb = Number(b);
  return a.trim() !== '' && b.trim() !== '' && Number.isFinite(na) && Number.isFinite(nb) ? na > nb : a > b;
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
