// Reads a run's workflow histories (following continue-as-new) and measures their payloads.
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;

export async function workflowHistories(client: Client, workflowId: string, firstRunId: string): Promise<History[]> {
  const histories: History[] = [];
  let runId: string | null | undefined = firstRunId;
  while (runId) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    histories.push(history);
    const last = history.events?.at(-1);
    runId = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
  }
  return histories;
}

/** Size in bytes of the largest payload (data plus metadata) anywhere in the history. */
export function largestPayloadBytes(history: History): number {
  let largest = 0;
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object' || node instanceof Uint8Array) return;
    const candidate = node as { data?: unknown; metadata?: unknown };
    if (candidate.data instanceof Uint8Array && candidate.metadata && typeof candidate.metadata === 'object') {
      const meta = Object.values(candidate.metadata as Record<string, Uint8Array>).reduce((n, v) => n + (v?.byteLength ?? 0), 0);
      largest = Math.max(largest, candidate.data.byteLength + meta);
      return;
    }
    for (const value of Object.values(node)) visit(value);
  };
  visit(history);
  return largest;
}

export function eventCount(history: History): number {
  return history.events?.length ?? 0;
}

/** The activities a history scheduled, in order, with their first argument decoded (JSON payloads). */
export function scheduledActivities(history: History): { eventId: number; type: string; args: Record<string, unknown> }[] {
  return (history.events ?? []).flatMap((event) => {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (!scheduled) return [];
    const data = scheduled.input?.payloads?.[0]?.data;
    const args = data ? (JSON.parse(Buffer.from(data).toString('utf8')) as Record<string, unknown>) : {};
    return [{ eventId: Number(event.eventId), type: scheduled.activityType?.name ?? '', args }];
  });
}

/** The result of the activity scheduled by event `scheduledEventId`, once it completed. */
export function completedResult(history: History, scheduledEventId: number): Record<string, unknown> | undefined {
  const completed = (history.events ?? []).find((e) => Number(e.activityTaskCompletedEventAttributes?.scheduledEventId ?? 0) === scheduledEventId);
  const data = completed?.activityTaskCompletedEventAttributes?.result?.payloads?.[0]?.data;
  return data && data.length > 0 ? (JSON.parse(Buffer.from(data).toString('utf8')) as Record<string, unknown>) : undefined;
}
