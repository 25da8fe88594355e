// Inputs, outputs, signals and queries of the run workflows, shared by the API, the worker and
// the tests. Everything here is small: records never cross into workflow history.
import { defineQuery, defineSignal } from '@temporalio/workflow';

export type RunState = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'OVERRUN' | 'CANCELLED' | 'WARNING' | 'SKIPPED';
export type EntityOutcomeState = 'SUCCEEDED' | 'WARNING' | 'FAILED' | 'CANCELLED';

export interface RunError {
  code: string;
  message: string;
}

/** One task of a job run, as planned when the run begins. */
export interface TaskPlan {
  taskId: number;
  entityName: string;
  pageSize: number;
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
export interface JobRunCheckpoint {
  plan: TaskPlan[];
  /** Index into plan of the task in progress. */
  position: number;
  /** Cursor of the next page of the task in progress (null: its first page). */
  cursor: string | null;
  pageNo: number;
  counters: EntityCounters;
  outcomes: EntityOutcome[];
  paused: boolean;
}

export interface EntityOutcome {
  taskId: number;
  state: EntityOutcomeState;
  counters: EntityCounters;
  error?: RunError;
}

export interface JobRunInput {
  runId: string;
  jobId: number;
  /** Only these tasks; default every active task. */
  taskIds?: number[];
  /** Pages per workflow execution before continuing as new (keeps history bounded). */
  pagesPerExecution?: number;
  checkpoint?: JobRunCheckpoint;
}

export interface JobRunResult {
  runId: string;
  state: RunState;
  entities: EntityOutcome[];
}

export interface JobRunProgress {
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
export const progressQuery = defineQuery<JobRunProgress>('progress');

/** Workflow id of a job's runs: one live run per job. */
export function jobWorkflowId(jobId: number): string {
  return `job-${jobId}`;
}
