// PostgreSQL as a destination: creates the target table when missing (one column per mapped
// field plus the key Syncline merges on), and merges rows in one statement that leaves rows
// whose values did not change untouched.
import postgres from 'postgres';
import type { Sql } from '../../db/client';
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
/** When Syncline last wrote the row; unchanged rows keep theirs. */
export const SYNCED_AT_COLUMN = '_syncline_synced_at';

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function columnTypeOf(value: JsonValue | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return 'text';
  if (typeof value === 'number') return 'numeric';
  if (typeof value === 'boolean') return 'boolean';
  return 'jsonb';
}

export interface DestinationTable {
  schema: string;
  table: string;
  /** Data columns in table order (the key and synced-at columns excluded). */
  columns: string[];
}

/** Creates the table when missing and adds columns for fields it does not have yet. */
export async function ensureDestinationTable(sql: Sql, schema: string, table: string, rows: JsonObject[]): Promise<DestinationTable> {
  const types = new Map<string, string | undefined>();
  for (const row of rows) {
    for (const [field, value] of Object.entries(row)) {
      if (field === KEY_COLUMN || field === SYNCED_AT_COLUMN) continue;
      if (types.get(field) === undefined) types.set(field, columnTypeOf(value));
    }
  }
  const target = `${quoteIdent(schema)}.${quoteIdent(table)}`;
  await sql.unsafe(`create schema if not exists ${quoteIdent(schema)}`);
  await sql.unsafe(
    `create table if not exists ${target} (${quoteIdent(KEY_COLUMN)} text primary key, ` +
      `${quoteIdent(SYNCED_AT_COLUMN)} timestamptz not null default now())`,
  );
  const existing = await sql<{ column_name: string }[]>`
    select column_name from information_schema.columns where table_schema = ${schema} and table_name = ${table} order by ordinal_position`;
  const have = new Set(existing.map((c) => c.column_name));
  const missing = [...types].filter(([field]) => !have.has(field));
  if (missing.length > 0) {
    await sql.unsafe(
      `alter table ${target} ` + missing.map(([field, type]) => `add column if not exists ${quoteIdent(field)} ${type ?? 'text'}`).join(', '),
    );
  }
  const columns = [...existing.map((c) => c.column_name), ...missing.map(([f]) => f)].filter((c) => c !== KEY_COLUMN && c !== SYNCED_AT_COLUMN);
  return { schema, table, columns };
}

/** Merges rows keyed by origin id; returns how many rows were inserted or actually changed. */
export async function mergeIntoDestination(sql: Sql, dest: DestinationTable, rows: { id: string; data: JsonObject }[]): Promise<number> {
  if (rows.length === 0) return 0;
  const target = `${quoteIdent(dest.schema)}.${quoteIdent(dest.table)}`;
  const cols = dest.columns.map(quoteIdent);
  const payload = JSON.stringify(rows.map((r) => ({ ...r.data, [KEY_COLUMN]: r.id })));
  const setList = [...cols.map((c) => `${c} = excluded.${c}`), `${quoteIdent(SYNCED_AT_COLUMN)} = now()`].join(', ');
  const changed = cols.length > 0 ? `where row(${cols.map((c) => `t.${c}`).join(', ')}) is distinct from row(${cols.map((c) => `excluded.${c}`).join(', ')})` : 'where false';
  const result = await sql.unsafe(
    `insert into ${target} as t (${[quoteIdent(KEY_COLUMN), ...cols].join(', ')}) ` +
      `select ${[quoteIdent(KEY_COLUMN), ...cols].map((c) => `r.${c}`).join(', ')} from jsonb_populate_recordset(null::${target}, $1::text::jsonb) as r ` +
      `on conflict (${quoteIdent(KEY_COLUMN)}) do update set ${setList} ${changed}`,
    [payload],
  );
  return result.count;
}

/** Deletes rows by origin id; rows already gone are fine (a retry). */
export async function deleteFromDestination(sql: Sql, schema: string, table: string, ids: string[]): Promise<number> {
  const exists = await sql`select 1 from information_schema.tables where table_schema = ${schema} and table_name = ${table}`;
  if (exists.length === 0) return 0;
  const result = await sql.unsafe(`delete from ${quoteIdent(schema)}.${quoteIdent(table)} where ${quoteIdent(KEY_COLUMN)} = any($1::text[])`, [ids]);
  return result.count;
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
      pool = postgres({
        host: config.host,
        port: config.port ?? 5432,
        database: config.database,
        username: config.user,
        ...(password ? { password } : {}),
        ssl: config.ssl ? 'require' : false,
        max: 4,
        onnotice: () => {},
      });
      this.pools.set(version, pool);
    }
    return pool;
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.end({ timeout: 5 })));
    this.pools.clear();
  }
}
