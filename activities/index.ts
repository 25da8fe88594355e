// Every activity the worker registers, built from explicit dependencies. Workflows import the
// `Activities` type only.
import type { Client } from '@temporalio/client';
import type { Database } from '../db/client';
import type { SecretBox } from '../db/secrets';
import type { UnitStart } from '../workflows/contracts';
import type { ConnectionPools } from './connectors/postgres-destination';
import { withFailureCodes } from './errors';
import { createRunLogWriter, type LogRetention } from './run-logs';
import { createRunStateActivities } from './run-state';
import { createScheduleRunActivities } from './schedule-runs';
import { detectDeletions } from './steps/detect-deletions';
import { diffPage, type DiffPageResult } from './steps/diff-page';
import { exportPage, type ExportPageArgs } from './steps/export-page';
import { importPage, type HashedPage, type ImportPageArgs, type PageRef } from './steps/import-page';
import { Prefetcher } from './connectors/prefetch';
import { mapPage } from './steps/map-page';
import { prepareTarget } from './steps/prepare-target';
import { stageSpacePage } from './steps/stage-space-page';
import { upsertPage } from './steps/upsert-page';
import { createTaskContextLoader } from './task-context';
import { readUnitStart, writeWatermark, type WatermarkKind } from './watermarks';

export interface ActivityDeps {
  database: Pick<Database, 'db' | 'sql'>;
  secretBox: SecretBox;
  pools: ConnectionPools;
  logRetention?: LogRetention;
  /** The process's Temporal client: schedule runs read their schedule's next start time. */
  temporal: Client;
}

/**
 * What one page's map, diff and upsert did: the diff's decisions, the objects that failed (refused
 * by the mapping, or by the destination when the upsert wrote it), exports queued.
 */
export interface SynchronisePageResult extends DiffPageResult {
  queued: number;
  /** Time each step took: what the benchmark reports per step (export: the upsert's destination write). */
  millis: { map: number; diff: number; upsert: number; export: number };
}

export const DEFAULT_LOG_RETENTION: LogRetention = { successDays: 7, errorDays: 30 };

export function createActivities({ database, secretBox, pools, temporal, logRetention = DEFAULT_LOG_RETENTION }: ActivityDeps) {
  const { db, sql } = database;
  const contexts = createTaskContextLoader(db, secretBox);
  const context = (ref: { runId: string; taskId: number }) => contexts.load(ref.runId, ref.taskId);
  const logs = createRunLogWriter(sql, logRetention);
  // At most two pages read ahead at once: each holds a whole page in the worker's memory.
  const prefetcher = new Prefetcher<HashedPage>(2);
  const runState = createRunStateActivities(db, logs, (runId) => contexts.forget(runId));

  const mapStep = (page: PageRef) => withFailureCodes('MAPPING', async () => mapPage(sql, logs, await context(page), page));
  const diffStep = (page: PageRef) => withFailureCodes('DIFF', async () => diffPage(sql, await context(page), page));
  const upsertStep = (page: PageRef, exportFollows = false) =>
    withFailureCodes('REGISTER', async () => upsertPage(sql, logs, await context(page), page, exportFollows, pools));

  return {
    ...createScheduleRunActivities(db, temporal),
    beginRun: runState.beginRun,
    recordEntityProgress: runState.recordEntityProgress,
    finishEntityRun: runState.finishEntityRun,
    finishRun: runState.finishRun,

    /** Marks the task's entity run RUNNING and tells where its pages start. */
    async beginEntityRun(args: { runId: string; taskId: number }): Promise<UnitStart> {
      await runState.markEntityRunning(args);
      return readUnitStart(sql, await context(args));
    },
    async commitWatermark(args: { runId: string; taskId: number; kind: WatermarkKind; value: string }): Promise<void> {
      await writeWatermark(sql, await context(args), args.runId, args.kind, args.value);
    },

    importPage: (args: ImportPageArgs) => withFailureCodes('SOURCE', async () => importPage(sql, pools, logs, await context(args), args, prefetcher)),
    detectDeletions: (args: PageRef & { dryRun: boolean }) => withFailureCodes('SOURCE', async () => detectDeletions(sql, await context(args), args)),
    stageSpacePage: (args: PageRef & { afterSeq: number; pageSize: number }) =>
      withFailureCodes('CONNECTOR_SPACE', async () => stageSpacePage(sql, await context(args), args)),
    mapPage: mapStep,
    diffPage: diffStep,
    upsertPage: (page: PageRef) => upsertStep(page),
    /**
     * map → diff → upsert of one staged page in a single activity, so a page costs one Temporal
     * round trip instead of three. Each step is idempotent, so a retry repeats them safely (and
     * fails with the code of the step that failed).
     */
    async synchronisePage(args: PageRef & { dryRun: boolean; /** This run exports the page next. */ exportFollows?: boolean }): Promise<SynchronisePageResult> {
      const page = { runId: args.runId, taskId: args.taskId, pageNo: args.pageNo };
      const t0 = performance.now();
      await mapStep(page);
      const t1 = performance.now();
      const diff = await diffStep(page);
      const t2 = performance.now();
      const needsUpsert = !args.dryRun && diff.created + diff.changed + diff.deleted > 0;
      const upserted = needsUpsert ? await upsertStep(page, args.exportFollows === true) : { queued: 0, refused: 0, exportMillis: 0 };
      const upsertMillis = performance.now() - t2 - upserted.exportMillis;
      const millis = { map: Math.round(t1 - t0), diff: Math.round(t2 - t1), upsert: Math.round(upsertMillis), export: upserted.exportMillis };
      // The diff counts mapping failures from the staging rows: the import maps most pages itself.
      return { ...diff, failed: diff.failed + upserted.refused, queued: upserted.queued, millis };
    },
    exportPage: (args: ExportPageArgs) => withFailureCodes('DESTINATION', async () => exportPage(sql, pools, logs, await context(args), args)),
    /** Job option truncateTableData / dropTable: empties or drops the task's table before its first page. */
    prepareTarget: (args: { runId: string; taskId: number }) =>
      withFailureCodes('DESTINATION', async () => prepareTarget(sql, pools, await context(args), args)),
  };
}

export type Activities = ReturnType<typeof createActivities>;
