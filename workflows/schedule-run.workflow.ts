// One firing of a schedule (started by its Temporal Schedule, a trigger or a backfill): a parent
// run whose children are its steps' runs. Steps run in stepIndex order, steps sharing an index in
// parallel, each as the job's or run profile's own run workflow (so the one-live-run rule of a
// job holds whoever started it). A step that ends FAILED, CANCELLED or SKIPPED stops the steps
// after it unless it has continueOnFailure; WARNING does not stop them (JIM's rule). Still running
// at the schedule's next start time, the run shows OVERRUN until it ends.
import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowCancellationType,
  ParentClosePolicy,
  isCancellation,
  proxyActivities,
  sleep,
  startChild,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities';
import type { RunError, RunResult, RunState, ScheduleRunInput, StepPlan } from './contracts';
import { SynclineJobId, SynclineRunId, SynclineScheduleId, SynclineTrigger, SynclineWorkspaceId } from './search-attributes';

const bookkeeping = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 10, nonRetryableErrorTypes: ['SyncError'] },
});

type StepState = 'SUCCEEDED' | 'WARNING' | 'FAILED' | 'CANCELLED' | 'SKIPPED';
const STOPS_LATER_STEPS = new Set<StepState>(['FAILED', 'CANCELLED', 'SKIPPED']);

export async function scheduleRunWorkflow(input: ScheduleRunInput): Promise<RunResult> {
  const info = workflowInfo();
  // uuid4 is deterministic in workflows: a replay or a retried activity sees the same run id.
  const runId = uuid4();
  const plan = await bookkeeping.beginScheduleRun({ scheduleId: input.scheduleId, runId, workflowId: info.workflowId, temporalRunId: info.runId });
  if (plan === null) return { runId, state: 'SKIPPED', entities: [] }; // the schedule was deleted as it fired

  const overrunWatch = new CancellationScope();
  const overrun = plan.nextStartTime
    ? overrunWatch
        .run(async () => {
          await sleep(Math.max(0, Date.parse(plan.nextStartTime!) - Date.now()));
          await bookkeeping.markScheduleRunOverrun({ runId });
        })
        .catch((err: unknown) => {
          if (!isCancellation(err)) throw err;
        })
    : Promise.resolve();

  const stepState = async (step: StepPlan): Promise<StepState> => {
    const stepRunId = uuid4();
    const start = await bookkeeping.beginStepRun({ parentRunId: runId, scheduleId: input.scheduleId, runId: stepRunId, step });
    if (!start.started) return start.state;
    let child;
    try {
      child = await startChild(start.workflowType, {
        workflowId: start.workflowId,
        args: [{ runId: stepRunId }],
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
        typedSearchAttributes: [
          { key: SynclineWorkspaceId, value: String(start.workspaceId) },
          { key: SynclineTrigger, value: 'SCHEDULER' },
          { key: SynclineRunId, value: stepRunId },
          { key: SynclineScheduleId, value: String(input.scheduleId) },
          ...(start.jobId !== null ? [{ key: SynclineJobId, value: String(start.jobId) }] : []),
        ],
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      // A run the read model does not know of holds the workflow id (started by hand, say).
      const message = `${step.label} was already running (workflow ${start.workflowId})`;
      await bookkeeping.endRun({ runId: stepRunId, state: 'SKIPPED', errors: [{ code: 'OVERLAP_SKIPPED', message }] });
      return 'SKIPPED';
    }
    await bookkeeping.recordStepStarted({ runId: stepRunId, temporalRunId: child.firstExecutionRunId });
    try {
      const result = await child.result();
      return result.state === 'SUCCEEDED' || result.state === 'WARNING' || result.state === 'CANCELLED' || result.state === 'SKIPPED' ? result.state : 'FAILED';
    } catch (err) {
      if (isCancellation(err)) throw err;
      return 'FAILED';
    }
  };

  const outcomes: StepState[] = [];
  const errors: RunError[] = [];
  let state: RunState;
  try {
    let stoppedBy: string | null = null;
    for (const group of plan.groups) {
      if (stoppedBy) break;
      const states = await Promise.all(group.map(stepState));
      for (const [i, stepStateValue] of states.entries()) {
        const step = group[i]!;
        outcomes.push(stepStateValue);
        if (stepStateValue !== 'SUCCEEDED') errors.push({ code: `STEP_${stepStateValue}`, message: `Step ${step.stepIndex} (${step.label}) ended ${stepStateValue}` });
        if (STOPS_LATER_STEPS.has(stepStateValue) && !step.continueOnFailure && !stoppedBy) {
          stoppedBy = `Step ${step.stepIndex} (${step.label}) ended ${stepStateValue} and continueOnFailure is false; the steps after it did not run`;
        }
      }
    }
    if (stoppedBy) errors.push({ code: 'SCHEDULE_STOPPED', message: stoppedBy });
    state = stoppedBy
      ? outcomes.every((s) => s === 'SKIPPED')
        ? 'SKIPPED'
        : 'FAILED'
      : outcomes.every((s) => s === 'SUCCEEDED')
        ? 'SUCCEEDED'
        : 'WARNING';
  } catch (err) {
    overrunWatch.cancel();
    if (!isCancellation(err)) {
      const message = err instanceof Error ? err.message : String(err);
      await CancellationScope.nonCancellable(() => bookkeeping.endRun({ runId, state: 'FAILED', errors: [{ code: 'SCHEDULE_RUN_FAILED', message }] }));
      throw ApplicationFailure.nonRetryable(message, 'ScheduleRunFailed');
    }
    await CancellationScope.nonCancellable(() => bookkeeping.endRun({ runId, state: 'CANCELLED', errors: [] }));
    throw err;
  }
  overrunWatch.cancel();
  await overrun;
  await bookkeeping.endRun({ runId, state, errors });
  return { runId, state, entities: [] };
}
