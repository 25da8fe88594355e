// What a schedule row means to Temporal: its id there, its spec, its action and its policies.
// Also the checks a schedule's timing passes when written (cron, interval, timezone, catch-up
// window), each refused with a 400 naming the field.
import type { ScheduleOptions, ScheduleUpdateOptions } from '@temporalio/client';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import type { schedules } from '../db/schema';
import { scheduleWorkflowIdPrefix, type ScheduleRunInput } from '../workflows/contracts';
import { SynclineScheduleId, SynclineTrigger, SynclineWorkspaceId } from '../workflows/search-attributes';
import { cronProblem } from './cron';
import { malformedField } from './errors';

export type ScheduleRow = typeof schedules.$inferSelect;

/** The Temporal Schedule of a schedule row; its workflows are `<this id>-<scheduled time>`. */
export const temporalScheduleId = scheduleWorkflowIdPrefix;
export const TEMPORAL_SCHEDULE_PREFIX = 'syncline-schedule-';

/** The schedule row id behind a Temporal Schedule id, or null for schedules that are not ours. */
export function scheduleIdOf(temporalId: string): number | null {
  const match = /^syncline-schedule-([1-9][0-9]*)$/.exec(temporalId);
  return match ? Number(match[1]) : null;
}

const DURATION = /^(\d+(ms|s|m|h|d))+$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of a Go-style duration ("90s", "1h30m"), or null when it is not one. */
export function durationMs(text: string): number | null {
  if (!DURATION.test(text)) return null;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)(ms|s|m|h|d)/g)) total += Number(amount) * UNIT_MS[unit!]!;
  return total;
}

export function timezoneProblem(timezone: string): string | null {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return null;
  } catch {
    return `"${timezone}" is not an IANA time zone (such as UTC or Europe/Amsterdam)`;
  }
}

/** Throws a 400 naming `path` when Temporal could not read the cron expression. */
export function checkCron(expression: string, path: string): void {
  const problem = cronProblem(expression);
  if (problem) throw malformedField(path, problem);
}

/** Throws a 400 naming the field when a schedule's timing cannot be scheduled. */
export function checkTiming(timing: { cron: string[] | null; interval: string | null; timezone: string; catchupWindow: string }): void {
  const cron = timing.cron ?? [];
  for (const [i, expression] of cron.entries()) checkCron(expression, `cron.${i}`);
  if (timing.interval !== null) {
    const ms = durationMs(timing.interval);
    if (ms === null) throw malformedField('interval', `"${timing.interval}" is not a duration such as 30s, 5m or 2h`);
    if (ms < 1_000) throw malformedField('interval', 'must be at least 1s');
    if (cron.length > 0) throw malformedField('interval', 'give a cron list or an interval, not both');
  } else if (cron.length === 0) {
    throw malformedField('cron', 'give a cron list or an interval');
  }
  const zone = timezoneProblem(timing.timezone);
  if (zone) throw malformedField('timezone', zone);
  const window = durationMs(timing.catchupWindow);
  if (window === null) throw malformedField('catchupWindow', `"${timing.catchupWindow}" is not a duration such as 10m`);
  if (window < 10_000) throw malformedField('catchupWindow', 'must be at least 10s (Temporal’s minimum)');
}

export const OVERLAP: Record<ScheduleRow['overlapPolicy'], ScheduleOverlapPolicy> = {
  SKIP: ScheduleOverlapPolicy.SKIP,
  BUFFER_ONE: ScheduleOverlapPolicy.BUFFER_ONE,
  BUFFER_ALL: ScheduleOverlapPolicy.BUFFER_ALL,
  CANCEL_OTHER: ScheduleOverlapPolicy.CANCEL_OTHER,
  ALLOW_ALL: ScheduleOverlapPolicy.ALLOW_ALL,
};

/** Temporal holds a schedule while it is disabled or paused. */
export const heldInTemporal = (row: ScheduleRow) => !row.enabled || row.paused;
const noteOf = (row: ScheduleRow) => (!row.enabled ? 'disabled in Syncline' : row.paused ? 'paused in Syncline' : 'active');

function parts(row: ScheduleRow, taskQueue: string) {
  const input: ScheduleRunInput = { scheduleId: row.id };
  return {
    spec: {
      ...(row.cron?.length ? { cronExpressions: row.cron } : {}),
      ...(row.interval ? { intervals: [{ every: row.interval }] } : {}),
      timezone: row.timezone,
    },
    action: {
      type: 'startWorkflow' as const,
      workflowType: 'scheduleRunWorkflow',
      taskQueue,
      workflowId: temporalScheduleId(row.id),
      args: [input],
      typedSearchAttributes: [
        { key: SynclineScheduleId, value: String(row.id) },
        { key: SynclineWorkspaceId, value: String(row.workspaceId) },
        { key: SynclineTrigger, value: 'SCHEDULER' },
      ],
    },
    policies: { overlap: OVERLAP[row.overlapPolicy], catchupWindow: row.catchupWindow },
  };
}

export function createOptions(row: ScheduleRow, taskQueue: string): ScheduleOptions {
  return { scheduleId: temporalScheduleId(row.id), ...parts(row, taskQueue), state: { paused: heldInTemporal(row), note: noteOf(row) } };
}

export function updateOptions(row: ScheduleRow, taskQueue: string): ScheduleUpdateOptions {
  return { ...parts(row, taskQueue), state: { paused: heldInTemporal(row), note: noteOf(row) } };
}
