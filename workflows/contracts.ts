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
  /** Job options the workflow itself acts on (job runs; absent: one task at a time, stop at a failed task). */
  options?: RunOptions;
}

/** The job options that shape the run rather than a page: read once when the run begins. */
export interface RunOptions {
  /** A failed task does not stop the others; the run then ends WARNING (FAILED if every task failed). */
  continueOnError?: boolean;
  /** Tasks in progress at once (enableParallelProcessing + workerPool); 1 or absent: one after the other. */
  parallelism?: number;
  /** Empty (truncateTableData) or drop (dropTable) each task's destination table before its first page. */
  resetTarget?: boolean;
  /** The job's labels, put on the run workflow as a memo. */
  labels?: string[];
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

/** Where one task that was mid-way at a handover is: its position in the plan and its page state. */
export interface UnitCheckpoint {
  /** Index into plan.units. */
  position: number;
  /** Cursor of the task's next page (null: its first page). */
  cursor: string | null;
  pageNo: number;
  counters: EntityCounters;
  /** The task's start point and the largest watermark its pages have reached. */
  start: UnitStart;
  watermark: string | null;
}

/** Where a run is: carried across continue-as-new. */
export interface RunCheckpoint {
  plan: RunPlan;
  /** Index into plan of the next task to start; every task before it has started. */
  next: number;
  /** Tasks handed over mid-way (several when tasks run in parallel), in plan order. */
  inFlight: UnitCheckpoint[];
  outcomes: EntityOutcome[];
  paused: boolean;
}

/** The checkpoint written before tasks could run in parallel (one task in progress); still accepted. */
export interface SingleTaskCheckpoint extends Omit<UnitCheckpoint, 'position'> {
  plan: RunPlan;
  /** Index into plan of the task in progress. */
  position: number;
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
  checkpoint?: RunCheckpoint | SingleTaskCheckpoint;
}

export interface RunResult {
  runId: string;
  state: RunState;
  entities: EntityOutcome[];
}

export interface RunProgress {
  runId: string;
  paused: boolean;
  /** The first task in progress (null between tasks). */
  taskId: number | null;
  pageNo: number;
  counters: EntityCounters;
  /** Every task in progress (more than one when tasks run in parallel). */
  running: { taskId: number; pageNo: number; counters: EntityCounters }[];
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

/** Input of a schedule run: fixed when the Temporal Schedule is written, so only a reference. */
export interface ScheduleRunInput {
  scheduleId: number;
}

/** One step of a schedule run, as planned when the run begins. */
export interface StepPlan {
  stepIndex: number;
  jobId?: number;
  runProfileId?: number;
  continueOnFailure: boolean;
  /** "job 7 (accounts sync)", for messages. */
  label: string;
}

export interface ScheduleRunPlan {
  /** Steps grouped by stepIndex, in order; a group's steps run in parallel. */
  groups: StepPlan[][];
  /** When the schedule next fires after this run began: still running then means OVERRUN. */
  nextStartTime: string | null;
  workspaceId: number;
}

/** How a step's run starts: a child run workflow, or not at all. */
export type StepStart =
  | { started: true; workflowType: 'jobRunWorkflow' | 'runProfileWorkflow'; workflowId: string; workspaceId: number; jobId: number | null }
  | { started: false; state: 'SKIPPED' | 'FAILED'; message: string };

/** Workflow id base of a schedule's runs; Temporal appends each scheduled time. */
export function scheduleWorkflowIdPrefix(scheduleId: number): string {
  return `syncline-schedule-${scheduleId}`;
}
