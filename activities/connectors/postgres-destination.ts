// PostgreSQL as a destination: creates the target table when missing (one column per mapped
// field plus the key Syncline merges on), and merges rows in one statement that leaves rows
// whose values did not change untouched. The job's table options decide whether an existing
// table gains columns (alterSchema), whether over-long strings are cut (autoTruncateStrings), and
// whether a source deletion deletes the row or flags it (deletionBehavior).
import { openPool, SESSION_SETTINGS, type PoolOptions, type Sql } from '../../db/client';
import { copyField, copyJsonField, copyRows } from '../../db/copy';
import { SyncError } from '../errors';
import type { JsonObject, JsonValue } from './types';

export interface PostgresConnectionConfig {
  host: string;
  port?: number;
  database: string;
  user: string;
  schema?: string;
  ssl?: boolean;
}

/** Primary key of every destination table: the origin id of the object. */
export const KEY_COLUMN = '_syncline_id';
const KEY_JSON = JSON.stringify(KEY_COLUMN);
/** When Syncline last wrote the row; unchanged rows keep theirs. */
export const SYNCED_AT_COLUMN = '_syncline_synced_at';

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Set on a row whose object was deleted at the source, with deletionBehavior SoftDelete. */
export const DELETED_COLUMN = '_syncline_deleted';
/** When the row's object was deleted at the source (SoftDelete). */
export const DELETED_AT_COLUMN = '_syncline_deleted_at';

const OWN_COLUMNS = new Set([KEY_COLUMN, SYNCED_AT_COLUMN, DELETED_COLUMN, DELETED_AT_COLUMN]);
const SOFT_DELETE_COLUMNS: [string, string][] = [
  [DELETED_COLUMN, 'boolean not null default false'],
  [DELETED_AT_COLUMN, 'timestamptz'],
];

function columnTypeOf(value: JsonValue | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return 'text';
  if (typeof value === 'number') return 'numeric';
  if (typeof value === 'boolean') return 'boolean';
  return 'jsonb';
}

export interface ColumnInfo {
  /** information_schema data_type: text, character varying, numeric, ... */
  type: string;
  /** n of varchar(n) / char(n); null when unbounded. */
  maxLength: number | null;
}

export interface DestinationTable {
  schema: string;
  table: string;
  /** Data columns in table order (the key, synced-at and soft-delete columns excluded). */
  columns: string[];
  /** Every data column's type. */
  info: Map<string, ColumnInfo>;
  /** The table has the soft-delete columns: a written row is (again) not deleted. */
  softDelete: boolean;
  /** The table has the synced-at column (a table created by someone else may not). */
  syncedAt: boolean;
}

export interface EnsureTableOptions {
  /** Add a column for a field the table lacks (otherwise the table's columns are left as they are). */
  alterSchema: boolean;
  /** Make sure the soft-delete columns exist. */
  softDelete: boolean;
}

/** Columns of a table, in table order; none when the table does not exist. */
async function readColumns(sql: Sql, schema: string, table: string) {
  return sql<{ column_name: string; data_type: string; character_maximum_length: number | null }[]>`
    select column_name, data_type, character_maximum_length from information_schema.columns
    where table_schema = ${schema} and table_name = ${table} order by ordinal_position`;
}

/** Creating what a concurrent task has just created is fine (parallel tasks share schemas). */
async function tolerateAlreadyExists(statement: () => Promise<unknown>): Promise<void> {
  try {
    await statement();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    // unique_violation (the catalog race of IF NOT EXISTS), duplicate_schema, duplicate_table, duplicate_column
    if (code !== '23505' && code !== '42P06' && code !== '42P07' && code !== '42701') throw err;
  }
}

/**
 * Creates the table when missing (with a column per field of `rows`), and — with alterSchema —
 * adds columns for fields an existing table does not have yet. Without alterSchema an existing
 * table keeps its columns; fitRows then refuses the rows that need one it lacks.
 */
export async function ensureDestinationTable(
  sql: Sql,
  schema: string,
  table: string,
  rows: JsonObject[],
  options: EnsureTableOptions = { alterSchema: true, softDelete: false },
): Promise<DestinationTable> {
  const types = new Map<string, string | undefined>();
  // Not Object.entries: that allocates an array of pairs for every row of the page.
  for (const row of rows) {
    for (const field in row) {
      if (!Object.hasOwn(row, field) || OWN_COLUMNS.has(field) || types.get(field) !== undefined) continue;
      types.set(field, columnTypeOf(row[field]));
    }
  }
  const target = `${quoteIdent(schema)}.${quoteIdent(table)}`;
  const definition = ([field, type]: [string, string | undefined]) => `${quoteIdent(field)} ${type ?? 'text'}`;
  let existing = await readColumns(sql, schema, table);
  if (existing.length === 0) {
    await tolerateAlreadyExists(() => sql.unsafe(`create schema if not exists ${quoteIdent(schema)}`));
    const columns = [
      `${quoteIdent(KEY_COLUMN)} text primary key`,
      `${quoteIdent(SYNCED_AT_COLUMN)} timestamptz not null default now()`,
      ...(options.softDelete ? SOFT_DELETE_COLUMNS.map(definition) : []),
      ...[...types].map(definition),
    ];
    await tolerateAlreadyExists(() => sql.unsafe(`create table if not exists ${target} (${columns.join(', ')})`));
    existing = await readColumns(sql, schema, table);
  }
  const have = new Set(existing.map((c) => c.column_name));
  if (!have.has(KEY_COLUMN)) {
    throw new SyncError('DESTINATION_TABLE_WITHOUT_KEY', `Table ${schema}.${table} has no ${KEY_COLUMN} column: Syncline merges rows on a "${KEY_COLUMN} text primary key"`, false);
  }
  const missing: [string, string | undefined][] = [
    ...(options.softDelete ? SOFT_DELETE_COLUMNS.filter(([c]) => !have.has(c)) : []),
    ...(options.alterSchema ? [...types].filter(([field]) => !have.has(field)) : []),
  ];
  if (missing.length > 0) {
    await tolerateAlreadyExists(() =>
      sql.unsafe(`alter table ${target} ` + missing.map((column) => `add column if not exists ${definition(column)}`).join(', ')),
    );
    existing = await readColumns(sql, schema, table);
  }
  const data = existing.filter((c) => !OWN_COLUMNS.has(c.column_name));
  return {
    schema,
    table,
    columns: data.map((c) => c.column_name),
    info: new Map(data.map((c) => [c.column_name, { type: c.data_type, maxLength: c.character_maximum_length }])),
    softDelete: have.has(DELETED_COLUMN) || missing.some(([c]) => c === DELETED_COLUMN),
    syncedAt: have.has(SYNCED_AT_COLUMN),
  };
}

export interface FitOptions {
  /** Cut strings longer than a varchar(n)/char(n) column instead of refusing the row. */
  autoTruncateStrings: boolean;
}

/**
 * Checks rows against the table before writing, so one bad row fails alone instead of failing
 * its whole batch: a field with a value but no column (the table was not altered), or a string
 * longer than its varchar(n) column (unless autoTruncateStrings cuts it).
 */
export function fitRows<R extends { data: JsonObject }>(dest: DestinationTable, rows: R[], options: FitOptions): { rows: R[]; rejected: { row: R; error: string }[] } {
  const fitted: R[] = [];
  const rejected: { row: R; error: string }[] = [];
  const name = `${dest.schema}.${dest.table}`;
  for (const row of rows) {
    const problems: string[] = [];
    let data = row.data;
    for (const [field, value] of Object.entries(row.data)) {
      if (value === null || value === undefined || OWN_COLUMNS.has(field)) continue;
      const column = dest.info.get(field);
      if (!column) {
        problems.push(`field "${field}" has no column in ${name} (alterSchema is off, so Syncline does not add one)`);
        continue;
      }
      if (column.maxLength === null || (column.type !== 'character varying' && column.type !== 'character')) continue;
      // Measured as PostgreSQL counts: characters, of the text the column would receive.
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      const length = text.length <= column.maxLength ? text.length : Array.from(text).length;
      if (length > column.maxLength) {
        if (!options.autoTruncateStrings) {
          problems.push(`field "${field}" is ${length} characters, longer than column ${name}.${field} ${column.type}(${column.maxLength}) (autoTruncateStrings is off)`);
          continue;
        }
        if (data === row.data) data = { ...row.data };
        data[field] = Array.from(text).slice(0, column.maxLength).join('');
      } else if (typeof value !== 'string') {
        // Written as the text that was measured.
        if (data === row.data) data = { ...row.data };
        data[field] = text;
      }
    }
    if (problems.length > 0) rejected.push({ row, error: problems.join('; ') });
    else fitted.push(data === row.data ? row : { ...row, data });
  }
  return { rows: fitted, rejected };
}

/**
 * Merges rows keyed by origin id; returns how many rows were inserted or actually changed. A row's
 * `json`, when given, is its data as JSON (sent as it is instead of stringifying the data again).
 */
export async function mergeIntoDestination(sql: Sql, dest: DestinationTable, rows: { id: string; data: JsonObject; json?: string | undefined }[]): Promise<number> {
  if (rows.length === 0) return 0;
  const target = `${quoteIdent(dest.schema)}.${quoteIdent(dest.table)}`;
  const cols = dest.columns.map(quoteIdent);
  const key = quoteIdent(KEY_COLUMN);
  // The key goes last: of two equal keys jsonb keeps the last, so a data field of the key's name
  // never overrides it (as with the spread below).
  const keyed = (r: (typeof rows)[number]) =>
    r.json === undefined || r.json[0] !== '{'
      ? JSON.stringify({ ...r.data, [KEY_COLUMN]: r.id })
      : `${r.json.length > 2 ? r.json.slice(0, -1) + ',' : '{'}${KEY_JSON}:${JSON.stringify(r.id)}}`;
  const payload = `[${rows.map(keyed).join(',')}]`;
  // A row written again is not deleted (any more): SoftDelete tables clear their flag.
  const own = dest.softDelete ? [quoteIdent(DELETED_COLUMN), quoteIdent(DELETED_AT_COLUMN)] : [];
  const ownValues = dest.softDelete ? ['false', 'null::timestamptz'] : [];
  const setList = [
    ...cols.map((c) => `${c} = excluded.${c}`),
    ...own.map((c) => `${c} = excluded.${c}`),
    ...(dest.syncedAt ? [`${quoteIdent(SYNCED_AT_COLUMN)} = now()`] : []),
  ];
  const differs = [
    ...(cols.length > 0 ? [`row(${cols.map((c) => `t.${c}`).join(', ')}) is distinct from row(${cols.map((c) => `excluded.${c}`).join(', ')})`] : []),
    ...(dest.softDelete ? [`t.${quoteIdent(DELETED_COLUMN)}`] : []),
  ];
  const result = await sql.unsafe(
    `insert into ${target} as t (${[key, ...cols, ...own].join(', ')}) ` +
      `select ${[key, ...cols].map((c) => `r.${c}`).concat(ownValues).join(', ')} from jsonb_populate_recordset(null::${target}, $1::text::jsonb) as r ` +
      (setList.length > 0
        ? `on conflict (${key}) do update set ${setList.join(', ')} where ${differs.length > 0 ? differs.join(' or ') : 'false'}`
        : `on conflict (${key}) do nothing`),
    [payload],
  );
  return result.count;
}

/**
 * Copies new rows into the table (COPY): what mergeIntoDestination would insert for them, without
 * reading the page as a JSON document. Answers false, having written nothing, when a value would
 * not arrive as the merge writes it — an object or array outside a jsonb column (the merge writes
 * jsonb's text of it), a number JavaScript prints with an exponent — and throws when the table
 * refuses the COPY (a key it holds already, say).
 */
export async function copyIntoDestination(sql: Sql, dest: DestinationTable, rows: { id: string; data: JsonObject }[]): Promise<boolean> {
  if (rows.length === 0) return true;
  const table: CopiedTable = {
    columns: dest.columns,
    jsonb: dest.columns.map((c) => dest.info.get(c)?.type === 'jsonb'),
    own: dest.softDelete ? ['f', '\\N'] : [],
  };
  if (!allCopyable(rows, table)) return false;
  const columns = [KEY_COLUMN, ...dest.columns, ...(dest.softDelete ? [DELETED_COLUMN, DELETED_AT_COLUMN] : [])].map(quoteIdent);
  // Each row's fields are made as its COPY row is encoded, so that they die young instead of
  // living through the whole COPY (a page's 10,000 rows, and their JSON, at once).
  await copyRows(sql, `${quoteIdent(dest.schema)}.${quoteIdent(dest.table)}`, columns, rows, destinationLine, table);
  return true;
}

/** A destination table's columns as a COPY into it writes them: which are jsonb, and the values of its own columns. */
interface CopiedTable {
  columns: string[];
  jsonb: boolean[];
  own: string[];
}

function allCopyable(rows: { data: JsonObject }[], { columns, jsonb }: CopiedTable): boolean {
  for (const row of rows) {
    for (let i = 0; i < columns.length; i++) if (!copyable(row.data[columns[i]!], jsonb[i]!)) return false;
  }
  return true;
}

/** A row's COPY fields (declared once: see CopyLine in db/copy.ts). */
function destinationLine(row: { id: string; data: JsonObject }, { columns, jsonb, own }: CopiedTable): string[] {
  const fields = [copyField(row.id)];
  for (let i = 0; i < columns.length; i++) fields.push(copyValue(row.data[columns[i]!], jsonb[i]!));
  return own.length > 0 ? fields.concat(own) : fields;
}

/**
 * Whether copyValue can write a value as jsonb_populate_recordset would convert it: not a number
 * that JavaScript writes with an exponent (PostgreSQL's integer input refuses "1e+21"), nor an
 * object for a column that is not jsonb.
 */
export function copyable(value: JsonValue | undefined, jsonb: boolean): boolean {
  if (value === null || value === undefined || jsonb) return true;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number': {
      // String(value) has an exponent exactly for finite non-zero numbers outside [1e-6, 1e21).
      const size = Math.abs(value);
      return !Number.isFinite(value) || value === 0 || (size >= 1e-6 && size < 1e21);
    }
    default:
      return false;
  }
}

/** A value as COPY text for its column (one copyable() allows). */
function copyValue(value: JsonValue | undefined, jsonb: boolean): string {
  if (value === null || value === undefined) return '\\N';
  if (jsonb) return copyJsonField(JSON.stringify(value));
  if (typeof value === 'string') return copyField(value);
  return String(value);
}

/** Deletes rows by origin id; rows already gone are fine (a retry). */
export async function deleteFromDestination(sql: Sql, schema: string, table: string, ids: string[]): Promise<number> {
  const exists = await sql`select 1 from information_schema.tables where table_schema = ${schema} and table_name = ${table}`;
  if (exists.length === 0) return 0;
  const result = await sql.unsafe(`delete from ${quoteIdent(schema)}.${quoteIdent(table)} where ${quoteIdent(KEY_COLUMN)} = any($1::text[])`, [ids]);
  return result.count;
}

/** Flags rows by origin id as deleted (SoftDelete); a retry leaves rows flagged earlier as they are. */
export async function softDeleteInDestination(sql: Sql, schema: string, table: string, ids: string[]): Promise<number> {
  const existing = await readColumns(sql, schema, table);
  if (existing.length === 0) return 0;
  const have = new Set(existing.map((c) => c.column_name));
  const target = `${quoteIdent(schema)}.${quoteIdent(table)}`;
  const missing = SOFT_DELETE_COLUMNS.filter(([c]) => !have.has(c));
  if (missing.length > 0) {
    await tolerateAlreadyExists(() =>
      sql.unsafe(`alter table ${target} ` + missing.map(([c, type]) => `add column if not exists ${quoteIdent(c)} ${type}`).join(', ')),
    );
  }
  const syncedAt = have.has(SYNCED_AT_COLUMN) ? `, ${quoteIdent(SYNCED_AT_COLUMN)} = now()` : '';
  const result = await sql.unsafe(
    `update ${target} set ${quoteIdent(DELETED_COLUMN)} = true, ${quoteIdent(DELETED_AT_COLUMN)} = now()${syncedAt} ` +
      `where ${quoteIdent(KEY_COLUMN)} = any($1::text[]) and not ${quoteIdent(DELETED_COLUMN)}`,
    [ids],
  );
  return result.count;
}

/** Empties (truncate) or drops the table when it exists; the next write recreates a dropped table. */
export async function resetDestinationTable(sql: Sql, schema: string, table: string, how: 'truncate' | 'drop'): Promise<void> {
  const target = `${quoteIdent(schema)}.${quoteIdent(table)}`;
  if (how === 'drop') {
    await sql.unsafe(`drop table if exists ${target}`);
    return;
  }
  const exists = await sql`select 1 from information_schema.tables where table_schema = ${schema} and table_name = ${table}`;
  if (exists.length > 0) await sql.unsafe(`truncate table ${target}`);
}

/** How postgres.js reaches a `postgres` connected system: the one translation of its config. */
export function connectionOptions(config: PostgresConnectionConfig, password: string | undefined): PoolOptions {
  return {
    host: config.host,
    port: config.port ?? 5432,
    database: config.database,
    username: config.user,
    ...(password ? { password } : {}),
    ssl: config.ssl ? 'require' : false,
  };
}

/** One small pool per PostgreSQL connection (and per edit of it), shared by the worker's activities. */
export class ConnectionPools {
  private readonly pools = new Map<string, Sql>();

  get(version: string, config: PostgresConnectionConfig, password: string | undefined): Sql {
    let pool = this.pools.get(version);
    if (!pool) {
      if (!config.host || !config.database || !config.user) {
        throw new SyncError('DESTINATION_CONFIG_INVALID', 'A postgres destination needs host, database and user', false);
      }
      pool = openPool(undefined, { ...connectionOptions(config, password), max: 4, connection: SESSION_SETTINGS });
      this.pools.set(version, pool);
    }
    return pool;
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.end({ timeout: 5 })));
    this.pools.clear();
  }
}
