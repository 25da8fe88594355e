// The read model and the engine's stores. Configuration (workspaces, connected systems, mappings,
// jobs, tasks) is written by the API; history (runs, entity runs) and the data plane (connector
// space, register, contracts, staging, pending exports) are written by activities.
import { sql } from 'drizzle-orm';
import {
  bigint,
  customType,
  pgSequence,
  boolean,
  index,
  integer,
  json,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
};

const count = (name: string) => bigint(name, { mode: 'number' }).notNull().default(0);

export const workspaces = pgTable('workspaces', {
  id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
  name: text('name').notNull(),
  ...timestamps,
});

export const connectedSystems = pgTable(
  'connected_systems',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    workspaceId: integer('workspace_id').notNull().references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    connectorType: text('connector_type').notNull(),
    config: jsonb('config').notNull().$type<Record<string, unknown>>(),
    /** AES-256-GCM ciphertext of the secrets object (db/secrets.ts); never returned by the API. */
    secretsCiphertext: text('secrets_ciphertext'),
    /** Entities and fields discovered by a schema import. */
    discoveredSchema: jsonb('discovered_schema').$type<Record<string, unknown>>(),
    ...timestamps,
  },
  (t) => [index('connected_systems_workspace_idx').on(t.workspaceId)],
);

export const mappings = pgTable(
  'mappings',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    workspaceId: integer('workspace_id').notNull().references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    rules: jsonb('rules').notNull().$type<Record<string, string>>(),
    casts: jsonb('casts').$type<Record<string, string>>(),
    unset: jsonb('unset').$type<string[]>(),
    passThrough: boolean('pass_through').notNull().default(false),
    targetSchema: jsonb('target_schema').$type<Record<string, unknown>>(),
    ...timestamps,
  },
  (t) => [index('mappings_workspace_idx').on(t.workspaceId)],
);

export const jobs = pgTable(
  'jobs',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    workspaceId: integer('workspace_id').notNull().references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    type: text('type').notNull().default('Standard'),
    sourceConnectionId: integer('source_connection_id').notNull().references(() => connectedSystems.id),
    destinationConnectionId: integer('destination_connection_id').notNull().references(() => connectedSystems.id),
    batchSize: integer('batch_size').notNull().default(100),
    /** The rest of the CData-style job body (schedule, email, parallelism, table options, ...). */
    options: jsonb('options').notNull().default({}).$type<Record<string, unknown>>(),
    /** Paused by POST /jobs/{id}/pause: its schedule holds, and resume starts a RESUME run if none is in flight. */
    paused: boolean('paused').notNull().default(false),
    /**
     * When the job's settings last changed (created, replaced): what its contracts were synced
     * after to count as settled. Pausing and resuming change updated_at, not this.
     */
    configuredAt: timestamp('configured_at', { withTimezone: true }).notNull().defaultNow(),
    ...timestamps,
  },
  (t) => [index('jobs_workspace_idx').on(t.workspaceId)],
);

export const FILTER_OPS = ['=', '!=', '<>', '>', '>=', '<', '<='] as const;
export type FilterOp = (typeof FILTER_OPS)[number];
/** One comparison of a source field with a literal, from a task query's WHERE clause. */
export interface TaskFilter {
  field: string;
  op: FilterOp;
  value: string | number;
}

export const tasks = pgTable(
  'tasks',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    jobId: integer('job_id').notNull().references(() => jobs.id, { onDelete: 'cascade' }),
    index: integer('index').notNull(),
    sourceEntity: text('source_entity').notNull(),
    targetEntity: text('target_entity').notNull(),
    mappingId: integer('mapping_id').references(() => mappings.id),
    idField: text('id_field').notNull().default('id'),
    resultsPosition: text('results_position'),
    incrementalField: text('incremental_field'),
    query: text('query'),
    /** Source fields the task keeps (its query's SELECT list); null keeps every field. */
    columns: jsonb('columns').$type<string[]>(),
    /** Records the task keeps (its query's WHERE); null keeps every record. */
    filter: jsonb('filter').$type<TaskFilter>(),
    isActive: boolean('is_active').notNull().default(true),
    ...timestamps,
  },
  (t) => [index('tasks_job_index_idx').on(t.jobId, t.index)],
);

export type RunType = 'FullImport' | 'DeltaImport' | 'FullSynchronisation' | 'DeltaSynchronisation' | 'Export';

/** One stage against one connected system (JIM's run profile). */
export const runProfiles = pgTable(
  'run_profiles',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    connectedSystemId: integer('connected_system_id').notNull().references(() => connectedSystems.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    runType: text('run_type').notNull().$type<RunType>(),
    pageSize: integer('page_size').notNull().default(100),
    partitionName: text('partition_name'),
    filePath: text('file_path'),
    ...timestamps,
  },
  (t) => [index('run_profiles_connected_system_idx').on(t.connectedSystemId)],
);

export const OVERLAP_POLICIES = ['SKIP', 'BUFFER_ONE', 'BUFFER_ALL', 'CANCEL_OTHER', 'ALLOW_ALL'] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

/** One step of a schedule: a job or a run profile. Steps sharing a stepIndex run in parallel. */
export interface ScheduleStep {
  stepIndex: number;
  jobId?: number;
  runProfileId?: number;
  /** A FAILED, CANCELLED or SKIPPED step does not stop the steps after it. */
  continueOnFailure: boolean;
}

/**
 * A Temporal Schedule (id `syncline-schedule-<id>`) and what it runs. A job's own schedule
 * (`jobs.options.schedule`) is a row with `jobId` set and the job as its only step.
 */
export const schedules = pgTable(
  'schedules',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    workspaceId: integer('workspace_id').notNull().references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** Set for a job's own schedule, which only the job's schedule field changes. */
    jobId: integer('job_id').references(() => jobs.id, { onDelete: 'cascade' }),
    cron: jsonb('cron').$type<string[]>(),
    /** Go-style duration ("30s", "2h") between firings; used when cron is null. */
    interval: text('interval'),
    timezone: text('timezone').notNull().default('UTC'),
    steps: jsonb('steps').notNull().$type<ScheduleStep[]>(),
    overlapPolicy: text('overlap_policy').notNull().default('SKIP').$type<OverlapPolicy>(),
    catchupWindow: text('catchup_window').notNull().default('10m'),
    enabled: boolean('enabled').notNull().default(true),
    /** Paused by POST /schedules/{id}/pause (or the job's pause) until unpaused. */
    paused: boolean('paused').notNull().default(false),
    /** How many overlap skips Temporal reported that are already recorded as SKIPPED runs. */
    recordedSkips: bigint('recorded_skips', { mode: 'number' }).notNull().default(0),
    ...timestamps,
  },
  (t) => [index('schedules_workspace_idx').on(t.workspaceId), uniqueIndex('schedules_job_key').on(t.jobId)],
);

export type RunState = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'OVERRUN' | 'CANCELLED' | 'WARNING' | 'SKIPPED';
/** States of a run that has not ended (the partial unique indexes below spell the same list). */
export const LIVE_RUN_STATES = ['PENDING', 'RUNNING', 'OVERRUN'] as const satisfies readonly RunState[];
export const isLiveRunState = (state: string): boolean => (LIVE_RUN_STATES as readonly string[]).includes(state);
export type RunTrigger = 'MANUAL' | 'SCHEDULER' | 'INITIALIZATION' | 'RESUME';
export interface RunError {
  code: string;
  message: string;
}

export const runs = pgTable(
  'runs',
  {
    id: uuid('id').primaryKey(),
    workspaceId: integer('workspace_id').notNull().references(() => workspaces.id, { onDelete: 'cascade' }),
    jobId: integer('job_id').references(() => jobs.id, { onDelete: 'cascade' }),
    runProfileId: integer('run_profile_id').references(() => runProfiles.id, { onDelete: 'set null' }),
    /** Set for run-profile runs: one live stage per connected system. */
    connectedSystemId: integer('connected_system_id').references(() => connectedSystems.id, { onDelete: 'cascade' }),
    runType: text('run_type').$type<RunType>(),
    /** The schedule that started it; kept as a plain id so history outlives the schedule. */
    scheduleId: integer('schedule_id'),
    /** A schedule step's run: the schedule run (its parent) that started it. */
    parentRunId: uuid('parent_run_id'),
    state: text('state').notNull().$type<RunState>(),
    trigger: text('trigger').notNull().$type<RunTrigger>(),
    syncType: text('sync_type').notNull().default('FULL').$type<'FULL' | 'INCREMENTAL'>(),
    dryRun: boolean('dry_run').notNull().default(false),
    paused: boolean('paused').notNull().default(false),
    startTime: timestamp('start_time', { withTimezone: true }),
    endTime: timestamp('end_time', { withTimezone: true }),
    stateUpdateTime: timestamp('state_update_time', { withTimezone: true }).notNull().defaultNow(),
    latestPauseTime: timestamp('latest_pause_time', { withTimezone: true }),
    errors: jsonb('errors').notNull().default([]).$type<RunError[]>(),
    workflowId: text('workflow_id').notNull(),
    temporalRunId: text('temporal_run_id'),
    // Millisecond precision: history pages are keyed on (created_at, id) through JavaScript dates.
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    index('runs_job_created_idx').on(t.jobId, t.createdAt),
    // At most one live run per job, whatever started it.
    uniqueIndex('runs_one_live_run_per_job').on(t.jobId).where(sql`state in ('PENDING', 'RUNNING', 'OVERRUN')`),
    uniqueIndex('runs_one_live_run_per_connected_system')
      .on(t.connectedSystemId)
      .where(sql`state in ('PENDING', 'RUNNING', 'OVERRUN')`),
    index('runs_run_profile_idx').on(t.runProfileId, t.createdAt),
    index('runs_schedule_idx').on(t.scheduleId, t.createdAt),
    index('runs_parent_idx').on(t.parentRunId),
  ],
);

export const entityRuns = pgTable(
  'entity_runs',
  {
    runId: uuid('run_id').notNull().references(() => runs.id, { onDelete: 'cascade' }),
    taskId: integer('task_id').notNull(),
    entityName: text('entity_name').notNull(),
    state: text('state').notNull().$type<RunState>(),
    syncType: text('sync_type').notNull().default('FULL').$type<'FULL' | 'INCREMENTAL'>(),
    errors: jsonb('errors').notNull().default([]).$type<RunError[]>(),
    stateUpdateTime: timestamp('state_update_time', { withTimezone: true }).notNull().defaultNow(),
    statsUpdateTime: timestamp('stats_update_time', { withTimezone: true }).notNull().defaultNow(),
    totalCount: bigint('total_count', { mode: 'number' }),
    scheduledRecordCount: count('scheduled_record_count'),
    extractedRecordCount: count('extracted_record_count'),
    indexedRecordCount: count('indexed_record_count'),
    errorRecordCount: count('error_record_count'),
    deletedRecordCount: count('deleted_record_count'),
    sourceApiRequestCount: count('source_api_request_count'),
    newRecordCount: count('new_record_count'),
    changedRecordCount: count('changed_record_count'),
    unchangedRecordCount: count('unchanged_record_count'),
  },
  // By task: a task's last run and its history.
  (t) => [primaryKey({ columns: [t.runId, t.taskId] }), index('entity_runs_task_idx').on(t.taskId)],
);

/** Orders connector-space changes: delta synchronisation picks up what changed after its watermark. */
export const connectorSpaceChangeSeq = pgSequence('connector_space_change_seq');

/** Staged copy of what was last imported from a connected system: one row per external object. */
export const connectorSpaceObjects = pgTable(
  'connector_space_objects',
  {
    /** Deleted with its connected system by a trigger, not a foreign key: see migration 0009. */
    connectedSystemId: integer('connected_system_id').notNull(),
    /** COLLATE "C", which drizzle cannot declare: compared byte by byte (migration 0019). */
    entity: text('entity').notNull(),
    /** COLLATE "C", which drizzle cannot declare: compared byte by byte (migration 0019). */
    externalId: text('external_id').notNull(),
    /**
     * json, not jsonb: written whole on every change and read whole by the map and export steps,
     * never queried inside, so PostgreSQL keeps the text as it comes (COPY of a page a quarter
     * faster than building jsonb of it, and the table an eighth smaller). Its keys read back in
     * the order written, as the source sent them.
     */
    data: json('data').notNull(),
    hash: text('hash').notNull(),
    lastChangedRunId: uuid('last_changed_run_id'),
    /** Taken from connector_space_change_seq on every insert, change or deletion. */
    changeSeq: bigint('change_seq', { mode: 'number' }).notNull().default(sql`nextval('connector_space_change_seq')`),
    deletedAt: timestamp('deleted_at', { withTimezone: true }),
    ...timestamps,
  },
  // Keyed by what it is of (no surrogate id: nothing refers to a row by one, and its index and
  // sequence cost each new object about a seventh of its connector-space write).
  (t) => [
    primaryKey({ name: 'connector_space_objects_key', columns: [t.connectedSystemId, t.entity, t.externalId] }),
    index('connector_space_objects_changes').on(t.connectedSystemId, t.entity, t.changeSeq),
  ],
);

const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' });

/**
 * The last answer at each place of a source's pages (an import's page: its entity, size and
 * number), by its digest, with what it read as: an import that gets the same answer again takes the ids and hashes
 * from here instead of parsing and hashing the page (activities/connectors/sources.ts). One row per
 * page of a source, replaced when the page's answer changes. Unlogged, its arrays uncompressed
 * (migration 0016).
 */
export const sourcePages = pgTable(
  'source_pages',
  {
    connectedSystemId: integer('connected_system_id')
      .notNull()
      .references(() => connectedSystems.id, { onDelete: 'cascade' }),
    requestKey: text('request_key').notNull(),
    digest: text('digest').notNull(),
    fetched: integer('fetched').notNull(),
    externalIds: text('external_ids').array().notNull(),
    /** The records' SHA-256 hashes, in order, 32 bytes each (half the size of their hex). */
    hashes: bytea('hashes').notNull(),
    /**
     * The SHA-256 of each record's bytes as the source sent them, 32 bytes each in the records'
     * order: a later answer's records with the same bytes read as these did (migration 0017).
     */
    recordDigests: bytea('record_digests'),
    /** What else decided how the records read (the id field, the hashing's version). */
    recordsReadAs: text('records_read_as'),
    nextCursor: text('next_cursor'),
    totalCount: bigint('total_count', { mode: 'number' }),
    watermark: text('watermark'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.connectedSystemId, t.requestKey] })],
);

/**
 * Where the last successful import or synchronisation got to: a source watermark (the largest
 * incremental value imported) or a connector-space change sequence (synchronised up to).
 */
export const watermarks = pgTable(
  'watermarks',
  {
    connectedSystemId: integer('connected_system_id').notNull().references(() => connectedSystems.id, { onDelete: 'cascade' }),
    entity: text('entity').notNull(),
    /** 'import' (source watermark) or 'sync:<taskId>' (connector space change sequence). */
    kind: text('kind').notNull(),
    value: text('value').notNull(),
    runId: uuid('run_id'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.connectedSystemId, t.entity, t.kind] })],
);

/** The central store of mapped objects (OpenConnector's register, JIM's metaverse). */
export const registerObjects = pgTable(
  'register_objects',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    /** Deleted with its workspace by a trigger, not a foreign key: see migration 0009. */
    workspaceId: integer('workspace_id').notNull(),
    /** COLLATE "C", which drizzle cannot declare: compared byte by byte (migration 0019). */
    objectType: text('object_type').notNull(),
    /** COLLATE "C", which drizzle cannot declare: compared byte by byte (migration 0019). */
    externalKey: text('external_key').notNull(),
    /** json, not jsonb, as the connector space's data (see there). */
    data: json('data').notNull(),
    hash: text('hash').notNull(),
    lastRunId: uuid('last_run_id'),
    ...timestamps,
  },
  (t) => [uniqueIndex('register_objects_key').on(t.workspaceId, t.objectType, t.externalKey)],
);

/**
 * Link of one origin object (per task) to its register object and its target row. Keyed by
 * (task, id): a task's contracts are listed in id order, and keyed by id alone the first page of
 * a task's list walked the contracts of every task created before it.
 */
export const contracts = pgTable(
  'contracts',
  {
    id: bigint('id', { mode: 'number' }).notNull().generatedAlwaysAsIdentity(),
    /** Deleted with its task by a trigger, not a foreign key: see migration 0009. */
    taskId: integer('task_id').notNull(),
    /** COLLATE "C", which drizzle cannot declare: compared byte by byte (migration 0019). */
    originId: text('origin_id').notNull(),
    /**
     * The register object, set null by the step that deletes it. (No foreign key: its ON DELETE
     * SET NULL scanned every contract once per deleted object, and checking it cost each new
     * contract a lookup.)
     */
    registerObjectId: bigint('register_object_id', { mode: 'number' }),
    targetId: text('target_id'),
    originHash: text('origin_hash').notNull(),
    /** Hash of what the export last wrote to the target; null until the first export. */
    targetHash: text('target_hash'),
    /** The origin hash the last export wrote: unlike origin_hash (set when queued), it never runs ahead of the target. */
    syncedOriginHash: text('synced_origin_hash'),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
    lastSyncedAt: timestamp('last_synced_at', { withTimezone: true }),
    lastRunId: uuid('last_run_id'),
    lastAction: text('last_action').$type<'create' | 'update' | 'delete'>(),
    ...timestamps,
  },
  (t) => [primaryKey({ name: 'contracts_pkey', columns: [t.taskId, t.id] }), uniqueIndex('contracts_task_origin_key').on(t.taskId, t.originId)],
);

/**
 * Per-run working set: one row per object of a page while it moves through map → diff → upsert.
 * Keyed by (run, task, external id) so every step can be retried without duplicating anything;
 * deleted when the run ends.
 */
export const syncStaging = pgTable(
  'sync_staging',
  {
    runId: uuid('run_id').notNull(),
    taskId: integer('task_id').notNull(),
    /** COLLATE "C", which drizzle cannot declare: compared byte by byte (migration 0019). */
    externalId: text('external_id').notNull(),
    pageNo: integer('page_no').notNull(),
    /** Null for an object deleted at the source. */
    originHash: text('origin_hash'),
    /** The source object itself, only in dry runs (which leave the connector space untouched). */
    data: jsonb('data'),
    mapped: jsonb('mapped'),
    targetHash: text('target_hash'),
    /** What the import did to the connector space: decided once, so a retried page reports the same. */
    spaceAction: text('space_action').$type<'create' | 'update' | 'unchanged' | 'delete'>(),
    /** What this object needs on the target, decided by the diff ('skipped': left out by the task's filter). */
    action: text('action').$type<'create' | 'update' | 'unchanged' | 'delete' | 'failed' | 'skipped'>(),
    error: text('error'),
  },
  (t) => [primaryKey({ columns: [t.runId, t.taskId, t.externalId] }), index('sync_staging_page_idx').on(t.runId, t.taskId, t.pageNo)],
);

/**
 * The keys a full import saw, one row per page: what the deletion check compares the connector
 * space with. Settled objects are recorded only here, never staged. Deleted when the run ends.
 */
export const syncSeenPages = pgTable(
  'sync_seen_pages',
  {
    runId: uuid('run_id').notNull(),
    taskId: integer('task_id').notNull(),
    pageNo: integer('page_no').notNull(),
    externalIds: text('external_ids').array().notNull(),
    /** What a job page that ran every step in its import did: a retry after the commit returns it. */
    result: jsonb('result'),
  },
  (t) => [primaryKey({ columns: [t.runId, t.taskId, t.pageNo] })],
);

export type PendingExportStatus = 'Pending' | 'Executing' | 'Exported' | 'Failed';

/** A create/update/delete queued for a destination system. */
export const pendingExports = pgTable(
  'pending_exports',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    runId: uuid('run_id').notNull(),
    taskId: integer('task_id').notNull().references(() => tasks.id, { onDelete: 'cascade' }),
    pageNo: integer('page_no').notNull(),
    /** COLLATE "C", which drizzle cannot declare: compared byte by byte (migration 0019). */
    originId: text('origin_id').notNull(),
    registerObjectId: bigint('register_object_id', { mode: 'number' }),
    action: text('action').notNull().$type<'create' | 'update' | 'delete'>(),
    status: text('status').notNull().default('Pending').$type<PendingExportStatus>(),
    attempts: integer('attempts').notNull().default(0),
    /** Backoff: a failed export is not tried again before this time. */
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    error: text('error'),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('pending_exports_run_task_origin_key').on(t.runId, t.taskId, t.originId),
    index('pending_exports_open_idx').on(t.taskId, t.id).where(sql`status in ('Pending', 'Executing')`),
    // An object's open exports: a newer change of it supersedes them.
    index('pending_exports_open_origin_idx').on(t.taskId, t.originId).where(sql`status in ('Pending', 'Executing')`),
  ],
);

export type RunLogAction = 'created' | 'updated' | 'unchanged' | 'deleted' | 'failed';

/**
 * Per-object outcome of a run, kept for a retention period (errors longer than successes). Keyed
 * by (run, id): a run's log is read in id order (GET /runs/{id}/logs), and keyed by id alone the
 * first page of a run's log walked every older run's entries first (half a second behind two
 * runs of a million objects, growing with the history kept).
 */
export const runLogs = pgTable(
  'run_logs',
  {
    id: bigint('id', { mode: 'number' }).notNull().generatedAlwaysAsIdentity(),
    /** Deleted with its run by a trigger, not a foreign key: see migration 0009. */
    runId: uuid('run_id').notNull(),
    taskId: integer('task_id').notNull(),
    originId: text('origin_id').notNull(),
    targetId: text('target_id'),
    action: text('action').notNull().$type<RunLogAction>(),
    error: text('error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ name: 'run_logs_pkey', columns: [t.runId, t.id] }),
    uniqueIndex('run_logs_run_task_origin_action_key').on(t.runId, t.taskId, t.originId, t.action),
    index('run_logs_expiry_idx').on(t.expiresAt),
  ],
);

/**
 * A first run's page of successful outcomes of one kind (created or updated, with or without a
 * target), as one row instead of one per object: each entry keeps its own id, drawn from the
 * run log's sequence, and GET /runs/{id}/logs lists them among the per-object rows by id. Written
 * per object, a page of 10,000 creates cost three index entries and a row each.
 */
export const runLogBatches = pgTable(
  'run_log_batches',
  {
    runId: uuid('run_id').notNull(),
    /** The smallest and largest of the entries' ids. */
    firstId: bigint('first_id', { mode: 'number' }).notNull(),
    lastId: bigint('last_id', { mode: 'number' }).notNull(),
    taskId: integer('task_id').notNull(),
    action: text('action').notNull().$type<RunLogAction>(),
    /** Each entry's target id is its origin id (the destinations key rows by it); else none. */
    targeted: boolean('targeted').notNull(),
    /** The entries, in id order: ids[i] is the id of the entry for originIds[i]. */
    ids: bigint('ids', { mode: 'number' }).array().notNull(),
    originIds: text('origin_ids').array().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ name: 'run_log_batches_pkey', columns: [t.runId, t.firstId] }), index('run_log_batches_expiry_idx').on(t.expiresAt)],
);
