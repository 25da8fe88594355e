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
import { diffPage } from './steps/diff-page';
import { exportPage, type ExportPageArgs } from './steps/export-page';
import { importPage, type ImportPageArgs, type PageRef } from './steps/import-page';
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

export const DEFAULT_LOG_RETENTION: LogRetention = { successDays: 7, errorDays: 30 };

export function createActivities({ database, secretBox, pools, temporal, logRetention = DEFAULT_LOG_RETENTION }: ActivityDeps) {
  const { db, sql } = database;
  const contexts = createTaskContextLoader(db, secretBox);
  const context = (ref: { runId: string; taskId: number }) => contexts.load(ref.runId, ref.taskId);
  const logs = createRunLogWriter(sql, logRetention);
  const runState = createRunStateActivities(db, logs, (runId) => contexts.forget(runId));

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

    importPage: (args: ImportPageArgs) => withFailureCodes('SOURCE', async () => importPage(sql, pools, logs, await context(args), args)),
    detectDeletions: (args: PageRef & { dryRun: boolean }) => withFailureCodes('SOURCE', async () => detectDeletions(sql, await context(args), args)),
    stageSpacePage: (args: PageRef & { afterSeq: number; pageSize: number }) =>
      withFailureCodes('CONNECTOR_SPACE', async () => stageSpacePage(sql, await context(args), args)),
    mapPage: (page: PageRef) => withFailureCodes('MAPPING', async () => mapPage(sql, logs, await context(page), page)),
    diffPage: (page: PageRef) => withFailureCodes('DIFF', async () => diffPage(sql, await context(page), page)),
    upsertPage: (page: PageRef) => withFailureCodes('REGISTER', async () => upsertPage(sql, logs, await context(page), page)),
    exportPage: (args: ExportPageArgs) => withFailureCodes('DESTINATION', async () => exportPage(sql, pools, logs, await context(args), args)),
    /** Job option truncateTableData / dropTable: empties or drops the task's table before its first page. */
    prepareTarget: (args: { runId: string; taskId: number }) =>
      withFailureCodes('DESTINATION', async () => prepareTarget(sql, pools, await context(args), args)),
  };
}

export type Activities = ReturnType<typeof createActivities>;
