// Everything a page step needs to know about its task, loaded once per run and task.
import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { connectedSystems, jobs, mappings, runProfiles, runs, tasks } from '../db/schema';
import type { SecretBox } from '../db/secrets';
import { SyncError } from './errors';
import { compileMapping, compileTargetSchema, MappingDefinitionError, type CompiledMapping } from './mapping';
import { compileRecordSelection, type RecordSelection } from './record-selection';

type ConnectedSystemRow = typeof connectedSystems.$inferSelect;

export interface Connection {
  id: number;
  connectorType: string;
  config: Record<string, unknown>;
  secrets: Record<string, unknown>;
  /** Changes whenever the connection is edited: keys connection pools. */
  version: string;
}

export interface TaskContext {
  workspaceId: number;
  jobId: number;
  taskId: number;
  sourceEntity: string;
  /** Where this run reads and keeps the source objects: the task's entity, or a run profile's file. */
  spaceEntity: string;
  targetEntity: string;
  idField: string;
  resultsPosition: string | undefined;
  incrementalField: string | undefined;
  source: Connection;
  destination: Connection;
  tableNamePrefix: string;
  destinationSchema: string | undefined;
  /** How the task writes its destination table (the job's table options). */
  tableOptions: DestinationTableOptions;
  map: CompiledMapping;
  /** Checks a mapped object against the mapping's target schema: one entry per problem. */
  validate: (mapped: Record<string, unknown>) => { path: string; message: string }[];
  /** The task query's WHERE and SELECT list, applied before mapping; undefined when the task keeps every record whole. */
  selectRecord: RecordSelection | undefined;
  /** Last change to the task, its job or its mapping: what a contract synced before this may map differently now. */
  configuredAt: Date;
  /** The run writes nothing but its staging rows and run log. */
  dryRun: boolean;
}

export type DeletionBehavior = 'HardDelete' | 'SoftDelete' | 'Skip';

/** The job options that decide how a destination table is written. */
export interface DestinationTableOptions {
  /** Empty the table before the task's first page. */
  truncateTableData: boolean;
  /** Drop (and so recreate) the table before the task's first page. */
  dropTable: boolean;
  /** Add a column for a field the table lacks (default true, as in CData Sync); off: such a row fails. */
  alterSchema: boolean;
  /** Cut strings to a varchar(n)/char(n) column's length; off: such a row fails. */
  autoTruncateStrings: boolean;
  /** What a deletion at the source does to the row. */
  deletionBehavior: DeletionBehavior;
}

export function destinationTableOptions(options: Record<string, unknown>): DestinationTableOptions {
  const deletion = options.deletionBehavior;
  return {
    truncateTableData: options.truncateTableData === true,
    dropTable: options.dropTable === true,
    alterSchema: options.alterSchema !== false,
    autoTruncateStrings: options.autoTruncateStrings === true,
    deletionBehavior: deletion === 'SoftDelete' || deletion === 'Skip' ? deletion : 'HardDelete',
  };
}

export interface TaskContextLoader {
  load(runId: string, taskId: number): Promise<TaskContext>;
  /** Drops what was cached for a run once it ends. */
  forget(runId: string): void;
}

const MAX_CACHED = 256;

export function createTaskContextLoader(db: Db, secretBox: SecretBox): TaskContextLoader {
  // Configuration cannot change while its job runs (the API refuses), so caching per run is safe,
  // and mappings are compiled once per run rather than per page.
  const cache = new Map<string, Promise<TaskContext>>();

  const toConnection = (row: ConnectedSystemRow): Connection => ({
    id: row.id,
    connectorType: row.connectorType,
    config: row.config,
    secrets: secretBox.decrypt(row.secretsCiphertext),
    version: `${row.id}:${row.updatedAt.toISOString()}`,
  });

  async function loadUncached(runId: string, taskId: number): Promise<TaskContext> {
    const [row] = await db
      .select({ task: tasks, job: jobs })
      .from(tasks)
      .innerJoin(jobs, eq(jobs.id, tasks.jobId))
      .where(eq(tasks.id, taskId));
    if (!row) throw new SyncError('TASK_NOT_FOUND', `Task ${taskId} no longer exists`, false);
    const { task, job } = row;
    const [source] = await db.select().from(connectedSystems).where(eq(connectedSystems.id, job.sourceConnectionId));
    const [destination] = await db.select().from(connectedSystems).where(eq(connectedSystems.id, job.destinationConnectionId));
    if (!source || !destination) throw new SyncError('CONNECTION_NOT_FOUND', `Job ${job.id} names a connection that no longer exists`, false);

    // The run's own facts: dry or not, and the file a run profile reads (none for a job run).
    const [run] = await db
      .select({ dryRun: runs.dryRun, filePath: runProfiles.filePath })
      .from(runs)
      .leftJoin(runProfiles, eq(runProfiles.id, runs.runProfileId))
      .where(eq(runs.id, runId));

    let map: CompiledMapping;
    let validate: TaskContext['validate'] = () => [];
    // What the objects map to last changed with the task, the job's settings or the mapping.
    let configuredAt = task.updatedAt > job.configuredAt ? task.updatedAt : job.configuredAt;
    try {
      if (task.mappingId === null) {
        map = compileMapping({ mapping: {} });
      } else {
        const [mapping] = await db.select().from(mappings).where(and(eq(mappings.id, task.mappingId)));
        if (!mapping) throw new SyncError('MAPPING_NOT_FOUND', `Mapping ${task.mappingId} no longer exists`, false);
        if (mapping.updatedAt > configuredAt) configuredAt = mapping.updatedAt;
        map = compileMapping({
          mapping: mapping.rules,
          casts: mapping.casts ?? undefined,
          unset: mapping.unset ?? undefined,
          passThrough: mapping.passThrough,
        });
        if (mapping.targetSchema) validate = compileTargetSchema(mapping.targetSchema);
      }
    } catch (err) {
      if (err instanceof MappingDefinitionError) throw new SyncError('MAPPING_INVALID', `${err.field}: ${err.message}`, false);
      throw err;
    }

    const options = job.options;
    return {
      workspaceId: job.workspaceId,
      jobId: job.id,
      taskId: task.id,
      sourceEntity: task.sourceEntity,
      spaceEntity: run?.filePath ?? task.sourceEntity,
      targetEntity: task.targetEntity,
      idField: task.idField,
      resultsPosition: task.resultsPosition ?? undefined,
      incrementalField: task.incrementalField ?? undefined,
      source: toConnection(source),
      destination: toConnection(destination),
      tableNamePrefix: typeof options.tableNamePrefix === 'string' ? options.tableNamePrefix : '',
      destinationSchema: typeof options.destinationSchema === 'string' ? options.destinationSchema : undefined,
      tableOptions: destinationTableOptions(options),
      map,
      validate,
      selectRecord: compileRecordSelection(task.columns, task.filter, task.idField),
      configuredAt,
      dryRun: run?.dryRun ?? false,
    };
  }

  return {
    load(runId, taskId) {
      const key = `${runId}:${taskId}`;
      let entry = cache.get(key);
      if (!entry) {
        entry = loadUncached(runId, taskId);
        entry.catch(() => cache.delete(key));
        if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
        cache.set(key, entry);
      }
      return entry;
    },
    forget(runId) {
      for (const key of cache.keys()) if (key.startsWith(`${runId}:`)) cache.delete(key);
    },
  };
}
