// Bulk loading with COPY: a page's rows travel as COPY text, which PostgreSQL reads column by column
// with each type's input function. Measured here against the same 10,000 rows (two jsonb columns),
// COPY into a table took about half the time of one statement reading a JSON document of the page
// (jsonb_to_recordset) and a third of unnest over text arrays.
import { Writable } from 'node:stream';
import type { Sql, Tx } from './client';

/** A COPY text field: null is \N; backslash, tab, newline and carriage return are escaped. */
export function copyField(value: string | null): string {
  if (value === null) return '\\N';
  // Most values (ids, hashes, JSON, which escapes its own control characters) need nothing.
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(ESCAPED, (c) => ESCAPES[c]!);
}

/**
 * A COPY text field of JSON as JSON.stringify (or the stable writer) makes it: such text holds no
 * tab, newline or carriage return (its strings escape them), so only its backslashes need
 * escaping, which a search for one finds ten times faster than copyField's pattern.
 */
export function copyJsonField(json: string | null): string {
  if (json === null) return '\\N';
  return json.includes('\\') ? json.replaceAll('\\', '\\\\') : json;
}

const NEEDS_ESCAPE = /[\\\t\n\r]/;
const ESCAPED = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * Bytes per chunk written to the COPY stream at most (a row larger than that gets a chunk of its
 * own): the text of a whole page is never built at once.
 * Each row is encoded straight into the chunk's buffer: building a chunk as one string and
 * letting the stream convert it (Buffer.from) cost four times as long for a page of connector-space
 * rows (about 48 against 11 ms for 10,000), most of it copying the built string flat and the
 * garbage collector's work on it.
 */
const CHUNK_BYTES = 1 << 20;
const NEWLINE = 0x0a;

/**
 * A field's text as bytes (valid UTF-8, never null), escaped as it is written: JSON as a source
 * sent it, say, which may hold tabs and newlines between its tokens.
 */
export type CopyBytes = Uint8Array;

/**
 * A COPY row's fields, already encoded with copyField (or bytes, see CopyBytes), from the row and
 * what is the same for every row of the COPY (`shared`). Declared once, at a module's top level,
 * rather than as a closure per COPY: V8 holds a function's optimized code only as long as some
 * instance of it lives, so a closure made per page was compiled again on every page (traced in a
 * first run: each of a page's row functions and loops compiled 20–30 times in 30 pages, about a
 * tenth of the worker's CPU on V8's compiler thread).
 */
export type CopyLine<T, S> = (row: T, shared: S) => (string | CopyBytes)[];

/**
 * COPY rows into `table` (columns in `columns` order); `line` gives each row's fields (see
 * CopyLine), `shared` its second argument. Resolves once PostgreSQL has taken every row (the
 * stream finished), and rejects with the server's error otherwise.
 */
export async function copyRows<T, S = undefined>(sql: Sql | Tx, table: string, columns: string[], rows: readonly T[], line: CopyLine<T, S>, shared?: S): Promise<void> {
  if (rows.length === 0) return;
  await streamRows(sql, `copy ${table} (${columns.join(', ')}) from stdin`, { rows, line, shared: shared as S, format: TEXT_FORMAT, types: undefined });
}

/**
 * How a binary COPY sends a column's values (PostgreSQL's binary format for the type):
 * - `text`, also for json and any type whose binary form is its text: a string, or UTF-8 bytes;
 * - `int4`, `int8`: a number that is an integer, or its decimal text;
 * - `uuid`: its text (hex digits, dashes anywhere);
 * - `timestamptz`: microseconds since 2000-01-01 00:00 UTC, as a number.
 * Every type takes null.
 */
export type BinaryType = 'text' | 'int4' | 'int8' | 'uuid' | 'timestamptz';
export type BinaryValue = string | number | CopyBytes | null;
/** A binary COPY row's values, in its columns' order (see CopyLine for why declared once). */
export type BinaryLine<T, S> = (row: T, shared: S) => BinaryValue[];

/**
 * COPY rows into `table` in PostgreSQL's binary format, each column sent as its type says. The
 * server then parses no text: a first run's page of connector-space rows took about a fifth less
 * of its CPU than as COPY text (no line and field scanning, no escapes, no integer, uuid or
 * timestamp input), and nothing in the values needs escaping here either.
 */
export async function copyBinaryRows<T, S = undefined>(
  sql: Sql | Tx,
  table: string,
  columns: readonly (readonly [name: string, type: BinaryType])[],
  rows: readonly T[],
  line: BinaryLine<T, S>,
  shared?: S,
): Promise<void> {
  if (rows.length === 0) return;
  const statement = `copy ${table} (${columns.map(([name]) => name).join(', ')}) from stdin with (format binary)`;
  await streamRows(sql, statement, { rows, line, shared: shared as S, format: BINARY_FORMAT, types: columns.map(([, type]) => type) });
}

/** What a COPY sends: its rows, how each is made into fields, and its format. */
interface CopySource<T, S, F> {
  rows: readonly T[];
  line: (row: T, shared: S) => F[];
  shared: S;
  format: CopyFormat<F>;
  /** The binary format's column types. */
  types: BinaryType[] | undefined;
}

/** How a COPY format writes its rows (declared once per format, see CopyLine). */
interface CopyFormat<F> {
  /** The most bytes a row's fields take (the first row's with what goes before it). */
  room(fields: F[], first: boolean): number;
  /** Writes a row (the first with what goes before it) into `chunk` at `at`; returns where it ends. */
  write(chunk: Buffer, at: number, fields: F[], types: BinaryType[] | undefined, first: boolean): number;
  /** What follows the last row. */
  end: Buffer | undefined;
}

async function streamRows<T, S, F>(sql: Sql | Tx, statement: string, source: CopySource<T, S, F>): Promise<void> {
  const query = sql.unsafe(statement);
  // postgres.js 3.4.9 never settles a COPY the server refuses after the stream has ended (a bad
  // jsonb value, a unique violation: porsager/postgres#1173): the stream neither finishes nor
  // errors, and a transaction around it never rolls back. The server's error still reaches the
  // query object's reject, so it is observed there; and the stream gets its error listener the
  // moment it exists (a refusal can arrive with the COPY's start, before an await resumes).
  let failure: unknown;
  let onFailure: ((err: unknown) => void) | undefined;
  const fail = (err: unknown) => {
    failure ??= err;
    onFailure?.(err);
  };
  const settle = query as unknown as { resolve: (value: unknown) => void; reject: (err: unknown) => void };
  const { resolve: resolveQuery, reject: rejectQuery } = settle;
  settle.resolve = (value) => {
    if (value instanceof Writable) value.on('error', fail);
    resolveQuery(value);
  };
  settle.reject = (err) => {
    fail(err);
    rejectQuery(err);
  };
  const stream = await query.writable();
  await new Promise<void>((resolve, reject) => {
    if (failure !== undefined) return reject(failure);
    onFailure = reject;
    stream.on('finish', resolve);
    const copy: RowsToCopy<T, S, F> = { ...source, stream, at: 0, pump: () => pumpRows(copy, reject) };
    copy.pump();
  });
}

/** A COPY under way: its stream, its rows and how far they have been written. */
interface RowsToCopy<T, S, F> extends CopySource<T, S, F> {
  stream: Writable;
  at: number;
  /** Writes on (pumpRows), when the stream has drained. */
  pump: () => void;
}

/**
 * Writes rows until the stream asks to wait. A row that cannot be encoded (its `line` threw) fails
 * the COPY: the stream is destroyed, which sends the server CopyFail, instead of the error
 * escaping from a 'drain' listener.
 */
function pumpRows<T, S, F>(copy: RowsToCopy<T, S, F>, reject: (err: unknown) => void): void {
  try {
    encodeRows(copy);
  } catch (err) {
    reject(err);
    copy.stream.destroy(err instanceof Error ? err : new Error(String(err)));
  }
}

function encodeRows<T, S, F>(copy: RowsToCopy<T, S, F>): void {
  const { stream, rows, line, shared, format, types } = copy;
  while (copy.at < rows.length) {
    // A new buffer each time: the stream holds on to a chunk it has not sent yet. It is sized by
    // its first row, for the rows left (a COPY of a few rows takes no megabyte), and holds that
    // row whatever its size.
    let chunk: Buffer | undefined;
    let used = 0;
    let at = copy.at;
    for (; at < rows.length; at++) {
      const fields = line(rows[at]!, shared);
      const room = format.room(fields, at === 0);
      if (chunk === undefined) chunk = Buffer.allocUnsafe(Math.max(room, Math.min(CHUNK_BYTES, room * (rows.length - at))));
      else if (room > chunk.length - used) break;
      used = format.write(chunk, used, fields, types, at === 0);
    }
    copy.at = at;
    if (!stream.write(chunk!.subarray(0, used))) {
      stream.once('drain', copy.pump);
      return;
    }
  }
  if (format.end) stream.end(format.end);
  else stream.end();
}

/** COPY text: fields escaped by their line (copyField), bytes escaped as they are written. */
const TEXT_FORMAT: CopyFormat<string | CopyBytes> = {
  room(fields) {
    // UTF-8 takes at most three bytes per UTF-16 code unit, an escaped byte two; each field's tab
    // or the row's newline one more.
    let room = 0;
    for (const field of fields) room += typeof field === 'string' ? field.length * 3 + 1 : field.length * 2 + 1;
    return room;
  },
  write(chunk, at, fields) {
    // Text alone is joined and written at once (most rows); bytes are escaped as they are written.
    let allText = true;
    for (const field of fields) if (typeof field !== 'string') allText = false;
    at = allText ? at + chunk.write(fields.join('\t'), at) : writeFields(chunk, at, fields);
    chunk[at] = NEWLINE;
    return at + 1;
  },
  end: undefined,
};

/** The binary format's signature, flags and header extension length, before the first row. */
const BINARY_HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);

/** COPY binary: a field count, then each field's length and bytes, each as its column's type. */
const BINARY_FORMAT: CopyFormat<BinaryValue> = {
  room(values, first) {
    // A string's UTF-8 takes at most three bytes per UTF-16 code unit.
    let room = 2 + (first ? BINARY_HEADER.length : 0);
    for (const value of values) room += 4 + (typeof value === 'string' ? value.length * 3 : value === null ? 0 : typeof value === 'number' ? 8 : value.length);
    return room;
  },
  write(chunk, at, values, types, first) {
    if (values.length !== types!.length) throw new Error(`A binary COPY row has ${values.length} values for ${types!.length} columns`);
    if (first) at += BINARY_HEADER.copy(chunk, at);
    at = chunk.writeInt16BE(values.length, at);
    for (let i = 0; i < values.length; i++) at = writeBinaryField(chunk, at, values[i]!, types![i]!);
    return at;
  },
  // The trailer: a field count of -1.
  end: Buffer.from([0xff, 0xff]),
};

const TWO_TO_32 = 2 ** 32;
/** Microseconds from 1970-01-01 to 2000-01-01, PostgreSQL's epoch. */
export const POSTGRES_EPOCH_MICROS = Date.UTC(2000, 0, 1) * 1000;

/** Writes one field of a binary COPY row (its length, then its bytes) into `chunk` at `at`; returns where it ends. */
function writeBinaryField(chunk: Buffer, at: number, value: BinaryValue, type: BinaryType): number {
  if (value === null) return chunk.writeInt32BE(-1, at);
  switch (type) {
    case 'text':
      if (typeof value === 'string') {
        const length = writeString(chunk, at + 4, value);
        chunk.writeInt32BE(length, at);
        return at + 4 + length;
      }
      if (typeof value === 'number') break;
      chunk.writeInt32BE(value.length, at);
      chunk.set(value, at + 4);
      return at + 4 + value.length;
    case 'int4': {
      // Text must be digits: Number('') and Number(' 7 ') would send 0 and 7 for what is no integer.
      const n = typeof value === 'string' ? (DECIMAL.test(value) ? Number(value) : NaN) : value;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < -(2 ** 31) || n >= 2 ** 31) break;
      chunk.writeInt32BE(4, at);
      return chunk.writeInt32BE(n, at + 4);
    }
    case 'int8':
    case 'timestamptz': {
      chunk.writeInt32BE(8, at);
      // Ids drawn from a sequence arrive as text: up to 15 digits they are safe integers.
      if (type === 'int8' && typeof value === 'string' && value.length <= 15 && DECIMAL.test(value)) value = Number(value);
      if (typeof value === 'number' && Number.isSafeInteger(value)) {
        const high = Math.floor(value / TWO_TO_32);
        chunk.writeInt32BE(high, at + 4);
        return chunk.writeUInt32BE(value - high * TWO_TO_32, at + 8);
      }
      if (type === 'int8' && typeof value === 'string' && DECIMAL.test(value)) return chunk.writeBigInt64BE(BigInt(value), at + 4);
      break;
    }
    case 'uuid':
      if (typeof value !== 'string') break;
      chunk.writeInt32BE(16, at);
      if (uuidBytes(value).copy(chunk, at + 4) === 16) return at + 20;
      break;
  }
  throw new TypeError(`Cannot send ${typeof value === 'string' ? JSON.stringify(value.slice(0, 100)) : typeof value} as ${type} in a binary COPY`);
}

const DECIMAL = /^-?\d{1,19}$/;

/**
 * Writes a string's UTF-8 into `chunk` at `at`; returns its length in bytes. A short ASCII string
 * (a key, a hash, a name) is copied code unit by code unit: a row's five or six Buffer#write calls
 * cost more in the call than in the copy.
 */
function writeString(chunk: Buffer, at: number, text: string): number {
  const length = text.length;
  if (length > SHORT_STRING) return chunk.write(text, at);
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return chunk.write(text, at);
    chunk[at + i] = code;
  }
  return length;
}
const SHORT_STRING = 96;

// A page sends the same few uuids (its run's) on every row: the last one's bytes are kept.
let lastUuidText = '';
let lastUuidBytes = Buffer.alloc(0);

/** A uuid's 16 bytes from its text; fewer when the text is no uuid (the caller refuses it). */
function uuidBytes(text: string): Buffer {
  if (text !== lastUuidText) {
    const hex = text.replaceAll('-', '');
    lastUuidBytes = /^[0-9a-fA-F]{32}$/.test(hex) ? Buffer.from(hex, 'hex') : Buffer.alloc(0);
    lastUuidText = text;
  }
  return lastUuidBytes;
}

const TAB = 0x09;
const CARRIAGE_RETURN = 0x0d;
const BACKSLASH = 0x5c;
/** copyField's escapes, byte by byte: the byte that follows the backslash, by the byte escaped (0: none). */
const ESCAPED_BYTES = new Uint8Array(256);
for (const [c, escaped] of Object.entries(ESCAPES)) ESCAPED_BYTES[c.charCodeAt(0)] = escaped.charCodeAt(1);

/** Writes a row's fields, tab-separated, into `chunk` from `at`; returns where they end. */
function writeFields(chunk: Buffer, at: number, fields: (string | CopyBytes)[]): number {
  for (let i = 0; i < fields.length; i++) {
    if (i > 0) chunk[at++] = TAB;
    const field = fields[i]!;
    if (typeof field === 'string') at += chunk.write(field, at);
    else if (field.indexOf(BACKSLASH) < 0 && field.indexOf(NEWLINE) < 0 && field.indexOf(TAB) < 0 && field.indexOf(CARRIAGE_RETURN) < 0) {
      chunk.set(field, at);
      at += field.length;
    } else {
      for (const byte of field) {
        const escaped = ESCAPED_BYTES[byte]!;
        if (escaped !== 0) chunk[at++] = BACKSLASH;
        chunk[at++] = escaped || byte;
      }
    }
  }
  return at;
}
