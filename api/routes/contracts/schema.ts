import { z } from '@hono/zod-openapi';
import type { contracts } from '../../../db/schema';

export const ContractSchema = z
  .object({
    id: z.number().int(),
    taskId: z.number().int(),
    originId: z.string(),
    targetId: z.string().nullable(),
    originHash: z.string(),
    targetHash: z.string().nullable(),
    lastSeenAt: z.string(),
    lastSyncedAt: z.string().nullable(),
    lastRunId: z.string().nullable(),
    lastAction: z.enum(['create', 'update', 'delete']).nullable(),
  })
  .openapi('Contract');

export function contractView(row: typeof contracts.$inferSelect): z.infer<typeof ContractSchema> {
  return {
    id: row.id,
    taskId: row.taskId,
    originId: row.originId,
    targetId: row.targetId,
    originHash: row.originHash,
    targetHash: row.targetHash,
    lastSeenAt: row.lastSeenAt.toISOString(),
    lastSyncedAt: row.lastSyncedAt?.toISOString() ?? null,
    lastRunId: row.lastRunId,
    lastAction: row.lastAction,
  };
}
