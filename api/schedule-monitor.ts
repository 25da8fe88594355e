// Keeps Temporal Schedules and the read model's schedules in step, and turns what Temporal knows
// about overlaps into runs: at API start, a schedule present on one side only is reconciled; on
// every sweep, overlap skips Temporal counted become SKIPPED runs and the run that caused them
// shows OVERRUN.
import { randomUUID } from 'node:crypto';
import { ScheduleNotFoundError } from '@temporalio/client';
import { and, eq, inArray, isNull, or } from 'drizzle-orm';
import { LIVE_RUN_STATES, runs, schedules } from '../db/schema';
import type { AppDeps } from './app';
import { ScheduleChanges } from './schedule-store';
import { scheduleIdOf, temporalScheduleId, TEMPORAL_SCHEDULE_PREFIX } from './schedule-spec';

/** More skips than this in one sweep are recorded as this many runs (the count stays exact in the schedule's info). */
const MAX_SKIPPED_RUNS_PER_SWEEP = 100;

export interface ScheduleReconciliation {
  /** Read-model schedules Temporal did not have: created there. */
  created: number[];
  /** Temporal Schedules of ours with no read-model row: deleted. */
  deleted: string[];
}

/** Run once when the API starts: the read model is the source of truth for what should exist. */
export async function reconcileSchedules(deps: AppDeps): Promise<ScheduleReconciliation> {
  const log = deps.log ?? console.log;
  const rows = await deps.db.select().from(schedules);
  const inTemporal = new Set<string>();
  for await (const summary of deps.temporal.client.schedule.list()) {
    if (summary.scheduleId.startsWith(TEMPORAL_SCHEDULE_PREFIX)) inTemporal.add(summary.scheduleId);
  }
  const result: ScheduleReconciliation = { created: [], deleted: [] };
  const changes = new ScheduleChanges(deps);
  for (const row of rows) {
    // Listing is eventually consistent: a schedule missing from it is checked directly.
    if (inTemporal.has(temporalScheduleId(row.id))) continue;
    try {
      await deps.temporal.client.schedule.getHandle(temporalScheduleId(row.id)).describe();
      continue;
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
    await changes.apply(row);
    result.created.push(row.id);
    log(`schedule ${row.id} was missing in Temporal: created it from the read model`);
  }
  const known = new Set(rows.map((r) => r.id));
  for (const temporalId of inTemporal) {
    const id = scheduleIdOf(temporalId);
    if (id === null || known.has(id)) continue;
    // Re-check: it may have been created a moment ago by a request in flight.
    const [row] = await deps.db.select({ id: schedules.id }).from(schedules).where(eq(schedules.id, id));
    if (row) continue;
    try {
      await deps.temporal.client.schedule.getHandle(temporalId).delete();
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
    result.deleted.push(temporalId);
    log(`Temporal schedule ${temporalId} had no schedule in the read model: deleted it`);
  }
  return result;
}

/**
 * Records each overlap skip Temporal counted since the last sweep as a SKIPPED run (trigger
 * SCHEDULER; on the job too for a job's own schedule), and marks the schedule's live runs OVERRUN.
 * The recorded count moves by compare-and-set, so two API processes never record a skip twice.
 */
export async function recordOverlapSkips(deps: AppDeps): Promise<number> {
  const rows = await deps.db.select().from(schedules).where(eq(schedules.enabled, true));
  let recorded = 0;
  for (const row of rows) {
    let skipped: number;
    try {
      skipped = (await deps.temporal.client.schedule.getHandle(temporalScheduleId(row.id)).describe()).info.numActionsSkippedOverlap;
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) continue;
      throw err;
    }
    if (skipped === row.recordedSkips) continue;
    recorded += await deps.db.transaction(async (tx) => {
      const moved = await tx
        .update(schedules)
        .set({ recordedSkips: skipped })
        .where(and(eq(schedules.id, row.id), eq(schedules.recordedSkips, row.recordedSkips)))
        .returning({ id: schedules.id });
      // Lost the race to another sweep, or Temporal's counter restarted (the schedule was recreated).
      if (moved.length === 0 || skipped < row.recordedSkips) return 0;
      const count = Math.min(skipped - row.recordedSkips, MAX_SKIPPED_RUNS_PER_SWEEP);
      const now = new Date();
      const message = `A scheduled start was skipped: the schedule's previous run was still running (overlap policy ${row.overlapPolicy})`;
      await tx.insert(runs).values(
        Array.from({ length: count }, () => ({
          id: randomUUID(),
          workspaceId: row.workspaceId,
          jobId: row.jobId,
          scheduleId: row.id,
          state: 'SKIPPED' as const,
          trigger: 'SCHEDULER' as const,
          endTime: now,
          stateUpdateTime: now,
          workflowId: temporalScheduleId(row.id),
          errors: [{ code: 'OVERLAP_SKIPPED', message }],
        })),
      );
      // The schedule's runs still going overran their slot: the parent runs and their steps.
      const live = await tx
        .select({ id: runs.id })
        .from(runs)
        .where(and(eq(runs.scheduleId, row.id), isNull(runs.parentRunId), inArray(runs.state, [...LIVE_RUN_STATES])));
      if (live.length > 0) {
        const ids = live.map((r) => r.id);
        await tx
          .update(runs)
          .set({ state: 'OVERRUN', stateUpdateTime: now })
          .where(and(or(inArray(runs.id, ids), inArray(runs.parentRunId, ids)), inArray(runs.state, ['PENDING', 'RUNNING'])));
      }
      return count;
    });
  }
  return recorded;
}
