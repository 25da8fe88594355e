// PostgreSQL as a source: one page per call, by keyset pagination on the task's id field
// (`WHERE id > <last key> ORDER BY id LIMIT n`), so each page costs the same however deep the
// run is and rows inserted or deleted meanwhile neither shift nor repeat other rows. The id field
// must be unique (a primary key or unique column); rows whose id is NULL cannot be paged and are
// left out (of the count too).
//
// Incremental reads (`incrementalField` + `since`) take only rows whose incremental value is past
// the watermark. The first page also fixes an upper bound, the largest incremental value at that
// moment, carried in the cursor: every page reads `since < value <= bound`, and the bound is the
// run's watermark. A row updated during the run gets a value past the bound and is read by the
// next run, instead of being skipped forever because its id was already passed while a later
// row raised the watermark beyond its new value.
import type { Sql } from '../../db/client';
import { SyncError } from '../errors';
import { SourceError } from './http-json-source';
import { quoteIdent } from './postgres-destination';
import type { JsonObject, SourcePage } from './types';

export interface ReadPostgresPageArgs {
  /** postgres.js pool for the source database. */
  sql: Sql;
  /** "name" or "schema.name". */
  table: string;
  /** Schema of a table named without one (default "public"). */
  defaultSchema?: string;
  /** Column paged on; must be unique and orderable. */
  idField: string;
  /** From the previous page's nextCursor; null for the first page. */
  cursor: string | null;
  pageSize: number;
  incrementalField?: string;
  /** The previous run's watermark: only rows with incrementalField > since. */
  since?: string | null;
}

export interface PostgresSourcePage extends SourcePage {
  /**
   * With an incremental field: the run's watermark as text (the largest incremental value the
   * run reads, the same on every page of a run; `since` when there is nothing new). Store the
   * last page's as the next run's `since`. Null without an incremental field.
   */
  watermark: string | null;
  /** Each record's JSON as `row_to_json` wrote it, in the records' order (see SourceReadResult.texts). */
  texts: Uint8Array[];
}

const MAX_IDENTIFIER_BYTES = 63;

/** Checks a table or column name (used quoted, so case and characters are kept as given). */
function identifier(name: unknown, what: string): string {
  if (
    typeof name !== 'string' ||
    name === '' ||
    Buffer.byteLength(name) > MAX_IDENTIFIER_BYTES ||
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f"]/.test(name)
  ) {
    throw new SourceError('SOURCE_CONFIG_INVALID', `Invalid ${what} ${JSON.stringify(name)}`, false);
  }
  return name;
}

/** Splits "schema.name" (one dot at most) into its parts. */
export function parseTableName(table: string, defaultSchema = 'public'): { schema: string; name: string } {
  const parts = typeof table === 'string' ? table.split('.') : [];
  if (parts.length === 1) return { schema: identifier(defaultSchema, 'schema name'), name: identifier(parts[0], 'table name') };
  if (parts.length === 2) return { schema: identifier(parts[0], 'schema name'), name: identifier(parts[1], 'table name') };
  throw new SourceError('SOURCE_CONFIG_INVALID', `Invalid table name ${JSON.stringify(table)} (expected "name" or "schema.name")`, false);
}

interface PostgresCursor {
  /** The last key read, as text (cast back to the column's type by the server). */
  after: string;
  /** The run's upper bound on the incremental field, when there is one. */
  upTo: string | null;
}

// A JSON string of the last key ("42", "abc"), or [key, upTo] on an incremental run. Keys travel
// as their text form, so bigint, numeric, uuid and timestamp keys keep full precision.
function encodeCursor(cursor: PostgresCursor): string {
  return JSON.stringify(cursor.upTo === null ? cursor.after : [cursor.after, cursor.upTo]);
}

function decodeCursor(cursor: string): PostgresCursor {
  let value: unknown;
  try {
    value = JSON.parse(cursor);
  } catch {
    value = undefined;
  }
  const isKey = (v: unknown): v is string | number => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
  if (isKey(value)) return { after: String(value), upTo: null };
  if (Array.isArray(value) && value.length === 2 && isKey(value[0]) && (typeof value[1] === 'string' || value[1] === null)) {
    return { after: String(value[0]), upTo: value[1] };
  }
  throw new SourceError('SOURCE_BAD_CURSOR', `Invalid postgres cursor ${JSON.stringify(cursor.slice(0, 100))}`, false);
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE',
  'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED',
]);

function sourceError(err: unknown, relation: string, columns: string): unknown {
  if (err instanceof SyncError) return err;
  const e = err as { code?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(err);
  switch (e?.code) {
    case '42P01': // undefined_table
    case '3F000': // invalid_schema_name
      return new SourceError('SOURCE_TABLE_NOT_FOUND', `Table ${relation} does not exist or is not visible to this user`, false);
    case '42703': // undefined_column
      return new SourceError('SOURCE_COLUMN_NOT_FOUND', `${message} (table ${relation}; ${columns})`, false);
    case '42501': // insufficient_privilege
      return new SourceError('SOURCE_ACCESS_DENIED', `${message} (table ${relation})`, false);
    case '22P02': // invalid_text_representation
    case '22007': // invalid_datetime_format
    case '22008': // datetime_field_overflow
    case '22003': // numeric_value_out_of_range
      // Only the cursor and the watermark are cast here: they do not fit the column's type.
      return new SourceError('SOURCE_BAD_CURSOR', `The cursor or watermark does not fit the column type: ${message} (table ${relation}; ${columns})`, false);
  }
  if (typeof e?.code === 'string' && UNREACHABLE_CODES.has(e.code)) {
    return new SourceError('SOURCE_UNREACHABLE', `Cannot reach the source database: ${message}`, true);
  }
  return err;
}

export async function readPostgresPage(args: ReadPostgresPageArgs): Promise<PostgresSourcePage> {
  const { sql, pageSize } = args;
  const { schema, name } = parseTableName(args.table, args.defaultSchema);
  const idField = identifier(args.idField, 'id field');
  const incrementalField = args.incrementalField === undefined || args.incrementalField === '' ? undefined : identifier(args.incrementalField, 'incremental field');
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) {
    throw new SourceError('SOURCE_CONFIG_INVALID', `Invalid page size ${String(pageSize)}`, false);
  }
  const since = incrementalField !== undefined && typeof args.since === 'string' ? args.since : null;
  const cursor = args.cursor === null ? null : decodeCursor(args.cursor);

  const relation = `${quoteIdent(schema)}.${quoteIdent(name)}`;
  const id = `t.${quoteIdent(idField)}`;
  const inc = incrementalField === undefined ? null : `t.${quoteIdent(incrementalField)}`;
  const columns = `id field ${JSON.stringify(idField)}${incrementalField ? `, incremental field ${JSON.stringify(incrementalField)}` : ''}`;

  // Parameters go as untyped text: the server casts them to the compared column's type.
  const params: string[] = [];
  const param = (value: string) => {
    params.push(value);
    return `$${params.length}`;
  };
  const where = [`${id} is not null`];
  if (inc !== null && since !== null) where.push(`${inc} > ${param(since)}`);

  try {
    // One read-only snapshot for the count and the page, with the settings that shape values as
    // text pinned, so the same row reads the same (and hashes the same) from any connection.
    return await sql.begin('isolation level repeatable read read only', async (tx) => {
      await tx.unsafe(
        `select set_config('TimeZone', 'UTC', true), set_config('DateStyle', 'ISO, YMD', true), set_config('IntervalStyle', 'iso_8601', true)`,
      );
      let totalCount: number | null = null;
      let upTo = cursor?.upTo ?? null;
      if (cursor === null) {
        const [row] = await tx.unsafe<{ count: string; top: string | null }[]>(
          `select count(*)::text as count, ${inc === null ? 'null' : `max(${inc})::text`} as top from ${relation} t where ${where.join(' and ')}`,
          params,
        );
        totalCount = Number(row?.count ?? 0);
        upTo = row?.top ?? null;
        if (totalCount === 0) return { records: [], nextCursor: null, totalCount, requests: 1, watermark: inc === null ? null : since, texts: [] };
      }
      if (inc !== null && upTo !== null) {
        // Without a watermark (a full read) rows whose incremental value is NULL belong too.
        where.push(since === null ? `(${inc} <= ${param(upTo)} or ${inc} is null)` : `${inc} <= ${param(upTo)}`);
      }
      if (cursor !== null) where.push(`${id} > ${param(cursor.after)}`);

      // One row more than the page tells whether another page follows, sparing an empty last page.
      // Each row is parsed as it arrives rather than once the page's rows are all in: its text
      // then dies young instead of being held (and moved to the old generation) with the others.
      const rows = new PageOfRows(pageSize);
      await tx
        .unsafe<{ r: string; k: string }[]>(
          `select row_to_json(t)::text as r, ${id}::text as k from ${relation} t where ${where.join(' and ')} order by ${id} limit ${pageSize + 1}`,
          params,
        )
        .forEach(rows.add);
      const { records, texts, lastKey, more } = rows;
      const nextCursor = more && lastKey !== undefined ? encodeCursor({ after: lastKey, upTo: inc === null ? null : upTo }) : null;
      return { records, nextCursor, totalCount, requests: 1, watermark: inc === null ? null : (upTo ?? since), texts: texts.views() };
    });
  } catch (err) {
    throw sourceError(err, relation, columns);
  }
}

/** A page's rows as they arrive: each parsed, its text kept (TextsInOneBuffer), and whether a row beyond the page came. */
class PageOfRows {
  readonly records: JsonObject[] = [];
  readonly texts = new TextsInOneBuffer();
  lastKey: string | undefined;
  more = false;
  /**
   * A prototype method bound: the method's optimized code is kept from page to page, where a
   * closure made per page was compiled again on every page (see CopyLine in db/copy.ts).
   */
  readonly add: (row: { r: string; k: string }) => void;

  constructor(private readonly pageSize: number) {
    this.add = PageOfRows.prototype.addRow.bind(this);
  }

  private addRow(row: { r: string; k: string }): void {
    if (this.records.length === this.pageSize) {
      this.more = true;
      return;
    }
    this.records.push(JSON.parse(row.r) as JsonObject);
    this.texts.add(row.r);
    this.lastKey = row.k;
  }
}

/**
 * A page's row texts, one after another in one buffer: the rows' strings die young (the page's
 * text held as strings would be moved to the old generation with the page), and each text is then
 * a view of the buffer, which lives off the heap the collector marks.
 */
class TextsInOneBuffer {
  // Grown as rows come (doubling), so that a page of a few rows takes no megabyte.
  private buffer = Buffer.alloc(0);
  private used = 0;
  private readonly ends: number[] = [];

  add(text: string): void {
    // UTF-8 takes at most three bytes per UTF-16 code unit.
    const most = text.length * 3;
    if (this.used + most > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.used + most, 1 << 16));
      this.buffer.copy(grown, 0, 0, this.used);
      this.buffer = grown;
    }
    this.used += this.buffer.write(text, this.used);
    this.ends.push(this.used);
  }

  views(): Uint8Array[] {
    const views = new Array<Uint8Array>(this.ends.length);
    let start = 0;
    for (let i = 0; i < views.length; i++) {
      const end = this.ends[i]!;
      views[i] = this.buffer.subarray(start, end);
      start = end;
    }
    return views;
  }
}

/** Tries the connection (and the schema when given); never throws. */
export async function testPostgresConnection(sql: Sql, schema?: string, timeoutMs = 10_000): Promise<{ ok: boolean; message: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  const probe = async () => {
    const [row] = await sql<{ version: string; database: string; user: string }[]>`
      select version() as version, current_database() as database, current_user as user`;
    const version = (row?.version ?? 'PostgreSQL').split(' on ')[0];
    let message = `Connected to database "${row?.database}" as "${row?.user}" (${version})`;
    if (schema !== undefined) {
      const [found] = await sql<{ tables: number }[]>`
        select count(c.oid)::int as tables from pg_catalog.pg_namespace n
        left join pg_catalog.pg_class c on c.relnamespace = n.oid and c.relkind in ('r', 'p', 'v', 'm', 'f')
        where n.nspname = ${schema} group by n.oid`;
      if (!found) return { ok: false, message: `${message}, but schema "${schema}" does not exist` };
      message += `; schema "${schema}" has ${found.tables} table${found.tables === 1 ? '' : 's'} or view${found.tables === 1 ? '' : 's'}`;
    }
    return { ok: true, message };
  };
  try {
    return await Promise.race([probe(), timeout]);
  } catch (err) {
    return { ok: false, message: `Cannot connect to PostgreSQL: ${err instanceof Error ? err.message : String(err)}` };
  } finally {
    clearTimeout(timer);
  }
}
