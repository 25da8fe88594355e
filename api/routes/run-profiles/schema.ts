import { z } from '@hono/zod-openapi';
import type { runProfiles } from '../../../db/schema';

export const RUN_TYPES = ['FullImport', 'DeltaImport', 'FullSynchronisation', 'DeltaSynchronisation', 'Export'] as const;

export const RunProfileBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    runType: z.enum(RUN_TYPES),
    pageSize: z.number().int().min(1).max(10_000).default(100),
    partitionName: z.string().min(1).max(2000).nullable().optional().openapi({ description: 'Only the tasks whose source entity is this one' }),
    filePath: z.string().min(1).max(2000).nullable().optional().openapi({ description: 'File connected systems: the file to import' }),
  })
  .strict();

export const RunProfileSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    connectedSystemId: z.number().int(),
    runType: z.enum(RUN_TYPES),
    pageSize: z.number().int(),
    partitionName: z.string().nullable(),
    filePath: z.string().nullable(),
  })
  .openapi('RunProfile');

export function runProfileView(row: typeof runProfiles.$inferSelect): z.infer<typeof RunProfileSchema> {
  return {
    id: row.id,
    name: row.name,
    connectedSystemId: row.connectedSystemId,
    runType: row.runType,
    pageSize: row.pageSize,
    partitionName: row.partitionName,
    filePath: row.filePath,
  };
}

export const ProfileParams = z.object({
  id: z.coerce.number().int().positive().openapi({ param: { name: 'id', in: 'path' } }),
  runProfileId: z.coerce.number().int().positive().openapi({ param: { name: 'runProfileId', in: 'path' } }),
});
