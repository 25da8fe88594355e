import { z } from '@hono/zod-openapi';
import type { tasks } from '../../../db/schema';

export const TaskBody = z
  .object({
    sourceEntity: z.string().min(1).max(2000).openapi({ description: 'Source entity: a path under the source baseUrl, a table, a file', example: '/accounts' }),
    targetEntity: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'must be a plain SQL identifier (the destination table)'),
    mappingId: z.number().int().positive().optional(),
    idField: z.string().min(1).default('id'),
    resultsPosition: z.string().min(1).optional().openapi({ description: 'Dot path to the records in a response, or "_root"', example: 'data.items' }),
    incrementalField: z.string().min(1).optional(),
    isActive: z.boolean().default(true),
    index: z.number().int().min(0).optional(),
  })
  .strict();

export const TaskSchema = z
  .object({
    id: z.number().int(),
    jobId: z.number().int(),
    index: z.number().int(),
    sourceEntity: z.string(),
    targetEntity: z.string(),
    mappingId: z.number().int().nullable(),
    idField: z.string(),
    resultsPosition: z.string().nullable(),
    incrementalField: z.string().nullable(),
    isActive: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Task');

export function taskView(row: typeof tasks.$inferSelect): z.infer<typeof TaskSchema> {
  return {
    id: row.id,
    jobId: row.jobId,
    index: row.index,
    sourceEntity: row.sourceEntity,
    targetEntity: row.targetEntity,
    mappingId: row.mappingId,
    idField: row.idField,
    resultsPosition: row.resultsPosition,
    incrementalField: row.incrementalField,
    isActive: row.isActive,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
