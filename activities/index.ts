// Every activity the worker registers, built from explicit dependencies. Workflows import the
// `Activities` type only.
import type { Database } from '../db/client';
import type { SecretBox } from '../db/secrets';
import { DestinationPools } from './connectors/postgres-destination';
import { withFailureCodes } from './errors';
import { createRunStateActivities } from './run-state';
import { diffPage } from './steps/diff-page';
import { exportPage } from './steps/export-page';
import { importPage, type PageRef } from './steps/import-page';
import { mapPage } from './steps/map-page';
import { upsertPage } from './steps/upsert-page';
import { createTaskContextLoader } from './task-context';

export interface ActivityDeps {
  database: Pick<Database, 'db' | 'sql'>;
  secretBox: SecretBox;
  destinations: DestinationPools;
}

export function createActivities({ database, secretBox, destinations }: ActivityDeps) {
  const { db, sql } = database;
  const contexts = createTaskContextLoader(db, secretBox);
  const context = (page: PageRef) => contexts.load(page.runId, page.taskId);

  return {
    ...createRunStateActivities(db, (runId) => contexts.forget(runId)),

    importPage: (page: PageRef & { cursor: string | null; pageSize: number }) =>
      withFailureCodes('SOURCE', async () => importPage(sql, await context(page), page)),
    mapPage: (page: PageRef) => withFailureCodes('MAPPING', async () => mapPage(sql, await context(page), page)),
    diffPage: (page: PageRef) => withFailureCodes('DIFF', async () => diffPage(sql, await context(page), page)),
    upsertPage: (page: PageRef) => withFailureCodes('REGISTER', async () => upsertPage(sql, await context(page), page)),
    exportPage: (page: PageRef) => withFailureCodes('DESTINATION', async () => exportPage(sql, destinations, await context(page), page)),
  };
}

export type Activities = ReturnType<typeof createActivities>;
