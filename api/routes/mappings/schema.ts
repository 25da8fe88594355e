import { z } from '@hono/zod-openapi';
import type { JsonObject } from '../../../activities/connectors/types';
import { compileMapping, compileTargetSchema, MappingDefinitionError, MappingError, type SchemaProblem } from '../../../activities/mapping';
import type { mappings } from '../../../db/schema';
import { invalidField } from '../../errors';

export const MappingBody = z
  .object({
    workspaceId: z.number().int().positive(),
    name: z.string().trim().min(1).max(200),
    mapping: z.record(z.string().min(1), z.string()).openapi({
      description: 'targetField → "source.path" (copies the value with its type) | "{{ a }} {{ b }}" (renders a string) | "=jsonata expression"',
      example: { id: 'id', fullName: '{{ first }} {{ last }}' },
    }),
    casts: z.record(z.string().min(1), z.string().min(1)).optional(),
    unset: z.array(z.string().min(1)).optional(),
    passThrough: z.boolean().default(false),
    targetSchema: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export type MappingBodyInput = z.infer<typeof MappingBody>;

type MappingRules = Pick<MappingBodyInput, 'mapping' | 'casts' | 'unset' | 'passThrough' | 'targetSchema'>;

/** Compiling is the validation: a rule the engine cannot run is a 422 naming its field. */
export function validateMappingRules(body: MappingRules) {
  try {
    const map = compileMapping({ mapping: body.mapping, casts: body.casts, unset: body.unset, passThrough: body.passThrough });
    const check = body.targetSchema ? compileTargetSchema(body.targetSchema) : () => [];
    return { map, check };
  } catch (err) {
    if (err instanceof MappingDefinitionError) {
      if (err.part === 'targetSchema') throw invalidField('targetSchema', err.message);
      throw invalidField(`${err.part}.${err.field}`, err.message);
    }
    throw err;
  }
}

export const MappingTestResult = z
  .object({
    output: z.record(z.string(), z.unknown()).nullable(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })),
  })
  .openapi('MappingTestResult');

/** Maps one input as a run would: the mapping, then the target schema. Record-level failures are answers, not HTTP errors. */
export async function runMappingTest(rules: MappingRules, input: JsonObject): Promise<z.infer<typeof MappingTestResult>> {
  const { map, check } = validateMappingRules(rules);
  let output: JsonObject;
  try {
    output = await map(input);
  } catch (err) {
    if (err instanceof MappingError) return { output: null, errors: [{ path: err.field, message: err.message }] };
    throw err;
  }
  const errors: SchemaProblem[] = check(output);
  return { output, errors };
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
