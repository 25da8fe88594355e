// The engine every run workflow shares: for each planned task, page by page, the steps of the
// run's stage. Activities move the records through PostgreSQL; this code only holds cursors,
// counters and pause state, so histories stay small and continue-as-new is cheap.
//
// Tasks run one after the other, or — with the job's enableParallelProcessing — up to
// `workerPool` at once: each task is a promise of its own, and the run waits for whichever ends
// first before starting the next. A handover (continue-as-new) happens only at page boundaries:
// once one task asks for it, no new task starts and every task in progress parks at its next page
// boundary (or finishes); the checkpoint then carries each parked task's cursor and counters, and
// the next execution resumes them all before starting further tasks.
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ImportPageResult } from '../activities/steps/import-page';
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
  type SingleTaskCheckpoint,
  type TaskPlan,
  type UnitCheckpoint,
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

/** Workflow change (patch id): a page's map, diff and upsert run as one activity. */
const SYNCHRONISE_IN_ONE_ACTIVITY = 'synchronise-page-in-one-activity';
/** Workflow change (patch id): a job imports its next page while the current one synchronises. */
const IMPORT_NEXT_PAGE_ALONGSIDE = 'import-next-page-alongside';
/** Workflow change (patch id): a job page's import also synchronises and exports it where it can. */
const IMPORT_SYNCHRONISES_JOB_PAGES = 'import-synchronises-job-pages';
/** Workflow change (patch id): such an import goes on with the next pages for a while. */
const IMPORT_CONTINUES_WITH_JOB_PAGES = 'import-continues-with-job-pages';
/**
 * How long an import that synchronises its pages goes on with the next ones: fast pages (a delta,
 * an unchanged source) then cost one Temporal round trip per second instead of one each, and a
 * pause or handover still waits at most about this long (plus the page in flight).
 */
const JOB_PAGES_PER_ACTIVITY_MS = 1_000;

/** A task's position: what continue-as-new carries for a task in progress. */
interface UnitState {
  cursor: string | null;
  pageNo: number;
  counters: EntityCounters;
  start: UnitStart;
  watermark: string | null;
}

/** Thrown inside a task's page loop to park it at a page boundary for the handover. */
class ContinueFrom {
  constructor(readonly state: UnitState) {}
}

/** How a task's promise ends; it never rejects, so no task's failure goes unobserved. */
type UnitEnd =
  | { kind: 'finished'; failed: boolean }
  | { kind: 'parked'; state: UnitState }
  | { kind: 'cancelled'; error: unknown }
  /** Bookkeeping refused for good: the run cannot go on (as before parallel tasks, the workflow fails). */
  | { kind: 'broken'; error: unknown };

export async function runEngine(input: RunInput): Promise<RunResult> {
  const { runId } = input;
  const checkpoint = input.checkpoint ? normaliseCheckpoint(input.checkpoint) : undefined;
  let paused = checkpoint?.paused ?? false;
  const outcomes: EntityOutcome[] = [...(checkpoint?.outcomes ?? [])];
  /** Tasks in progress, by plan position. */
  const running = new Map<number, { taskId: number; state: UnitState }>();

  setHandler(pauseSignal, () => {
    paused = true;
  });
  setHandler(resumeSignal, () => {
    paused = false;
  });
  setHandler(progressQuery, () => {
    const now = [...running.values()].map((r) => ({ taskId: r.taskId, pageNo: r.state.pageNo, counters: r.state.counters }));
    const first = now[0];
    return {
      runId,
      paused,
      taskId: first?.taskId ?? null,
      pageNo: first?.pageNo ?? 0,
      counters: first?.counters ?? emptyCounters(),
      running: now,
      completed: outcomes,
    };
  });

  const pageBudget = input.pagesPerExecution ?? DEFAULT_PAGES_PER_EXECUTION;
  let pagesThisExecution = 0;
  /** Set once this execution should hand over: no task starts, every task parks at its next page. */
  let handingOver = false;

  /** Between pages (`pages` of them since the last boundary): wait while paused, and say whether the task should park for a handover. */
  const pageBoundary = async (pages: number): Promise<boolean> => {
    pagesThisExecution += pages;
    if (paused) await condition(() => !paused);
    if (workflowInfo().continueAsNewSuggested || pagesThisExecution >= pageBudget) handingOver = true;
    return handingOver;
  };

  try {
    const plan = checkpoint?.plan ?? (await bookkeeping.beginRun({ runId, ...(input.taskIds ? { taskIds: input.taskIds } : {}) }));
    const options = plan.options ?? {};
    // The memo carries over to later executions by itself.
    if (!checkpoint && options.labels?.length) upsertMemo({ labels: options.labels });
    const width = Math.max(1, Math.min(options.parallelism ?? 1, plan.units.length));
    const resetTarget = options.resetTarget === true && plan.mode === 'job' && !plan.dryRun;

    /** One task from its start (or its parked state) to its recorded end. */
    const runTask = async (position: number, resumed: UnitState | undefined): Promise<UnitEnd> => {
      const unit = plan.units[position]!;
      const { taskId } = unit;
      let state: UnitState;
      // Counted as running before beginEntityRun answers: its write may land even when a cancel
      // interrupts the wait for its answer, and the clean-up must then close this entity run too.
      running.set(position, { taskId, state: resumed ?? { cursor: null, pageNo: 0, counters: emptyCounters(), start: { since: null, syncAfterSeq: 0 }, watermark: null } });
      try {
        state = resumed ?? { cursor: null, pageNo: 0, counters: emptyCounters(), start: await bookkeeping.beginEntityRun({ runId, taskId }), watermark: null };
      } catch (err) {
        return isCancellation(err) ? { kind: 'cancelled', error: err } : { kind: 'broken', error: err };
      }
      running.set(position, { taskId, state });

      let failure: RunError | undefined;
      try {
        // Emptying or recreating the table comes before the task's first page, never on a resume.
        if (resetTarget && !resumed) await steps.prepareTarget({ runId, taskId });
        await runUnit(plan, unit, state, runId, pageBoundary, () => !paused && !handingOver, () => Math.max(1, pageBudget - pagesThisExecution));
      } catch (err) {
        if (err instanceof ContinueFrom) {
          try {
            await bookkeeping.recordEntityProgress({ runId, taskId, counters: err.state.counters });
          } catch (inner) {
            return isCancellation(inner) ? { kind: 'cancelled', error: inner } : { kind: 'broken', error: inner };
          }
          running.delete(position);
          return { kind: 'parked', state: err.state };
        }
        if (isCancellation(err)) return { kind: 'cancelled', error: err };
        failure = toRunError(err);
      }

      const { counters } = state;
      const processed = counters.indexed + counters.deleted;
      const state_ = failure ? 'FAILED' : counters.errors > 0 ? (processed === 0 ? 'FAILED' : 'WARNING') : 'SUCCEEDED';
      outcomes.push({ taskId, state: state_, counters, ...(failure ? { error: failure } : {}) });
      try {
        await bookkeeping.finishEntityRun({ runId, taskId, state: state_, counters, errors: failure ? [failure] : [] });
      } catch (err) {
        return isCancellation(err) ? { kind: 'cancelled', error: err } : { kind: 'broken', error: err };
      }
      running.delete(position);
      return { kind: 'finished', failed: failure !== undefined };
    };

    let next = checkpoint?.next ?? 0;
    /** A failed task stops the run (unless continueOnError): later tasks would work on an incomplete picture. */
    let stopped = false;
    let cancelled: { error: unknown } | undefined;
    const parked: UnitCheckpoint[] = [];
    const inFlight = new Map<number, Promise<{ position: number; end: UnitEnd }>>();
    const launch = (position: number, resumed?: UnitState) => {
      inFlight.set(position, runTask(position, resumed).then((end) => ({ position, end })));
    };

    for (const unit of checkpoint?.inFlight ?? []) {
      const { position, ...state } = unit;
      launch(position, state);
    }
    for (;;) {
      while (!handingOver && !stopped && !cancelled && inFlight.size < width && next < plan.units.length) launch(next++);
      if (inFlight.size === 0) break;
      const { position, end } = await Promise.race(inFlight.values());
      inFlight.delete(position);
      switch (end.kind) {
        case 'parked':
          parked.push({ position, ...end.state });
          break;
        case 'finished':
          if (end.failed && !options.continueOnError) stopped = true;
          break;
        case 'cancelled':
          // Every other task is being cancelled too: let them all stop, then clean up once.
          cancelled ??= { error: end.error };
          break;
        case 'broken':
          throw end.error;
      }
    }
    if (cancelled) throw cancelled.error;

    if (parked.length > 0 || (handingOver && !stopped && next < plan.units.length)) {
      await condition(allHandlersFinished);
      parked.sort((a, b) => a.position - b.position);
      const handover: RunCheckpoint = { plan, next: stopped ? plan.units.length : next, inFlight: parked, outcomes, paused };
      return await continueAsNew<typeof runEngine>({ ...input, checkpoint: handover });
    }

    const state = runStateOf(outcomes, options.continueOnError === true);
    const errors = outcomes.flatMap((o) => (o.error ? [o.error] : []));
    await bookkeeping.finishRun({ runId, state, errors });
    return { runId, state, entities: outcomes };
  } catch (err) {
    if (isCancellation(err)) {
      // Record the end even though the workflow scope is cancelled.
      await CancellationScope.nonCancellable(async () => {
        for (const { taskId, state } of running.values()) {
          if (outcomes.some((o) => o.taskId === taskId)) continue;
          await bookkeeping.finishEntityRun({ runId, taskId, state: 'CANCELLED', counters: state.counters, errors: [] });
        }
        await bookkeeping.finishRun({ runId, state: 'CANCELLED', errors: [] });
      });
    }
    throw err;
  }
}

/** Reads a checkpoint of either shape: one written by this code, or by the one-task-at-a-time engine. */
function normaliseCheckpoint(checkpoint: RunCheckpoint | SingleTaskCheckpoint): RunCheckpoint {
  if ('inFlight' in checkpoint) return checkpoint;
  const { plan, position, cursor, pageNo, counters, start, watermark, outcomes, paused } = checkpoint;
  return { plan, next: position + 1, inFlight: [{ position, cursor, pageNo, counters, start, watermark }], outcomes, paused };
}

/** Runs the pages of one task for the run's stage; throws ContinueFrom to hand over mid-task. */
async function runUnit(
  plan: RunPlan,
  unit: TaskPlan,
  state: UnitState,
  runId: string,
  pageBoundary: (pages: number) => Promise<boolean>,
  /** False while paused or handing over: no page starts ahead of its boundary then. */
  mayStartAhead: () => boolean,
  /** Pages left before this execution hands over. */
  pagesLeft: () => number,
): Promise<void> {
  const { counters } = state;
  const { taskId, pageSize } = unit;
  let lastProgressAt = Date.now();

  /** map → diff → upsert → export of one staged page (job and sync stages). */
  const synchronisePage = async (pageNo: number, exportToo: boolean) => {
    const page = { runId, taskId, pageNo };
    const countDiff = (diff: { created: number; changed: number; unchanged: number; deleted: number }) => {
      counters.indexed += diff.created + diff.changed + diff.unchanged;
      counters.created += diff.created;
      counters.changed += diff.changed;
      counters.unchanged += diff.unchanged;
      counters.deleted += diff.deleted;
    };
    let queued: number;
    if (patched(SYNCHRONISE_IN_ONE_ACTIVITY)) {
      const result = await steps.synchronisePage({ ...page, dryRun: plan.dryRun, exportFollows: exportToo });
      counters.errors += result.failed;
      countDiff(result);
      queued = result.queued;
    } else {
      // Histories recorded before map, diff and upsert became one activity.
      const mapped = await steps.mapPage(page);
      counters.errors += mapped.failed;
      const diff = await steps.diffPage(page);
      countDiff(diff);
      if (plan.dryRun || diff.created + diff.changed + diff.deleted === 0) return;
      queued = (await steps.upsertPage(page)).queued;
    }
    if (exportToo && queued > 0) await exportOnce();
  };

  const exportOnce = async () => {
    const result = await steps.exportPage({ runId, taskId, limit: pageSize });
    counters.errors += result.failed;
    return result;
  };

  /** Advances past the page (or the `pages` pages) done, records progress now and then, and hands over when due. */
  const nextPage = async (cursor: string | null, pages = 1) => {
    state.cursor = cursor;
    state.pageNo++;
    if (Date.now() - lastProgressAt >= PROGRESS_INTERVAL_MS) {
      await bookkeeping.recordEntityProgress({ runId, taskId, counters });
      lastProgressAt = Date.now();
    }
    if (await pageBoundary(pages)) throw new ContinueFrom(state);
  };

  switch (plan.mode) {
    case 'job':
    case 'import': {
      const since = plan.delta ? state.start.since : null;
      // A job page whose destination allows it is imported, synchronised and exported by one
      // activity (the result says so); other pages are synchronised by the next activity.
      const synchronise = plan.mode === 'job' && patched(IMPORT_SYNCHRONISES_JOB_PAGES);
      const continueForMs = synchronise && patched(IMPORT_CONTINUES_WITH_JOB_PAGES) ? JOB_PAGES_PER_ACTIVITY_MS : undefined;
      const importAt = (pageNo: number, cursor: string | null) =>
        steps.importPage({
          runId,
          taskId,
          pageNo,
          cursor,
          pageSize,
          since,
          dryRun: plan.dryRun,
          ...(synchronise ? { synchronise } : {}),
          ...(continueForMs ? { continueForMs, maxPages: pagesLeft() } : {}),
        });
      // A job imports page N+1 while page N is mapped, diffed, upserted and exported: the source
      // read and the connector-space write stop waiting for the destination. Pages of one task
      // stage under their own page numbers, so the two activities never touch the same rows.
      const alongside = plan.mode === 'job' && patched(IMPORT_NEXT_PAGE_ALONGSIDE);
      let upcoming: Promise<ImportPageResult> | undefined;
      for (;;) {
        const imported = await (upcoming ?? importAt(state.pageNo, state.cursor));
        upcoming = undefined;
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
        } else if (imported.synchronised) {
          // The import may have gone on with the next pages: this one is the last it did.
          state.pageNo += (imported.pages ?? 1) - 1;
          const done = imported.synchronised;
          counters.indexed += done.created + done.changed + done.unchanged;
          counters.created += done.created;
          counters.changed += done.changed;
          counters.unchanged += done.unchanged;
          counters.errors += done.failed;
          // The destination write failed as a whole: the export step retries it with its backoff.
          if (done.queued > 0) await exportOnce();
        } else if (alongside && imported.nextCursor !== null && mayStartAhead()) {
          upcoming = importAt(state.pageNo + 1, imported.nextCursor);
          // Observed now so a failure while this page synchronises is not an unhandled rejection;
          // it is thrown where the page is awaited.
          upcoming.catch(() => undefined);
        }
        if (plan.mode === 'job' && !imported.synchronised && imported.staged > 0) {
          // A page whose every object is settled needs nothing more. (Results recorded before
          // the import settled objects have no `settled`: those pages were synchronised.)
          const settled = imported.settled ?? 0;
          if (settled < imported.staged) await synchronisePage(state.pageNo, true);
          else {
            counters.indexed += settled;
            counters.unchanged += settled;
          }
        }
        if (imported.nextCursor === null) break;
        try {
          await nextPage(imported.nextCursor, imported.pages ?? 1);
        } catch (err) {
          // Handing over: the next page's import ends first. The next execution imports that page
          // again, which stages nothing twice (staging and the connector space are keyed upserts).
          if (upcoming) await upcoming.catch(() => undefined);
          throw err;
        }
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

/** With continueOnError, failed tasks make the run WARNING as long as one task did not fail. */
function runStateOf(outcomes: EntityOutcome[], continueOnError: boolean): RunState {
  const failed = outcomes.filter((o) => o.state === 'FAILED').length;
  if (failed > 0) return continueOnError && failed < outcomes.length ? 'WARNING' : 'FAILED';
  if (outcomes.some((o) => o.state === 'WARNING')) return 'WARNING';
  return 'SUCCEEDED';
}

function toRunError(err: unknown): RunError {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) return { code: cause.type ?? 'TASK_FAILED', message: cause.message };
  return { code: 'TASK_FAILED', message: err instanceof Error ? err.message : String(err) };
}
