// Writes schedules to both sides — the read model and Temporal Schedules — so that from the user's
// view either both change or neither does. The read-model transaction stays open while Temporal is
// changed; if Temporal refuses, the transaction rolls back, and if the commit fails afterwards, the
// Temporal change is undone.
import { ScheduleAlreadyRunning, ScheduleNotFoundError, type ScheduleHandle } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { jobs, schedules, type ScheduleStep } from '../db/schema';
import type { AppDeps } from './app';
import { ApiError } from './errors';
import { createOptions, temporalScheduleId, updateOptions, type ScheduleRow } from './schedule-spec';

export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type ScheduleValues = Omit<typeof schedules.$inferInsert, 'id' | 'createdAt' | 'updatedAt' | 'recordedSkips'>;

/** Temporal-side changes made inside one read-model transaction, with how to undo each. */
export class ScheduleChanges {
  private readonly undo: Array<() => Promise<void>> = [];
  constructor(private readonly deps: AppDeps) {}

  private get client() {
    return this.deps.temporal.client.schedule;
  }

  async create(row: ScheduleRow): Promise<void> {
    try {
      await this.client.create(createOptions(row, this.deps.temporal.taskQueue));
    } catch (err) {
      throw temporalRefusal(err, row);
    }
    this.undo.push(() => this.remove(row.id));
  }

  async update(before: ScheduleRow, after: ScheduleRow): Promise<void> {
    await this.apply(after);
    this.undo.push(() => this.apply(before));
  }

  async delete(row: ScheduleRow): Promise<void> {
    await this.remove(row.id);
    this.undo.push(() => this.client.create(createOptions(row, this.deps.temporal.taskQueue)).then(() => undefined));
  }

  /** Brings the Temporal Schedule in line with the row, creating it when it is missing. */
  async apply(row: ScheduleRow): Promise<void> {
    const handle = this.client.getHandle(temporalScheduleId(row.id));
    try {
      await handle.update(() => updateOptions(row, this.deps.temporal.taskQueue));
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw temporalRefusal(err, row);
      await this.client.create(createOptions(row, this.deps.temporal.taskQueue));
    }
  }

  private async remove(scheduleId: number): Promise<void> {
    try {
      await this.client.getHandle(temporalScheduleId(scheduleId)).delete();
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
  }

  async rollback(): Promise<void> {
    for (const undo of this.undo.reverse()) {
      try {
        await undo();
      } catch (err) {
        (this.deps.log ?? console.error)('undoing a Temporal schedule change failed; the next API start reconciles it', err);
      }
    }
  }
}

/**
 * Acts on the row's Temporal Schedule; one missing there (deleted by hand, say) is first recreated
 * from the row, as the next API start would do, rather than failing the request.
 */
export async function onTemporalSchedule(deps: AppDeps, row: ScheduleRow, act: (handle: ScheduleHandle) => Promise<void>): Promise<void> {
  const handle = deps.temporal.client.schedule.getHandle(temporalScheduleId(row.id));
  try {
    await act(handle);
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    (deps.log ?? console.error)(`schedule ${row.id} was missing in Temporal: recreated it from the read model`);
    await new ScheduleChanges(deps).apply(row);
    await act(handle);
  }
}

/** Runs `work` in one read-model transaction; Temporal changes it made are undone if it does not commit. */
export async function withScheduleChanges<T>(deps: AppDeps, work: (tx: Tx, changes: ScheduleChanges) => Promise<T>): Promise<T> {
  const changes = new ScheduleChanges(deps);
  try {
    return await deps.db.transaction((tx) => work(tx, changes));
  } catch (err) {
    await changes.rollback();
    throw err;
  }
}

/** A spec Temporal refused (a cron or time zone its own parser rejects) is the caller's 400. */
function temporalRefusal(err: unknown, row: ScheduleRow): unknown {
  if (err instanceof ScheduleAlreadyRunning) return err;
  const e = err as { code?: number; details?: string; message?: string };
  if (e.code === 3 /* INVALID_ARGUMENT */) {
    const detail = e.details ?? e.message ?? 'invalid schedule';
    const path = /time ?zone|location/i.test(detail) ? 'timezone' : row.cron?.length ? 'cron' : 'interval';
    return new ApiError('BAD_REQUEST', `${path}: Temporal refused the schedule: ${detail}`, { errors: [{ path, message: detail }] });
  }
  return err;
}

export async function insertSchedule(tx: Tx, changes: ScheduleChanges, values: ScheduleValues): Promise<ScheduleRow> {
  const [row] = await tx.insert(schedules).values(values).returning();
  await changes.create(row!);
  return row!;
}

export async function updateScheduleRow(tx: Tx, changes: ScheduleChanges, before: ScheduleRow, values: Partial<ScheduleValues>): Promise<ScheduleRow> {
  const [row] = await tx
    .update(schedules)
    .set({ ...values, updatedAt: new Date() })
    .where(eq(schedules.id, before.id))
    .returning();
  await changes.update(before, row!);
  return row!;
}

export async function deleteScheduleRow(tx: Tx, changes: ScheduleChanges, row: ScheduleRow): Promise<void> {
  await tx.delete(schedules).where(eq(schedules.id, row.id));
  await changes.delete(row);
}

type JobRow = typeof jobs.$inferSelect;

/** The schedule a job's `schedule: { enabled, cron }` asks for, or null when it asks for none. */
export function jobScheduleValues(job: JobRow): ScheduleValues | null {
  const schedule = job.options.schedule as { enabled?: boolean; cron?: string } | undefined;
  const cron = schedule?.cron?.trim();
  if (!cron) return null;
  const step: ScheduleStep = { stepIndex: 0, jobId: job.id, continueOnFailure: false };
  return {
    workspaceId: job.workspaceId,
    name: `job ${job.id}: ${job.name}`,
    jobId: job.id,
    cron: [cron],
    interval: null,
    timezone: 'UTC',
    steps: [step],
    overlapPolicy: 'SKIP',
    catchupWindow: '10m',
    enabled: schedule?.enabled === true,
    paused: job.paused,
  };
}

/** Creates, updates or deletes the job's own schedule so it matches the job. */
export async function syncJobSchedule(tx: Tx, changes: ScheduleChanges, job: JobRow, opts: { deleting?: boolean } = {}): Promise<void> {
  const [existing] = await tx.select().from(schedules).where(eq(schedules.jobId, job.id)).for('update');
  const desired = opts.deleting ? null : jobScheduleValues(job);
  if (!desired) {
    if (existing) await deleteScheduleRow(tx, changes, existing);
    return;
  }
  if (!existing) {
    await insertSchedule(tx, changes, desired);
    return;
  }
  const same =
    JSON.stringify([existing.name, existing.cron, existing.enabled, existing.paused, existing.workspaceId]) ===
    JSON.stringify([desired.name, desired.cron, desired.enabled, desired.paused, desired.workspaceId]);
  if (!same) await updateScheduleRow(tx, changes, existing, desired);
}
