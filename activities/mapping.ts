// OpenConnector-style mappings (seed C.6), compiled once per run into a plain function: every path
// is split, every template parsed and every cast resolved at compile time, so mapping a record is
// property reads, string concatenation and object writes only.
import Ajv, { type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import jsonata from 'jsonata';
import type { JsonObject, JsonValue } from './connectors/types';

export interface MappingDefinition {
  /** Target field (dot path) → plain source path, `{{ path }}` template, `=jsonata` or literal. */
  mapping: Record<string, string>;
  /** Target dot paths removed after mapping. */
  unset?: string[];
  /** Start from a shallow copy of the input; rules then override or add fields. */
  passThrough?: boolean;
  /** Target field (dot path) → comma-separated casts applied in order. */
  casts?: Record<string, string>;
}

export interface CompiledMapping {
  /** Returns a Promise only when `async` is true (some rule is a JSONata expression). */
  (input: JsonObject): JsonObject | Promise<JsonObject>;
  /** Top-level output keys the rules produce (passThrough adds input keys at run time). */
  fields: string[];
  /** JSONata evaluates asynchronously: only mappings that use it pay for a Promise per record. */
  async: boolean;
}

/** One record the mapping or the target schema refused, naming the target field. */
export class MappingError extends Error {
  constructor(
    public readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'MappingError';
  }
}

export class MappingDefinitionError extends Error {
  constructor(
    public readonly field: string,
    message: string,
    /** Which part of the definition is at fault. */
    public readonly part: 'mapping' | 'casts' | 'unset' | 'targetSchema' = 'mapping',
  ) {
    super(message);
    this.name = 'MappingDefinitionError';
  }
}

type Getter = (input: JsonObject) => JsonValue;
type AsyncGetter = (input: JsonObject) => Promise<JsonValue>;
type Cast = (value: JsonValue) => JsonValue;

interface Rule {
  target: string[];
  get: Getter | AsyncGetter;
  async: boolean;
}

const PLAIN_PATH = /^[A-Za-z_$][\w$]*(\.[\w$]+)*$/;
const PLACEHOLDER = /\{\{\s*(.*?)\s*\}\}/g;

/**
 * Compiles a mapping. Steps run in OpenConnector's order: passThrough seed → rules → unset → casts.
 *
 * An empty `mapping` ({}) means identity: the output starts as a copy of the input, exactly as
 * with passThrough, so a task without rules still writes every source field.
 */
export function compileMapping(def: MappingDefinition): CompiledMapping {
  const ruleEntries = Object.entries(def.mapping ?? {});
  const passThrough = def.passThrough === true || ruleEntries.length === 0;

  const unsetPaths = (def.unset ?? []).map((path, i) => splitTargetPath(path, String(i), 'unset'));
  // Removing a whole top-level field is the common case: rather than `delete` on every output
  // (slow in V8), such fields are never written — dropped from the rules and the seed copy.
  const unsetTopLevel = new Set(unsetPaths.filter((path) => path.length === 1).map((path) => path[0]!));
  const unsetNested = unsetPaths.filter((path) => path.length > 1);

  const rules: Rule[] = [];
  for (const [target, source] of ruleEntries) {
    const targetPath = splitTargetPath(target, target);
    const rule = compileRule(target, targetPath, source);
    if (!unsetTopLevel.has(targetPath[0]!)) rules.push(rule);
  }
  const isAsync = rules.some((rule) => rule.async);
  const topLevelRules = rules.filter((rule) => rule.target.length === 1);
  const topLevelKeys = topLevelRules.map((rule) => rule.target[0]!);
  const topLevelGetters = topLevelRules.map((rule) => rule.get as Getter);
  const nestedRules = rules.filter((rule) => rule.target.length > 1);

  const casts = Object.entries(def.casts ?? {}).map(([target, chain]) => ({
    path: splitTargetPath(target, target, 'casts'),
    cast: compileCastChain(target, chain),
  }));

  const seed = !passThrough
    ? (): JsonObject => ({})
    : unsetTopLevel.size === 0
      ? (input: JsonObject): JsonObject => ({ ...input })
      : (input: JsonObject): JsonObject => {
          const output: JsonObject = {};
          for (const key of Object.keys(input)) if (!unsetTopLevel.has(key)) output[key] = input[key]!;
          return output;
        };

  const finish = (output: JsonObject): JsonObject => {
    for (let i = 0; i < unsetNested.length; i++) unsetPath(output, unsetNested[i]!);    for (let i = 0; i < casts.length; i++) {
      const { path, cast } = casts[i]!;
      const current = getPath(output, path);
      // Casts on fields the output does not have are ignored, as in OpenConnector.
      if (current !== undefined) setPath(output, path, cast(current));
    }
    return output;
  };

  const syncMap = (input: JsonObject): JsonObject => {
    const output = seed(input);
    for (let i = 0; i < topLevelKeys.length; i++) output[topLevelKeys[i]!] = topLevelGetters[i]!(input);
    for (let i = 0; i < nestedRules.length; i++) {
      const rule = nestedRules[i]!;
      setPath(output, rule.target, (rule.get as Getter)(input));
    }
    return finish(output);
  };

  // Rules still apply in their written order, so a later rule on the same field wins as it does
  // in the synchronous path.
  const asyncMap = async (input: JsonObject): Promise<JsonObject> => {
    const output = seed(input);
    for (const rule of rules) {
      const value = rule.async ? await (rule.get as AsyncGetter)(input) : (rule.get as Getter)(input);
      setPath(output, rule.target, value);
    }
    return finish(output);
  };

  const fields = [...new Set(rules.map((rule) => rule.target[0]!))];
  return Object.assign(isAsync ? asyncMap : syncMap, { fields, async: isAsync });
}

function compileRule(target: string, targetPath: string[], source: unknown): Rule {
  if (typeof source === 'string' && source.startsWith('=')) {
    return { target: targetPath, get: compileJsonata(target, source.slice(1)), async: true };
  }
  return { target: targetPath, get: compileValue(target, source), async: false };
}

/** `=expression`: parsed once here; a syntax error is a definition error naming the field. */
function compileJsonata(target: string, expression: string): AsyncGetter {
  let compiled: ReturnType<typeof jsonata>;
  try {
    compiled = jsonata(expression);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new MappingDefinitionError(target, `Invalid JSONata expression: ${reason}`);
  }
  return async (input) => {
    let value: unknown;
    try {
      value = await compiled.evaluate(input);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new MappingError(target, `JSONata expression failed: ${reason}`);
    }
    return toJsonValue(value);
  };
}

/** JSONata yields undefined for "no match" and arrays tagged as sequences: keep plain JSON. */
function toJsonValue(value: unknown): JsonValue {
  if (value === undefined) return null;
  if (typeof value === 'function') return null;
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (typeof value === 'object' && value !== null) {
    const out: JsonObject = {};
    for (const [key, item] of Object.entries(value)) out[key] = toJsonValue(item);
    return out;
  }
  return value as JsonValue;
}

function compileValue(target: string, source: unknown): Getter {
  if (typeof source !== 'string') throw new MappingDefinitionError(target, 'The rule must be a string');
  if (PLAIN_PATH.test(source)) {
    // A missing source value still yields the field (as null) so destination columns stay stable.
    const read = compilePathReader(source.split('.'));
    return (input) => read(input) ?? null;
  }
  if (source.includes('{{')) return compileTemplate(target, source);
  return () => source;
}

/** A template always renders a string: missing values render empty, objects as JSON. */
function compileTemplate(target: string, template: string): Getter {
  const literals: string[] = [];
  const readers: Array<(input: JsonObject) => JsonValue | undefined> = [];
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    const expression = match[1]!;
    if (!PLAIN_PATH.test(expression)) {
      throw new MappingDefinitionError(target, `Only plain paths are supported inside {{ }}, got "{{ ${expression} }}"`);
    }
    literals.push(template.slice(last, match.index));
    readers.push(compilePathReader(expression.split('.')));
    last = match.index + match[0].length;
  }
  const tail = template.slice(last);
  if (tail.includes('{{')) throw new MappingDefinitionError(target, 'Unclosed {{ in template');

  return (input) => {
    let out = '';
    for (let i = 0; i < readers.length; i++) out += literals[i]! + renderText(readers[i]!(input));
    return out + tail;
  };
}

function renderText(value: JsonValue | undefined): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

// Names an input could inherit from Object.prototype or Array.prototype ("constructor",
// "toString", ...): only for these does a read check own properties, so a path such as
// "constructor" reads the record's field (or nothing), never a function.
const INHERITED_NAMES = new Set([
  ...Object.getOwnPropertyNames(Object.prototype),
  ...Object.getOwnPropertyNames(Array.prototype).filter((name) => name !== 'length'),
]);

function compileStep(key: string): (container: object) => JsonValue | undefined {
  if (INHERITED_NAMES.has(key)) {
    return (container) => (Object.hasOwn(container, key) ? (container as Record<string, JsonValue>)[key] : undefined);
  }
  return (container) => (container as Record<string, JsonValue>)[key];
}

/** Reads a pre-split path; undefined when any step is missing or not an object/array. */
function compilePathReader(segments: string[]): (input: JsonObject) => JsonValue | undefined {
  const steps = segments.map(compileStep);
  if (steps.length === 1) {
    const [step] = steps as [ReturnType<typeof compileStep>];
    return (input) => step(input);
  }
  return (input) => {
    let current: JsonValue | undefined = input;
    for (let i = 0; i < steps.length; i++) {
      if (typeof current !== 'object' || current === null) return undefined;
      current = steps[i]!(current);
    }
    return current;
  };
}

function splitTargetPath(path: string, field: string, part: MappingDefinitionError['part'] = 'mapping'): string[] {
  if (typeof path !== 'string' || path === '') throw new MappingDefinitionError(field, 'A target path must be a non-empty string', part);
  const segments = path.split('.');
  if (segments.some((segment) => segment === '')) throw new MappingDefinitionError(field, `Invalid path "${path}"`, part);
  if (segments.some((segment) => segment === '__proto__')) throw new MappingDefinitionError(field, `Invalid path "${path}"`, part);
  return segments;
}

function getPath(root: JsonObject, path: string[]): JsonValue | undefined {
  let current: JsonValue | undefined = root;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, JsonValue>)[segment];
  }
  return current;
}

// Nested containers in the output may be the input's own objects (passThrough seed, copied
// values), so nested writes and deletes copy each container on the way down instead of
// mutating it: mapping never changes its input.
function setPath(root: JsonObject, path: string[], value: JsonValue): void {
  let container: Record<string, JsonValue> | JsonValue[] = root;
  const last = path.length - 1;
  for (let i = 0; i < last; i++) {
    const segment = path[i]!;
    const child: JsonValue | undefined = (container as Record<string, JsonValue>)[segment];
    const copy: Record<string, JsonValue> | JsonValue[] = Array.isArray(child)
      ? [...child]
      : typeof child === 'object' && child !== null && Object.hasOwn(container, segment)
        ? { ...child }
        : {};
    (container as Record<string, JsonValue>)[segment] = copy;
    container = copy;
  }
  (container as Record<string, JsonValue>)[path[last]!] = value;
}

function unsetPath(root: JsonObject, path: string[]): void {
  if (getPath(root, path) === undefined) return;
  let container: Record<string, JsonValue> | JsonValue[] = root;
  const last = path.length - 1;
  for (let i = 0; i < last; i++) {
    const child = (container as Record<string, JsonValue>)[path[i]!] as Record<string, JsonValue> | JsonValue[];
    const copy = Array.isArray(child) ? [...child] : { ...child };
    (container as Record<string, JsonValue>)[path[i]!] = copy;
    container = copy;
  }
  // Splice array elements out so the array stays a list (a hole would serialise as null).
  if (Array.isArray(container)) container.splice(Number(path[last]), 1);
  else delete container[path[last]!];
}

// ---- casts ----------------------------------------------------------------------------------

/** Marks "stop the chain here": nullable met a null-like value. */
const STOP = Symbol('stop');

const CASTS: Record<string, Cast> = {
  integer: (value) => {
    const number = toNumber(value);
    return number === null ? null : Math.trunc(number);
  },
  float: (value) => toNumber(value),
  boolean: (value) => {
    if (typeof value === 'boolean') return value;
    if (value === null || typeof value === 'object') return false;
    const text = String(value).trim().toLowerCase();
    return text === '1' || text === 'true' || text === 'yes';
  },
  string: (value) => renderText(value),
  json: (value) => JSON.stringify(value),
  date: (value) => {
    const date = toDate(value);
    if (date === null) return null;
    // "2024-05-01T00:30:00+02:00" is 1 May where it was written; converting to UTC first would
    // make it 30 April. Keep the calendar date as written when the string starts with one.
    if (typeof value === 'string' && startsWithCalendarDate(value)) return value.slice(0, 10);
    return date.toISOString().slice(0, 10);
  },
  datetime: (value) => {
    const date = toDate(value);
    return date === null ? null : date.toISOString();
  },
};
const CAST_ALIASES: Record<string, string> = { int: 'integer', bool: 'boolean', number: 'float' };

/**
 * Casts that cannot produce a value (integer of "abc", date of "soon") give null rather than a
 * made-up 0 or epoch. `nullable` keeps null, undefined and '' as null and skips the rest of the
 * chain, which matters for string, boolean and json ("nullable,string" keeps null; "string" gives '').
 */
function compileCastChain(field: string, chain: unknown): Cast {
  if (typeof chain !== 'string') throw new MappingDefinitionError(field, 'A cast must be a comma-separated string', 'casts');
  const steps: Array<Cast | typeof STOP> = chain
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '')
    .map((name) => {
      if (name === 'nullable') return STOP;
      const cast = CASTS[CAST_ALIASES[name] ?? name];
      if (!cast) throw new MappingDefinitionError(field, `Unknown cast "${name}"`, 'casts');
      return cast;
    });
  return (value) => {
    let current = value;
    for (const step of steps) {
      if (step === STOP) {
        if (current === null || current === '') return null;
        continue;
      }
      current = step(current);
    }
    return current;
  };
}

function toNumber(value: JsonValue): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value !== 'string' || value.trim() === '') return null;
  const number = Number(value.trim());
  return Number.isFinite(number) ? number : null;
}

/** Numbers are epoch milliseconds; strings anything Date understands (ISO 8601 first of all). */
function toDate(value: JsonValue): Date | null {
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  if (typeof value === 'string' && value.trim() === '') return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

function startsWithCalendarDate(text: string): boolean {
  if (text.length < 10 || text[4] !== '-' || text[7] !== '-') return false;
  for (const index of [0, 1, 2, 3, 5, 6, 8, 9]) {
    const code = text.charCodeAt(index);
    if (code < 48 || code > 57) return false;
  }
  return true;
}

// ---- target schema ------------------------------------------------------------------------

export interface SchemaProblem {
  /** Dot path of the field at fault ("" for the whole object). */
  path: string;
  message: string;
}

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);

/**
 * Compiles a register's JSON Schema once per run into a checker that names the field at fault:
 * "schema does not allow field X", "required field Y missing", "field Z must be string".
 */
export function compileTargetSchema(schema: Record<string, unknown>): (value: Record<string, unknown>) => SchemaProblem[] {
  let validate: ReturnType<Ajv['compile']>;
  try {
    validate = ajv.compile(schema);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new MappingDefinitionError('targetSchema', `Invalid JSON Schema: ${reason}`, 'targetSchema');
  }
  return (value) => {
    if (validate(value)) return [];
    return (validate.errors ?? []).map(describeSchemaError);
  };
}

function describeSchemaError(error: ErrorObject): SchemaProblem {
  const base = error.instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
  const join = (extra?: string) => [...base, ...(extra === undefined ? [] : [extra])].join('.');
  if (error.keyword === 'additionalProperties') {
    const field = join(String((error.params as { additionalProperty: string }).additionalProperty));
    return { path: field, message: `schema does not allow field ${field}` };
  }
  if (error.keyword === 'required') {
    const field = join(String((error.params as { missingProperty: string }).missingProperty));
    return { path: field, message: `required field ${field} missing` };
  }
  const field = join();
  return { path: field, message: field === '' ? `object ${error.message ?? 'is invalid'}` : `field ${field} ${error.message ?? 'is invalid'}` };
}
