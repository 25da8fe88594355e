import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema';

export type Sql = postgres.Sql;
/** The connection inside sql.begin(). */
export type Tx = postgres.TransactionSql;
/** A piece of SQL built with `sql` tagged templates, to embed in another statement. */
export type Fragment = postgres.PendingQuery<postgres.Row[]>;
export type Db = PostgresJsDatabase<typeof schema>;

export interface Database {
  db: Db;
  sql: Sql;
  close(): Promise<void>;
}

/**
 * Session settings of every connection Syncline opens. JIT compilation is off: a page's bulk
 * statements cross PostgreSQL's JIT threshold, and compiling them cost more than it saved (one
 * register-and-contracts statement of a 10,000-object page spent 480 of its 837 ms compiling).
 */
export const SESSION_SETTINGS = { jit: 'off' };

export function createDatabase(url: string, options: { max?: number } = {}): Database {
  const sql = postgres(url, { max: options.max ?? 10, onnotice: () => {}, connection: SESSION_SETTINGS });
  const db = drizzle(sql, { schema });
  return { db, sql, close: () => sql.end({ timeout: 5 }) };
}

/** A statement refused by a unique index (SQLSTATE 23505), also when drizzle wraps the driver's error. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; cause?: { code?: string } };
  return (e.code ?? e.cause?.code) === '23505';
}
