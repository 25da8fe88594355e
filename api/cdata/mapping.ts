// Pure translation between the CData Sync V2 wire format (snake_case, string ids, the
// documentation's capitalised spellings) and the native /api/v1 bodies. The native schemas stay
// the single source of truth: field names, enum values and scalar kinds are read from them.
import type { z } from '@hono/zod-openapi';
import { invalidField } from '../errors';
import { JobBody } from '../routes/jobs/schema';
import { TaskBody } from '../routes/tasks/schema';

export type JsonObject = Record<string, unknown>;

/** Native dotted path (as a native error names it) → the key the client sent at that spot. */
export type Aliases = Map<string, string>;

export const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `source_connection_id`, `Source-Connection-Id`, `SourceConnectionId`, `Use_GMT_DateTime` → one spelling. */
export const normalizeKey = (key: string) => key.toLowerCase().replace(/[^a-z0-9]/g, '');

/** `useGmtDateTime` → `use_gmt_date_time`; `entityRuns` → `entity_runs`. */
export function camelToSnake(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

/** Every object key, at any depth, in snake_case: native responses as the CData client reads them. */
export function toSnakeDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toSnakeDeep);
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [camelToSnake(k), toSnakeDeep(v)]));
  return value;
}

// ---- native field kinds, read from the schemas ----------------------------------------------

interface FieldKind {
  type: string;
  enumValues?: string[];
  elementType?: string;
}

interface DefLike {
  type: string;
  innerType?: { _zod: { def: DefLike } };
  entries?: Record<string, string | number>;
  element?: { _zod: { def: DefLike } };
}

function kindOf(schema: z.ZodType): FieldKind {
  let def = (schema as unknown as { _zod: { def: DefLike } })._zod.def;
  while (def.innerType && ['optional', 'default', 'nullable', 'prefault', 'readonly', 'catch'].includes(def.type)) def = def.innerType._zod.def;
  if (def.type === 'enum') return { type: 'enum', enumValues: Object.values(def.entries ?? {}).map(String) };
  if (def.type === 'array') return { type: 'array', ...(def.element ? { elementType: def.element._zod.def.type } : {}) };
  return { type: def.type };
}

type Fields = Map<string, { name: string; kind: FieldKind }>;

function fieldsOf(shape: Record<string, z.ZodType>): Fields {
  return new Map(Object.entries(shape).map(([name, schema]) => [normalizeKey(name), { name, kind: kindOf(schema) }]));
}

export const JOB_FIELDS: Fields = fieldsOf(JobBody.shape as Record<string, z.ZodType>);
export const TASK_FIELDS: Fields = fieldsOf(TaskBody.shape as Record<string, z.ZodType>);
const MOVE_FIELDS: Fields = new Map([
  ['fromindex', { name: 'fromIndex', kind: { type: 'number' } }],
  ['toindex', { name: 'toIndex', kind: { type: 'number' } }],
]);
const EXECUTE_FIELDS: Fields = new Map([
  ['tasks', { name: 'tasks', kind: { type: 'array' } }],
  ['dryrun', { name: 'dryRun', kind: { type: 'boolean' } }],
]);
const SCHEDULE_FIELDS: Fields = new Map([
  ['enabled', { name: 'enabled', kind: { type: 'boolean' } }],
  ['cron', { name: 'cron', kind: { type: 'string' } }],
]);

/** The names the CData job page prints for the connections: `Source-Connection`, `Destination-Connection`. */
const JOB_KEY_ALIASES: Record<string, string> = { sourceconnection: 'sourceConnectionId', destinationconnection: 'destinationConnectionId' };

/**
 * Lenient scalars, as CData V1 clients send them: "true"/"false" for booleans, digit strings for
 * integers, enum values in any case, a comma-separated string for a list. Anything else is left
 * for the native schema to refuse.
 */
function coerce(value: unknown, kind: FieldKind): unknown {
  if (typeof value !== 'string') return value;
  switch (kind.type) {
    case 'boolean':
      return /^(true|false)$/i.test(value.trim()) ? value.trim().toLowerCase() === 'true' : value;
    case 'number':
      return /^-?\d+$/.test(value.trim()) && Number.isSafeInteger(Number(value.trim())) ? Number(value.trim()) : value;
    case 'enum':
      return kind.enumValues?.find((option) => option.toLowerCase() === value.trim().toLowerCase()) ?? value;
    case 'array':
      return kind.elementType === 'string'
        ? value
            .split(/[,;]/)
            .map((part) => part.trim())
            .filter((part) => part !== '')
        : value;
    default:
      return value;
  }
}

/**
 * Renames the client's keys to the native ones (case, `_`, `-` and spaces ignored) and coerces
 * lenient scalars. Keys that name no native field pass through unchanged, so the native strict
 * schema refuses them under the name the client used. Two keys for one field: 422 naming the second.
 */
export function renameKeys(input: JsonObject, fields: Fields, aliases: Aliases, opts: { prefix?: string; keyAliases?: Record<string, string>; skip?: Set<string> } = {}): JsonObject {
  const out: JsonObject = {};
  const seen = new Map<string, string>();
  for (const [key, value] of Object.entries(input)) {
    const norm = normalizeKey(key);
    if (opts.skip?.has(norm)) continue;
    const target = opts.keyAliases?.[norm] ?? fields.get(norm)?.name;
    if (target === undefined) {
      out[key] = value;
      continue;
    }
    const earlier = seen.get(target);
    if (earlier !== undefined) throw invalidField(`${opts.prefix ?? ''}${key}`, `names the same field as "${earlier}"; give it once`);
    seen.set(target, key);
    aliases.set(`${opts.prefix ?? ''}${target}`, key);
    const kind = fields.get(normalizeKey(target))?.kind;
    out[target] = kind ? coerce(value, kind) : value;
  }
  return out;
}

/** The first key of `input` that normalises to `norm`, if any. */
export const findKey = (input: JsonObject, norm: string) => Object.keys(input).find((key) => normalizeKey(key) === norm);

// ---- jobs -------------------------------------------------------------------------------------

export type ConnectionResolver = (value: unknown, clientKey: string) => Promise<unknown>;

export interface JobTranslation {
  body: JsonObject;
  aliases: Aliases;
  /** `queries` on create: one REPLICATE query per task, in order. */
  queries?: { key: string; list: string[] };
}

/**
 * A CData job body → the native fields it gives (not yet a whole native body: update merges it
 * over the current job). Connection references go through `resolve` (ids, digit strings, names).
 */
export async function translateJobBody(input: JsonObject, resolve: ConnectionResolver, opts: { allowQueries: boolean }): Promise<JobTranslation> {
  const aliases: Aliases = new Map();
  const skip = new Set(['cron', ...(opts.allowQueries ? ['queries'] : [])]);
  const body = renameKeys(input, JOB_FIELDS, aliases, { keyAliases: JOB_KEY_ALIASES, skip });

  if (isObject(body.schedule)) body.schedule = renameKeys(body.schedule, SCHEDULE_FIELDS, aliases, { prefix: 'schedule.' });
  // The page also lists `Cron` beside `Schedule`: it is the schedule's cron string.
  const cronKey = findKey(input, 'cron');
  if (cronKey !== undefined) {
    const schedule = isObject(body.schedule) ? body.schedule : {};
    body.schedule = { enabled: false, ...schedule, cron: input[cronKey] };
    aliases.set('schedule.cron', cronKey);
  }

  for (const field of ['sourceConnectionId', 'destinationConnectionId'] as const) {
    if (field in body) body[field] = await resolve(body[field], aliases.get(field) ?? camelToSnake(field));
  }

  const translation: JobTranslation = { body, aliases };
  const queriesKey = opts.allowQueries ? findKey(input, 'queries') : undefined;
  if (queriesKey !== undefined) {
    const raw = input[queriesKey];
    const list = typeof raw === 'string' ? [raw] : raw;
    if (!Array.isArray(list)) throw invalidField(queriesKey, 'must be a list of REPLICATE queries');
    list.forEach((query, i) => {
      if (typeof query !== 'string' || query.trim() === '') throw invalidField(`${queriesKey}.${i}`, 'must be a REPLICATE query string');
    });
    translation.queries = { key: queriesKey, list: list as string[] };
  }
  return translation;
}

/** A native job view → the whole native body it was made from (what PUT replaces). */
export function jobBodyOf(view: JsonObject): JsonObject {
  const body: JsonObject = {};
  for (const { name } of JOB_FIELDS.values()) if (view[name] !== undefined && view[name] !== null) body[name] = view[name];
  return body;
}

/**
 * An empty cron means no cron; a schedule neither enabled nor timed, or null, means no schedule
 * (the seed update `{ "enabled": false, "cron": "" }` turns the schedule off).
 */
export function settleSchedule(body: JsonObject): JsonObject {
  if (body.schedule === null) {
    const { schedule: _none, ...rest } = body;
    return rest;
  }
  if (!isObject(body.schedule)) return body;
  const schedule = { ...body.schedule };
  if (typeof schedule.cron === 'string' && schedule.cron.trim() === '') delete schedule.cron;
  const { schedule: _old, ...rest } = body;
  if (schedule.enabled === false && schedule.cron === undefined && Object.keys(schedule).length === 1) return rest;
  return { ...rest, schedule };
}

// ---- tasks, move, execute ---------------------------------------------------------------------

export function translateTaskBody(input: JsonObject): { body: JsonObject; aliases: Aliases } {
  const aliases: Aliases = new Map();
  return { body: renameKeys(input, TASK_FIELDS, aliases), aliases };
}

export function translateMoveBody(input: JsonObject): { body: JsonObject; aliases: Aliases } {
  const aliases: Aliases = new Map();
  return { body: renameKeys(input, MOVE_FIELDS, aliases), aliases };
}

/**
 * A task id no native integer can hold: it is sent as this id, which no task has, so the native
 * handler answers its own 400 for it in its own order; the answer then names the id as sent.
 */
export const OUT_OF_RANGE_TASK_ID = Number.MAX_SAFE_INTEGER;

export interface ExecuteTranslation {
  body: JsonObject;
  aliases: Aliases;
  /** Index in `tasks` → the id as sent, for ids beyond Number.MAX_SAFE_INTEGER. */
  outOfRange: Map<number, string>;
}

/** `{ tasks: ["870237973789151200", 12] }`: digit strings → numbers, ids too large → placeholder. */
export function translateExecuteBody(input: JsonObject): ExecuteTranslation {
  const aliases: Aliases = new Map();
  const body = renameKeys(input, EXECUTE_FIELDS, aliases);
  const outOfRange = new Map<number, string>();
  if (Array.isArray(body.tasks)) {
    body.tasks = body.tasks.map((id: unknown, i) => {
      if (typeof id !== 'string' || !/^\d+$/.test(id.trim())) return id;
      const n = Number(id.trim());
      if (Number.isSafeInteger(n)) return n;
      outOfRange.set(i, id);
      return OUT_OF_RANGE_TASK_ID;
    });
  }
  return { body, aliases, outOfRange };
}

// ---- errors -----------------------------------------------------------------------------------

/** A native error path (`sourceConnectionId`, `schedule.enabled`, `tasks.2`) as the client spells it. */
export function clientPath(path: string, aliases: Aliases): string {
  if (path === '(body)') return path;
  const segments = path.split('.');
  return segments
    .map((segment, i) => {
      const nativePrefix = segments.slice(0, i + 1).join('.');
      return aliases.get(nativePrefix) ?? (/^\d+$/.test(segment) ? segment : camelToSnake(segment));
    })
    .join('.');
}

interface Problem extends JsonObject {
  detail?: unknown;
  errors?: unknown;
}

/**
 * A native problem body with its field paths as the client spells them. The detail, when it is
 * the native list of `path: message`, is rebuilt from the rewritten errors.
 */
export function rewriteProblem(problem: Problem, aliases: Aliases, message?: (error: { path: string; message: string }) => string): Problem {
  if (!Array.isArray(problem.errors)) return problem;
  const errors = problem.errors as { path: string; message: string }[];
  const spelled = (list: { path: string; message: string }[]) => list.map((e) => `${e.path}: ${e.message}`).join('; ');
  const rewritten = errors.map((e) => ({ ...e, path: clientPath(e.path, aliases), message: message?.(e) ?? e.message }));
  const detail = problem.detail === spelled(errors) ? spelled(rewritten) : problem.detail;
  return { ...problem, detail, errors: rewritten };
}
