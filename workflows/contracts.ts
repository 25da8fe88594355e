// Inputs, outputs, signals and queries of the run workflows, shared by the API, the worker and
// the tests. Everything here is small: records never cross into workflow history.
import { defineQuery, defineSignal } from '@temporalio/workflow';

export type RunState = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'OVERRUN' | 'CANCELLED' | 'WARNING' | 'SKIPPED';
export type EntityOutcomeState = 'SUCCEEDED' | 'WARNING' | 'FAILED' | 'CANCELLED';

export interface RunError {
  code: string;
  message: string;
}

/** One task of a run, as planned when the run begins. */
export interface TaskPlan {
  taskId: number;
  entityName: string;
  pageSize: number;
}

/**
 * What a run does for each task: `job` runs all five steps page by page; a run profile runs one
 * stage — `import` (source → connector space), `sync` (connector space → register, contracts,
 * pending exports) or `export` (pending exports → destination).
 */
export type StageMode = 'job' | 'import' | 'sync' | 'export';

export interface RunPlan {
  mode: StageMode;
  /** Delta import / delta synchronisation. */
  delta: boolean;
  /** Report what would change without writing the connector space, register, contracts or destination. */
  dryRun: boolean;
  units: TaskPlan[];
}

/** Where a task's pages start: the stored source watermark and synchronisation position. */
export interface UnitStart {
  since: string | null;
  syncAfterSeq: number;
}

/** Absolute counters of one entity run; written to the read model as they are (idempotent). */
export interface EntityCounters {
  extracted: number;
  indexed: number;
  errors: number;
  created: number;
  changed: number;
  unchanged: number;
  deleted: number;
  sourceRequests: number;
  /** Records at the source when it tells; null when unknown. */
  total: number | null;
}

export function emptyCounters(): EntityCounters {
  return { extracted: 0, indexed: 0, errors: 0, created: 0, changed: 0, unchanged: 0, deleted: 0, sourceRequests: 0, total: null };
}

/** Where a run is: carried across continue-as-new. */
export interface RunCheckpoint {
  plan: RunPlan;
  /** Index into plan of the task in progress. */
  position: number;
  /** Cursor of the next page of the task in progress (null: its first page). */
  cursor: string | null;
  pageNo: number;
  counters: EntityCounters;
  /** The task's start point and the largest watermark its pages have reached. */
  start: UnitStart;
  watermark: string | null;
  outcomes: EntityOutcome[];
  paused: boolean;
}

export interface EntityOutcome {
  taskId: number;
  state: EntityOutcomeState;
  counters: EntityCounters;
  error?: RunError;
}

/** Input of every run workflow; what to run is read from the run's row in the read model. */
export interface RunInput {
  runId: string;
  /** Job runs: only these tasks; default every active task. */
  taskIds?: number[];
  /** Pages per workflow execution before continuing as new (keeps history bounded). */
  pagesPerExecution?: number;
  checkpoint?: RunCheckpoint;
}

export interface RunResult {
  runId: string;
  state: RunState;
  entities: EntityOutcome[];
}

export interface RunProgress {
  runId: string;
  paused: boolean;
  taskId: number | null;
  pageNo: number;
  counters: EntityCounters;
  completed: EntityOutcome[];
}

// ~30 history events a page: 50 pages keeps each execution well under 2,000 events.
/** Attempts of a page step before its task fails. */
export const STEP_MAX_ATTEMPTS = 10;

export const DEFAULT_PAGES_PER_EXECUTION = 50;

/** Pause at the next page boundary; the run stays RUNNING with paused=true. */
export const pauseSignal = defineSignal('pause');
/** Continue a paused run from its checkpoint. */
export const resumeSignal = defineSignal('resume');
/** Live counters of the run in flight. */
export const progressQuery = defineQuery<RunProgress>('progress');

/** Workflow id of a job's runs: one live run per job. */
export function jobWorkflowId(jobId: number): string {
  return `job-${jobId}`;
}

/** Workflow id of run-profile runs: one live stage per connected system. */
export function connectedSystemWorkflowId(connectedSystemId: number): string {
  return `connected-system-${connectedSystemId}`;
}
