// Read-model bookkeeping of schedule runs: the parent run of one firing, the run of each step,
// and OVERRUN for runs still going when their schedule fires again. Rows are keyed by run ids the
// workflow chose, so a retried activity writes nothing twice.
import type { Client } from '@temporalio/client';
import { and, eq, inArray, or } from 'drizzle-orm';
import { isUniqueViolation, type Db } from '../db/client';
import { connectedSystems, jobs, LIVE_RUN_STATES, runProfiles, runs, schedules } from '../db/schema';
import { connectedSystemWorkflowId, jobWorkflowId, scheduleWorkflowIdPrefix, type RunError, type RunState, type ScheduleRunPlan, type StepPlan, type StepStart } from '../workflows/contracts';


/** Marks live runs OVERRUN: still running when their schedule's next start came. */
export async function markOverrun(db: Db, where: ReturnType<typeof eq>): Promise<number> {
  const updated = await db
    .update(runs)
    .set({ state: 'OVERRUN', stateUpdateTime: new Date() })
    .where(and(where, inArray(runs.state, ['PENDING', 'RUNNING'])))
    .returning({ id: runs.id });
  return updated.length;
}

export function createScheduleRunActivities(db: Db, temporal: Client) {
  return {
    /** Records the schedule run (RUNNING) and plans its steps; null when the schedule is gone. */
    async beginScheduleRun(args: { scheduleId: number; runId: string; workflowId: string; temporalRunId: string }): Promise<ScheduleRunPlan | null> {
      const [schedule] = await db.select().from(schedules).where(eq(schedules.id, args.scheduleId));
      if (!schedule) return null;
      const now = new Date();
      await db
        .insert(runs)
        .values({
          id: args.runId,
          workspaceId: schedule.workspaceId,
          scheduleId: schedule.id,
          state: 'RUNNING',
          trigger: 'SCHEDULER',
          startTime: now,
          stateUpdateTime: now,
          workflowId: args.workflowId,
          temporalRunId: args.temporalRunId,
        })
        .onConflictDoNothing({ target: runs.id });

      const jobIds = schedule.steps.flatMap((s) => (s.jobId ? [s.jobId] : []));
      const profileIds = schedule.steps.flatMap((s) => (s.runProfileId ? [s.runProfileId] : []));
      const jobNames = new Map(
        jobIds.length ? (await db.select({ id: jobs.id, name: jobs.name }).from(jobs).where(inArray(jobs.id, jobIds))).map((j) => [j.id, j.name]) : [],
      );
      const profileNames = new Map(
        profileIds.length
          ? (await db.select({ id: runProfiles.id, name: runProfiles.name }).from(runProfiles).where(inArray(runProfiles.id, profileIds))).map((p) => [p.id, p.name])
          : [],
      );
      const groups = new Map<number, StepPlan[]>();
      for (const step of [...schedule.steps].sort((a, b) => a.stepIndex - b.stepIndex)) {
        const label = step.jobId
          ? `job ${step.jobId} (${jobNames.get(step.jobId) ?? 'deleted'})`
          : `run profile ${step.runProfileId} (${profileNames.get(step.runProfileId!) ?? 'deleted'})`;
        const plan: StepPlan = { stepIndex: step.stepIndex, continueOnFailure: step.continueOnFailure, label };
        if (step.jobId) plan.jobId = step.jobId;
        if (step.runProfileId) plan.runProfileId = step.runProfileId;
        groups.set(step.stepIndex, [...(groups.get(step.stepIndex) ?? []), plan]);
      }

      let nextStartTime: string | null = null;
      try {
        const description = await temporal.schedule.getHandle(scheduleWorkflowIdPrefix(schedule.id)).describe();
        if (!description.state.paused) {
          const next = description.info.nextActionTimes.find((t) => t.getTime() > now.getTime());
          nextStartTime = next ? next.toISOString() : null;
        }
      } catch {
        // Without a next start time the run simply cannot show OVERRUN; the API's sweep still can.
      }
      return { groups: [...groups.values()], nextStartTime, workspaceId: schedule.workspaceId };
    },

    /**
     * Records the run of one step (PENDING, trigger SCHEDULER). A job or connected system that is
     * already running means the step is SKIPPED and that live run is OVERRUN.
     */
    async beginStepRun(args: { parentRunId: string; scheduleId: number; runId: string; step: StepPlan }): Promise<StepStart> {
      const { step } = args;
      const [existing] = await db.select().from(runs).where(eq(runs.id, args.runId));
      let target: { workspaceId: number; jobId: number | null; workflowType: 'jobRunWorkflow' | 'runProfileWorkflow'; workflowId: string; values: Partial<typeof runs.$inferInsert> };
      if (step.jobId) {
        const [job] = await db.select().from(jobs).where(eq(jobs.id, step.jobId));
        if (!job) return { started: false, state: 'FAILED', message: `${step.label} no longer exists` };
        target = { workspaceId: job.workspaceId, jobId: job.id, workflowType: 'jobRunWorkflow', workflowId: jobWorkflowId(job.id), values: { jobId: job.id } };
      } else {
        const [row] = await db
          .select({ profile: runProfiles, workspaceId: connectedSystems.workspaceId })
          .from(runProfiles)
          .innerJoin(connectedSystems, eq(connectedSystems.id, runProfiles.connectedSystemId))
          .where(eq(runProfiles.id, step.runProfileId!));
        if (!row) return { started: false, state: 'FAILED', message: `${step.label} no longer exists` };
        const { profile } = row;
        target = {
          workspaceId: row.workspaceId,
          jobId: null,
          workflowType: 'runProfileWorkflow',
          workflowId: connectedSystemWorkflowId(profile.connectedSystemId),
          values: {
            runProfileId: profile.id,
            connectedSystemId: profile.connectedSystemId,
            runType: profile.runType,
            syncType: profile.runType.startsWith('Delta') ? 'INCREMENTAL' : 'FULL',
          },
        };
      }
      const started: StepStart = { started: true, workflowType: target.workflowType, workflowId: target.workflowId, workspaceId: target.workspaceId, jobId: target.jobId };
      if (existing) {
        // A retry: the first attempt decided already.
        return existing.state === 'SKIPPED' ? { started: false, state: 'SKIPPED', message: existing.errors[0]?.message ?? 'skipped' } : started;
      }
      const row = {
        id: args.runId,
        workspaceId: target.workspaceId,
        scheduleId: args.scheduleId,
        parentRunId: args.parentRunId,
        trigger: 'SCHEDULER' as const,
        workflowId: target.workflowId,
        ...target.values,
      };
      try {
        await db
          .insert(runs)
          .values({ ...row, state: 'PENDING' })
          .onConflictDoNothing({ target: runs.id });
        return started;
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
      }
      // Another run of this job (or connected system) is live: this start is skipped and that run overran.
      const owner = step.jobId ? eq(runs.jobId, step.jobId) : eq(runs.connectedSystemId, target.values.connectedSystemId!);
      const [live] = await db
        .select({ id: runs.id })
        .from(runs)
        .where(and(owner, inArray(runs.state, [...LIVE_RUN_STATES])));
      const message = `${step.label} was still running (run ${live?.id ?? 'unknown'}) when this scheduled start came; the start was skipped`;
      const now = new Date();
      await db
        .insert(runs)
        .values({ ...row, state: 'SKIPPED', endTime: now, stateUpdateTime: now, errors: [{ code: 'OVERLAP_SKIPPED', message }] })
        .onConflictDoNothing({ target: runs.id });
      if (live) await markOverrun(db, eq(runs.id, live.id));
      return { started: false, state: 'SKIPPED', message };
    },

    async recordStepStarted(args: { runId: string; temporalRunId: string }): Promise<void> {
      await db.update(runs).set({ temporalRunId: args.temporalRunId }).where(eq(runs.id, args.runId));
    },

    /** Records the end of a live run: a schedule run, or a step run that never got its workflow. */
    async endRun(args: { runId: string; state: RunState; errors: RunError[] }): Promise<void> {
      const now = new Date();
      await db
        .update(runs)
        .set({ state: args.state, errors: args.errors, endTime: now, stateUpdateTime: now })
        .where(and(eq(runs.id, args.runId), inArray(runs.state, [...LIVE_RUN_STATES])));
    },

    /** The schedule fired again while this run (and its step runs) still ran. */
    async markScheduleRunOverrun(args: { runId: string }): Promise<void> {
      await markOverrun(db, or(eq(runs.id, args.runId), eq(runs.parentRunId, args.runId))!);
    },

  };
}
