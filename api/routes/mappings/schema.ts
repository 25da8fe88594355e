import { z } from '@hono/zod-openapi';
import { compileMapping, MappingDefinitionError } from '../../../activities/mapping';
import type { mappings } from '../../../db/schema';
import { invalidField } from '../../errors';

export const MappingBody = z
  .object({
    workspaceId: z.number().int().positive(),
    name: z.string().trim().min(1).max(200),
    mapping: z.record(z.string().min(1), z.string()).openapi({
      description: 'targetField → "source.path" (copies the value with its type) | "{{ a }} {{ b }}" (renders a string)',
      example: { id: 'id', fullName: '{{ first }} {{ last }}' },
    }),
    casts: z.record(z.string().min(1), z.string().min(1)).optional(),
    unset: z.array(z.string().min(1)).optional(),
    passThrough: z.boolean().default(false),
    targetSchema: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export type MappingBodyInput = z.infer<typeof MappingBody>;

/** Compiling is the validation: a rule the engine cannot run is a 422 naming its field. */
export function validateMappingRules(body: Pick<MappingBodyInput, 'mapping' | 'casts' | 'unset' | 'passThrough'>): void {
  try {
    compileMapping({ mapping: body.mapping, casts: body.casts, unset: body.unset, passThrough: body.passThrough });
  } catch (err) {
    if (err instanceof MappingDefinitionError) {
      const where = body.casts && err.field in body.casts && !(err.field in body.mapping) ? 'casts' : 'mapping';
      throw invalidField(`${where}.${err.field}`, err.message);
    }
    throw err;
  }
}

export const MappingSchema = z
  .object({
    id: z.number().int(),
    workspaceId: z.number().int(),
    name: z.string(),
    mapping: z.record(z.string(), z.string()),
    casts: z.record(z.string(), z.string()).nullable(),
    unset: z.array(z.string()).nullable(),
    passThrough: z.boolean(),
    targetSchema: z.record(z.string(), z.unknown()).nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Mapping');

export function mappingView(row: typeof mappings.$inferSelect): z.infer<typeof MappingSchema> {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    name: row.name,
    mapping: row.rules,
    casts: row.casts,
    unset: row.unset,
    passThrough: row.passThrough,
    targetSchema: row.targetSchema,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
