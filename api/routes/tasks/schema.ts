import { z } from '@hono/zod-openapi';
import { FILTER_OPS, type tasks, type TaskFilter } from '../../../db/schema';
import { invalidField } from '../../errors';
import { EntityRunSchema } from '../../schemas';
import { formatReplicateQuery, parseReplicateQuery, ReplicateQueryError } from '../../replicate-query';

const PLAIN_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const TARGET_ENTITY_RULE = 'must be a plain SQL identifier (the destination table)';

/** Create and update take the same body: the structured fields, or `query` spelling source, target, columns and filter. */
export const TaskBody = z
  .object({
    query: z
      .string()
      .min(1)
      .max(10_000)
      .optional()
      .openapi({
        description: "REPLICATE [Target] SELECT * | col, ... FROM [Source] [WHERE col op 'value' | number]; fills sourceEntity and targetEntity",
        example: "REPLICATE [accounts] SELECT id, name FROM [/accounts] WHERE score > 50",
      }),
    sourceEntity: z.string().min(1).max(2000).optional().openapi({ description: 'Source entity: a path under the source baseUrl, a table, a file', example: '/accounts' }),
    targetEntity: z.string().regex(PLAIN_IDENTIFIER, TARGET_ENTITY_RULE).optional(),
    mappingId: z.number().int().positive().optional(),
    idField: z.string().min(1).default('id'),
    resultsPosition: z.string().min(1).optional().openapi({ description: 'Dot path to the records in a response, or "_root"', example: 'data.items' }),
    incrementalField: z.string().min(1).optional(),
    isActive: z.boolean().default(true),
    index: z.number().int().min(0).optional().openapi({ description: 'Position in the job (0-based); later tasks shift. Default: last' }),
  })
  .strict()
  .superRefine((task, ctx) => {
    if (task.query !== undefined) return;
    for (const field of ['sourceEntity', 'targetEntity'] as const) {
      if (task[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'required unless query is given' });
    }
  });

export type TaskBodyInput = z.infer<typeof TaskBody>;

const FilterSchema = z.object({ field: z.string(), op: z.enum(FILTER_OPS), value: z.union([z.string(), z.number()]) }).openapi('TaskFilter');

export const TaskSchema = z
  .object({
    id: z.number().int(),
    jobId: z.number().int(),
    index: z.number().int(),
    query: z.string().openapi({ description: 'The task as a REPLICATE query (the one given, else spelled from the fields)' }),
    sourceEntity: z.string(),
    targetEntity: z.string(),
    columns: z.array(z.string()).nullable().openapi({ description: 'Source fields kept (the SELECT list); null keeps all' }),
    filter: FilterSchema.nullable().openapi({ description: 'Records kept (the WHERE clause); null keeps all' }),
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
    query: row.query ?? formatReplicateQuery({ targetEntity: row.targetEntity, sourceEntity: row.sourceEntity, columns: row.columns, filter: row.filter }),
    sourceEntity: row.sourceEntity,
    targetEntity: row.targetEntity,
    columns: row.columns,
    filter: row.filter,
    mappingId: row.mappingId,
    idField: row.idField,
    resultsPosition: row.resultsPosition,
    incrementalField: row.incrementalField,
    isActive: row.isActive,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export interface TaskColumns {
  query: string | null;
  sourceEntity: string;
  targetEntity: string;
  columns: string[] | null;
  filter: TaskFilter | null;
  mappingId: number | null;
  idField: string;
  resultsPosition: string | null;
  incrementalField: string | null;
  isActive: boolean;
}

/**
 * The task's stored fields from a validated body: a query is parsed into source, target, columns
 * and filter. A structured field given next to a query must agree with it (422 naming the field).
 */
export function taskColumns(body: TaskBodyInput): TaskColumns {
  const rest = {
    mappingId: body.mappingId ?? null,
    idField: body.idField,
    resultsPosition: body.resultsPosition ?? null,
    incrementalField: body.incrementalField ?? null,
    isActive: body.isActive,
  };
  if (body.query === undefined) {
    // The body schema requires both when no query is given.
    return { ...rest, query: null, sourceEntity: body.sourceEntity!, targetEntity: body.targetEntity!, columns: null, filter: null };
  }
  let parsed;
  try {
    parsed = parseReplicateQuery(body.query);
  } catch (err) {
    if (err instanceof ReplicateQueryError) throw invalidField('query', err.message);
    throw err;
  }
  if (!PLAIN_IDENTIFIER.test(parsed.targetEntity)) throw invalidField('query', `target entity "${parsed.targetEntity}" ${TARGET_ENTITY_RULE}`);
  for (const field of ['sourceEntity', 'targetEntity'] as const) {
    if (body[field] !== undefined && body[field] !== parsed[field]) {
      throw invalidField(field, `"${body[field]}" conflicts with the query, which names "${parsed[field]}"`);
    }
  }
  return { ...rest, query: body.query, ...parsed };
}

/** One entity run of a task: its share of a run, with the run's id. */
export const TaskRunSchema = EntityRunSchema.extend({ runId: z.string().uuid() }).openapi('TaskRun');
